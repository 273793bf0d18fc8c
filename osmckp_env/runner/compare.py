"""Paired comparison of two runs on the same exams: ΔScore and ΔRegret with paired-bootstrap
intervals and paired permutation tests (``osmckp compare A B``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from osmckp_env.results.io import load_results, results_records, split_orders
from osmckp_env.scoring.stats import IntervalConfig, paired_difference, paired_regret_difference


def per_exam_scores(records: list[dict]) -> dict[int, float]:
    """Each exam's score (the mean over its samples)."""
    out: dict[int, list[float]] = {}
    for r in records:
        out.setdefault(r["exam_index"], []).append(float(r["score"]))
    return {k: float(np.mean(v)) for k, v in out.items()}


def _load(path) -> tuple[dict, dict[int, float], dict[int, float]]:
    path = Path(path)
    if path.is_dir():
        path = path / "results.json"
    res = load_results(path)
    records, _ = results_records(path, res)
    given, easy = split_orders(records, res["suite"]["order"])
    return res, per_exam_scores(given), per_exam_scores(easy)


def compare_results(a, b, cfg: IntervalConfig | None = None, permutations: int = 10_000) -> dict:
    """ΔScore = Score(A) − Score(B) and ΔRegret on the same exams, each with a paired interval
    and p-value. Refuses runs on different suites (their numbers are not paired)."""
    cfg = cfg or IntervalConfig()
    ra, ga, ea = _load(a)
    rb, gb, eb = _load(b)
    ha, hb = ra["suite"]["hash"], rb["suite"]["hash"]
    if ha != hb:
        raise ValueError(
            f"{a} is on suite {ra['suite']['name']!r} (hash {ha}) and {b} on {rb['suite']['name']!r} (hash {hb}): "
            "a paired comparison needs the same exams; run both specs on the same suite"
        )
    exams = sorted(set(ga) & set(gb))
    if len(exams) != len(ga) or len(exams) != len(gb):
        raise ValueError("the two runs do not hold the same exams (an unfinished run?); finish both first")
    out = {
        "a": ra["spec"]["name"],
        "b": rb["spec"]["name"],
        "suite": ra["suite"]["name"],
        "suite_hash": ha,
        "n_exams": len(exams),
        "interval_config": cfg.to_dict(),
        "score": paired_difference([ga[e] for e in exams], [gb[e] for e in exams], cfg, permutations),
    }
    if set(exams) <= set(ea) and set(exams) <= set(eb):
        out["regret"] = paired_regret_difference(
            [ga[e] for e in exams],
            [ea[e] for e in exams],
            [gb[e] for e in exams],
            [eb[e] for e in exams],
            cfg,
            permutations,
        )
    for key in ("score", "regret"):
        if key in out:
            ci = out[key]["ci"]
            out[key]["distinguishable"] = None not in ci and not (ci[0] <= 0 <= ci[1])
    return out
