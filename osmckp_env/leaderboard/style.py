"""The one figure style for papers, written once and applied by every figure osmckp draws.

Two sizes: a two-column figure (``"2col"``, 6.9 in wide, a page's text width) and a one-column
figure (``"1col"``, 3.3 in wide), both drawn at their print size so that text is 7-9 pt as printed
(no ``bbox_inches="tight"``: the page is exactly that wide). Each entry (agent, policy) keeps one
colour, marker, dash and hatch in every figure, so that a figure stays readable in greyscale; at
most ``MAX_ENTRIES`` entries are drawn in a panel (the rest are named in the caption and are in the
tables). Intervals are drawn wherever the numbers have them; a zero is drawn as a mark, never as
an invisible bar. A figure function takes data and a size and returns the figure;
``write_figure`` saves it as vector PDF and PNG at both sizes with a caption file beside them:

>>> import tempfile
>>> def build(size):
...     fig, axes = new_figure(size, 1, 1, row_height=1.6)
...     axes[0][0].plot([1, 2], [0, 1], **line_style(entry_styles(["a"])["a"]))
...     return fig
>>> with tempfile.TemporaryDirectory() as d:
...     sorted(write_figure(d, "demo", build, "What is plotted, n = 2."))
['demo-1col.pdf', 'demo-1col.png', 'demo.caption.md', 'demo.pdf', 'demo.png']
"""

from __future__ import annotations

import functools
import math
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

WIDTHS = {"2col": 6.9, "1col": 3.3}  # inches: a two-column paper's text width, and one column of it
SIZES = tuple(WIDTHS)
SUFFIX = {"2col": "", "1col": "-1col"}  # name.pdf / name.png (two-column), name-1col.pdf / .png
PER_ROW = {"2col": 4, "1col": 2}  # panels a row
PNG_DPI = 200
MAX_ENTRIES = 6  # entries (lines, bar series) in one panel; the rest go to the tables
FONT_PT = {"title": 8, "label": 8, "tick": 7, "legend": 7, "note": 7, "suptitle": 9}

RC = {
    "font.size": 8,
    "axes.titlesize": FONT_PT["title"],
    "axes.labelsize": FONT_PT["label"],
    "xtick.labelsize": FONT_PT["tick"],
    "ytick.labelsize": FONT_PT["tick"],
    "legend.fontsize": FONT_PT["legend"],
    "legend.title_fontsize": FONT_PT["legend"],
    "figure.titlesize": FONT_PT["suptitle"],
    "figure.labelsize": FONT_PT["label"],
    "axes.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.major.size": 2.5,
    "ytick.major.size": 2.5,
    "lines.linewidth": 1.1,
    "lines.markersize": 4,
    "hatch.linewidth": 0.6,
    "errorbar.capsize": 1.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "legend.handlelength": 2.6,
    "pdf.fonttype": 42,  # TrueType: text stays text (searchable, editable) in the PDF
    "savefig.dpi": PNG_DPI,
}

# Okabe-Ito: told apart by colour-blind readers, and of distinct greyness
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
MARKERS = ("o", "s", "^", "D", "v", "P")
DASHES = ("-", "--", "-.", ":", (0, (5, 1.5)), (0, (3, 1, 1, 1, 1, 1)))
HATCHES = ("", "////", "\\\\\\\\", "xxxx", "....", "----")
REFERENCE = {"color": "black", "ls": (0, (4, 2)), "marker": "", "lw": 1.0}  # the oracle, a ceiling


def paper_style(fn):
    """Run a figure function under the paper rcParams (``RC``)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with plt.rc_context(RC):
            return fn(*args, **kwargs)

    return wrapper


def entry_styles(names) -> dict[str, dict]:
    """A fixed colour, marker, dash and hatch per entry, in the order given: the same entry looks the
    same in every figure, and the first ``MAX_ENTRIES`` entries differ in each of the four (greyscale)."""
    n = len(COLORS)
    return {
        name: {"color": COLORS[i % n], "marker": MARKERS[i % n], "ls": DASHES[i % n], "hatch": HATCHES[i % n]}
        for i, name in enumerate(names)
    }


def line_style(st: dict) -> dict:
    """The keyword arguments of ``ax.plot`` for an entry's style (no hatch)."""
    return {k: st[k] for k in ("color", "marker", "ls", "lw") if k in st}


def pick_entries(scores: dict[str, float], k: int = MAX_ENTRIES) -> tuple[list[str], list[str]]:
    """The ``k`` entries to draw (highest score first, NaN last, ties by name) and the rest (named
    in the caption, in the tables)."""
    ranked = sorted(scores, key=lambda n: (math.isnan(scores[n]), -scores[n] if not math.isnan(scores[n]) else 0, n))
    return ranked[:k], ranked[k:]


def grid_shape(n: int, size: str) -> tuple[int, int]:
    """Rows and columns for ``n`` panels at a size (4 a row two-column, 2 a row one-column)."""
    ncols = max(1, min(PER_ROW[size], n))
    return math.ceil(n / ncols), ncols


