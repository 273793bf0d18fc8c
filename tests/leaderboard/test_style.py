"""The paper figure style, checked on every figure both leaderboards write: vector PDF beside PNG
at the two print sizes, 7-9 pt text at that size, one label for shared axes, greyscale-safe
entries (markers, dashes, hatches), intervals drawn, zero drawn, at most six entries a panel, no
hash in a title, a caption file that says n, the settings and the source."""

import json
import re
import struct
import warnings
import zlib

import numpy as np
import pytest
from matplotlib.container import ErrorbarContainer
from matplotlib.text import Text

from osmckp_env.leaderboard import style
from osmckp_env.leaderboard.style import HATCHES, MARKERS, MAX_ENTRIES, WIDTHS, entry_styles

HEX_HASH = re.compile(r"\b[0-9a-f]{8,}\b")


@pytest.fixture(scope="module")
def boards(tmp_path_factory, grader):
    """A sim leaderboard and a model leaderboard (seven entries, one of them never right, a budget
    sweep), with every figure they save, by name."""
    from osmckp_env.exam.suites import get_suite, resolve_suite
    from osmckp_env.leaderboard import build_leaderboard
    from osmckp_env.runner.run import run_suite
    from osmckp_env.runner.spec import AgentSpec
    from osmckp_env.sim.leaderboard import sim_leaderboard

    root = tmp_path_factory.mktemp("boards")
    figures = {}
    save = style.save_figure

    def capture(fig, out, name):
        figures[f"{out.name}/{name}"] = fig
        return save(fig, out, name)

    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # a collapsed layout or a glyph missing from the font fails
        mp.setattr(style, "save_figure", capture)
        sim_leaderboard(
            root / "sim", settings=("medium-512", "hard-512"), n_exams=4, budgets=(256, 512), progress=False
        )
        # seven entries: two gold, four skipping (all on the same exams), one gold at two budgets
        for name, reply in [("gold", "gold"), ("gold-too", "gold")] + [(f"skip-{k}", "skip-all") for k in range(5)]:
            spec = AgentSpec(name=name, agent="mft", backend="scripted", backend_args={"reply": reply})
            budgets = (256, 512) if name == "gold" else (512,)
            for b in budgets:
                suite = resolve_suite(get_suite("medium-512", n_exams=3), budget=b)
                run_suite(spec, suite, root / "runs" / name / suite.name, grader=grader, progress=False)
        build_leaderboard(root / "runs", root / "models")
    return root, figures


def _pdf_page_inches(path) -> tuple[float, float]:
    box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", path.read_bytes())
    return float(box.group(1)) / 72, float(box.group(2)) / 72


def _pdf_streams(path) -> bytes:
    """The PDF's decompressed content streams (to read what it draws)."""
    data = path.read_bytes()
    out = []
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            out.append(zlib.decompress(m.group(1)))
        except zlib.error:
            out.append(m.group(1))
    return b"\n".join(out)


def _png_size(path) -> tuple[int, int]:
    return struct.unpack(">II", path.read_bytes()[16:24])


def _stems(root):
    return sorted(p.name[: -len(".caption.md")] for p in root.glob("*.caption.md"))


def test_every_figure_is_a_vector_pdf_and_a_png_at_both_print_sizes(boards):
    root, _ = boards
    for board in ("sim", "models"):
        stems = _stems(root / board)
        assert len(stems) >= (4 if board == "sim" else 5), stems
        for stem in stems:
            for suffix, size in (("", "2col"), ("-1col", "1col")):
                pdf, png = root / board / f"{stem}{suffix}.pdf", root / board / f"{stem}{suffix}.png"
                width, height = _pdf_page_inches(pdf)
                assert width == pytest.approx(WIDTHS[size], abs=0.01), (pdf.name, width)
                assert 1.0 < height < 9.0, (pdf.name, height)  # fits a page
                raw = pdf.read_bytes()
                # vector: no raster image in it, its text is text in an embedded TrueType font
                assert b"/Subtype /Image" not in raw and b"/FontFile2" in raw, pdf.name
                assert b"Tj" in _pdf_streams(pdf) or b"TJ" in _pdf_streams(pdf)
                px_w, _ = _png_size(png)
                assert px_w == round(WIDTHS[size] * style.PNG_DPI), (png.name, px_w)


