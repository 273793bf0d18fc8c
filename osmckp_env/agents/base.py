"""The Agent protocol and the prompt-based agent every model baseline builds on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Protocol, runtime_checkable

from osmckp_env.backends.base import Backend, Completion, Messages, Sampling, prompt_hash
from osmckp_env.exam.levels import LevelBins
from osmckp_env.exam.prompts import SYSTEM_PROMPT, exam_user_prompt
from osmckp_env.exam.suites import Exam
from osmckp_env.exam.tokenization import repair_text


@dataclass
class AgentOutput:
    """An agent's answer to one exam: the completion the env scores, plus every model call made."""

    text: str
    calls: list[dict] = field(default_factory=list)
    plan: dict | None = None
    hidden_reasoning_tokens: int = 0  # reasoning the server charged but did not return: charged first
    # the backend's own count of the tokens it generated for ``text`` (in its counter's tokenization),
    # when ``text`` is one generation of a backend that counts exactly; None: the env re-counts the text
    generated_tokens: int | None = None

    @property
    def error(self) -> str | None:
        errs = [c["error"] for c in self.calls if c.get("error")]
        return "; ".join(errs) if errs else None

    def to_dict(self) -> dict:
        return asdict(self)


def call_record(messages: Messages, completion: Completion, max_tokens: int, purpose: str = "solve") -> dict:
    """One model call as the records file keeps it (text with invalid code points replaced, so it
    can be written as UTF-8; what the backend noticed about the reply in ``meta``)."""
    rec = {
        "purpose": purpose,
        "prompt_hash": prompt_hash(messages),
        "max_tokens": max_tokens,
        "text": repair_text(completion.text)[0],
        "n_tokens": completion.n_tokens,
        "hidden_reasoning_tokens": completion.hidden_reasoning_tokens,
        "finish_reason": completion.finish_reason,
        "error": completion.error,
    }
    meta = {k: v for k, v in completion.meta.items() if k != "retryable"}
    if meta:
        rec["meta"] = meta
    return rec


def generated_count(backend, completion: Completion) -> int | None:
    """The tokens ``completion.text`` cost as the backend generated them (its count less hidden
    reasoning), where the backend counts exactly in its own counter's tokenization
    (``backend.exact_token_counts``: transformers, vLLM, a server given its model's tokenizer): the
    env charges that count rather than a re-count of the decoded text."""
    if not getattr(backend, "exact_token_counts", False) or completion.finish_reason == "error":
        return None
    return max(0, int(completion.n_tokens) - int(completion.hidden_reasoning_tokens))


@runtime_checkable
class Agent(Protocol):
    """Anything that answers exams. ``solve`` gets a batch so batching backends stay busy."""

    name: str

    def reset(self, seed: int | None = None) -> None: ...

    def solve(self, exams: Sequence[Exam]) -> list[AgentOutput]: ...


class PromptAgent:
    """One generation per exam from a prompt template, capped at the exam budget.

    Subclasses change ``instructions`` (extra guidance) and ``with_levels`` (ask for level tags).
    """

    name = "direct"
    instructions = ""
    with_levels = False

    def __init__(self, backend: Backend, *, sampling: Sampling | None = None, bins: LevelBins | None = None) -> None:
        self.backend = backend
        self.sampling = sampling or Sampling()
        self.bins = bins or LevelBins()

    def reset(self, seed: int | None = None) -> None:
        if seed is not None:
            self.sampling = Sampling(self.sampling.temperature, self.sampling.top_p, seed)

    def messages(self, exam: Exam) -> Messages:
        user = exam_user_prompt(exam, with_levels=self.with_levels, bins=self.bins)
        if self.instructions:
            user = f"{user}\n{self.instructions}\n"
        return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]

    def solve(self, exams: Sequence[Exam]) -> list[AgentOutput]:
        prompts = [self.messages(e) for e in exams]
        comps = self.backend.generate(prompts, max_tokens=[e.budget for e in exams], sampling=self.sampling)
        return [
            AgentOutput(
                c.text,
                [call_record(m, c, e.budget)],
                hidden_reasoning_tokens=c.hidden_reasoning_tokens,
                generated_tokens=generated_count(self.backend, c),
            )
            for m, c, e in zip(prompts, comps, exams)
        ]

    def act(self, obs: dict) -> str | dict:
        """Gymnasium use: answer an ``OSMCKP-v0``/``OSMCKP-Seq-v0`` observation with one generation.

        Returns the env's action: the completion text, or ``{"text": ..., "hidden_reasoning_tokens":
        n}`` when the backend reports reasoning it did not return, so the env charges it. (The env
        may count with another tokenizer than the model's, so the backend's own token count is not
        passed on: give ``generated_tokens`` yourself when the env's ``counter`` is the model's.)"""
        messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": obs["prompt"]}]
        cap = int(obs["remaining_budget"])
        c = self.backend.generate([messages], max_tokens=cap, sampling=self.sampling)[0]
        if c.hidden_reasoning_tokens:
            return {"text": c.text, "hidden_reasoning_tokens": int(c.hidden_reasoning_tokens)}
        return c.text