def new_figure(size: str, nrows: int, ncols: int, *, row_height: float, extra_height: float = 0.45, **kw):
    """A figure of the paper's width for ``size`` (``row_height`` inches a row of panels, plus
    ``extra_height`` for a legend or title) with constrained layout; ``kw`` goes to ``subplots``
    (``sharex``, ``sharey``)."""
    if size not in WIDTHS:
        raise ValueError(f"size must be one of {list(WIDTHS)}, got {size!r}")
    with plt.rc_context(RC):
        fig, axes = plt.subplots(
            nrows,
            ncols,
            figsize=(WIDTHS[size], row_height * nrows + extra_height),
            squeeze=False,
            layout="constrained",
            **kw,
        )
        for ax in axes.flat:
            # ticks are made when drawn, maybe outside this context: their size is set now
            ax.tick_params(labelsize=FONT_PT["tick"])
    return fig, axes


def hide_unused(axes, n: int) -> list:
    """The first ``n`` panels (row by row); the other cells are hidden."""
    cells = list(axes.flat)
    for ax in cells[n:]:
        ax.set_visible(False)
    ncols = axes.shape[1]
    for col in range(ncols):  # a column's lowest panel shows its x tick labels (shared x hides the others)
        shown = [ax for ax in cells[col:n:ncols]]
        if shown:
            shown[-1].xaxis.set_tick_params(labelbottom=True)
    return cells[:n]


def wrap(text: str, size: str) -> str:
    """``text`` broken into lines that fit the figure's width at the title's size."""
    return textwrap.fill(text, 110 if size == "2col" else 52)


def figure_legend(fig, handles: list, size: str, *, title: str = "") -> None:
    """One legend for the whole figure, above the panels, never over the data; ``title`` (what the
    figure is, when it must say so on its face: a simulator, a trial run) heads it, wrapped to the
    figure's width (a title of its own would collide with the legend)."""
    # as many columns as the longest label lets fit in the width (7 pt: about 4 pt a character)
    longest = max((len(h.get_label()) for h in handles), default=1) + 6
    ncol = max(1, min(len(handles), 3 if size == "2col" else 2, int(WIDTHS[size] * 72 / 4.2) // longest))
    fig.legend(
        handles=handles, loc="outside upper center", ncols=max(1, ncol), title=wrap(title, size) if title else None
    )


def line_handles(styles: dict, names) -> list:
    """Legend handles of lines (colour, dash and marker, as drawn)."""
    return [Line2D([], [], label=n, **line_style(styles[n])) for n in names]


def bar_handles(styles: dict, names) -> list:
    """Legend handles of hatched bars (colour and hatch, as drawn)."""
    return [
        Patch(facecolor=styles[n]["color"], edgecolor="black", hatch=styles[n]["hatch"], lw=0.5, label=n) for n in names
    ]


def reference_handle(label: str) -> Line2D:
    return Line2D([], [], label=label, **REFERENCE)


def draw_bars(ax, xs, heights, names, styles: dict, *, width: float, errors=None) -> list:
    """Hatched bars, one per entry, with black edges; ``errors``: (lower, upper) interval ends or
    None per bar, drawn as whiskers. A zero bar is drawn as the entry's marker on the axis (a bar
    of height 0 would be invisible and read as missing data); a missing value (NaN) as nothing."""
    bars = []
    for x, h, n, err in zip(xs, heights, names, errors or [None] * len(xs)):
        st = styles[n]
        if h is None or math.isnan(h):
            continue
        b = ax.bar(x, h, width=width, color=st["color"], edgecolor="black", lw=0.5, hatch=st["hatch"], label=n)
        b[0].set_label(n)  # the bar itself carries the entry's name (a container's label does not reach it)
        bars.append(b[0])
        if h == 0:
            ax.plot([x], [0], marker=st["marker"], color=st["color"], mec="black", mew=0.5, ms=4, clip_on=False)
        if err is not None and None not in err:
            lo, hi = err
            ax.errorbar([x], [h], yerr=[[max(0.0, h - lo)], [max(0.0, hi - h)]], fmt="none", ecolor="black", lw=0.7)
    return bars


def dodge(i: int, k: int, span: float) -> float:
    """The offset of entry ``i`` of ``k`` spread over ``span`` (centred), so markers of equal values
    stand side by side instead of on top of each other."""
    return 0.0 if k <= 1 else span * (i / (k - 1) - 0.5)


def save_figure(fig, out: str | Path, name: str) -> list[str]:
    """Write ``fig`` as ``out/name.pdf`` (vector) and ``out/name.png`` (PNG_DPI), at its own size
    (the page is the figure: nothing cropped or added), and close it. Returns the file names."""
    out = Path(out)
    with plt.rc_context(RC):
        fig.savefig(out / f"{name}.pdf", metadata={"CreationDate": None})  # no date: same data, same bytes
        # the layout is in inches, so the PNG keeps the PDF's: laid out once, not twice (a third of the time)
        fig.set_layout_engine("none")
        fig.savefig(out / f"{name}.png", dpi=PNG_DPI)
    plt.close(fig)
    return [f"{name}.pdf", f"{name}.png"]


def write_figure(out: str | Path, stem: str, build, caption: str) -> list[str]:
    """``build(size)`` at both sizes, saved as ``stem.pdf``/``stem.png`` (two-column) and
    ``stem-1col.pdf``/``stem-1col.png`` (one-column), and ``caption`` in ``stem.caption.md``.
    Returns the file names written."""
    names = []
    for size in SIZES:
        names += save_figure(build(size), out, stem + SUFFIX[size])
    (Path(out) / f"{stem}.caption.md").write_text(caption.rstrip() + "\n", encoding="utf-8")
    return names + [f"{stem}.caption.md"]
