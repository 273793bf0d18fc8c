"""Paired comparison of two runs on the same exams: ΔScore and ΔRegret, each with a paired-bootstrap
interval and the p-value of the bootstrap test of "Δ = 0" drawn from the same resamples
(``osmckp compare A B``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from osmckp_env.grading.record import record_key
from osmckp_env.results.io import load_results, results_records, split_orders
from osmckp_env.scoring.stats import IntervalConfig, paired_difference, paired_regret_difference


def per_exam_scores(records: list[dict]) -> dict[int, float]:
    """Each exam's score (the mean over its samples)."""
    out: dict[int, list[float]] = {}
    for r in records:
        out.setdefault(r["exam_index"], []).append(float(r["score"]))
    return {k: float(np.mean(v)) for k, v in out.items()}


def missing_records(res: dict, records: list[dict]) -> list[str]:
    """The record keys a complete run has and this one lacks: every exam of its suite, in its own
    order and in easy order, for every sample; a record whose backend call failed counts as
    missing (it is an error, not a score)."""
    k = int(res.get("metrics", {}).get("n_samples") or res.get("spec", {}).get("samples") or 1)
    orders = [res["suite"]["order"]] + ([] if res["suite"]["order"] == "easy" else ["easy"])
    have = {r["key"] for r in records if not r.get("error")}
    return [
        record_key(o, i, j if k > 1 else None)
        for j in range(k)
        for o in orders
        for i in range(int(res["suite"]["n_exams"]))
        if record_key(o, i, j if k > 1 else None) not in have
    ]


def _load(path) -> tuple[Path, dict, dict[int, float], dict[int, float]]:
    path = Path(path)
    if path.is_dir():
        path = path / "results.json"
    res = load_results(path)
    records, _ = results_records(path, res)
    missing = missing_records(res, records)
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise ValueError(
            f"{path} is not a complete run: {len(missing)} record(s) missing or failed ({shown}); a paired "
            f"comparison needs every exam in both orders. Finish it with `osmckp run {path} --retry-errors`"
        )
    given, easy = split_orders(records, res["suite"]["order"])
    return path, res, per_exam_scores(given), per_exam_scores(easy)


def compare_results(a, b, cfg: IntervalConfig | None = None) -> dict:
    """ΔScore = Score(A) − Score(B) and ΔRegret on the same exams, each with a paired interval
    and the p-value of "Δ = 0" from the same bootstrap draws (``stats.bootstrap_test``: p < 1 - level
    exactly when the interval excludes 0). Refuses runs on different suites (their numbers are
    not paired) and incomplete runs (naming what is missing); ``warnings`` says when a run is compared with itself."""
    cfg = cfg or IntervalConfig()
    pa, ra, ga, ea = _load(a)
    pb, rb, gb, eb = _load(b)
    warnings = []
    if pa.resolve() == pb.resolve():
        warnings.append(f"{pa} is compared with itself: every difference is 0 by construction")
    elif ra["config_hash"] == rb["config_hash"] and (ga, ea) == (gb, eb):
        warnings.append(
            f"{pa} and {pb} are the same run (config {ra['config_hash']}, the same scores on every exam): "
            "every difference is 0 by construction"
        )
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
        "warnings": warnings,
        "test": "two-sided paired bootstrap test of Δ = 0 (the interval's own resamples)",
        "score": paired_difference([ga[e] for e in exams], [gb[e] for e in exams], cfg),
    }
    if ra["suite"]["order"] != "easy":  # complete runs: both hold every exam in easy order
        out["regret"] = paired_regret_difference(
            [ga[e] for e in exams],
            [ea[e] for e in exams],
            [gb[e] for e in exams],
            [eb[e] for e in exams],
            cfg,
        )
    for key in ("score", "regret"):
        if key in out:
            ci = out[key]["ci"]
            out[key]["distinguishable"] = None not in ci and not (ci[0] <= 0 <= ci[1])
    return out
