"""Every figure osmckp draws, with matplotlib (Agg): the model leaderboard's (Score and Regret
per setting, position accuracy, token lengths, levels, Score/Regret vs budget) and the sim
leaderboard's (expected Score per policy, Score vs budget, PPO's learning curve).

All of them in the one paper style of ``leaderboard.style``: drawn at a two-column (6.9 in) and a
one-column (3.3 in) width with 7-9 pt text, one colour, marker, dash and hatch per entry in every
figure, at most six entries a panel, settings sorted (Medium then Hard, budgets ascending) and
titled alike (``Medium-512``), intervals wherever the numbers have them, one label for axes that
panels share, the legend above the panels. A figure function takes data and a size and returns
the figure (tests read what it shows); ``style.write_figure`` saves PDF + PNG at both sizes and a
caption file that says what is plotted, n, the settings and where the numbers come from (hashes
go there, never into a title).
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import ScaledTranslation

from osmckp_env.exam.problems import TIERS
from osmckp_env.exam.suites import exam_set_hash, is_named_suite, named_suite_config, suite_stem
from osmckp_env.leaderboard import style
from osmckp_env.leaderboard.entries import entry_labels, interval_config
from osmckp_env.leaderboard.naming import ORDER_RANK, setting_key, setting_of, setting_title, sort_settings
from osmckp_env.leaderboard.style import (
    MAX_ENTRIES,
    REFERENCE,
    dodge,
    draw_bars,
    entry_styles,
    figure_legend,
    grid_shape,
    hide_unused,
    line_handles,
    line_style,
    new_figure,
    paper_style,
    pick_entries,
    reference_handle,
)
from osmckp_env.results.io import results_records
from osmckp_env.scoring.metrics import level_confusion

__all__ = [
    "entry_styles",
    "learning_curve_figure",
    "plot_all",
    "policy_bars_figure",
    "position_figure",
    "score_regret_figure",
    "sweep_figure",
    "tokens_figure",
]

SCORE_AXIS = "Score\n(correct per exam)"
EXPECTED_SCORE_AXIS = "expected Score\n(correct per exam)"
REGRET_AXIS = "Regret\n(S_easy - S) / S_easy"
GAP_AXIS = "oracle - policy\n(symlog scale)"
GAP_LINEAR = 0.01  # the gap axis is linear below this, logarithmic above: gaps of 0.01 and 0.05 stand apart
BUDGET_AXIS = "token budget (log scale, base 2)"
DODGE_IN = 0.05  # inches between the markers of neighbouring entries at one x


def _num(v) -> float:
    return float("nan") if v is None else float(v)


def _ci(r: dict, key: str):
    """A results file's 95% interval of ``key`` as (lo, hi), or None."""
    lo, hi = ((r["metrics"].get("intervals") or {}).get(key) or {}).get("ci", [None, None])
    return None if lo is None or hi is None else (float(lo), float(hi))


_HASHED = re.compile(r"^(?P<base>.+?)(?:-[0-9a-f]{8}| \(suite [0-9a-f]{8}\)| \(exams [0-9a-f]{8}\))$")


def figure_labels(names) -> dict[str, str]:
    """Setting (or suite family) names as a figure shows them: titled (``Medium-512``), without the
    hash that tells apart suites of one name (``medium-512 (suite 26e385f7)``, ``custom-5p-medium-
    2048-1a2b3c4d``); names that would then read alike get letters, ``Medium-512 (A)``. The
    caption maps each label back (``label_key``)."""
    names = sort_settings(names)
    base = {}
    for n in names:
        m = _HASHED.match(n)
        base[n] = setting_title(m["base"] if m else n)
    seen: dict[str, int] = {}
    out = {}
    for n in names:
        if list(base.values()).count(base[n]) > 1:
            out[n] = f"{base[n]} ({'ABCDEFGHIJKLMNOPQRSTUVWXYZ'[seen.get(base[n], 0) % 26]})"
            seen[base[n]] = seen.get(base[n], 0) + 1
        else:
            out[n] = base[n]
    return out


def label_key(labels: dict[str, str]) -> str:
    """A caption line mapping the labels that differ from their names (a hash dropped) back to them."""
    moved = [f"{v} = `{k}`" for k, v in labels.items() if v != setting_title(k)]
    return f"Labels in the figure: {'; '.join(moved)}." if moved else ""


def _errorbar(ax, *args, label: str, **kw):
    """``ax.errorbar`` whose data line carries ``label`` (tests and legends find the line by it)."""
    container = ax.errorbar(*args, label=label, **kw)
    container[0].set_label(label)
    return container


