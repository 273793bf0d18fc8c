"""Intervals tested against known truth: coverage, paired comparisons, paired Regret."""

import numpy as np
import pytest

from osmckp_env.scoring.stats import (
    IntervalConfig,
    bootstrap_indices,
    interval,
    paired_difference,
    paired_regret_difference,
    ratio_replicates,
    regret_of,
)


def test_95_percent_intervals_cover_a_known_mean_about_95_percent_of_the_time():
    rng = np.random.default_rng(123)
    p, n, runs = 0.4, 200, 1000
    covered = 0
    ones = np.ones(n)
    for run in range(runs):
        x = (rng.random(n) < p).astype(float)  # Bernoulli exam scores with known mean p
        idx = bootstrap_indices(n, 400, run)
        lo, hi = interval(ratio_replicates(x, ones, idx), x.mean(), 0.95)["ci"]
        covered += lo <= p <= hi
    assert 0.93 <= covered / runs <= 0.97


def test_compare_finds_a_planted_difference_and_not_one_where_there_is_none():
    rng = np.random.default_rng(7)
    cfg = IntervalConfig(resamples=500, seed=0)
    n = 150
    base = rng.binomial(3, 0.4, n).astype(float)
    better = np.minimum(3, base + (rng.random(n) < 0.35))  # the same exams, one more right on ~35%
    d = paired_difference(better, base, cfg)
    assert d["p_value"] < 0.01 and d["ci"][0] > 0
    false = 0
    for t in range(200):  # two agents with the same skill on the same exams
        a = rng.binomial(3, 0.4, n).astype(float)
        b = rng.binomial(3, 0.4, n).astype(float)
        r = paired_difference(a, b, IntervalConfig(resamples=200, seed=t))
        false += r["p_value"] < 0.05
    assert 0.01 <= false / 200 <= 0.10


def _random_pair(rng):
    """Two agents' given- and easy-order scores on the same exams, often with low easy-order
    scores (where Regret is least stable and A-B swaps matter most)."""
    n = int(rng.integers(4, 80))
    out = []
    for _ in range(2):
        easy = rng.binomial(3, rng.uniform(0.02, 0.7), n).astype(float)
        out += [np.maximum(0, easy - (rng.random(n) < rng.uniform(0, 0.6))), easy]
    return out


@pytest.mark.parametrize("level", [0.95, 0.9])
def test_the_p_value_is_below_alpha_exactly_when_the_interval_excludes_zero(level):
    # the test and the interval come from the same resamples: they never disagree (before 0.5 a
    # permutation test of A-B exchangeability disagreed with ΔRegret's interval about 1 time in 6)
    rng = np.random.default_rng(11)
    alpha = round(1 - level, 12)
    seen = {True: 0, False: 0}
    for t in range(400):
        ag, ae, bg, be = _random_pair(rng)
        cfg = IntervalConfig(resamples=int(rng.integers(50, 600)), seed=t, level=level)
        for out in (paired_regret_difference(ag, ae, bg, be, cfg), paired_difference(ag, bg, cfg)):
            if out["p_value"] is None:
                continue
            lo, hi = out["ci"]
            excluded = not (lo <= 0 <= hi)
            assert (out["p_value"] < alpha) == excluded, (t, out)
            seen[excluded] += 1
    assert min(seen.values()) > 50  # both outcomes were exercised


def test_regrets_paired_interval_is_narrower_than_an_unpaired_one_on_correlated_data():
    rng = np.random.default_rng(3)
    n = 300
    skill = rng.binomial(3, 0.5, n).astype(float)  # exams differ; both orders share that
    easy = np.minimum(3, skill + (rng.random(n) < 0.3))
    given = np.maximum(0, easy - (rng.random(n) < 0.4))
    idx = bootstrap_indices(n, 2000, 0)
    paired = regret_of(given[idx].mean(1), easy[idx].mean(1))
    idx2 = bootstrap_indices(n, 2000, 1)
    unpaired = regret_of(given[idx].mean(1), easy[idx2].mean(1))
    w = lambda r: np.subtract(*interval(r, 0.1, 0.95)["ci"][::-1])  # noqa: E731
    assert w(paired) < 0.7 * w(unpaired)


def test_regret_of_matches_the_scalar_definition():
    from osmckp_env.scoring.metrics import regret

    for g, e in [(1.0, 2.0), (0.0, 0.0), (2.0, 1.5)]:
        assert regret_of(g, e) == pytest.approx(regret(g, e))
    assert np.isnan(regret_of(1.0, 0.0))


def test_bootstrap_test_edges():
    import math

    from osmckp_env.scoring.stats import bootstrap_test

    none = {"se": None, "ci": [None, None], "p_value": None}
    assert bootstrap_test(np.array([]), 0.5, 0.95) == none  # no replicate
    assert bootstrap_test(np.array([0.1, 0.2]), math.nan, 0.95) == none  # no point estimate
    assert bootstrap_test(np.array([math.nan, math.nan]), 0.5, 0.95) == none  # only NaN draws
    one = bootstrap_test(np.array([0.3]), 0.3, 0.95)  # a single replicate: an interval of one point
    assert one == {"se": 0.0, "ci": [0.3, 0.3], "p_value": 0.0}
    ints = bootstrap_test([1, 2, 3, -1], 1.0, 0.5)  # a list of ints is read as floats
    assert ints["ci"] == [-1.0, 3.0] and ints["p_value"] == 0.5
    # replicates read back from JSON hold null for NaN: dropped as NaN
    nulls = bootstrap_test([0.2, None, 0.4], 0.3, 0.5)
    assert nulls["ci"] == [0.2, 0.4] and nulls["se"] == pytest.approx(math.sqrt(0.02))
    assert bootstrap_test([0.1, 0.3], 0.2, 0.5)["se"] == pytest.approx(math.sqrt(0.02))  # two replicates have a spread