def test_text_is_7_to_9_points_at_print_size_and_no_title_carries_a_hash(boards):
    _, figures = boards
    assert len(figures) >= 18
    for name, fig in figures.items():
        fig.canvas.draw()
        texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
        assert texts, name
        sizes = {round(t.get_fontsize(), 1) for t in texts}
        assert min(sizes) >= 7 and max(sizes) <= 9, (name, sorted(sizes))
        for t in texts:
            assert not HEX_HASH.search(t.get_text()), (name, t.get_text())


def test_panels_that_share_an_axis_share_its_label(boards):
    _, figures = boards
    for name in ("sim/sim_scores", "sim/sim_scores-1col", "models/position_accuracy", "models/token_lengths"):
        fig = figures[name]
        panels = [ax for ax in fig.axes if ax.get_visible()]
        assert len(panels) >= 2 and fig.get_supylabel() and fig.get_supxlabel(), name
        assert all(not ax.get_ylabel() and not ax.get_xlabel() for ax in panels), name
        ticked = [ax for ax in panels if any(t.get_visible() and t.get_text() for t in ax.get_yticklabels())]
        assert len(ticked) == len({round(ax.get_position().y0, 3) for ax in panels}), name  # one per row
    sweep = figures["sim/sim_budget_sweep_medium"]
    assert sweep.get_supxlabel() == "token budget (log scale, base 2)"  # the axis says it is log2-spaced


def test_the_first_six_entries_differ_in_marker_dash_hatch_and_colour():
    styles = list(entry_styles([f"e{i}" for i in range(MAX_ENTRIES)]).values())
    for key in ("color", "marker", "ls", "hatch"):
        assert len({str(s[key]) for s in styles}) == MAX_ENTRIES, key
    assert set(MARKERS) == {s["marker"] for s in styles} and set(HATCHES) == {s["hatch"] for s in styles}


def test_sim_bars_are_hatched_per_policy_and_carry_intervals(boards):
    root, figures = boards
    fig = figures["sim/sim_scores"]
    doc = json.loads((root / "sim" / "results.json").read_text())
    ax = [a for a in fig.axes if a.get_visible()][0]  # Medium: budgets 256 and 512
    bars = [p for p in ax.patches if p.get_label() and p.get_label()[0] != "_"]
    hatch = {}
    for b in bars:
        hatch.setdefault(b.get_label(), set()).add(b.get_hatch() or "")
    assert len(hatch) == 5 and all(len(h) == 1 for h in hatch.values())  # one hatch per policy, in every group
    assert len({next(iter(h)) for h in hatch.values()}) == len(hatch)  # and no two policies share one
    (legend,) = fig.legends
    labels = [t.get_text() for t in legend.get_texts()]
    assert len(labels) <= MAX_ENTRIES and labels[-1] == "oracle (exact optimum)"
    # every bar has a whisker from the table's interval ends: read them back from the drawing
    whiskers = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    ends = sorted(y for c in whiskers for col in c.lines[2] for seg in col.get_segments() for _, y in seg)
    rows = [r for s in ("medium-256", "medium-512") for r in doc["tables"][s] if r["policy"] in hatch]
    want = sorted(v for r in rows for v in (r["expected_score_lo"], r["expected_score_hi"]))
    assert len(rows) == 10 and ends == pytest.approx(want)


def test_a_zero_bar_is_drawn_as_a_visible_mark():
    import pandas as pd

    from osmckp_env.leaderboard.plots import policy_bars_figure

    table = pd.DataFrame(
        {"policy": ["a", "b", "oracle"], "expected_score": [0.0, 0.8, 1.0], "oracle_score": [1.0, 1.0, 1.0]}
    )
    styles = entry_styles(["a", "b"])
    fig = policy_bars_figure({"medium-512": table}, styles, "1col", title="t")
    ax = fig.axes[0]
    (zero,) = [line for line in ax.lines if list(line.get_ydata()) == [0.0]]
    assert zero.get_marker() == styles["a"]["marker"] and zero.get_markersize() >= 3 and not zero.get_clip_on()
    fig.canvas.draw()
    x, y = ax.transData.transform((zero.get_xdata()[0], 0.0))
    img = np.asarray(fig.canvas.buffer_rgba())  # the mark's pixels are not the background's
    px = img[int(fig.bbox.height - y), int(x)]
    assert tuple(px[:3]) != (255, 255, 255)


def test_at_most_six_entries_a_panel_and_the_rest_named_in_the_caption(boards):
    root, figures = boards
    for name in ("models/score_regret", "models/position_accuracy"):
        (legend,) = figures[name].legends
        assert len(legend.get_texts()) == MAX_ENTRIES
    caption = (root / "models" / "score_regret.caption.md").read_text()
    # seven entries: the gold ones first (higher Score), one skipper left out and named
    assert re.search(r"Not drawn \(at most 6 entries a panel; in the tables\): skip-4\.", caption), caption