def fit_ylim(ax, values, *, pad: float = 0.08) -> None:
    """A y-range holding every value and interval end drawn (and 0), with ``pad`` to spare: set
    by hand, since autoscaling misses lines drawn with a dodge transform."""
    vals = [v for v in values if not math.isnan(v)] + [0.0]
    lo, hi = min(vals), max(vals)
    span = (hi - lo) or 1.0
    ax.set_ylim(lo - pad * span, hi + pad * span)


def _shift(ax, dx_in: float):
    """Data coordinates drawn ``dx_in`` inches to the right: a dodge that leaves the data as it is."""
    return ax.transData + ScaledTranslation(dx_in, 0, ax.figure.dpi_scale_trans)


def _marker_handles(styles: dict, names) -> list:
    return [
        Line2D([], [], ls="", marker=styles[n]["marker"], color=styles[n]["color"], mec="black", mew=0.4, label=n)
        for n in names
    ]


def interval_rule(results: list[dict]) -> str:
    """How a results file's intervals were made, in words, from its ``interval_config``."""
    cfg = interval_config(results)
    if not cfg:
        return "Intervals: none recorded in the results files."
    return (
        f"Intervals: {round(100 * cfg['level'])}% {cfg['method']}, {cfg['resamples']:,} resamples, seed {cfg['seed']} "
        "(from each results file's `metrics.intervals`)."
    )


# -- the model leaderboard -------------------------------------------------------------------------


@paper_style
def score_regret_figure(results: list[dict], labels: dict, styles: dict, size: str = "2col", *, title: str = ""):
    """Score and Regret per setting with their 95% intervals: a panel per metric, a row per
    setting (sorted), a marker per entry (dodged, never on top of each other). A single entry is a
    single mark, and a suite of its own is a row, not a panel. Regret not defined (S_easy = 0) is
    left out, a row with none defined says "not defined"; a zero is a mark like any other value."""
    settings = sort_settings(setting_of(r) for r in results)
    names = [n for n in styles if any(labels[id(r)] == n for r in results)]
    k = len(names)
    row = max(0.16, 0.07 * k + 0.08)
    fig, axes = new_figure(size, 1, 2, row_height=max(1.3, row * len(settings) + 0.45), sharey=True)
    span = min(0.7, 0.14 * k)
    for ax, key, axis in ((axes[0][0], "score", SCORE_AXIS), (axes[0][1], "regret", REGRET_AXIS)):
        axis = axis.replace("\n", " ") if size == "2col" else axis
        for j, s in enumerate(settings):
            here = [r for r in results if setting_of(r) == s and labels[id(r)] in names]
            if key == "regret" and here and all(r["metrics"].get("regret_defined") is False for r in here):
                # a row with nothing to mark says why, not an empty row that reads as missing data
                ax.text(0.02, j, "not defined", transform=ax.get_yaxis_transform(), va="center",
                        color="0.35", fontsize=style.FONT_PT["note"])  # fmt: skip
            for r in here:
                i = names.index(labels[id(r)])
                st = styles[labels[id(r)]]
                v = _num(r["metrics"].get(key))
                if key == "regret" and r["metrics"].get("regret_defined") is False:
                    v = float("nan")
                if math.isnan(v):
                    continue
                ci = _ci(r, key)
                y = j + dodge(i, k, span)
                xerr = None if ci is None else [[max(0.0, v - ci[0])], [max(0.0, ci[1] - v)]]
                _errorbar(
                    ax,
                    [v],
                    [y],
                    xerr=xerr,
                    fmt=st["marker"],
                    color=st["color"],
                    mec="black",
                    mew=0.4,
                    ecolor=st["color"],
                    elinewidth=0.9,
                    capsize=1.5,
                    label=labels[id(r)],
                )
        ax.axvline(0, color="0.5", lw=0.5, zorder=0)
        ax.set_xlabel(axis)
        ax.grid(axis="x", color="0.9", lw=0.5)
        ax.set_axisbelow(True)
    shown = figure_labels(settings)
    axes[0][0].set_yticks(range(len(settings)), [shown[s] for s in settings])
    axes[0][0].set_ylim(len(settings) - 0.5, -0.5)  # the first setting on top
    axes[0][0].set_title("Score (95% CI)")
    axes[0][1].set_title("Regret (95% CI)")
    for ax, key in zip(axes[0], ("score", "regret")):  # room for a mark at either end (0, or the maximum)
        lo, hi = ax.get_xlim()
        if key == "score":  # a Score is never negative: the axis starts at 0 (with room for a mark there)
            lo, hi = 0.0, max(hi, 1.0)
        lo, hi = min(lo, 0.0), max(hi, 0.0)
        ax.set_xlim(lo - 0.04 * (hi - lo), hi + 0.04 * (hi - lo))
    figure_legend(fig, _marker_handles(styles, names), size, title=title)
    return fig


