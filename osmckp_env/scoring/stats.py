"""Uncertainty for citable numbers: seeded bootstrap intervals over exams, paired intervals and a
paired permutation test. Pure numpy.

Exams are the unit of resampling: an exam's samples (``samples: k``) and its given- and
easy-order records are always resampled together, so intervals are not too narrow and Regret's
interval is paired (its two scores come from the same exams).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class IntervalConfig:
    """How intervals are computed; stored in every results file next to them."""

    resamples: int = 2000
    seed: int = 0
    level: float = 0.95
    method: str = "percentile bootstrap over exams (exams resampled with their samples; Regret paired)"

    def to_dict(self) -> dict:
        return asdict(self)


def bootstrap_indices(n: int, resamples: int, seed: int) -> np.ndarray:
    """``resamples`` x ``n`` exam indices drawn with replacement, seeded."""
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def interval(stats: np.ndarray, point: float, level: float) -> dict:
    """Standard error and percentile interval of bootstrap replicates (NaN replicates dropped)."""
    s = np.asarray(stats, dtype=float)
    s = s[~np.isnan(s)]
    if len(s) == 0 or np.isnan(point):
        return {"se": None, "ci": [None, None]}
    a = (1 - level) / 2
    lo, hi = np.quantile(s, [a, 1 - a])
    return {"se": float(s.std(ddof=1)) if len(s) > 1 else 0.0, "ci": [float(lo), float(hi)]}


def ratio_replicates(num: np.ndarray, den: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Replicates of sum(num)/sum(den) over resampled exams (NaN where the denominator is 0)."""
    n, d = num[idx].sum(axis=-1), den[idx].sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(d > 0, n / np.where(d > 0, d, 1), np.nan)


def regret_of(given: np.ndarray, easy: np.ndarray) -> np.ndarray:
    """Vectorised Regret, (S_easy - S) / S_easy with 0/0 = 0 and S > 0 = S_easy = 0 undefined."""
    given, easy = np.asarray(given, float), np.asarray(easy, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (easy - given) / np.where(easy == 0, 1, easy)
    return np.where(easy == 0, np.where(given == 0, 0.0, np.nan), r)


def paired_difference(a: np.ndarray, b: np.ndarray, cfg: IntervalConfig, permutations: int = 10_000) -> dict:
    """Mean of ``a - b`` over paired exams: point, bootstrap interval, and a two-sided paired
    permutation (sign-flip) test's p-value."""
    d = np.asarray(a, float) - np.asarray(b, float)
    point = float(d.mean())
    idx = bootstrap_indices(len(d), cfg.resamples, cfg.seed)
    out = {"delta": point, **interval(d[idx].mean(axis=1), point, cfg.level)}
    rng = np.random.default_rng(cfg.seed + 1)
    signs = rng.choice([-1.0, 1.0], size=(permutations, len(d)))
    null = np.abs((signs * d).mean(axis=1))
    out["p_value"] = float((1 + np.sum(null >= abs(point) - 1e-12)) / (permutations + 1))
    return out


def paired_regret_difference(
    a_given: np.ndarray,
    a_easy: np.ndarray,
    b_given: np.ndarray,
    b_easy: np.ndarray,
    cfg: IntervalConfig,
    permutations: int = 10_000,
) -> dict:
    """Regret(A) - Regret(B) on the same exams: bootstrap over exams (each exam's four scores
    together) and a permutation test that swaps A and B within exams."""
    ag, ae, bg, be = (np.asarray(x, float) for x in (a_given, a_easy, b_given, b_easy))
    point = float(regret_of(ag.mean(), ae.mean()) - regret_of(bg.mean(), be.mean()))
    idx = bootstrap_indices(len(ag), cfg.resamples, cfg.seed)
    reps = regret_of(ag[idx].mean(1), ae[idx].mean(1)) - regret_of(bg[idx].mean(1), be[idx].mean(1))
    out = {"delta": point, **interval(reps, point, cfg.level)}
    rng = np.random.default_rng(cfg.seed + 2)
    swap = rng.random((permutations, len(ag))) < 0.5
    pg, pe = np.where(swap, bg, ag), np.where(swap, be, ae)
    qg, qe = np.where(swap, ag, bg), np.where(swap, ae, be)
    null = np.abs(regret_of(pg.mean(1), pe.mean(1)) - regret_of(qg.mean(1), qe.mean(1)))
    ok = ~np.isnan(null)
    out["p_value"] = (
        float((1 + np.sum(null[ok] >= abs(point) - 1e-12)) / (ok.sum() + 1)) if not np.isnan(point) else None
    )
    return out