def test_captions_say_what_n_the_settings_and_where_the_numbers_come_from(boards):
    root, figures = boards
    sim = (root / "sim" / "sim_scores.caption.md").read_text()
    doc = json.loads((root / "sim" / "results.json").read_text())
    assert "n = 4 exams per setting" in sim and "Medium-256" in sim and "Hard-512" in sim
    assert doc["profile"]["hash"] in sim and all(h in sim for h in doc["suite_hashes"].values())
    assert "SYNTHETIC" in sim and "2,000 resamples" in sim
    models = (root / "models" / "score_regret.caption.md").read_text()
    res = json.loads((root / "runs" / "gold" / "medium-512" / "results.json").read_text())
    assert "gold on medium-512: n = 3 exams" in models
    assert res["config_hash"] in models and res["suite"]["hash"] in models
    assert "(../runs/gold/medium-512/results.json)" in models
    tokens = (root / "models" / "token_lengths.caption.md").read_text()
    assert "gold (medium-256, medium-512 pooled)" in tokens  # which settings a histogram pools
    for stem in _stems(root / "models") + _stems(root / "sim"):
        assert re.search(
            r"n = \d",
            (root / ("sim" if stem.startswith(("sim_", "ppo")) else "models") / f"{stem}.caption.md").read_text(),
        ), stem  # noqa: E501


def test_the_token_histogram_compares_shares_and_lists_only_what_it_draws(boards):
    _, figures = boards
    fig = figures["models/token_lengths"]
    (legend,) = fig.legends
    drawn = {p.get_label() for ax in fig.axes for p in ax.patches}
    shown = [t.get_text() for t in legend.get_texts()]
    assert set(shown) <= {"gold", "gold-too"} | {f"skip-{k}" for k in range(4)}
    assert all(h.get_marker() in ("None", None, "") for h in legend.legend_handles)  # step lines, no markers
    # skippers attempt nothing: they have no histogram, and no legend entry
    assert not any(n.startswith("skip") for n in shown), shown
    for ax in fig.axes:
        for p in ax.patches:  # each histogram sums to 1: a share of the entry's attempted problems
            heights = p.get_path().vertices[:, 1]
            assert heights.max() <= 1.0
    del drawn


def test_the_sweep_draws_intervals_and_a_gap_panel_that_separates_close_policies(boards):
    root, figures = boards
    fig = figures["sim/sim_budget_sweep_medium"]
    score, regret, gap = [ax for ax in fig.axes if ax.get_visible()]
    assert gap.get_yscale() == "symlog" and "oracle" in gap.get_ylabel()
    assert any(c.get_segments() for c in score.collections)  # error bars
    doc = json.loads((root / "sim" / "results.json").read_text())
    row = next(r for r in doc["tables"]["medium-512"] if r["policy"] == "greedy-replan")
    line = next(ln for ln in gap.lines if ln.get_label() == "greedy-replan")
    assert list(line.get_xdata()) == [256, 512]  # the data stay at the budgets; the dodge is in the drawing
    assert line.get_ydata()[1] == pytest.approx(row["oracle_regret"])


def test_latex_tables_are_booktabs_with_the_results_intervals(boards):
    root, _ = boards
    res = json.loads((root / "runs" / "gold" / "medium-512" / "results.json").read_text())
    lo, hi = res["metrics"]["intervals"]["score"]["ci"]
    tex = (root / "models" / "medium-512.tex").read_text()
    assert tex.index(r"\toprule") < tex.index(r"\midrule") < tex.index(r"\bottomrule")
    assert f"gold & 3 & {res['metrics']['score']:.3f} [{lo:.3f}, {hi:.3f}]" in tex
    assert "percentile bootstrap over exams" in tex and "2,000 resamples" in tex  # the rule, stated
    assert r"skip-0 (\approx above)" not in tex and "not defined (S\\_easy = 0)" in tex
    sim_tex = (root / "sim" / "hard-512.tex").read_text()
    doc = json.loads((root / "sim" / "results.json").read_text())
    oracle = next(r for r in doc["tables"]["hard-512"] if r["policy"] == "oracle")
    cell = f"{oracle['expected_score']:.3f} [{oracle['expected_score_lo']:.3f}, {oracle['expected_score_hi']:.3f}]"
    assert f"oracle & {cell}" in sim_tex and r"\bottomrule" in sim_tex and "n = 4 exams" in sim_tex