@paper_style
def position_figure(results: list[dict], labels: dict, styles: dict, size: str = "2col", *, title: str = ""):
    """Accuracy at each position of the exam with its 95% interval, a panel per setting, a line
    per entry (dodged a little so that equal lines stay apart)."""
    settings = sort_settings(setting_of(r) for r in results)
    shown = figure_labels(settings)
    nrows, ncols = grid_shape(len(settings), size)
    fig, grid = new_figure(size, nrows, ncols, row_height=1.45, sharex=True, sharey=True)
    axes = hide_unused(grid, len(settings))
    names = [n for n in styles if any(labels[id(r)] == n for r in results)]
    for ax, s in zip(axes, settings):
        rs = [r for r in results if setting_of(r) == s and labels[id(r)] in names]
        for r in sorted(rs, key=lambda r: names.index(labels[id(r)])):
            i = names.index(labels[id(r)])
            pos = [_num(x) for x in r["metrics"]["position_accuracy"]]
            cis = ((r["metrics"].get("intervals") or {}).get("position_accuracy")) or [{}] * len(pos)
            lo = [max(0.0, p - _num((c.get("ci") or [None])[0])) if c.get("ci") else 0.0 for p, c in zip(pos, cis)]
            hi = [
                max(0.0, _num((c.get("ci") or [None, None])[1]) - p) if c.get("ci") else 0.0 for p, c in zip(pos, cis)
            ]
            _errorbar(
                ax,
                range(1, len(pos) + 1),
                pos,
                yerr=[lo, hi],
                label=labels[id(r)],
                **line_style(styles[labels[id(r)]]),
                mec="black",
                mew=0.4,
                elinewidth=0.7,
                capsize=1.5,
                transform=_shift(ax, DODGE_IN * (i - (len(names) - 1) / 2)),
            )
        ax.set_title(shown[s])
        ax.set_ylim(-0.05, 1.05)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        n_pos = max(len(r["metrics"]["position_accuracy"]) for r in rs) if rs else 1
        ax.set_xlim(0.6, n_pos + 0.4)  # by hand: autoscaling misses lines drawn with a dodge transform
    fig.supxlabel("position in exam")
    fig.supylabel("accuracy (share correct, 95% CI)")
    figure_legend(fig, line_handles(styles, names), size, title=title)
    return fig


def _attempted_tokens(recs: list[dict], tier: str) -> list[int]:
    return [
        p["tokens"]
        for r in recs
        for p in r["problems"]
        if p["tier"] == tier and p["status"] not in ("skipped", "unreached")
    ]


@paper_style
def tokens_figure(records_by_entry: dict[str, list[dict]], styles: dict, size: str = "2col", *, title: str = ""):
    """Tokens used per attempted problem, a panel per tier, an outlined histogram per entry on bins
    shared by every panel, as a share of that entry's attempted problems of the tier (entries with
    different n compare); the legend names only the entries drawn."""
    toks = {tier: {n: _attempted_tokens(recs, tier) for n, recs in records_by_entry.items()} for tier in TIERS}
    top = max([t for d in toks.values() for v in d.values() for t in v] or [1])
    edges = [top * i / 24 for i in range(25)]
    ncols = len(TIERS) if size == "2col" else 1
    fig, grid = new_figure(
        size,
        math.ceil(len(TIERS) / ncols),
        ncols,
        row_height=1.75 if size == "2col" else 1.35,
        sharex=True,
        sharey=True,
    )
    axes = hide_unused(grid, len(TIERS))
    drawn = []
    for ax, tier in zip(axes, TIERS):
        for label, values in toks[tier].items():
            if values:
                st = styles[label]
                w = [1 / len(values)] * len(values)
                ax.hist(values, bins=edges, weights=w, histtype="step", lw=1.1, color=st["color"], ls=st["ls"])
                drawn.append(label)
        ax.set_title(f"{tier} problems")
    fig.supxlabel("tokens used by an attempted problem")
    fig.supylabel("share of attempted\nproblems" if size == "2col" else "share of attempted problems")
    shown = [n for n in records_by_entry if n in drawn]
    handles = [Line2D([], [], color=styles[n]["color"], ls=styles[n]["ls"], label=n) for n in shown]
    if handles:
        figure_legend(fig, handles, size, title=title)
    return fig


