"""Replay completions from a runner records file: re-score a past run without a model."""

from __future__ import annotations

from pathlib import Path

from osmckp_env.backends.base import (
    Completion,
    Messages,
    Sampling,
    check_arg_values,
    check_max_tokens,
    is_bool,
    is_counter_or_none,
    prompt_hash,
    raise_on,
)
from osmckp_env.exam.tokenization import TokenCounter, default_counter
from osmckp_env.results.io import read_records


def _records_file(path) -> Path:
    """A records file, or the ``records.jsonl`` of a run folder."""
    p = Path(path).expanduser()
    return p / "records.jsonl" if p.is_dir() else p


class ReplayBackend:
    """Answers each prompt with the completion recorded for the same prompt hash.

    Args:
        path: a ``records.jsonl`` written by ``osmckp run`` (or a folder holding one).
        strict: raise on a prompt that was never recorded (else return an error completion).
    """

    def __init__(self, path: str | Path, *, strict: bool = True, counter: TokenCounter | None = None) -> None:
        raise_on(ReplayBackend.check_args({"path": path, "strict": strict, "counter": counter}))
        p = _records_file(path)
        records, _ = read_records(p)
        self.table: dict[str, dict] = {}
        for r in records:
            for call in r.get("calls", []):
                self.table[call["prompt_hash"]] = call
        if not self.table:
            raise ValueError(f"{p}: no recorded completions to replay")
        self.strict = strict
        self.name = f"replay:{p}"
        self.counter = counter or default_counter()

    @staticmethod
    def check_args(args: dict) -> list[str]:
        """What is wrong with these arguments (those given), the records file included: the
        constructor's checks, run by ``osmckp validate`` and ``osmckp run`` before anything starts."""
        problems = check_arg_values(
            args,
            {
                "path": (lambda v: isinstance(v, (str, Path)) and str(v) != "", "a records.jsonl or its run folder"),
                "strict": (is_bool, "true or false"),
                "counter": (is_counter_or_none, "a TokenCounter object"),
            },
        )
        if not problems and "path" in args and not _records_file(args["path"]).is_file():
            problems.append(
                f"path {str(args['path'])!r}: no records file there (from {Path.cwd()}); give the records.jsonl "
                "written by `osmckp run`, or its run folder"
            )
        return problems

    def generate(self, prompts: list[Messages], *, max_tokens, sampling: Sampling | None = None) -> list[Completion]:
        caps = check_max_tokens(max_tokens, len(prompts))
        out = []
        for messages, cap in zip(prompts, caps):
            h = prompt_hash(messages)
            call = self.table.get(h)
            if call is None:
                if self.strict:
                    raise KeyError(f"prompt {h} was not recorded; replay only re-scores the recorded run's exams")
                out.append(Completion("", 0, "error", error="not recorded"))
                continue
            out.append(
                Completion(
                    call["text"],
                    min(int(call["n_tokens"]), cap),
                    call.get("finish_reason", "stop"),
                    hidden_reasoning_tokens=int(call.get("hidden_reasoning_tokens") or 0),
                )
            )
        return out
