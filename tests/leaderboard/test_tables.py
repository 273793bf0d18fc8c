from osmckp_env.exam.suites import get_suite
from osmckp_env.leaderboard import build_leaderboard
from osmckp_env.runner.run import run_suite
from osmckp_env.runner.spec import AgentSpec


def test_leaderboard_from_recorded_results(tmp_path, grader, saved_figures):
    figures = saved_figures
    for name, reply, agent in (("gold", "gold", "mft"), ("skipper", "skip-all", "direct")):
        spec = AgentSpec(
            name=name,
            agent=agent,
            backend="scripted",
            backend_args={"reply": reply},
            counter="qwen2.5",
            description=f"{name} pipeline check",
        )
        for s in ("medium-512", "hard-1024"):
            run_suite(spec, get_suite(s, n_exams=4), tmp_path / "runs" / name / s, grader=grader, progress=False)
    (tmp_path / "runs" / "broken").mkdir()
    (tmp_path / "runs" / "broken" / "results.json").write_text("{truncated")
    reported = tmp_path / "reported.yaml"
    reported.write_text("note: nothing reported\nresults: []\n")
    out = build_leaderboard(tmp_path / "runs", tmp_path / "lb", reported=reported)
    assert set(out["settings"]) == {"medium-512", "hard-1024"}
    df = out["settings"]["medium-512"]
    assert list(df["agent"]) == ["gold", "skipper"] and list(df["score"]) == [3.0, 0.0]
    readme = (tmp_path / "lb" / "README.md").read_text()
    assert "Reported in the paper (not measured here)" in readme and "nothing reported" in readme
    assert readme.index("Medium-512") < readme.index("Hard-1024")  # settings in the paper's order
    assert len(out["skipped"]) == 1 and "broken" in out["skipped"][0]
    assert list(df["description"]) == ["gold pipeline check", "skipper pipeline check"]
    assert df["level_accuracy"].iloc[0] == 1.0  # the gold script tags Level-0 and uses < 256 tokens
    for f in ("medium-512.csv", "hard-1024.md", "hard-1024.tex"):
        assert (tmp_path / "lb" / f).stat().st_size > 0
    for stem in ("score_regret", "position_accuracy", "token_lengths", "level_confusion"):
        for f in (f"{stem}.pdf", f"{stem}.png", f"{stem}-1col.pdf", f"{stem}-1col.png", f"{stem}.caption.md"):
            assert (tmp_path / "lb" / f).stat().st_size > 0
        assert f"![{stem}]({stem}.png)" in readme and f"({stem}.caption.md)" in readme
    # what the plots show: a panel per metric, a row per setting, sorted (Medium first), a mark per entry
    panels = [ax for ax in figures["score_regret"].axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["Score (95% CI)", "Regret (95% CI)"]
    score_ax = panels[0]
    assert [t.get_text() for t in score_ax.get_yticklabels()] == ["Medium-512", "Hard-1024"]
    marks = sorted((line.get_label(), *line.get_xdata()) for line in score_ax.lines if line.get_label()[0] != "_")
    assert marks == [("gold", 3.0), ("gold", 3.0), ("skipper", 0.0), ("skipper", 0.0)]  # a zero is a mark
    assert score_ax.get_xlabel() == "Score (correct per exam)"
    assert panels[1].get_shared_y_axes().joined(panels[0], panels[1])  # one setting axis, labelled once
    assert not [t.get_text() for t in panels[1].get_yticklabels() if t.get_visible() and t.get_text()]
    gold_colour = next(line for line in score_ax.lines if line.get_label() == "gold").get_color()
    pos = [ax for ax in figures["position_accuracy"].axes if ax.get_visible()]
    assert [ax.get_title() for ax in pos] == ["Medium-512", "Hard-1024"]
    fig = figures["position_accuracy"]  # axes the panels share are labelled once, for the figure
    assert fig.get_supxlabel() == "position in exam" and "accuracy" in fig.get_supylabel()
    assert all(ax.get_xlabel() == "" and ax.get_ylabel() == "" for ax in pos)
    labelled = [[line for line in ax.lines if line.get_label()[0] != "_"] for ax in pos]
    assert [len(lines) for lines in labelled] == [2, 2]  # one line per entry in each setting's panel
    gold_line = next(line for line in pos[0].lines if line.get_label() == "gold")
    assert list(gold_line.get_ydata()) == [1.0, 1.0, 1.0] and list(gold_line.get_xdata()) == [1, 2, 3]
    skip_line = next(line for line in pos[0].lines if line.get_label() == "skipper")
    # equal lines stay visible: each entry has its own marker and dash; and its own colour everywhere
    assert (gold_line.get_marker(), gold_line.get_linestyle()) != (skip_line.get_marker(), skip_line.get_linestyle())
    assert gold_line.get_color() == gold_colour
    toks = [ax for ax in figures["token_lengths"].axes if ax.get_visible()]
    assert [ax.get_title() for ax in toks] == [f"{t} problems" for t in ("easy", "medium", "hard")]
    assert "share" in figures["token_lengths"].get_supylabel()  # shares, so that runs of different n compare
    for name in ("score_regret", "position_accuracy", "token_lengths", "score_regret-1col", "token_lengths-1col"):
        fig = figures[name]
        fig.canvas.draw()
        (legend,) = fig.legends  # one legend for the figure, over none of the panels
        box = legend.get_window_extent()
        assert all(not ax.get_legend() for ax in fig.axes)
        assert not any(box.overlaps(ax.get_window_extent()) for ax in fig.axes if ax.get_visible()), name


def test_figures_are_grids_of_at_most_four_panels_a_row_two_at_one_column():
    from osmckp_env.leaderboard.naming import sort_settings
    from osmckp_env.leaderboard.style import grid_shape, hide_unused, new_figure

    names = ["hard-2048", "medium-1024", "medium-512", "hard-256", "medium-256", "hard-512", "custom-5p-2048-ab"]
    assert sort_settings(names) == [
        "medium-256",
        "medium-512",
        "medium-1024",
        "hard-256",
        "hard-512",
        "hard-2048",
        "custom-5p-2048-ab",
    ]
    assert grid_shape(8, "2col") == (2, 4) and grid_shape(8, "1col") == (4, 2) and grid_shape(3, "2col") == (1, 3)
    fig, grid = new_figure("2col", *grid_shape(7, "2col"), row_height=1.4, sharex=True)
    shown = hide_unused(grid, 7)
    fig.canvas.draw()
    assert (
        len([ax for ax in fig.axes if ax.get_visible()]) == 7
        and len({round(ax.get_position().x0, 3) for ax in shown}) == 4
    )
    # the last column's panel stands in the first row alone: it still shows its x tick labels
    assert any(t.get_visible() and t.get_text() for t in shown[3].get_xticklabels())
    assert not any(t.get_visible() and t.get_text() for t in shown[0].get_xticklabels())


def test_trial_runs_are_listed_apart_rows_link_their_results_and_plots_follow_the_table(tmp_path):
    import re

    from osmckp_env.cli import main
    from osmckp_env.exam.suites import SuiteConfig, build_suite

    build_suite(SuiteConfig(order="medium", budget=512, n_exams=4), name="mini").to_jsonl(tmp_path / "mini.jsonl")
    runs = tmp_path / "runs"
    for name, reply, agent in (("gold", "gold", "mft"), ("skipper", "skip-all", "direct")):
        spec = tmp_path / f"{name}.yaml"
        spec.write_text(
            f"name: {name}\nagent: {agent}\nbackend: scripted\nbackend_args: {{reply: {reply}}}\ncounter: qwen2.5\n"
        )
        # a full run of the small suite file, swept over two budgets
        assert (
            main(
                [
                    "run",
                    str(spec),
                    "--suite",
                    str(tmp_path / "mini.jsonl"),
                    "--budgets",
                    "256",
                    "512",
                    "--out",
                    str(runs),
                    "--quiet",
                ]
            )
            == 0
        )
    # and a trial run of gold on the first exams of a named suite
    assert (
        main(
            [
                "run",
                str(tmp_path / "gold.yaml"),
                "--suite",
                "medium-512",
                "--n-exams",
                "3",
                "--out",
                str(runs),
                "--quiet",
            ]
        )
        == 0
    )
    out = build_leaderboard(runs, tmp_path / "lb")
    assert set(out["settings"]) == {"mini-b256", "mini"} and set(out["trials"]) == {"medium-512"}
    assert list(out["settings"]["mini"]["agent"]) == ["gold", "skipper"]
    readme = (tmp_path / "lb" / "README.md").read_text()
    assert "Smoke runs (not ranked)" in readme and readme.index("Smoke runs") > readme.index("## mini")
    links = re.findall(r"\[results\]\(([^)]+)\)", readme)
    assert len(links) == 5 and all((tmp_path / "lb" / link).resolve().is_file() for link in links)
    df = out["settings"]["mini"]
    assert df["suite_hash"].iloc[0] in readme and df["config_hash"].iloc[0] in readme
    for f in (
        "score_regret.png",
        "position_accuracy.pdf",
        "token_lengths-1col.pdf",
        "level_confusion-1col.png",
        "budget_sweep_mini.png",  # the suite file's own family, named after it (never Medium's curve)
        "budget_sweep_mini.caption.md",
        "trial_score_regret.pdf",  # the trial run: figures of its own, never beside the ranked runs
        "trial-medium-512.tex",
    ):
        assert (tmp_path / "lb" / f).stat().st_size > 0
    assert "medium-512" not in (tmp_path / "lb" / "score_regret.caption.md").read_text()
    trial = (tmp_path / "lb" / "trial_score_regret.caption.md").read_text()
    assert "Trial runs" in trial and "gold on medium-512: n = 3 exams" in trial


def test_plots_get_only_the_ranked_entries_with_one_label_each(tmp_path, grader, monkeypatch):
    from osmckp_env.leaderboard import plots

    seen = {}
    monkeypatch.setattr(plots, "_confusion", lambda recs, out, **kw: seen.setdefault("confusion", recs) and [])
    spec = AgentSpec(name="gold", agent="mft", backend="scripted", backend_args={"reply": "gold"}, counter="qwen2.5")
    run_suite(spec, get_suite("hard-512", n_exams=5), tmp_path / "runs" / "full", grader=grader, progress=False)
    run_suite(
        spec, get_suite("hard-512", n_exams=2), tmp_path / "runs" / "trial", grader=grader, progress=False, trial=True
    )
    build_leaderboard(tmp_path / "runs", tmp_path / "lb")
    recs = seen["confusion"]
    assert list(recs) == ["gold — hard-512"]
    # the full run only, in its own order: 5 exams x 3 problems
    assert len(recs["gold — hard-512"]) == 5


def test_tables_show_intervals_and_mark_ties(tmp_path, grader):
    from conftest import long_solver_wrong_on_aime

    from osmckp_env.agents import make_agent
    from osmckp_env.backends.scripted import ScriptedBackend, gold_reply

    suite = get_suite("hard-512", n_exams=10)
    for name, reply in (("gold", gold_reply), ("gold-twin", gold_reply), ("long", long_solver_wrong_on_aime)):
        spec = AgentSpec(name=name, agent="direct", backend="scripted", counter="qwen2.5")
        run_suite(
            spec,
            suite,
            tmp_path / "runs" / name,
            agent=make_agent("direct", ScriptedBackend(reply)),
            grader=grader,
            progress=False,
        )
    df = build_leaderboard(tmp_path / "runs", tmp_path / "lb", plots=False)["settings"]["hard-512"]
    assert list(df["agent"]) == ["gold", "gold-twin", "long"]
    assert list(df["tie"]) == ["", "≈ above", ""]  # the twin ties gold; long is clearly below
    assert list(df["score_ci95"]) == ["[3.000, 3.000]", "[3.000, 3.000]", "[1.000, 1.000]"]
    assert "score_ci95" in (tmp_path / "lb" / "README.md").read_text()


def test_the_budget_sweep_draws_each_entry_in_its_leaderboard_colour(tmp_path, grader, saved_figures):
    from osmckp_env.exam.suites import resolve_suite

    # "b" ran at one budget only: it has a colour on the leaderboard but no sweep line
    for name, budgets in (("a", (256, 512)), ("b", (512,)), ("c", (256, 512))):
        spec = AgentSpec(name=name, agent="direct", backend="scripted", backend_args={"reply": "gold"})
        for b in budgets:
            suite = resolve_suite(get_suite("medium-512", n_exams=2), budget=b)
            run_suite(spec, suite, tmp_path / "runs" / name / str(b), grader=grader, progress=False)
    build_leaderboard(tmp_path / "runs", tmp_path / "lb")
    colour = {}
    for ax in saved_figures["position_accuracy"].axes:
        colour.update({line.get_label(): line.get_color() for line in ax.lines})
    ax = saved_figures["budget_sweep_medium"].axes[0]
    drawn = {line.get_label(): line.get_color() for line in ax.lines if not line.get_label().startswith("_")}
    assert drawn == {"a": colour["a"], "c": colour["c"]} and colour["a"] != colour["c"]


def test_the_console_and_latex_tables_show_n_and_the_95_interval(tmp_path, grader, capsys):
    import json

    from conftest import long_solver_wrong_on_aime

    from osmckp_env.agents import make_agent
    from osmckp_env.backends.scripted import ScriptedBackend
    from osmckp_env.cli import main

    spec = AgentSpec(name="long_solver", agent="direct", backend="scripted", counter="qwen2.5")
    agent = make_agent("direct", ScriptedBackend(long_solver_wrong_on_aime))
    run_suite(spec, get_suite("medium-512", n_exams=8), tmp_path / "runs" / "long", agent=agent, grader=grader)
    res = json.loads((tmp_path / "runs" / "long" / "results.json").read_text())
    m = res["metrics"]
    (slo, shi), (rlo, rhi) = m["intervals"]["score"]["ci"], m["intervals"]["regret"]["ci"]
    assert slo < shi  # an interval with width: the numbers below are read from it, not guessed
    assert main(["leaderboard", "--runs", str(tmp_path / "runs"), "--out", str(tmp_path / "lb"), "--no-plots"]) == 0
    printed = capsys.readouterr().out
    row = next(line for line in printed.splitlines() if line.startswith("long_solver"))
    assert row.split()[1] == "8"  # n
    assert f"{m['score']:.3f} [{slo:.3f}, {shi:.3f}]" in row and f"{m['regret']:.3f} [{rlo:.3f}, {rhi:.3f}]" in row
    assert "Score [95% CI]" in printed
    tex = (tmp_path / "lb" / "medium-512.tex").read_text()
    assert tex.index(r"\toprule") < tex.index(r"\midrule") < tex.index(r"\bottomrule")
    assert (
        f"long\\_solver & 8 & {m['score']:.3f} [{slo:.3f}, {shi:.3f}] & {m['regret']:.3f} [{rlo:.3f}, {rhi:.3f}]" in tex
    )
    assert r"95\% intervals: percentile bootstrap over exams" in tex and res["suite"]["hash"] in tex
