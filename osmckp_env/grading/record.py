"""The exam record: its typed shape and the one place it is built. A completion becomes a
record here: truncate at the budget, parse, grade, count per-problem tokens and levels.

This is the single scoring path shared by the exam and sequential envs, the runner, ``validate``,
the replay backend, MFT data and the RL rewards (``osmckp_env.scoring.rewards`` turns a record
into rewards; ``osmckp_env.scoring.metrics`` turns many into suite metrics).
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

from osmckp_env.exam.levels import SKIP_LEVEL, LevelBins
from osmckp_env.exam.tokenization import TokenCounter, default_counter, truncate
from osmckp_env.grading import Grader, default_grader, parse_completion
from osmckp_env.grading.parse import preamble_end

RECORD_VERSION = 2  # 2: per-problem tokens partition the completion; `unreached` status, null levels


class ProblemRecord(TypedDict):
    """One problem of a scored exam."""

    position: int
    id: str
    tier: str
    gold: str
    answer: str | None
    status: str  # answered | skipped | missing | unreached
    predicted_level: int | None
    actual_level: int | None  # None: nothing was written for it (unreached)
    tokens: int
    correct: bool
    rarl: bool  # correct AND predicted level == actual level
    grade_status: str  # ok | rejected | timeout | error
    grade_detail: str


class ExamRecord(TypedDict):
    """One scored exam. The runner adds the fields marked ``NotRequired`` (``with_run_fields``)."""

    record_version: int
    exam_index: int
    order: str
    budget: int
    problem_ids: list[str]
    problems: list[ProblemRecord]
    completion_tokens: int
    preamble_tokens: int
    raw_completion_tokens: int  # before the cut; a lower bound when raw_completion_tokens_exact is False
    raw_completion_tokens_exact: bool
    budget_exhausted: bool
    truncated: bool
    budget_overrun: bool
    score: int
    rarl_reward: int
    tokenizer: str
    key: NotRequired[str]  # "<order>:<exam_index>" (":<sample>" with samples: k)
    sample: NotRequired[int]
    config_hash: NotRequired[str]
    suite: NotRequired[str]
    suite_hash: NotRequired[str]
    completion: NotRequired[str]
    calls: NotRequired[list[dict]]
    plan: NotRequired[dict | None]
    error: NotRequired[str | None]
    timings: NotRequired[dict]


def actual_level(status: str, tokens: int, bins: LevelBins) -> int | None:
    """The level a problem's real cost falls in; a skip is Level-3 by definition.

    ``None`` for a problem the completion never wrote anything for (``unreached``, or ``missing``
    with no segment): there is no cost to measure, and it is not a Level-0 problem.
    """
    if status == "skipped":
        return SKIP_LEVEL
    if status == "unreached" or (status == "missing" and tokens == 0):
        return None
    return bins.level_of(tokens)


def score_completions(
    exams,
    texts,
    *,
    counter: TokenCounter | None = None,
    bins: LevelBins | None = None,
    grader: Grader | None = None,
    budgets=None,
) -> list[ExamRecord]:
    """Grade many exam completions at once (answers graded in parallel).

    ``budgets`` overrides each exam's budget (sequential mode passes what is left).
    Returns one record per exam: per-problem answers, levels, tokens, grades, plus totals.
    """
    counter = counter or default_counter()
    bins = bins or LevelBins()
    grader = grader or default_grader()
    pending = []
    for i, (exam, text) in enumerate(zip(exams, texts, strict=True)):
        if not isinstance(text, str):
            raise TypeError(f"completion for exam {exam.index} must be str, got {type(text).__name__}")
        budget = exam.budget if budgets is None else budgets[i]
        cut, parsed = cut_and_parse(text, exam.n_problems, budget, counter)
        futures = [
            grader.submit(pp.answer if pp.status == "answered" else None, prob.answer)
            for pp, prob in zip(parsed, exam.problems)
        ]
        pending.append((exam, budget, cut, parsed, futures))
    return [
        _record(exam, budget, cut, parsed, [f.result() for f in futs], counter, bins)
        for exam, budget, cut, parsed, futs in pending
    ]


def cut_and_parse(text: str, n_problems: int, budget: int, counter: TokenCounter):
    """The env's view of a completion before grading: cut at the budget, then parsed."""
    cut = truncate(text, budget, counter)
    return cut, parse_completion(cut.text, n_problems)


def problem_tokens(cut, parsed) -> list[int]:
    """Tokens of each problem's segment pieces (header and level tag included), as the env counts them."""
    return [sum(cut.tokens_in(s, e) for s, e in pp.spans) for pp in parsed]


