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
    for f in (
        "medium-512.csv",
        "hard-1024.md",
        "score_regret.png",
        "position_accuracy.png",
        "token_lengths.png",
        "level_confusion.png",
    ):
        assert (tmp_path / "lb" / f).stat().st_size > 0
    # what the plots show: one panel per setting and metric, sorted (Medium first), one bar per entry
    bars = [ax for ax in figures["score_regret.png"].axes if ax.get_visible()]
    assert [ax.get_title() for ax in bars] == [
        "Medium-512: Score (95% CI)",
        "Hard-1024: Score (95% CI)",
        "Medium-512: Regret (95% CI)",
        "Hard-1024: Regret (95% CI)",
    ]
    score_ax = bars[0]
    assert [t.get_text() for t in score_ax.get_xticklabels()] == ["gold", "skipper"]
    assert [round(p.get_height(), 3) for p in score_ax.patches] == [3.0, 0.0]
    assert [t.get_text() for t in score_ax.texts] == ["3.000", "0.000"]  # a zero is labelled, not hidden
    assert score_ax.get_ylabel() == "Score (correct answers per exam)"
    assert bars[0].get_ylim() == bars[1].get_ylim() and bars[2].get_ylim() == bars[3].get_ylim()
    gold_colour = score_ax.patches[0].get_facecolor()
    pos = [ax for ax in figures["position_accuracy.png"].axes if ax.get_visible()]
    assert [ax.get_title() for ax in pos] == ["Medium-512: accuracy per position", "Hard-1024: accuracy per position"]
    assert all(ax.get_xlabel() == "position in exam" and "accuracy" in ax.get_ylabel() for ax in pos)
    assert [len(ax.lines) for ax in pos] == [2, 2]  # one line per entry in each setting's panel
    gold_line = next(line for line in pos[0].lines if line.get_label() == "gold")
    assert list(gold_line.get_ydata()) == [1.0, 1.0, 1.0] and list(gold_line.get_xdata()) == [1, 2, 3]
    skip_line = next(line for line in pos[0].lines if line.get_label() == "skipper")
    # equal lines stay visible: each entry has its own marker and dash; and its own colour everywhere
    assert (gold_line.get_marker(), gold_line.get_linestyle()) != (skip_line.get_marker(), skip_line.get_linestyle())
    assert tuple(gold_line.get_color()[:3]) == tuple(gold_colour[:3])
    toks = [ax for ax in figures["token_lengths.png"].axes if ax.get_visible()]
    assert [ax.get_title() for ax in toks] == [f"tokens per problem: {t}" for t in ("easy", "medium", "hard")]
    assert all(ax.get_xlabel() == "tokens" and ax.get_ylabel() == "problems" for ax in toks)
    for name in ("score_regret.png", "position_accuracy.png", "token_lengths.png"):
        fig = figures[name]
        (legend,) = fig.legends  # one legend, outside the panels (right of them)
        assert legend.get_bbox_to_anchor().x0 >= fig.bbox.x1 - 1
        assert all(not ax.get_legend() for ax in fig.axes)


def test_figures_are_grids_of_at_most_four_panels_a_row():
    from osmckp_env.leaderboard.plots import MAX_PER_ROW, panel_grid, sort_settings

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
    fig, (score, regret) = panel_grid(8, rows_per_block=2)
    rows = {round(ax.get_position().y0, 3) for ax in score + regret}
    cols = {round(ax.get_position().x0, 3) for ax in score + regret}
    assert len(cols) == MAX_PER_ROW == 4 and len(rows) == 4 and len(score) == len(regret) == 8
    fig, (three,) = panel_grid(3)
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 3


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
        "position_accuracy.png",
        "token_lengths.png",
        "level_confusion.png",
        "budget_sweep_mini.png",  # the suite file's own family, named after it (never Medium's curve)
    ):
        assert (tmp_path / "lb" / f).stat().st_size > 0


def test_plots_get_only_the_ranked_entries_with_one_label_each(tmp_path, grader, monkeypatch):
    from osmckp_env.leaderboard import plots

    seen = {}
    monkeypatch.setattr(plots, "_confusion", lambda recs, out: seen.setdefault("confusion", recs) and None)
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
    for ax in saved_figures["position_accuracy.png"].axes:
        colour.update({line.get_label(): line.get_color() for line in ax.lines})
    ax = saved_figures["budget_sweep_medium.png"].axes[0]
    drawn = {line.get_label(): line.get_color() for line in ax.lines if not line.get_label().startswith("_")}
    assert drawn == {"a": colour["a"], "c": colour["c"]} and colour["a"] != colour["c"]
