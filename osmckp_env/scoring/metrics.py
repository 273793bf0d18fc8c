"""Suite metrics as pure functions over exam records (the record shape: ``osmckp_env.grading.record``)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from osmckp_env.exam.problems import TIERS
from osmckp_env.grading.record import with_both_levels
from osmckp_env.scoring import stats
from osmckp_env.scoring.stats import IntervalConfig, bootstrap_indices, interval


def score(records: Sequence[dict]) -> float:
    """Mean number of correct answers per exam (with ``samples: k``, per exam record: the mean over
    exams of each exam's mean over its samples, as every exam has k).

    Example:
        >>> score([{"problems": [{"correct": True}, {"correct": False}]}, {"problems": [{"correct": True}]}])
        1.0
    """
    if not records:
        return float("nan")
    return sum(sum(p["correct"] for p in r["problems"]) for r in records) / len(records)


def regret(score_given: float, score_easy: float) -> float:
    """(Score_easy - Score) / Score_easy at suite level; may be negative.

    0/0 (both orders score nothing) is defined as 0.0, no loss. A positive score when the easy
    order scored 0 has no relative loss to report: NaN.

    Example:
        >>> regret(score_given=1.5, score_easy=2.0)  # a quarter of the easy order's score is lost
        0.25
    """
    if score_easy == 0:
        return 0.0 if score_given == 0 else float("nan")
    return (score_easy - score_given) / score_easy


REGRET_UNDEFINED = "not defined (S_easy = 0)"


def regret_defined(metrics: dict) -> bool:
    """Whether a summary's Regret means anything: the easy order scored above 0. With S_easy = 0 the
    file keeps the documented number (0/0 = 0, or NaN) under ``regret_defined: false``, and every
    display says ``REGRET_UNDEFINED`` instead: 0.000 [0, 0] would read as a perfect result."""
    if "regret_defined" in metrics:
        return bool(metrics["regret_defined"])
    se = metrics.get("score_easy")
    return se is not None and not (isinstance(se, float) and math.isnan(se)) and se > 0


def position_accuracy(records: Sequence[dict]) -> list[float]:
    """Accuracy at each position P1..Pn."""
    n = max((len(r["problems"]) for r in records), default=0)
    out = []
    for k in range(n):
        at_k = [r["problems"][k]["correct"] for r in records if len(r["problems"]) > k]
        out.append(sum(at_k) / len(at_k) if at_k else float("nan"))
    return out


def _problems(records):
    return [p for r in records for p in r["problems"]]


def tier_accuracy(records: Sequence[dict]) -> dict[str, float]:
    out = {}
    for tier in TIERS:
        ps = [p["correct"] for p in _problems(records) if p["tier"] == tier]
        if ps:
            out[tier] = sum(ps) / len(ps)
    return out


def skip_rate(records: Sequence[dict]) -> float:
    ps = _problems(records)
    return sum(p["status"] == "skipped" for p in ps) / len(ps) if ps else float("nan")


def missing_rate(records: Sequence[dict]) -> float:
    """Share of problems the completion reached but left without a complete final answer
    (often cut by the budget mid-solution)."""
    ps = _problems(records)
    return sum(p["status"] == "missing" for p in ps) / len(ps) if ps else float("nan")


def unreached_rate(records: Sequence[dict]) -> float:
    """Share of problems the completion never reached because the budget ended before them."""
    ps = _problems(records)
    return sum(p["status"] == "unreached" for p in ps) / len(ps) if ps else float("nan")


def not_attempted_rate(records: Sequence[dict]) -> float:
    """Share of problems the model never wrote anything for although budget was left (it stopped
    early): apart from ``unreached_rate``, where the budget ended first."""
    ps = _problems(records)
    return sum(p["status"] == "not_attempted" for p in ps) / len(ps) if ps else float("nan")


def mean_tokens_per_problem(records: Sequence[dict]) -> float:
    ps = _problems(records)
    return sum(p["tokens"] for p in ps) / len(ps) if ps else float("nan")


def budget_exhausted_rate(records: Sequence[dict]) -> float:
    return sum(bool(r["budget_exhausted"]) for r in records) / len(records) if records else float("nan")


def budget_overrun_rate(records: Sequence[dict]) -> float:
    """Share of exams whose completion was longer than the budget and was cut by the env's own count."""
    return (
        sum(r.get("raw_completion_tokens", 0) > r.get("budget", float("inf")) for r in records) / len(records)
        if records
        else float("nan")
    )


def mean_thinking_tokens(records: Sequence[dict]) -> float:
    """Mean tokens of thinking charged per exam (visible thinking plus hidden reasoning; 0 for
    records written before thinking was counted)."""
    return sum(r.get("thinking_tokens", 0) for r in records) / len(records) if records else float("nan")


def cut_in_thinking_rate(records: Sequence[dict]) -> float:
    """Share of exams whose completion ended inside its thinking (no answer at all)."""
    return sum(bool(r.get("cut_in_thinking")) for r in records) / len(records) if records else float("nan")


def level_accuracy(records: Sequence[dict]) -> float:
    """Share of problems whose predicted level equals the level of the tokens used (NaN if none predicted).

    Problems with no actual level (never reached) are left out."""
    ps = with_both_levels(_problems(records))
    return sum(p["predicted_level"] == p["actual_level"] for p in ps) / len(ps) if ps else float("nan")


def level_confusion(records: Sequence[dict], n_levels: int = 4) -> list[list[int]]:
    """Counts[predicted][actual] over problems that carry a predicted and an actual level."""
    m = [[0] * n_levels for _ in range(n_levels)]
    for p in with_both_levels(_problems(records)):
        pl, al = p["predicted_level"], p["actual_level"]
        if pl is not None and 0 <= pl < n_levels and 0 <= al < n_levels:
            m[pl][al] += 1
    return m


def grader_failures(records: Sequence[dict]) -> dict[str, int]:
    """Grades that timed out or errored (failures), and answers rejected unparsed (graded wrong):
    counted, never hidden among wrong answers."""
    out = {"timeout": 0, "error": 0, "rejected": 0}
    for p in _problems(records):
        if p["grade_status"] in out:
            out[p["grade_status"]] += 1
    return out


def grader_failures_by_problem(records: Sequence[dict]) -> dict[str, int]:
    """Problem id -> number of its grades that timed out or errored (only problems with any)."""
    out: dict[str, int] = {}
    for p in _problems(records):
        if p["grade_status"] in ("timeout", "error"):
            out[p["id"]] = out.get(p["id"], 0) + 1
    return out


def rarl_reward(records: Sequence[dict]) -> float:
    """Mean per-exam RARL reward (correct AND level predicted right)."""
    return sum(r["rarl_reward"] for r in records) / len(records) if records else float("nan")


def _by_exam(records: Sequence[dict]) -> dict[int, list[dict]]:
    """Records grouped by exam (an exam's ``samples: k`` records stay together)."""
    out: dict[int, list[dict]] = {}
    for i, r in enumerate(records):
        out.setdefault(r.get("exam_index", i), []).append(r)
    return out


def _per_exam(groups: list[list[dict]], n_pos: int) -> dict:
    """Per-exam sums the bootstrap resamples: each row is one exam (its samples pooled)."""
    tiers = list(TIERS)
    a = {
        "score": np.zeros(len(groups)),
        "rarl": np.zeros(len(groups)),
        "records": np.zeros(len(groups)),
        "problems": np.zeros(len(groups)),
        "skipped": np.zeros(len(groups)),
        "tokens": np.zeros(len(groups)),
        "pos_correct": np.zeros((len(groups), n_pos)),
        "pos_count": np.zeros((len(groups), n_pos)),
        "tier_correct": np.zeros((len(groups), len(tiers))),
        "tier_count": np.zeros((len(groups), len(tiers))),
        "level_hit": np.zeros(len(groups)),
        "level_count": np.zeros(len(groups)),
    }
    for i, recs in enumerate(groups):
        for r in recs:
            a["records"][i] += 1
            for p in with_both_levels(r["problems"]):
                a["level_hit"][i] += p["predicted_level"] == p["actual_level"]
                a["level_count"][i] += 1
            for j, p in enumerate(r["problems"]):
                a["score"][i] += p["correct"]
                a["rarl"][i] += p["rarl"]
                a["problems"][i] += 1
                a["skipped"][i] += p["status"] == "skipped"
                a["tokens"][i] += p["tokens"]
                a["pos_correct"][i, p.get("position", j)] += p["correct"]
                a["pos_count"][i, p.get("position", j)] += 1
                if p["tier"] in tiers:
                    t = tiers.index(p["tier"])
                    a["tier_correct"][i, t] += p["correct"]
                    a["tier_count"][i, t] += 1
    return a


def paired_exams(records: Sequence[dict], easy_records: Sequence[dict]) -> tuple[list[dict], list[dict], int]:
    """The given- and easy-order records of the exams present in both orders, and how many exams
    are present in only one (a failed backend call leaves an exam in one order only). Regret and
    its interval are computed on the paired exams alone: a ratio of two scores over different
    exams is not a loss of this agent's."""
    given, easy = _by_exam(records), _by_exam(easy_records)
    both = given.keys() & easy.keys()
    dropped = len(given.keys() ^ easy.keys())
    return [r for k in sorted(both) for r in given[k]], [r for k in sorted(both) for r in easy[k]], dropped


def intervals(
    records: Sequence[dict], easy_records: Sequence[dict] | None = None, cfg: IntervalConfig | None = None
) -> dict:
    """Standard errors and intervals of the headline metrics by a seeded bootstrap over exams.

    Score, RARL reward (per exam means) and skip rate, tokens per problem, level accuracy
    (problems with a predicted and an actual level), position and tier accuracy (ratios of sums)
    resample exams with all their samples; Regret resamples each
    exam's given- and easy-order records together (a paired interval).
    """
    cfg = cfg or IntervalConfig()
    groups = _by_exam(records)
    if not groups:
        return {}
    keys = sorted(groups)
    n_pos = max(len(r["problems"]) for r in records)
    a = _per_exam([groups[k] for k in keys], n_pos)
    idx = bootstrap_indices(len(keys), cfg.resamples, cfg.seed)
    rep = stats.ratio_replicates
    out = {
        "score": interval(rep(a["score"], a["records"], idx), score(records), cfg.level),
        "rarl_reward": interval(rep(a["rarl"], a["records"], idx), rarl_reward(records), cfg.level),
        "skip_rate": interval(rep(a["skipped"], a["problems"], idx), skip_rate(records), cfg.level),
        "tokens_per_problem": interval(
            rep(a["tokens"], a["problems"], idx), mean_tokens_per_problem(records), cfg.level
        ),
        "level_accuracy": interval(rep(a["level_hit"], a["level_count"], idx), level_accuracy(records), cfg.level),
        "position_accuracy": [
            interval(rep(a["pos_correct"][:, j], a["pos_count"][:, j], idx), pa, cfg.level)
            for j, pa in enumerate(position_accuracy(records))
        ],
        "tier_accuracy": {
            t: interval(
                rep(a["tier_correct"][:, TIERS.index(t)], a["tier_count"][:, TIERS.index(t)], idx), v, cfg.level
            )
            for t, v in tier_accuracy(records).items()
        },
    }
    if easy_records:
        easy_groups = _by_exam(easy_records)
        paired = [k for k in keys if k in easy_groups]
        if paired:
            same = len(paired) == len(keys)  # the usual case: every exam has its easy twin
            g = a if same else _per_exam([groups[k] for k in paired], n_pos)
            e = _per_exam([easy_groups[k] for k in paired], n_pos)
            pidx = idx if same else bootstrap_indices(len(paired), cfg.resamples, cfg.seed)
            given_p, easy_p, _ = paired_exams(records, easy_records)
            reps = stats.regret_of(rep(g["score"], g["records"], pidx), rep(e["score"], e["records"], pidx))
            out["regret"] = interval(reps, regret(score(given_p), score(easy_p)), cfg.level)
            out["score_easy"] = interval(rep(e["score"], e["records"], pidx), score(easy_p), cfg.level)
    return out


def summarize(
    records: Sequence[dict], easy_records: Sequence[dict] | None = None, ci: IntervalConfig | None = None
) -> dict:
    """Every headline metric of a suite, each with a bootstrap standard error and interval
    (``intervals``; how they were computed in ``interval_config``). ``score_easy`` and Regret are
    over the exams present in both orders (``paired_exams``); ``regret_dropped_exams`` (only when
    not 0) counts the exams left out because one of their orders is missing (an incomplete run)."""
    s = score(records)
    out = {
        "n_exams": len(records),
        "score": s,
        "position_accuracy": position_accuracy(records),
        "tier_accuracy": tier_accuracy(records),
        "skip_rate": skip_rate(records),
        "missing_rate": missing_rate(records),
        "unreached_rate": unreached_rate(records),
        "not_attempted_rate": not_attempted_rate(records),
        "tokens_per_problem": mean_tokens_per_problem(records),
        "budget_exhausted_rate": budget_exhausted_rate(records),
        "level_accuracy": level_accuracy(records),
        "rarl_reward": rarl_reward(records),
        "grader_failures": grader_failures(records),
        "grader_failures_by_problem": grader_failures_by_problem(records),
        "budget_overrun_rate": budget_overrun_rate(records),
        "thinking_tokens": mean_thinking_tokens(records),
        "cut_in_thinking_rate": cut_in_thinking_rate(records),
    }
    if easy_records is not None:
        given_p, easy_p, dropped = paired_exams(records, easy_records)
        se = score(easy_p)
        out["score_easy"] = se
        out["regret"] = regret(score(given_p), se) if not math.isnan(se) else float("nan")
        out["regret_defined"] = bool(se > 0)
        if dropped:  # a complete run's metrics are as before 0.5 (and its older results validate)
            out["regret_dropped_exams"] = dropped
    ci = ci or IntervalConfig()
    out["n_samples"] = round(len(records) / len(_by_exam(records))) if records else 0
    out["intervals"] = intervals(records, easy_records, ci)
    out["interval_config"] = ci.to_dict()
    return out


HEADLINE = ("score", "score_easy", "regret", "skip_rate", "tokens_per_problem")


def headline(records: Sequence[dict], easy_records: Sequence[dict], ci: IntervalConfig | None = None) -> dict:
    """The numbers a harness reports for a suite, flat (a name -> a number each), from the same
    ``summarize`` as ``osmckp run``'s results: Score, Score_easy, Regret, skip rate and tokens per
    problem, each with its bootstrap interval as ``<name>_ci_low`` / ``<name>_ci_high`` (``None``
    where it has none), and ``regret_defined``. Harnesses whose metrics are one number each (Inspect,
    verifiers' reports) show these.

    Example:
        >>> rec = lambda i, *ok: {"exam_index": i, "budget_exhausted": False, "rarl_reward": 0, "problems": [
        ...     {"correct": c, "rarl": False, "status": "answered", "tokens": 10, "tier": "easy",
        ...      "predicted_level": None, "actual_level": 0, "grade_status": "ok", "id": "p"} for c in ok]}
        >>> h = headline([rec(0, True, False), rec(1, False, False)], [rec(0, True, True), rec(1, True, False)])
        >>> h["score"], h["score_easy"], h["regret"]
        (0.5, 1.5, 0.6666666666666666)
    """
    m = summarize(records, easy_records, ci)
    out: dict = {}
    for name in HEADLINE:
        out[name] = m[name]
        lo, hi = m["intervals"].get(name, {}).get("ci", [None, None])
        out[f"{name}_ci_low"], out[f"{name}_ci_high"] = lo, hi
    out["regret_defined"] = m["regret_defined"]
    return out
