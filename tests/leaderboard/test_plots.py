"""What the leaderboard's figures show: every interval inside its axes, one budget-sweep curve per
suite family."""

import pytest

from osmckp_env.leaderboard.plots import entry_styles, score_regret_figure


def _result(name, score, score_ci, regret, regret_ci):
    return {
        "spec": {"name": name},
        "suite": {"name": "medium-512"},
        "metrics": {
            "score": score,
            "regret": regret,
            "intervals": {"score": {"ci": score_ci}, "regret": {"ci": regret_ci}},
        },
    }


def test_the_score_and_regret_axes_hold_every_whisker():
    # a Regret interval far below its bar (few exams, a small easy-order Score): -0.8 in [-3.4, 0.1]
    rs = [
        _result("wide", 1.2, [0.9, 1.5], -0.8, [-3.4, 0.1]),
        _result("narrow", 2.0, [1.8, 2.9], 0.2, [-0.1, 0.5]),
    ]
    fig = score_regret_figure(rs, {id(r): r["spec"]["name"] for r in rs}, entry_styles(["narrow", "wide"]))
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["Medium-512: Score (95% CI)", "Medium-512: Regret (95% CI)"]
    for ax, ends in zip(panels, ([0.9, 1.5, 1.8, 2.9], [-3.4, 0.1, -0.1, 0.5])):
        # the whiskers as drawn (the error bars' segments), read back from the axes
        drawn = sorted(y for c in ax.collections for seg in c.get_segments() for _, y in seg)
        assert drawn == pytest.approx(sorted(ends))
        lo, hi = ax.get_ylim()
        assert lo <= min(drawn) and max(drawn) <= hi, (ax.get_title(), (lo, hi), drawn)
