"""The sim leaderboard's files: quick looks in folders of their own, only the run's own tables in a
folder, atomic results, and figures a reader understands (grid, one scale, fixed policy colours)."""

import json

import pytest

from osmckp_env.sim.leaderboard import default_out_dir, sim_leaderboard


def test_a_quick_look_never_writes_over_the_full_run(tmp_path, monkeypatch, capsys):
    from osmckp_env.cli import main

    monkeypatch.chdir(tmp_path)
    assert default_out_dir("synthetic-v0") == default_out_dir("synthetic-v0", n_exams=None)
    assert default_out_dir("synthetic-v0", n_exams=50).name == "quick-look-n50"
    assert default_out_dir("synthetic-v0", budgets=(512,)).name == "custom-b512"
    assert main(["sim", "leaderboard", "--n-exams", "4", "--budgets", "512", "--quiet"]) == 0
    out = tmp_path / "runs" / "leaderboards" / "sim" / "quick-look-n4-b512"  # outside the committed leaderboards/
    assert sorted(p.name for p in (tmp_path / "runs" / "leaderboards" / "sim").iterdir()) == ["quick-look-n4-b512"]
    assert not (tmp_path / "leaderboards").exists()
    assert "QUICK LOOK (first 4 exams" in (out / "README.md").read_text()
    assert "QUICK LOOK (first 4 exams" in (out / "hard-512.md").read_text()
    res = json.loads((out / "results.json").read_text())
    assert res["quick_look"] is True and res["n_exams"] == 4 and res["budgets"] == [512]


def test_bench_and_sim_leaderboard_sweep_the_same_budgets():
    import argparse

    from osmckp_env.cli import bench
    from osmckp_env.exam.suites import SWEEP_BUDGETS
    from osmckp_env.sim import cli as sim_cli

    parsers = {}
    for name, mod in (("bench", bench), ("sim", sim_cli)):
        p = argparse.ArgumentParser()
        mod.add_command(p.add_subparsers(dest="cmd"))
        parsers[name] = p
    b = parsers["bench"].parse_args(["bench"]).budgets
    s = parsers["sim"].parse_args(["sim", "leaderboard"]).budgets
    assert b == s == list(SWEEP_BUDGETS) == [256, 512, 1024, 2048]


def test_a_folder_keeps_only_the_tables_of_its_last_run(tmp_path):
    kw = dict(settings=("medium-512",), n_exams=3, progress=False)
    sim_leaderboard(tmp_path, budgets=(256, 512), **kw)
    assert {"medium-256.csv", "medium-512.md", "sim_budget_sweep_medium.png"} <= {p.name for p in tmp_path.iterdir()}
    sim_leaderboard(tmp_path, budgets=(512,), **kw)
    names = {p.name for p in tmp_path.iterdir()}
    assert "medium-256.csv" not in names and "medium-256.md" not in names
    assert "sim_budget_sweep_medium.png" not in names  # one budget: no sweep, and the old one is gone
    assert "medium-512.csv" in names and not any(n.endswith(".tmp") for n in names)
    doc = json.loads((tmp_path / "results.json").read_text())
    assert set(doc["files"]) == names


def test_a_folder_of_foreign_tables_is_refused_and_left_alone(tmp_path):
    (tmp_path / "mine.csv").write_text("a,b\n1,2\n")
    with pytest.raises(FileExistsError, match="another --out"):
        sim_leaderboard(tmp_path, settings=("medium-512",), n_exams=2, budgets=(512,), progress=False)
    assert [p.name for p in tmp_path.iterdir()] == ["mine.csv"]


def test_a_refused_budget_leaves_no_folder(tmp_path):
    out = tmp_path / "sim"
    with pytest.raises(ValueError, match="budget"):
        sim_leaderboard(out, settings=("medium-512",), n_exams=2, budgets=(-1,), progress=False)
    assert not out.exists()


def test_sim_figures_share_a_scale_and_a_colour_per_policy(tmp_path, saved_figures):
    figures = saved_figures
    tables = sim_leaderboard(
        tmp_path, settings=("hard-512", "medium-512"), n_exams=4, budgets=(256, 512, 1024), progress=False
    )
    panels = [ax for ax in figures["sim_scores.png"].axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == [
        "Medium-256",
        "Medium-512",
        "Medium-1024",
        "Hard-256",
        "Hard-512",
        "Hard-1024",
    ]
    assert len({round(ax.get_position().x0, 3) for ax in panels}) == 4  # rows of at most four
    assert len({ax.get_ylim() for ax in panels}) == 1
    assert all(ax.get_ylabel() == "expected Score (correct answers per exam)" for ax in panels)
    policies = [p for p in tables["medium-512"]["policy"] if p != "oracle"]
    first = {t.get_text(): b.get_facecolor() for t, b in zip(panels[0].get_xticklabels(), panels[0].patches)}
    assert sorted(first) == sorted(policies)
    for ax in panels[1:]:  # the same order and the same colour per policy in every panel
        labels = [t.get_text() for t in ax.get_xticklabels()]
        assert labels == [t.get_text() for t in panels[0].get_xticklabels()]
        assert all(b.get_facecolor() == first[n] for n, b in zip(labels, ax.patches))
    (legend,) = figures["sim_scores.png"].legends
    assert "oracle (exact optimum)" in [t.get_text() for t in legend.get_texts()]
    sweep = [ax for ax in figures["sim_budget_sweep_medium.png"].axes if ax.get_visible()]
    assert [ax.get_ylabel() for ax in sweep] == ["Score (correct answers per exam)", "Regret ((S_easy - S) / S_easy)"]
    oracle = next(line for line in sweep[0].lines if line.get_label() == "oracle")
    assert oracle.get_linestyle() == "--" and list(oracle.get_xdata()) == [256, 512, 1024]
    assert {line.get_label() for line in sweep[0].lines} >= set(policies)


def test_a_short_learning_curve_shows_its_points(tmp_path):
    from osmckp_env.leaderboard.plots import learning_curve_figure

    fig = learning_curve_figure({"learning_curve": [[100, 0.5]], "profile": "synthetic-v0", "seed": 0})
    (line,) = fig.axes[0].lines
    assert line.get_marker() == "o" and list(line.get_xdata()) == [100]
    assert "correct answers per exam" in fig.axes[0].get_ylabel()