@paper_style
def confusion_figure(matrices: dict[str, list[list[int]]], size: str = "2col", *, title: str = ""):
    """Predicted against actual cost level, a panel per run (problems counted in each cell)."""
    nrows, ncols = grid_shape(len(matrices), size)
    fig, grid = new_figure(size, nrows, ncols, row_height=1.7, extra_height=0.3, sharex=True, sharey=True)
    axes = hide_unused(grid, len(matrices))
    for ax, (label, m) in zip(axes, matrices.items()):
        edges = [k - 0.5 for k in range(len(m) + 1)]
        ax.pcolormesh(edges, edges, m, cmap="Greys", vmin=0)  # vector cells (an image is a raster in a PDF)
        ax.set_xlim(-0.5, len(m) - 0.5)
        ax.set_ylim(len(m) - 0.5, -0.5)
        top = max(map(max, m)) or 1
        for i in range(len(m)):
            for j in range(len(m)):  # white on the dark cells, black on the light ones
                colour = "white" if m[i][j] > top / 2 else "black"
                ax.text(j, i, m[i][j], ha="center", va="center", fontsize=style.FONT_PT["note"], color=colour)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"{label}\n(n = {sum(map(sum, m))} problems)")
    fig.supxlabel("actual level")
    fig.supylabel("predicted level")
    if title:
        fig.suptitle(style.wrap(title, size))
    return fig


@paper_style
def sweep_figure(
    lines: dict[str, list[dict]],
    family: str,
    styles: dict,
    size: str = "2col",
    *,
    title: str = "",
    score_axis: str = SCORE_AXIS,
):
    """Score and Regret vs budget for one suite family (an order, or a custom suite's exams):
    ``lines[name] = [{"budget", "score", "regret", "score_ci", "regret_ci"}, ...]`` (intervals
    may be None). A line named ``oracle`` is the ceiling, drawn black and dashed; with it a third
    panel shows each policy's gap to it (``"gap"``, ``"gap_ci"``), where policies within a few
    hundredths of each other on the Score axis stand apart. Markers are dodged sideways; the
    budget axis is logarithmic (base 2) and says so."""
    panels = [("score", "Score", score_axis), ("regret", "Regret", REGRET_AXIS)]
    if "oracle" in lines and any("gap" in p for n, pts in lines.items() if n != "oracle" for p in pts):
        panels.append(("gap", "gap to the oracle", GAP_AXIS))
    drawn: dict[str, list[float]] = {key: [] for key, _, _ in panels}
    wide = size == "2col"
    fig, grid = new_figure(
        size,
        1 if wide else len(panels),
        len(panels) if wide else 1,
        row_height=2.0 if wide else 1.55,
        sharex=True,
    )
    axes = list(grid.flat)
    ticks = sorted({p["budget"] for pts in lines.values() for p in pts})
    names = [n for n in styles if n in lines and n != "oracle"]
    for ax, (key, what, unit) in zip(axes, panels):
        for i, name in enumerate(names + (["oracle"] if "oracle" in lines and key != "gap" else [])):
            pts = sorted(lines[name], key=lambda p: p["budget"])
            drawn[key] += [_num(p.get(key)) for p in pts] + [float(x) for p in pts for x in p.get(f"{key}_ci") or ()]
            if name == "oracle":
                ax.plot([p["budget"] for p in pts], [p[key] for p in pts], label=name, **REFERENCE, zorder=1)
                continue
            bs = [p["budget"] for p in pts]
            ys = [_num(p.get(key)) for p in pts]
            cis = [p.get(f"{key}_ci") for p in pts]
            err = [
                [0.0 if c is None or math.isnan(y) else max(0.0, y - c[0]) for y, c in zip(ys, cis)],
                [0.0 if c is None or math.isnan(y) else max(0.0, c[1] - y) for y, c in zip(ys, cis)],
            ]
            _errorbar(
                ax,
                bs,
                ys,
                yerr=err,
                label=name,
                **line_style(styles[name]),
                mec="black",
                mew=0.4,
                elinewidth=0.7,
                capsize=1.5,
                transform=_shift(ax, DODGE_IN * (i - (len(names) - 1) / 2)),
            )
        ax.set_xscale("log", base=2)
        ax.set_xticks(ticks, [str(b) for b in ticks])
        ax.minorticks_off()
        ax.set_xlim(ticks[0] / 2**0.3, ticks[-1] * 2**0.3)
        if key == "gap":  # oracle - policy >= 0: near-optimal policies spread out on a log scale
            ax.set_yscale("symlog", linthresh=GAP_LINEAR, linscale=0.5)
            ax.yaxis.set_major_formatter(lambda v, _: f"{v:g}")
            ax.set_ylim(0, max([v for v in drawn[key] if not math.isnan(v)] + [GAP_LINEAR]) * 1.5)
        else:
            fit_ylim(ax, drawn[key])
        ax.set_ylabel(unit)
        ax.set_title(f"{figure_labels([family])[family]}: {what}")
        ax.axhline(0, color="0.5", lw=0.5, zorder=0)
    fig.supxlabel(BUDGET_AXIS)
    fig.align_ylabels(axes)
    handles = line_handles(styles, names) + ([reference_handle("oracle (exact optimum)")] if "oracle" in lines else [])
    figure_legend(fig, handles, size, title=title)
    return fig


