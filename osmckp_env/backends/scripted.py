"""A scripted backend for tests and dry runs: replies come from a function, capped like a model."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from osmckp_env.backends.base import (
    Completion,
    Messages,
    Sampling,
    check_arg_values,
    check_max_tokens,
    is_bool,
    is_counter_or_none,
    is_str,
    raise_on,
)
from osmckp_env.exam._lookup import lookup
from osmckp_env.exam.pools import drawn_answer
from osmckp_env.exam.problems import SPLITS, TIERS, load_pool
from osmckp_env.exam.tokenization import TokenCounter, default_counter, truncate

PROMPT_HEADER_RE = re.compile(r"^### Problem \d+[ \t]*$", re.MULTILINE)


@lru_cache(maxsize=1)
def _gold_answers() -> dict[str, str]:
    return {p.problem.strip(): p.answer for split in SPLITS for tier in TIERS for p in load_pool(split, tier)}


def _gold_of(body: str, table: dict[str, str]) -> str:
    """A problem statement's gold answer: a bundled problem's, a procedural problem's that this
    process drew (``exam.pools.drawn_answer``), else ``NA``."""
    ans = table.get(body) or drawn_answer(body)
    if ans is None:
        ans = next((a for q, a in table.items() if q and body.startswith(q)), "NA")
    return ans


def gold_reply(messages: Messages, cap: int) -> str:
    """An oracle that answers every problem in the prompt with its gold answer (the bundled pools'
    problems, and the procedural ones of every suite this process built), with a
    ``<predicted_level>Level-0</predicted_level>`` tag when the prompt asks for levels.

    For dry runs and tests of the pipeline (a perfect-accuracy upper bound), never a baseline.
    """
    user = messages[-1]["content"]
    table = _gold_answers()
    tag = "<predicted_level>Level-0</predicted_level>\n" if "<predicted_level>" in user else ""
    heads = list(PROMPT_HEADER_RE.finditer(user))
    if not heads:
        ans = next((a for q, a in table.items() if q and q in user), None)
        if ans is None:  # a procedural problem: its statement ends the prompt, after a blank line
            tails = user.split("\n\n")
            ans = next((a for k in range(len(tails)) if (a := drawn_answer("\n\n".join(tails[k:])))), "NA")
        return f"{tag}Short reasoning. \\boxed{{{ans}}}"
    out = []
    for k, m in enumerate(heads):
        end = heads[k + 1].start() if k + 1 < len(heads) else len(user)
        body = user[m.end() : end].strip()
        ans = _gold_of(body, table)
        out.append(f"### Problem {k + 1}\n{tag}Short reasoning. \\boxed{{{ans}}}\n")
    return "".join(out)


def skip_reply(messages: Messages, cap: int) -> str:
    """Skips every problem of the prompt: one ``\\boxed{NA}`` under each ``### Problem k`` header
    (a prompt without headers poses one problem: one box). A lower bound for pipeline checks."""
    n = len(PROMPT_HEADER_RE.findall(messages[-1]["content"]))
    if n == 0:
        return "\\boxed{NA}"
    return "".join(f"### Problem {k + 1}\n\\boxed{{NA}}\n" for k in range(n))


SCRIPTS = {
    "skip-all": skip_reply,
    "gold": gold_reply,
}


class ScriptedBackend:
    """Replies with ``reply(messages, max_tokens) -> str``, cut to ``max_tokens`` tokens.

    Args:
        reply: a function, or a script name: ``skip-all`` (default) or ``gold`` (answers bundled
            problems with their gold answers: a pipeline check, not a baseline).
        counter: tokenizer for the cap (default: the bundled Qwen2.5 tokenizer).
        overrun: return the text uncut, to test that the env enforces the budget itself.
    """

    def __init__(
        self,
        reply: Callable[[Messages, int], str] | str | None = None,
        *,
        counter: TokenCounter | None = None,
        overrun: bool = False,
        name: str = "scripted",
    ) -> None:
        self.name = name
        if isinstance(reply, str):
            reply = lookup(SCRIPTS, reply, kind="script")  # an unknown name: KeyError with did-you-mean
        raise_on(ScriptedBackend.check_args({"reply": reply, "counter": counter, "overrun": overrun, "name": name}))
        self.reply = reply or SCRIPTS["skip-all"]
        self.counter = counter or default_counter()
        self.overrun = overrun
        self.calls = 0

    @staticmethod
    def check_args(args: dict) -> list[str]:
        """What is wrong with these arguments (those given), the script name included: the
        constructor's checks, run by ``osmckp validate`` and ``osmckp run`` before anything starts."""
        problems = []
        reply = args.get("reply")
        if isinstance(reply, str):
            try:
                lookup(SCRIPTS, reply, kind="script")
            except KeyError as e:
                problems.append(f"reply: {e.args[0]}")
        elif reply is not None and not callable(reply):
            problems.append(f"reply must be a script name ({', '.join(SCRIPTS)}) or a function, got {reply!r}")
        return problems + check_arg_values(
            args,
            {
                "counter": (is_counter_or_none, "a TokenCounter object"),
                "overrun": (is_bool, "true or false"),
                "name": (is_str, "a non-empty string"),
            },
        )

    def generate(self, prompts: list[Messages], *, max_tokens, sampling: Sampling | None = None) -> list[Completion]:
        caps = check_max_tokens(max_tokens, len(prompts))
        out = []
        for messages, cap in zip(prompts, caps):
            self.calls += 1
            text = self.reply(messages, cap)
            if self.overrun:
                out.append(Completion(text, cap, "length"))
                continue
            cut = truncate(text, cap, self.counter)
            out.append(Completion(cut.text, min(cut.n_tokens, cap), "length" if cut.truncated else "stop"))
        return out
