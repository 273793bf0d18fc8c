import math

import pytest

from osmckp_env.scoring import metrics as M


def rec(correct, statuses=None, tokens=None, pred=None, actual=None, exhausted=False, grade=None):
    n = len(correct)
    statuses = statuses or ["answered"] * n
    tokens = tokens or [100] * n
    pred = pred or [None] * n
    actual = actual or [0] * n
    grade = grade or ["ok"] * n
    tiers = ["easy", "medium", "hard"]
    return {
        "problems": [
            {
                "correct": c,
                "status": s,
                "tokens": t,
                "predicted_level": p,
                "actual_level": a,
                "tier": tiers[i % 3],
                "grade_status": g,
                "rarl": c and p == a,
            }
            for i, (c, s, t, p, a, g) in enumerate(zip(correct, statuses, tokens, pred, actual, grade))
        ],
        "budget_exhausted": exhausted,
        "rarl_reward": sum(c and p == a for c, p, a in zip(correct, pred, actual)),
    }


def test_score_and_positions():
    rs = [rec([True, False, False]), rec([True, True, False])]
    assert M.score(rs) == 1.5
    assert M.position_accuracy(rs) == [1.0, 0.5, 0.0]
    assert M.tier_accuracy(rs) == {"easy": 1.0, "medium": 0.5, "hard": 0.0}


@pytest.mark.parametrize("s,se,expected", [(1.5, 2.0, 0.25), (2.0, 2.0, 0.0), (2.5, 2.0, -0.25), (0.0, 0.0, 0.0)])
def test_regret_formula(s, se, expected):
    assert M.regret(s, se) == pytest.approx(expected)


def test_regret_undefined_when_easy_scores_zero():
    assert math.isnan(M.regret(1.0, 0.0))


def test_rates_and_levels():
    rs = [
        rec(
            [True, False, False],
            statuses=["answered", "skipped", "missing"],
            tokens=[100, 10, 400],
            pred=[0, 3, 1],
            actual=[0, 3, 1],
            exhausted=True,
        ),
        rec([False, False, True], pred=[1, None, 0], actual=[0, 0, 0]),
    ]
    assert M.skip_rate(rs) == pytest.approx(1 / 6)
    assert M.missing_rate(rs) == pytest.approx(1 / 6)
    assert M.budget_exhausted_rate(rs) == 0.5
    assert M.mean_tokens_per_problem(rs) == pytest.approx((100 + 10 + 400 + 300) / 6)
    assert M.level_accuracy(rs) == pytest.approx(4 / 5)
    conf = M.level_confusion(rs)
    assert conf[0][0] == 2 and conf[1][0] == 1 and conf[3][3] == 1 and conf[1][1] == 1


def test_level_accuracy_nan_without_tags():
    assert math.isnan(M.level_accuracy([rec([True])]))


def test_grader_failures_counted():
    rs = [rec([False, False, False], grade=["timeout", "error", "ok"])]
    assert M.grader_failures(rs) == {"timeout": 1, "error": 1, "rejected": 0}


def test_summarize_with_easy():
    s = M.summarize([rec([True, False, False])], [rec([True, True, False])])
    assert s["score"] == 1.0 and s["score_easy"] == 2.0 and s["regret"] == 0.5


def test_regret_interval_is_paired_on_correlated_data():
    """Given and easy order are the same exams: Regret's interval resamples them together. On
    correlated scores (an exam's easy-order score moves with its given-order score) the paired
    interval is far narrower than an unpaired one computed here independently."""
    import numpy as np

    rng = np.random.default_rng(5)
    n = 300
    skill = rng.integers(0, 4, n)  # how many of the 3 problems this exam's model gets: 0..3
    easy_scores = np.minimum(skill, 3)
    given_scores = np.maximum(easy_scores - (rng.random(n) < 0.1), 0)  # a small, correlated loss

    def exam(i, k, order):
        r = rec([j < k for j in range(3)])
        return {**r, "exam_index": i, "order": order, "rarl_reward": 0}

    given = [exam(i, int(k), "medium") for i, k in enumerate(given_scores)]
    easy = [exam(i, int(k), "easy") for i, k in enumerate(easy_scores)]
    iv = M.intervals(given, easy)["regret"]
    paired_width = iv["ci"][1] - iv["ci"][0]
    # unpaired: given and easy resampled independently
    idx_a = rng.integers(0, n, (2000, n))
    idx_b = rng.integers(0, n, (2000, n))
    reps = (easy_scores[idx_b].mean(1) - given_scores[idx_a].mean(1)) / easy_scores[idx_b].mean(1)
    lo, hi = np.percentile(reps, [2.5, 97.5])
    assert paired_width < 0.5 * (hi - lo)
    point = (easy_scores.mean() - given_scores.mean()) / easy_scores.mean()
    assert iv["ci"][0] <= point <= iv["ci"][1]


def test_headline_is_summarize_flattened_with_each_interval(grader):
    """What Inspect and verifiers report: exactly summarize's numbers and interval ends, by name."""
    from osmckp_env.grading.record import score_completions
    from osmckp_env.scoring.metrics import HEADLINE, headline, summarize
    from tests.conftest import completion, make_exam

    exams = [make_exam(index=i, order="medium") for i in range(4)]
    easy = [make_exam(index=i, order="easy") for i in range(4)]
    right = completion(["4", "\\frac{1}{2}", "70"])
    given = score_completions(exams, [completion(["4", "NA", "1"]), completion(["4"]), "x", right], grader=grader)
    easy_recs = score_completions(easy, [right] * 3 + [completion(["4"])], grader=grader)
    h, m = headline(given, easy_recs), summarize(given, easy_recs)
    assert set(h) == {*HEADLINE, *(f"{n}_ci_{s}" for n in HEADLINE for s in ("low", "high")), "regret_defined"}
    for name in HEADLINE:
        assert h[name] == m[name]
        assert [h[f"{name}_ci_low"], h[f"{name}_ci_high"]] == m["intervals"].get(name, {}).get("ci", [None, None])
    assert h["score"] == 1.25 and h["score_easy"] == 2.5 and h["regret"] == pytest.approx(0.5)  # 5/4 vs 10/4
    assert h["score_ci_low"] < h["score"] < h["score_ci_high"] and h["regret_defined"] is True