def segment_levels(text: str, n_problems: int, budget: int, counter: TokenCounter, bins: LevelBins) -> list:
    """The actual level the env gives each problem of ``text`` (no grading): what MFT labels must equal."""
    cut, parsed = cut_and_parse(text, n_problems, budget, counter)
    return [actual_level(pp.status, n, bins) for pp, n in zip(parsed, problem_tokens(cut, parsed))]


def score_completion(exam, text: str, **kwargs) -> ExamRecord:
    """Grade one exam completion; see ``score_completions``."""
    return score_completions([exam], [text], **kwargs)[0]


def problem_record(
    position: int,
    problem,
    *,
    answer: str | None,
    status: str,
    predicted_level: int | None,
    tokens: int,
    grade,
    bins: LevelBins,
) -> ProblemRecord:
    """A problem's record: its actual level from the tokens it used, correct only if answered
    and graded right, ``rarl`` only if also its predicted level was right."""
    lvl = actual_level(status, tokens, bins)
    correct = bool(grade.correct) and status == "answered" and grade.status == "ok"
    return {
        "position": position,
        "id": problem.id,
        "tier": problem.difficulty,
        "gold": problem.answer,
        "answer": answer,
        "status": status,
        "predicted_level": predicted_level,
        "actual_level": lvl,
        "tokens": tokens,
        "correct": correct,
        "rarl": correct and predicted_level == lvl,
        "grade_status": grade.status,
        "grade_detail": grade.detail,
    }


def unreached_record(position: int, problem, detail: str = "") -> ProblemRecord:
    """A problem the completion never reached: no answer, no level, no tokens."""
    from osmckp_env.grading.grader import GradeResult

    return problem_record(
        position,
        problem,
        answer=None,
        status="unreached",
        predicted_level=None,
        tokens=0,
        grade=GradeResult(False, "ok", detail),
        bins=LevelBins(),
    )


def exam_record(
    exam,
    problems: list[ProblemRecord],
    *,
    budget: int,
    completion_tokens: int,
    raw_completion_tokens: int,
    preamble_tokens: int,
    truncated: bool,
    tokenizer: str,
    raw_exact: bool = True,
) -> ExamRecord:
    """An exam's record from its problems' records and the completion's token counts."""
    return {
        "record_version": RECORD_VERSION,
        "exam_index": exam.index,
        "order": exam.order,
        "budget": budget,
        "problem_ids": [p.id for p in exam.problems],
        "problems": problems,
        "completion_tokens": completion_tokens,
        "preamble_tokens": preamble_tokens,
        "raw_completion_tokens": raw_completion_tokens,
        "raw_completion_tokens_exact": raw_exact,
        "budget_exhausted": truncated or raw_completion_tokens >= budget,
        "truncated": truncated,
        "budget_overrun": raw_completion_tokens > budget,
        "score": sum(p["correct"] for p in problems),
        "rarl_reward": sum(p["rarl"] for p in problems),
        "tokenizer": tokenizer,
    }


def with_run_fields(
    record: ExamRecord,
    *,
    config_hash: str,
    suite: str,
    suite_hash: str,
    completion: str,
    calls: list[dict],
    plan: dict | None,
    error: str | None,
    timings: dict,
    sample: int | None = None,
) -> ExamRecord:
    """The runner's record: the scored exam plus what ties it to its run (key, hashes) and how
    it was produced (completion, model calls, plan, error, timings). ``sample`` numbers the
    samples of a spec with ``samples: k`` (key ``order:index:sample``)."""
    key = f"{record['order']}:{record['exam_index']}" + ("" if sample is None else f":{sample}")
    return {
        "key": key,
        **({} if sample is None else {"sample": sample}),
        "config_hash": config_hash,
        "suite": suite,
        "suite_hash": suite_hash,
        "completion": completion,
        "calls": calls,
        "plan": plan,
        "error": error,
        **record,
        "timings": timings,
    }


def _record(exam, budget, cut, parsed, grades, counter, bins) -> ExamRecord:
    problems = [
        problem_record(
            pos,
            prob,
            answer=pp.answer,
            status=pp.status,
            predicted_level=pp.predicted_level,
            tokens=tokens,
            grade=g,
            bins=bins,
        )
        for pos, (pp, prob, g, tokens) in enumerate(zip(parsed, exam.problems, grades, problem_tokens(cut, parsed)))
    ]
    return exam_record(
        exam,
        problems,
        budget=budget,
        completion_tokens=min(cut.n_tokens, budget),
        raw_completion_tokens=cut.n_tokens,
        preamble_tokens=cut.tokens_in(-1, preamble_end(parsed, len(cut.text))),
        truncated=cut.truncated,
        tokenizer=counter.name,
        raw_exact=cut.n_tokens_exact,
    )