def _family_stem(family: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "-", family).strip("-")


_BUDGET_OVERRIDE_RE = re.compile(r"-b[1-9][0-9]*$")  # `resolve_suite`'s name for a suite file under another budget


def _family_name(names: set[str], order: str, n: int, exams: str) -> str:
    """A family's name: the standard suites' stem (``medium``, ``train-hard``, ``arith-medium``), a suite file's own
    name without its budget suffix (``mini`` for ``mini`` and ``mini-b256``), else one made from
    what it is, ``custom-<n>p-<order>-<exam-set hash8>``."""
    stems = set()
    for name in names:
        if is_named_suite(name):
            stems.add(suite_stem(named_suite_config(name)))
        else:
            stems.add(_BUDGET_OVERRIDE_RE.sub("", name))
    if len(stems) == 1 and not next(iter(stems)).startswith("custom-"):
        return stems.pop()
    return f"custom-{n}p-{order}-{exams[:8]}"


def sweep_families(results: list[dict], records: dict[int, list[dict]]) -> dict[str, list[dict]]:
    """The runs of each budget-sweep curve, by family name: one family per (order, problems per
    exam, exam set), the exam set read from the records (each exam's problem ids, budget left
    out). A custom suite (5 problems per exam, other exams) never joins a standard suite's curve
    whatever its budget; a name two families would carry gets the exam-set hash."""
    members: dict[tuple, list[dict]] = {}
    for r in results:
        order = r["suite"]["order"]
        ids = {x["exam_index"]: x["problem_ids"] for x in records[id(r)] if x["order"] == order}
        exams = [ids[i] for i in sorted(ids)]
        key = (order, len(exams[0]) if exams else 0, exam_set_hash(exams))
        members.setdefault(key, []).append(r)
    named = {k: _family_name({r["suite"]["name"] for r in rs}, *k) for k, rs in members.items()}
    taken = [named[k] for k in members]
    out = {}
    for key in sorted(members, key=lambda k: (ORDER_RANK.get(k[0], 9), named[k], k)):
        name = named[key] if taken.count(named[key]) == 1 else f"{named[key]} (exams {key[2][:8]})"
        out[name] = members[key]
    return out


class _Captions:
    """What every model-leaderboard caption says about its runs: n, settings, sources, intervals."""

    def __init__(self, results: list[dict], labels: dict, out: Path, hidden: list[str], note: str, title: str = ""):
        self.results, self.labels, self.out, self.hidden, self.note = results, labels, out, hidden, note
        self.title = title  # on the figure's face: what the runs are, where a reader must see it (trial runs)

    def runs(self, results: list[dict] | None = None) -> str:
        rows = []
        for r in sorted(results or self.results, key=lambda r: (setting_key(setting_of(r)), self.labels[id(r)])):
            link = os.path.relpath(Path(r["_path"]).resolve(), self.out.resolve()).replace(os.sep, "/")
            samples = r["metrics"].get("n_samples", 1)
            rows.append(
                f"- {self.labels[id(r)]} on {r['suite']['name']}: n = {r['metrics']['n_exams']} exams"
                + (f" x {samples} samples" if samples and samples != 1 else "")
                + f", budget {r['suite']['budget']}, suite hash `{r['suite']['hash']}`, config hash "
                f"`{r['config_hash']}`, from [{link}]({link})"
            )
        return "\n".join(rows)

    def text(self, what: str, results: list[dict] | None = None, *, intervals: bool = True) -> str:
        parts = [what, ""]
        if self.note:
            parts += [self.note, ""]
        parts += ["Runs (numbers from these results files, measured with `osmckp run`):", "", self.runs(results), ""]
        key = label_key(figure_labels({setting_of(r) for r in results or self.results}))
        if key:
            parts += [key, ""]
        if intervals:
            parts += [interval_rule(results or self.results), ""]
        if self.hidden:
            parts += [
                f"Not drawn (at most {MAX_ENTRIES} entries a panel; in the tables): {', '.join(self.hidden)}.",
                "",
            ]
        return "\n".join(parts)


