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
    made = {"medium-256.csv", "medium-512.md", "medium-512.tex", "sim_budget_sweep_medium.png"}
    assert made | {"sim_budget_sweep_medium-1col.pdf", "sim_budget_sweep_medium.caption.md"} <= {
        p.name for p in tmp_path.iterdir()
    }
    sim_leaderboard(tmp_path, budgets=(512,), **kw)
    names = {p.name for p in tmp_path.iterdir()}
    assert "medium-256.csv" not in names and "medium-256.md" not in names
    assert not [n for n in names if n.startswith("sim_budget_sweep")]  # one budget: no sweep, the old one gone
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


def test_sim_figures_share_a_scale_and_a_style_per_policy(tmp_path, saved_figures):
    figures = saved_figures
    tables = sim_leaderboard(
        tmp_path, settings=("hard-512", "medium-512"), n_exams=4, budgets=(256, 512, 1024), progress=False
    )
    fig = figures["sim_scores"]
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["Medium", "Hard"]  # a panel per order, Medium first
    assert all([t.get_text() for t in ax.get_xticklabels()] == ["256", "512", "1024"] for ax in panels)
    assert len({ax.get_ylim() for ax in panels}) == 1 and fig.get_supylabel().startswith("expected Score")
    (legend,) = fig.legends
    names = [t.get_text() for t in legend.get_texts()]
    assert names[-1] == "oracle (exact optimum)" and len(names) == 6  # five policies and the oracle
    policies = names[:-1]
    assert set(policies) < set(tables["medium-512"]["policy"])
    look = {}
    for ax in panels:  # the same colour and hatch per policy in every group of every panel
        for bar in ax.patches:
            if bar.get_label() in policies:
                look.setdefault(bar.get_label(), set()).add((tuple(bar.get_facecolor()), bar.get_hatch()))
    assert sorted(look) == sorted(policies) and all(len(v) == 1 for v in look.values())
    assert "SYNTHETIC" in legend.get_title().get_text()  # the figure says what it is, without the profile hash
    caption = (tmp_path / "sim_scores.caption.md").read_text()
    hidden = sorted(set(tables["medium-512"]["policy"]) - set(policies) - {"oracle"})
    assert f"Not drawn (at most 6 entries a panel, the oracle one of them; in the tables): {hidden[0]}." in caption
    sweep = [ax for ax in figures["sim_budget_sweep_medium"].axes if ax.get_visible()]
    assert [ax.get_title() for ax in sweep] == ["Medium: Score", "Medium: Regret", "Medium: gap to the oracle"]
    assert [ax.get_ylabel().split("\n")[0] for ax in sweep] == ["expected Score", "Regret", "oracle - policy"]
    oracle = next(line for line in sweep[0].lines if line.get_label() == "oracle")
    assert oracle.get_linestyle() == "--" and list(oracle.get_xdata()) == [256, 512, 1024]
    assert {line.get_label() for line in sweep[0].lines} >= set(policies)


def test_sim_tables_show_n_and_intervals(tmp_path, capsys):
    from osmckp_env.cli import main

    out = tmp_path / "lb"
    assert main(["bench", "--n-exams", "6", "--budgets", "512", "--quiet", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    doc = json.loads((out / "sim" / "quick-look-n6-b512" / "results.json").read_text())
    assert "== medium-512 (sim, synthetic-v0; n = 6 exams) ==" in printed
    assert "expected Score [95% CI]" in printed and "MC Score [95% CI]" in printed and "percentile bootstrap" in printed
    for r in doc["tables"]["medium-512"]:
        exp = f"{r['expected_score']:.3f} [{r['expected_score_lo']:.3f}, {r['expected_score_hi']:.3f}]"
        assert exp in printed  # the console shows each number with its interval
        assert r["mc_lo"] == pytest.approx(r["mc_score"] - 1.96 * r["mc_stderr"])  # Monte Carlo: ± 1.96 SE
        assert r["expected_score_lo"] <= r["expected_score"] <= r["expected_score_hi"]
        assert r["regret_lo"] <= r["regret"] <= r["regret_hi"]
    md = (out / "sim" / "quick-look-n6-b512" / "medium-512.md").read_text()
    assert "expected_score [95% CI]" in md and "mc_score [95% CI]" in md and "1.96" in md


def test_a_short_learning_curve_shows_its_points():
    from osmckp_env.leaderboard.plots import learning_curve_figure

    fig = learning_curve_figure({"learning_curve": [[100, 0.5]], "profile": "synthetic-v0", "seed": 0})
    (line,) = fig.axes[0].lines
    assert line.get_marker() == "o" and list(line.get_xdata()) == [100]
    assert "correct answers per exam" in fig.axes[0].get_ylabel() and "last 500 episodes" in fig.axes[0].get_ylabel()


def test_the_learning_curve_draws_its_interval_and_the_seeds_band():
    from matplotlib.collections import PolyCollection

    from osmckp_env.leaderboard.plots import learning_curve_figure
    from osmckp_env.sim.ppo import bundled_ppo_seed_curves, learning_curve_caption

    meta = {
        "learning_curve": [[5000, 0.5, 0.5, 400], [10000, 0.8, 0.6, 500]],
        "learning_curve_window": 500,
        "profile": "synthetic-v0",
        "seed": 0,
        "timesteps": 10000,
        "n_envs": 8,
        "train_suites": [
            {"order": "medium", "budget": 512, "n_exams": 20, "split": "train", "n_problems": 3, "seed": 1}
        ],
    }
    seeds = {"0": [[5000, 0.4], [10000, 0.7]], "1": [[5000, 0.6], [10000, 0.9]]}
    fig = learning_curve_figure(meta, seeds=seeds)
    bands = [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2  # the seeds' range, and the 95% interval of each window mean
    ys = sorted({round(float(y), 6) for b in bands for y in b.get_paths()[0].vertices[:, 1]})
    assert 0.4 in ys and 0.9 in ys and round(0.5 - 1.96 * 0.5 / 20, 6) in ys
    caption = learning_curve_caption(meta, seeds)
    assert "n = 500 training episodes" in caption and "n = 2 seeds" in caption
    assert "Medium exams under the budgets 512" in caption and "95% interval of each window mean" in caption
    bundled = bundled_ppo_seed_curves()
    assert bundled is not None and sorted(bundled) == ["0", "1", "2"]
    assert all(len(point) == 4 for curve in bundled.values() for point in curve)  # [steps, mean, sd, n]
