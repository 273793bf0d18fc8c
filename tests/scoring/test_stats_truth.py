"""The bootstrap, paired differences and their tests against loops written from their definitions."""

import numpy as np
import pytest

from osmckp_env.scoring.stats import (
    IntervalConfig,
    bootstrap_indices,
    bootstrap_test,
    interval,
    paired_difference,
    paired_regret_difference,
    ratio_replicates,
    regret_of,
)


def _regret(g, e):
    if e == 0:
        return 0.0 if g == 0 else float("nan")
    return (e - g) / e


def _interval(reps, level):
    reps = np.array([r for r in reps if not np.isnan(r)])
    lo, hi = np.quantile(reps, [(1 - level) / 2, 1 - (1 - level) / 2])
    return reps.std(ddof=1), lo, hi


def test_interval_ratio_and_regret_elementwise():
    assert interval(np.array([1.0, 2.0, 3.0, np.nan]), 2.0, 0.5) == {
        "se": pytest.approx(1.0),
        "ci": [pytest.approx(1.5), pytest.approx(2.5)],
    }
    assert interval(np.array([np.nan]), 1.0, 0.95) == {"se": None, "ci": [None, None]}
    assert interval(np.array([1.0, 2.0]), float("nan"), 0.95) == {"se": None, "ci": [None, None]}
    assert interval(np.array([4.0]), 4.0, 0.95) == {"se": 0.0, "ci": [4.0, 4.0]}
    assert interval(np.array([1.0, 3.0]), 2.0, 0.95)["se"] == pytest.approx(2**0.5)
    num, den = np.array([1.0, 2.0, 0.0]), np.array([2.0, 2.0, 0.0])
    idx = np.array([[0, 1, 2], [2, 2, 2], [0, 0, 1]])
    out = ratio_replicates(num, den, idx)
    assert out[0] == pytest.approx(3 / 4) and np.isnan(out[1]) and out[2] == pytest.approx(4 / 6)
    g, e = np.array([1.0, 0.0, 2.0, 3.0]), np.array([2.0, 0.0, 0.0, 2.0])
    got = regret_of(g, e)
    want = [_regret(a, b) for a, b in zip(g, e)]
    assert got[0] == 0.5 and got[1] == 0.0 and np.isnan(got[2]) and got[3] == -0.5
    assert np.isnan(want[2]) and [w for w in want if not np.isnan(w)] == [0.5, 0.0, -0.5]
    idx = bootstrap_indices(7, 5, 3)
    assert idx.shape == (5, 7) and idx.min() >= 0 and idx.max() <= 6
    assert (idx == np.random.default_rng(3).integers(0, 7, size=(5, 7))).all()
    assert IntervalConfig().to_dict() == {
        "resamples": 2000,
        "seed": 0,
        "level": 0.95,
        "method": IntervalConfig.method,
    }


def _test(reps, level):
    """The percentile interval (k-th from each end, k = ceil(alpha * B / 2)) and the two-sided
    bootstrap p-value, written from their definitions."""
    reps = sorted(r for r in reps if not np.isnan(r))
    b = len(reps)
    k = max(1, int(np.ceil(round((1 - level) * b / 2, 9))))
    below, above = sum(r <= 0 for r in reps), sum(r >= 0 for r in reps)
    return np.std(reps, ddof=1), reps[k - 1], reps[b - k], min(1.0, 2 * min(below, above) / b)


def test_paired_difference_by_hand():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 4, 40).astype(float)
    b = np.clip(a - (rng.random(40) < 0.3), 0, 3)
    cfg = IntervalConfig(resamples=400, seed=5, level=0.9)
    out = paired_difference(a, b, cfg)
    d = a - b
    idx = bootstrap_indices(40, 400, 5)
    se, lo, hi, p = _test([d[i].mean() for i in idx], 0.9)
    assert out["delta"] == pytest.approx(d.mean())
    assert out["se"] == pytest.approx(se) and out["ci"] == pytest.approx([lo, hi]) and out["p_value"] == p
    assert out["p_value"] < 0.05  # a real, consistent difference
    same = paired_difference(a, a, cfg)
    assert same["delta"] == 0.0 and same["p_value"] == 1.0


def test_paired_regret_difference_by_hand():
    rng = np.random.default_rng(2)
    n = 30
    ae = rng.integers(1, 4, n).astype(float)
    ag = np.clip(ae - (rng.random(n) < 0.5), 0, 3)
    be = np.clip(ae - (rng.random(n) < 0.3) + (rng.random(n) < 0.3), 0, 3)  # B's easy order differs too
    bg = np.clip(be - (rng.random(n) < 0.2), 0, 3)  # B loses a little less: a p-value far from 0 and 1
    cfg = IntervalConfig(resamples=300, seed=7)
    out = paired_regret_difference(ag, ae, bg, be, cfg)
    point = _regret(ag.mean(), ae.mean()) - _regret(bg.mean(), be.mean())
    assert out["delta"] == pytest.approx(point)
    idx = bootstrap_indices(n, 300, 7)
    reps = [_regret(ag[i].mean(), ae[i].mean()) - _regret(bg[i].mean(), be[i].mean()) for i in idx]
    se, lo, hi, p = _test(reps, 0.95)
    assert out["se"] == pytest.approx(se) and out["ci"] == pytest.approx([lo, hi]) and out["p_value"] == p
    assert 0.05 < out["p_value"] < 0.95  # neither floor nor ceiling, so the resamples matter
    undefined = paired_regret_difference(np.ones(3), np.zeros(3), np.ones(3), np.ones(3), cfg)
    assert np.isnan(undefined["delta"]) and undefined["p_value"] is None


def test_bootstrap_test_counts_ties_at_zero_on_both_sides():
    # 100 replicates: 3 below 0, 2 at 0, 95 above; k = ceil(0.05 * 100 / 2) = 3
    reps = np.array([-2.0, -1.0, -0.5, 0.0, 0.0] + [1.0] * 95)
    out = bootstrap_test(reps, 1.0, 0.95)
    assert out["ci"] == [-0.5, 1.0] and out["p_value"] == 2 * 5 / 100  # 0 inside, p = 0.1
    out = bootstrap_test(reps[2:], 1.0, 0.95)  # 98 replicates, 3 at or below 0: k = 3, the 3rd is 0.0
    assert out["ci"] == [0.0, 1.0] and out["p_value"] == pytest.approx(6 / 98)
    out = bootstrap_test(np.array([np.nan, 1.0, 2.0, 3.0]), 2.0, 0.5)  # NaN replicates are dropped
    assert out["ci"] == [1.0, 3.0] and out["p_value"] == 0.0
