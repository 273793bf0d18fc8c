"""How well a run's completions followed the output protocol: the first thing to read when a
model scores 0 (did it write headers? boxes? was anything graded at all?)."""

from __future__ import annotations

from collections.abc import Sequence

PROTOCOL_HINT = (
    "the model wrote no complete \\boxed{} answer the grader could read: its Score says nothing about its math. "
    "See the README's 'Output protocol' (### Problem k headers, one \\boxed{} per problem)"
)


def format_report(records: Sequence[dict]) -> dict:
    """Counts over exam records (both orders pooled): ``completions``; ``with_headers`` (at least
    one valid ``Problem k`` header; ``None`` for records older than version 4, which do not say);
    ``with_box`` (at least one complete box: a problem answered or skipped); ``problems``;
    ``problems_graded`` (answered, so sent to the grader); ``problems_skipped``; and ``warning``, a
    sentence when nothing at all was graded or skipped (else ``None``)."""
    problems = [p for r in records for p in r["problems"]]
    headers = [r.get("n_headers") for r in records]
    graded = sum(p["status"] == "answered" for p in problems)
    skipped = sum(p["status"] == "skipped" for p in problems)
    return {
        "completions": len(records),
        "with_headers": None if any(h is None for h in headers) else sum(h > 0 for h in headers),
        "with_box": sum(any(p["status"] in ("answered", "skipped") for p in r["problems"]) for r in records),
        "problems": len(problems),
        "problems_graded": graded,
        "problems_skipped": skipped,
        "warning": PROTOCOL_HINT if records and graded == 0 and skipped == 0 else None,
    }


def format_line(report: dict) -> str:
    """One console line: ``format: 2/10 completions with headers, 3/10 with a box, 4/30 problems graded``."""
    n = report["completions"]
    head = "?" if report["with_headers"] is None else report["with_headers"]
    return (
        f"format: {head}/{n} completions with headers, {report['with_box']}/{n} with a box, "
        f"{report['problems_graded']}/{report['problems']} problems graded"
    )