def _sweep_lines(runs: list[dict]) -> dict[str, list[dict]]:
    specs: dict[str, set] = {}
    for r in runs:
        specs.setdefault(r["spec"]["name"], set()).add(r.get("spec_hash") or "")
    lines: dict[str, list[dict]] = {}
    for r in runs:
        name = r["spec"]["name"]
        line = name if len(specs[name]) == 1 else f"{name} [{(r.get('spec_hash') or '')[:6]}]"
        regret = _num(r["metrics"].get("regret")) if r["metrics"].get("regret_defined", True) else float("nan")
        lines.setdefault(line, []).append(
            {
                "budget": r["suite"]["budget"],
                "score": _num(r["metrics"]["score"]),
                "score_ci": _ci(r, "score"),
                "regret": regret,
                "regret_ci": _ci(r, "regret") if not math.isnan(regret) else None,
                "_run": r,
            }
        )
    return {k: sorted(v, key=lambda p: p["budget"]) for k, v in lines.items() if len({p["budget"] for p in v}) >= 2}


def budget_sweeps(
    results: list[dict],
    out: Path,
    styles: dict | None = None,
    records: dict[int, list[dict]] | None = None,
    *,
    prefix: str = "",
    captions: _Captions | None = None,
) -> list[str]:
    """Per suite family (``sweep_families``: Medium, Hard, each custom suite's exams): Score vs
    budget and Regret vs budget with their 95% intervals, a line per entry (an entry whose name has
    several spec hashes there: one per spec hash), for entries measured at two budgets or more
    (``osmckp run ... --budgets``); at most six lines, the best by mean Score. ``records``: each
    result's records by ``id`` (read when not given). Returns the files written."""
    out = Path(out)
    if records is None:
        records = {id(r): results_records(r["_path"], r)[0] for r in results}
    captions = captions or _Captions(results, entry_labels(results), out, [], "")
    names = []
    for family, runs in sweep_families(results, records).items():
        lines = _sweep_lines(runs)
        if not lines:
            continue
        shown, hidden = pick_entries({k: sum(p["score"] for p in v) / len(v) for k, v in lines.items()})
        lines = {k: v for k, v in lines.items() if k in shown}
        st = styles if styles and all(k in styles for k in lines) else entry_styles(sorted(lines))
        st = {k: st[k] for k in st if k in lines}
        stem = f"{prefix}budget_sweep_{_family_stem(family)}"
        drawn = [p["_run"] for v in lines.values() for p in v]
        cap = captions.text(
            f"**{stem}**: Score (correct answers per exam) and Regret ((S_easy − S) / S_easy, on the same exams "
            f"in easy-to-hard order) against the token budget for the suite family `{family}` (the same exams under "
            f"each budget), a line per entry with 95% intervals; the budget axis is logarithmic (base 2). "
            f"Markers are shifted sideways a little so that equal values stay visible."
            + (f" Other entries of this family not drawn: {', '.join(hidden)}." if hidden else "")
            + (f" {label_key(figure_labels([family]))}" if label_key(figure_labels([family])) else ""),
            drawn,
        )
        names += style.write_figure(
            out,
            stem,
            lambda size, lines=lines, family=family, st=st: sweep_figure(lines, family, st, size, title=captions.title),
            cap,
        )
    return names


