"""What the leaderboard's figures show: every interval inside its axes, a mark per entry (a zero
included), one budget-sweep curve per suite family."""

import re

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
    # a Regret interval far from its point (few exams, a small easy-order Score): -0.8 in [-3.4, 0.1]
    rs = [
        _result("wide", 1.2, [0.9, 1.5], -0.8, [-3.4, 0.1]),
        _result("narrow", 2.0, [1.8, 2.9], 0.2, [-0.1, 0.5]),
    ]
    fig = score_regret_figure(rs, {id(r): r["spec"]["name"] for r in rs}, entry_styles(["narrow", "wide"]))
    fig.canvas.draw()
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["Score (95% CI)", "Regret (95% CI)"]
    assert [t.get_text() for t in panels[0].get_yticklabels()] == ["Medium-512"]  # a setting is a row
    for ax, ends in zip(panels, ([0.9, 1.5, 1.8, 2.9], [-3.4, 0.1, -0.1, 0.5])):
        # the whiskers as drawn (the error bars' segments, horizontal), read back from the axes
        drawn = sorted(x for c in ax.collections for seg in c.get_segments() for x, _ in seg)
        assert drawn == pytest.approx(sorted(ends))
        lo, hi = ax.get_xlim()
        assert lo <= min(drawn) and max(drawn) <= hi, (ax.get_title(), (lo, hi), drawn)


def test_one_entry_is_one_mark_and_a_zero_is_drawn():
    # one entry in a setting: one mark of the entry's size, not a bar across the panel; Score 0 is a
    # mark at 0 like any other value, and an undefined Regret (S_easy = 0) is left out
    r = _result("skipper", 0.0, [0.0, 0.0], 0.0, [None, None])
    r["metrics"]["regret_defined"] = False
    fig = score_regret_figure([r], {id(r): "skipper"}, entry_styles(["skipper"]))
    score, regret = [ax for ax in fig.axes if ax.get_visible()]
    (mark,) = [line for line in score.lines if line.get_label() == "skipper"]
    assert list(mark.get_xdata()) == [0.0] and mark.get_marker() == "o" and mark.get_markersize() > 0
    assert score.get_xlim()[0] < 0.0  # the mark at 0 is inside the axes, not on its edge
    assert not regret.containers
    assert not patches_wider_than(score, 0.0)


def test_suites_of_one_name_are_told_apart_by_letters_not_hashes():
    import re

    from osmckp_env.leaderboard.plots import figure_labels, label_key, position_figure

    rs = [_result("a", 1.0, [0.5, 1.5], 0.1, [0.0, 0.2]), _result("a", 2.0, [1.5, 2.5], 0.1, [0.0, 0.2])]
    for r, h in zip(rs, ("26e385f7", "71a7882d")):
        r["_setting"] = f"medium-512 (suite {h})"
        r["metrics"]["position_accuracy"] = [0.5, 0.5, 0.5]
    labels, styles = {id(r): "a" for r in rs}, entry_styles(["a"])
    fig = score_regret_figure(rs, labels, styles)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["Medium-512 (A)", "Medium-512 (B)"]
    pos = position_figure(rs, labels, styles)
    assert [ax.get_title() for ax in pos.axes if ax.get_visible()] == ["Medium-512 (A)", "Medium-512 (B)"]
    for f in (fig, pos):
        f.canvas.draw()
        assert not any(re.search(r"[0-9a-f]{8}", t.get_text()) for t in f.findobj(lambda a: hasattr(a, "get_text")))
    key = label_key(figure_labels(r["_setting"] for r in rs))  # the caption maps the labels back
    assert key == (
        "Labels in the figure: Medium-512 (A) = `medium-512 (suite 26e385f7)`; "
        "Medium-512 (B) = `medium-512 (suite 71a7882d)`."
    )


def patches_wider_than(ax, width: float) -> list:
    return [p for p in ax.patches if p.get_width() > width]


def test_a_custom_suite_never_joins_a_standard_suites_budget_curve(tmp_path, grader, saved_figures):
    from osmckp_env.exam.suites import SuiteConfig, build_suite, get_suite, resolve_suite
    from osmckp_env.leaderboard import build_leaderboard
    from osmckp_env.runner.run import run_suite
    from osmckp_env.runner.spec import AgentSpec

    spec = AgentSpec(name="gold", agent="mft", backend="scripted", backend_args={"reply": "gold"})
    medium = get_suite("medium-512", n_exams=2)
    five = build_suite(SuiteConfig(n_problems=5, budget=2048, n_exams=2))  # custom-5p-medium-2048-<hash8>
    suites = [resolve_suite(medium, budget=b) for b in (256, 512)] + [five, resolve_suite(five, budget=1024)]
    for s in suites:
        run_suite(spec, s, tmp_path / "runs" / s.name, grader=grader, progress=False)
    build_leaderboard(tmp_path / "runs", tmp_path / "lb")
    sweeps = {n: f for n, f in saved_figures.items() if n.startswith("budget_sweep_") and not n.endswith("-1col")}
    assert len(sweeps) == 2 and "budget_sweep_medium" in sweeps
    (custom,) = [n for n in sweeps if re.fullmatch(r"budget_sweep_custom-5p-medium-[0-9a-f]{8}", n)]
    assert (tmp_path / "lb" / f"{custom}.pdf").is_file() and (tmp_path / "lb" / f"{custom}-1col.png").is_file()

    def drawn(fig):
        ax = fig.axes[0]
        return ax.get_title(), {
            line.get_label(): list(line.get_xdata()) for line in ax.lines if line.get_label() == "gold"
        }

    # the Medium curve holds the Medium suite's budgets only: no point (vertical segment) at 2048
    assert drawn(sweeps["budget_sweep_medium"]) == ("Medium: Score", {"gold": [256, 512]})
    title, lines = drawn(sweeps[custom])
    assert title == "custom-5p-medium: Score" and lines == {"gold": [1024, 2048]}  # its hash: in the file name
    # five problems per exam, all answered: the custom curve's Scores are 5s, the Medium curve's 3s
    assert list(sweeps[custom].axes[0].lines[0].get_ydata()) == [5.0, 5.0]
    assert list(sweeps["budget_sweep_medium"].axes[0].lines[0].get_ydata()) == [3.0, 3.0]


def test_two_specs_of_one_name_get_a_budget_curve_each(tmp_path, grader, saved_figures):
    from osmckp_env.exam.suites import get_suite, resolve_suite
    from osmckp_env.leaderboard import build_leaderboard
    from osmckp_env.runner.run import run_suite
    from osmckp_env.runner.spec import AgentSpec

    for reply in ("gold", "skip-all"):  # two configs under one name: two curves, no vertical segments
        spec = AgentSpec(name="gold", agent="direct", backend="scripted", backend_args={"reply": reply})
        for b in (256, 512):
            suite = resolve_suite(get_suite("medium-512", n_exams=2), budget=b)
            run_suite(spec, suite, tmp_path / "runs" / reply / suite.name, grader=grader, progress=False)
    build_leaderboard(tmp_path / "runs", tmp_path / "lb")
    ax = saved_figures["budget_sweep_medium"].axes[0]
    lines = {line.get_label(): (list(line.get_xdata()), list(line.get_ydata())) for line in ax.lines}
    lines = {k: v for k, v in lines.items() if k.startswith("gold")}
    assert len(lines) == 2 and all(re.fullmatch(r"gold \[[0-9a-f]{6}\]", k) for k in lines)
    assert sorted(v for v in lines.values()) == [([256, 512], [0.0, 0.0]), ([256, 512], [3.0, 3.0])]
