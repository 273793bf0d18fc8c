"""Turn one exam completion into a graded record: truncate at the budget, parse, grade.

This is the single scoring path shared by the env, the runner and the RL reward.
"""

from __future__ import annotations

from osmckp_env.exam.levels import SKIP_LEVEL, LevelBins
from osmckp_env.exam.tokenization import TokenCounter, default_counter, truncate
from osmckp_env.grading import Grader, default_grader, parse_completion
from osmckp_env.grading.parse import preamble_end

RECORD_VERSION = 2  # 2: per-problem tokens partition the completion; `unreached` status, null levels


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
) -> list[dict]:
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


def score_completion(exam, text: str, **kwargs) -> dict:
    """Grade one exam completion; see ``score_completions``."""
    return score_completions([exam], [text], **kwargs)[0]


def _record(exam, budget, cut, parsed, grades, counter, bins) -> dict:
    problems = []
    for pos, (pp, prob, g, tokens) in enumerate(zip(parsed, exam.problems, grades, problem_tokens(cut, parsed))):
        lvl = actual_level(pp.status, tokens, bins)
        correct = bool(g.correct) and pp.status == "answered" and g.status == "ok"
        problems.append(
            {
                "position": pos,
                "id": prob.id,
                "tier": prob.difficulty,
                "gold": prob.answer,
                "answer": pp.answer,
                "status": pp.status,
                "predicted_level": pp.predicted_level,
                "actual_level": lvl,
                "tokens": tokens,
                "correct": correct,
                "rarl": correct and pp.predicted_level == lvl,
                "grade_status": g.status,
                "grade_detail": g.detail,
            }
        )
    return {
        "record_version": RECORD_VERSION,
        "exam_index": exam.index,
        "order": exam.order,
        "budget": budget,
        "problem_ids": [p.id for p in exam.problems],
        "problems": problems,
        "completion_tokens": min(cut.n_tokens, budget),
        "preamble_tokens": cut.tokens_in(-1, preamble_end(parsed, len(cut.text))),
        "raw_completion_tokens": cut.n_tokens,
        "budget_exhausted": cut.truncated or cut.n_tokens >= budget,
        "truncated": cut.truncated,
        "budget_overrun": cut.n_tokens > budget,
        "score": sum(p["correct"] for p in problems),
        "rarl_reward": sum(p["rarl"] for p in problems),
        "tokenizer": counter.name,
    }