def plot_all(
    results: list[dict],
    out_dir: str | Path,
    labels: dict | None = None,
    *,
    prefix: str = "",
    note: str = "",
    title: str = "",
) -> list[str]:
    """The leaderboard's figures for the given entries (the ranked full runs; or, with
    ``prefix="trial_"`` and a ``note``, the trial runs apart), one style per entry across all of
    them, at most six entries (the best by mean Score; the rest named in the captions). Returns
    the files written (PDF and PNG at both sizes and a caption per figure)."""
    out = Path(out_dir)
    labels = labels or entry_labels(results)
    means: dict[str, list[float]] = {}
    for r in results:
        means.setdefault(labels[id(r)], []).append(_num(r["metrics"]["score"]))
    shown, hidden = pick_entries({k: sum(v) / len(v) for k, v in means.items()})
    styles = entry_styles(sorted(shown))
    drawn = [r for r in results if labels[id(r)] in shown]
    caps = _Captions(drawn, labels, out, hidden, note, title)
    settings = ", ".join(setting_title(s) for s in sort_settings(setting_of(r) for r in drawn))
    names = style.write_figure(
        out,
        f"{prefix}score_regret",
        lambda size: score_regret_figure(drawn, labels, styles, size, title=title),
        caps.text(
            f"**{prefix}score_regret**: Score (correct answers per exam) and Regret ((S_easy − S) / S_easy) per "
            f"setting ({settings}), a mark per entry with its 95% interval. A Regret that is not defined (S_easy = 0: "
            "nothing right in easy order either) is not drawn; the tables say so."
        ),
    )
    names += style.write_figure(
        out,
        f"{prefix}position_accuracy",
        lambda size: position_figure(drawn, labels, styles, size, title=title),
        caps.text(
            f"**{prefix}position_accuracy**: accuracy (share of problems answered correctly) at each position of the "
            f"exam, a panel per setting ({settings}), a line per entry with 95% intervals; lines are shifted "
            "sideways a little so that equal lines stay visible."
        ),
    )
    given: dict[int, list[dict]] = {}  # each result's records in its own order, by id
    by_entry: dict[str, list[dict]] = {}
    per_run: dict[str, list[dict]] = {}
    pooled: dict[str, list[str]] = {}
    for r in sorted(drawn, key=lambda r: (setting_key(setting_of(r)), labels[id(r)])):
        recs = results_records(r["_path"], r)[0]
        # each entry's records in its own order (the easy-order twins are the Regret reference)
        mine = [x for x in recs if x["order"] == r["suite"]["order"]]
        given[id(r)] = mine
        per_run[f"{labels[id(r)]} — {setting_of(r)}"] = mine
        by_entry.setdefault(labels[id(r)], []).extend(mine)
        pooled.setdefault(labels[id(r)], []).append(setting_of(r))
    names += _tokens(by_entry, out, styles, caption=caps, pooled=pooled, prefix=prefix)
    names += _confusion(per_run, out, caption=caps, prefix=prefix)
    return names + budget_sweeps(drawn, out, styles, given, prefix=prefix, captions=caps)


def _tokens(
    by_entry: dict[str, list[dict]],
    out: Path,
    styles: dict,
    *,
    caption: _Captions,
    pooled: dict[str, list[str]],
    prefix: str = "",
) -> list[str]:
    counts = "\n".join(
        f"- {n} ({', '.join(pooled[n])} pooled): "
        + ", ".join(f"{t} n = {len(_attempted_tokens(recs, t))}" for t in TIERS)
        + " attempted problems"
        for n, recs in by_entry.items()
    )
    cap = caption.text(
        f"**{prefix}token_lengths**: tokens used per attempted problem (skipped and unreached problems left out), "
        "a panel per tier, an outlined histogram per entry on bins shared by all panels, as a share of that entry's "
        "attempted problems of the tier (so entries with different n compare). Each entry's settings are pooled:\n\n"
        f"{counts}",
        intervals=False,
    )
    return style.write_figure(
        out, f"{prefix}token_lengths", lambda size: tokens_figure(by_entry, styles, size, title=caption.title), cap
    )


def _confusion(records: dict[str, list[dict]], out: Path, *, caption: _Captions, prefix: str = "") -> list[str]:
    matrices = {k: level_confusion(v) for k, v in records.items()}
    runs = {k: m for k, m in matrices.items() if any(any(row) for row in m)}
    if not runs:
        return []
    cap = caption.text(
        f"**{prefix}level_confusion**: the cost level an agent predicted (its level tag) against the level its "
        "answer actually used (Level-0 < 256 tokens, Level-1 < 512, Level-2 above, Level-3 = skip), problems "
        "counted in each cell, a panel per run. Only runs that predict levels are drawn.",
        intervals=False,
    )
    return style.write_figure(
        out, f"{prefix}level_confusion", lambda size: confusion_figure(runs, size, title=caption.title), cap
    )


# -- the sim leaderboard ---------------------------------------------------------------------------


def _order_budget(setting: str) -> tuple[str, int]:
    order, _, budget = setting.rpartition("-")
    return order, int(budget)


