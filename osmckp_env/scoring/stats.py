"""Uncertainty for citable numbers: seeded bootstrap intervals over exams, paired intervals and a
paired bootstrap test that agrees with its interval. Pure numpy.

Exams are the unit of resampling: an exam's samples (``samples: k``) and its given- and
easy-order records are always resampled together, so intervals are not too narrow and Regret's
interval is paired (its two scores come from the same exams).
"""

from __future__ import annotations

import math
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


def bootstrap_test(reps: np.ndarray, point: float, level: float) -> dict:
    """Percentile interval and two-sided bootstrap p-value for "the statistic is 0", from one set
    of bootstrap replicates (NaN replicates dropped), so that the two always agree.

    With the B replicates sorted, the interval is the k-th smallest and k-th largest, k =
    ceil(alpha * B / 2) (alpha = 1 - level); ``p_value = min(1, 2 * min(#(reps <= 0), #(reps >= 0)) / B)``.
    Hence ``p_value < alpha`` exactly when 0 lies outside the interval. This tests "the difference
    is 0", not "A and B are exchangeable" (which a permutation test of Regret tests instead)."""
    s = np.asarray(reps, dtype=float)
    s = np.sort(s[~np.isnan(s)])
    if len(s) == 0 or np.isnan(point):
        return {"se": None, "ci": [None, None], "p_value": None}
    n = len(s)
    alpha = round(1 - level, 12)  # 1 - 0.95 is 0.050000000000000044 in floating point
    k = max(1, math.ceil(round(alpha * n / 2, 9)))  # alpha * n / 2 counted in whole replicates
    lo, hi = s[k - 1], s[n - k]
    tail = min(int(np.sum(s <= 0)), int(np.sum(s >= 0)))
    return {
        "se": float(s.std(ddof=1)) if n > 1 else 0.0,
        "ci": [float(lo), float(hi)],
        "p_value": min(1.0, 2 * tail / n),
    }


def paired_difference(a: np.ndarray, b: np.ndarray, cfg: IntervalConfig) -> dict:
    """Mean of ``a - b`` over paired exams: point, and the bootstrap interval and p-value of one
    set of paired draws (``bootstrap_test``)."""
    d = np.asarray(a, float) - np.asarray(b, float)
    point = float(d.mean())
    idx = bootstrap_indices(len(d), cfg.resamples, cfg.seed)
    return {"delta": point, **bootstrap_test(d[idx].mean(axis=1), point, cfg.level)}


def paired_regret_difference(
    a_given: np.ndarray,
    a_easy: np.ndarray,
    b_given: np.ndarray,
    b_easy: np.ndarray,
    cfg: IntervalConfig,
) -> dict:
    """Regret(A) - Regret(B) on the same exams: the bootstrap over exams (each exam's four scores
    together) gives the interval and the p-value of "ΔRegret = 0" (``bootstrap_test``)."""
    ag, ae, bg, be = (np.asarray(x, float) for x in (a_given, a_easy, b_given, b_easy))
    point = float(regret_of(ag.mean(), ae.mean()) - regret_of(bg.mean(), be.mean()))
    idx = bootstrap_indices(len(ag), cfg.resamples, cfg.seed)
    reps = regret_of(ag[idx].mean(1), ae[idx].mean(1)) - regret_of(bg[idx].mean(1), be[idx].mean(1))
    return {"delta": point, **bootstrap_test(reps, point, cfg.level)}