@paper_style
def policy_bars_figure(tables: dict, styles: dict, size: str = "2col", *, title: str, value: str = "expected_score"):
    """Expected Score per policy with its 95% interval (``value_lo``/``value_hi`` columns, when
    there), a panel per order (Medium, Hard), a group of hatched bars per budget and the oracle's
    score as a dashed segment over each group; a zero is the policy's marker on the axis.
    ``tables[setting]`` is a DataFrame with ``policy``, ``value`` and ``oracle_score``."""
    orders = sorted({_order_budget(s)[0] for s in tables}, key=lambda o: ORDER_RANK.get(o, 9))
    wide = size == "2col"
    fig, grid = new_figure(
        size, 1 if wide else len(orders), len(orders) if wide else 1, row_height=1.9, sharey=True, sharex=True
    )
    axes = list(grid.flat)
    names = [p for p in styles if p != "oracle"]
    k = len(names)
    width = 0.8 / max(k, 1)
    for ax, order in zip(axes, orders):
        settings = sort_settings(s for s in tables if _order_budget(s)[0] == order)
        for g, s in enumerate(settings):
            df = tables[s].set_index("policy")
            here = [p for p in names if p in df.index]
            xs = [g + (names.index(p) - (k - 1) / 2) * width for p in here]
            hs = [float(df.loc[p, value]) for p in here]
            errs = None
            if f"{value}_lo" in df.columns:
                errs = [(float(df.loc[p, f"{value}_lo"]), float(df.loc[p, f"{value}_hi"])) for p in here]
            draw_bars(ax, xs, hs, here, styles, width=width, errors=errs)
            ax.hlines(
                float(df["oracle_score"].iloc[0]),
                g - 0.45,
                g + 0.45,
                colors="black",
                linestyles=REFERENCE["ls"],
                lw=1.0,
            )
        ax.set_xticks(range(len(settings)), [str(_order_budget(s)[1]) for s in settings])
        ax.set_title(setting_title(order))
        ax.set_ylim(bottom=0)
    fig.supxlabel("token budget")
    fig.supylabel(EXPECTED_SCORE_AXIS)
    handles = style.bar_handles(styles, names) + [reference_handle("oracle (exact optimum)")]
    figure_legend(fig, handles, size, title=title)
    return fig


def _curve_points(curve) -> tuple[list, list, list, list]:
    """Steps, means and the 95% interval of each window mean (mean ± 1.96 sd / sqrt(n); none for
    curves saved before 0.5, which hold only [steps, mean])."""
    steps = [c[0] for c in curve]
    means = [c[1] for c in curve]
    lo = [c[1] - 1.96 * c[2] / math.sqrt(c[3]) if len(c) >= 4 and c[3] else math.nan for c in curve]
    hi = [c[1] + 1.96 * c[2] / math.sqrt(c[3]) if len(c) >= 4 and c[3] else math.nan for c in curve]
    return steps, means, lo, hi


@paper_style
def learning_curve_figure(meta: dict, size: str = "1col", *, seeds: dict | None = None):
    """PPO's mean episode score against environment steps: the run of ``meta`` (markers: a short
    run shows its points) with the 95% interval of each window mean where its curve has one, and,
    given ``seeds`` (``{seed: curve}`` of runs of the same recipe), their mean with the band
    between the lowest and the highest seed."""
    fig, grid = new_figure(size, 1, 1, row_height=1.9 if size == "1col" else 2.3)
    ax = grid[0][0]
    window = meta.get("learning_curve_window", 500)
    handles = []
    if seeds:
        curves = [dict((c[0], c[1]) for c in cur) for cur in seeds.values()]
        common = sorted(set.intersection(*(set(c) for c in curves)))
        vals = [[c[s] for c in curves] for s in common]
        ax.fill_between(common, [min(v) for v in vals], [max(v) for v in vals], color="0.8", lw=0, zorder=0)
        ax.plot(common, [sum(v) / len(v) for v in vals], color="0.35", ls="--", lw=1.0, zorder=1)
        handles += [
            Line2D([], [], color="0.35", ls="--", label=f"mean of {len(seeds)} seeds ({', '.join(map(str, seeds))})"),
            Patch(facecolor="0.8", label="lowest to highest seed"),
        ]
    steps, means, lo, hi = _curve_points(meta["learning_curve"])
    if any(not math.isnan(x) for x in lo):
        ax.fill_between(steps, lo, hi, color=style.COLORS[0], alpha=0.25, lw=0, zorder=2)
        handles.append(Patch(facecolor=style.COLORS[0], alpha=0.25, label="95% CI of the window mean"))
    ax.plot(steps, means, color=style.COLORS[0], marker="o", ms=2.5, lw=1.0, zorder=3)
    handles.insert(
        0, Line2D([], [], color=style.COLORS[0], marker="o", ms=2.5, label=f"bundled policy (seed {meta['seed']})")
    )
    ax.set_xlabel("environment steps")
    ax.set_ylabel(f"mean score, last {window} episodes\n(correct answers per exam)")
    ax.xaxis.set_major_formatter(lambda x, _: f"{x / 1000:g}k" if x else "0")
    ax.legend(handles=handles, loc="lower right")
    ax.set_title(style.wrap(f"PPO on OSMCKP-Sim-v0, {meta['profile']} profile: simulator, not a model", size))
    return fig
