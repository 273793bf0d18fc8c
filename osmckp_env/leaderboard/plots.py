"""Every figure osmckp draws, with matplotlib (Agg): the model leaderboard's (Score/Regret bars,
position accuracy, token lengths, levels, Score/Regret vs budget) and the sim leaderboard's
(expected Score per policy, Score vs budget, PPO's learning curve).

One look for all of them, so that a reader compares at a glance: at most four panels a row,
one y-scale per metric across panels, settings sorted (Medium then Hard, budgets ascending) and
titled alike (``Medium-512``), one colour and marker per entry or policy in every plot (in a fixed
order), dashes and markers so that equal lines stay visible, y-axes that say their unit, legends
outside the data. Builders return the figure (tests read what it shows); ``save_figure`` writes it.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from osmckp_env.exam.problems import TIERS  # noqa: E402
from osmckp_env.exam.suites import exam_set_hash, is_named_suite, named_suite_config, suite_stem
from osmckp_env.leaderboard.entries import entry_labels
from osmckp_env.leaderboard.naming import ORDER_RANK, setting_key, setting_of, setting_title, sort_settings  # noqa: E402
from osmckp_env.results.io import results_records
from osmckp_env.scoring.metrics import level_confusion  # noqa: E402

MAX_PER_ROW = 4
SCORE_AXIS = "Score (correct answers per exam)"
EXPECTED_SCORE_AXIS = "expected Score (correct answers per exam)"
REGRET_AXIS = "Regret ((S_easy - S) / S_easy)"
COLORS = plt.get_cmap("tab10").colors
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")
DASHES = ("-", "--", "-.", ":")


def _num(v) -> float:
    return float("nan") if v is None else float(v)


def save_figure(fig, out: Path, name: str) -> str:
    """Write ``fig`` as ``out/name`` (PNG, legends outside the axes included) and close it."""
    fig.savefig(Path(out) / name, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return name


def entry_styles(names) -> dict[str, dict]:
    """A fixed colour, marker and dash per entry, in the order given: the same entry looks the same
    in every plot of a leaderboard."""
    return {
        n: {"color": COLORS[i % len(COLORS)], "marker": MARKERS[i % len(MARKERS)], "ls": DASHES[i % len(DASHES)]}
        for i, n in enumerate(names)
    }


def panel_grid(n: int, *, width: float = 3.6, height: float = 3.0, rows_per_block: int = 1, sharey: bool = True):
    """``n`` panels in rows of at most ``MAX_PER_ROW`` (times ``rows_per_block`` stacked blocks);
    returns the figure and one list of panel axes per block (unused cells hidden)."""
    ncols = max(1, min(MAX_PER_ROW, n))
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(
        nrows * rows_per_block, ncols, figsize=(width * ncols, height * nrows * rows_per_block), squeeze=False
    )
    blocks = []
    for b in range(rows_per_block):
        cells = [axes[b * nrows + i // ncols][i % ncols] for i in range(nrows * ncols)]
        for ax in cells[n:]:
            ax.set_visible(False)
        blocks.append(cells[:n])
    if sharey:
        for block in blocks:
            for ax in block[1:]:
                ax.sharey(block[0])
    return fig, blocks


def _legend(fig, styles: dict, *, title: str | None = None, kind: str = "line", extra=()) -> None:
    """One legend for the figure, right of the panels (never over the data); ``extra``: handles
    added after the entries' (a reference line)."""
    if kind == "bar":
        handles = [Patch(color=s["color"], label=n) for n, s in styles.items()]
    else:
        handles = [Line2D([], [], color=s["color"], marker=s["marker"], ls=s["ls"], label=n) for n, s in styles.items()]
    handles += list(extra)
    fig.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, title=title, frameon=False)


def _set_ylim(block, values, *, floor: float | None = None, pad: float = 0.15) -> None:
    """One y-range for a block of panels that holds every value given (bars and interval ends),
    with ``pad`` to spare; ``floor``: a fixed lower end (Score: 0)."""
    vals = [v for v in values if not math.isnan(v)] + [0.0]
    lo, hi = min(vals), max(vals)
    lo = floor if floor is not None else min(-0.05, lo * (1 + pad))
    block[0].set_ylim(lo, max(1.0 if floor is not None else 0.05, hi * (1 + pad)))


# -- the model leaderboard -------------------------------------------------------------------------


def score_regret_figure(results: list[dict], labels: dict, styles: dict):
    """Score and Regret per setting (95% CI): a block of Score panels over a block of Regret panels,
    one bar per entry in the entries' colours, the value written on every bar."""
    settings = sort_settings(setting_of(r) for r in results)
    fig, (score_axes, regret_axes) = panel_grid(len(settings), rows_per_block=2, height=3.2)
    values = {"score": [], "regret": []}
    for j, s in enumerate(settings):
        rs = sorted((r for r in results if setting_of(r) == s), key=lambda r: list(styles).index(labels[id(r)]))
        names = [labels[id(r)] for r in rs]
        for ax, key in ((score_axes[j], "score"), (regret_axes[j], "regret")):
            vals = [_num(r["metrics"].get(key)) for r in rs]
            heights = [0.0 if math.isnan(v) else v for v in vals]
            cis = [((r["metrics"].get("intervals") or {}).get(key) or {}).get("ci", [None, None]) for r in rs]
            # the axis fits the whiskers too, never only the bars (a Regret interval reaches far below its bar)
            values[key] += vals + [_num(x) for ci in cis for x in ci]
            err = [
                [h - (lo if lo is not None else h) for h, (lo, _) in zip(heights, cis)],
                [(hi if hi is not None else h) - h for h, (_, hi) in zip(heights, cis)],
            ]
            x = range(len(names))
            bars = ax.bar(x, heights, color=[styles[n]["color"] for n in names], yerr=err, capsize=4, ecolor="black")
            for b, v in zip(bars, vals):  # the value on every bar, a zero or an undefined one included
                ax.annotate(
                    "n/a" if math.isnan(v) else f"{v:.3f}",
                    (b.get_x() + b.get_width() / 2, b.get_height()),
                    ha="center",
                    va="bottom",
                    fontsize=7,
                )
            ax.set_xticks(list(x), names, rotation=30, ha="right", fontsize=7)
            ax.axhline(0, color="black", linewidth=0.6)
            ax.set_title(f"{setting_title(s)}: {'Score' if key == 'score' else 'Regret'} (95% CI)", fontsize=9)
            ax.set_ylabel(SCORE_AXIS if key == "score" else REGRET_AXIS, fontsize=8)
    _set_ylim(score_axes, values["score"], floor=0.0)
    _set_ylim(regret_axes, values["regret"], pad=0.2)
    _legend(fig, {labels[id(r)]: styles[labels[id(r)]] for r in results}, kind="bar")
    fig.tight_layout()
    return fig


def position_figure(results: list[dict], labels: dict, styles: dict):
    """Accuracy at each position of the exam, a panel per setting, a line per entry."""
    settings = sort_settings(setting_of(r) for r in results)
    fig, (axes,) = panel_grid(len(settings))
    for ax, s in zip(axes, settings):
        for r in sorted((r for r in results if setting_of(r) == s), key=lambda r: labels[id(r)]):
            pos = [_num(x) for x in r["metrics"]["position_accuracy"]]
            st = styles[labels[id(r)]]
            ax.plot(range(1, len(pos) + 1), pos, label=labels[id(r)], **st, markersize=6, alpha=0.85)
        ax.set_xlabel("position in exam")
        ax.set_ylabel("accuracy (share correct)", fontsize=8)
        ax.set_ylim(-0.05, 1.05)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"{setting_title(s)}: accuracy per position", fontsize=9)
    _legend(fig, {labels[id(r)]: styles[labels[id(r)]] for r in results})
    fig.tight_layout()
    return fig


def tokens_figure(records_by_entry: dict[str, list[dict]], styles: dict):
    """Tokens used per attempted problem, a panel per tier, an outlined histogram per entry (all
    its settings pooled)."""
    fig, (axes,) = panel_grid(len(TIERS), sharey=False)
    for ax, tier in zip(axes, TIERS):
        for label, recs in records_by_entry.items():
            toks = [
                p["tokens"]
                for r in recs
                for p in r["problems"]
                if p["tier"] == tier and p["status"] not in ("skipped", "unreached")
            ]
            if toks:
                st = styles[label]
                ax.hist(toks, bins=30, histtype="step", lw=1.6, color=st["color"], ls=st["ls"], label=label)
        ax.set_title(f"tokens per problem: {tier}", fontsize=9)
        ax.set_xlabel("tokens")
        ax.set_ylabel("problems")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    _legend(fig, {k: styles[k] for k in records_by_entry})
    fig.tight_layout()
    return fig


def _positions(results: list[dict], labels: dict, out: Path, styles: dict | None = None) -> str:
    styles = styles or entry_styles(sorted({labels[id(r)] for r in results}))
    return save_figure(position_figure(results, labels, styles), out, "position_accuracy.png")


def _tokens(records_by_entry: dict[str, list[dict]], out: Path, styles: dict | None = None) -> str:
    styles = styles or entry_styles(list(records_by_entry))
    return save_figure(tokens_figure(records_by_entry, styles), out, "token_lengths.png")


def _confusion(records_by_entry: dict[str, list[dict]], out: Path) -> str | None:
    matrices = {k: level_confusion(v) for k, v in records_by_entry.items()}
    runs = {k: m for k, m in matrices.items() if any(any(row) for row in m)}
    if not runs:
        return None
    fig, (axes,) = panel_grid(len(runs), width=3.4, height=3.4, sharey=False)
    for ax, (label, m) in zip(axes, runs.items()):
        ax.imshow(m, cmap="Blues")
        top = max(map(max, m)) or 1
        for i in range(len(m)):
            for j in range(len(m)):  # white on the dark cells, black on the light ones
                colour = "white" if m[i][j] > top / 2 else "black"
                ax.text(j, i, m[i][j], ha="center", va="center", fontsize=8, color=colour)
        ax.set_xlabel("actual level")
        ax.set_ylabel("predicted level")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"{label} (n={sum(map(sum, m))} problems)", fontsize=8)
    fig.tight_layout()
    return save_figure(fig, out, "level_confusion.png")


def sweep_figure(lines: dict[str, list[tuple[int, float, float]]], family: str, styles: dict, *, title: str = ""):
    """Score and Regret vs budget for one suite family (an order, or a custom suite's exams):
    ``lines[name] = [(budget, score, regret), ...]``. A line named ``oracle`` is drawn black and
    dashed (the ceiling)."""
    fig, (axes,) = panel_grid(2, width=4.6, height=3.6, sharey=False)
    ticks = sorted({b for pts in lines.values() for b, _, _ in pts})
    for name in styles:
        if name not in lines:
            continue
        pts = sorted(lines[name])
        st = dict(color="k", ls="--", marker="", lw=2) if name == "oracle" else styles[name]
        bs = [b for b, _, _ in pts]
        axes[0].plot(bs, [s for _, s, _ in pts], label=name, **st)
        axes[1].plot(bs, [g for _, _, g in pts], label=name, **st)
    for ax, what, unit in zip(axes, ("Score", "Regret"), (SCORE_AXIS, REGRET_AXIS)):
        ax.set_xscale("log", base=2)
        ax.set_xticks(ticks, [str(b) for b in ticks])
        ax.minorticks_off()
        ax.set_xlabel("token budget")
        ax.set_ylabel(unit, fontsize=8)
        ax.set_title(f"{setting_title(family)}: {what} vs budget", fontsize=9)
        ax.axhline(0, color="black", linewidth=0.6)
    shown = {n: (dict(color="k", ls="--", marker="") if n == "oracle" else styles[n]) for n in styles if n in lines}
    _legend(fig, shown)
    if title:
        fig.suptitle(title, fontsize=8)
    fig.tight_layout()
    return fig


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


def budget_sweeps(
    results: list[dict], out: Path, styles: dict | None = None, records: dict[int, list[dict]] | None = None
) -> list[str]:
    """Per suite family (``sweep_families``: Medium, Hard, each custom suite's exams): Score vs
    budget and Regret vs budget, a line per entry (an entry whose name has several spec hashes
    there: one per spec hash), for entries measured at two budgets or more (``osmckp run ...
    --budgets``). ``records``: each result's records by ``id`` (read when not given)."""
    if records is None:
        records = {id(r): results_records(r["_path"], r)[0] for r in results}
    names = []
    for family, runs in sweep_families(results, records).items():
        specs: dict[str, set] = {}
        for r in runs:
            specs.setdefault(r["spec"]["name"], set()).add(r.get("spec_hash") or "")
        lines: dict[str, list[tuple[int, float, float]]] = {}
        for r in runs:
            name = r["spec"]["name"]
            line = name if len(specs[name]) == 1 else f"{name} [{(r.get('spec_hash') or '')[:6]}]"
            lines.setdefault(line, []).append(
                (r["suite"]["budget"], _num(r["metrics"]["score"]), _num(r["metrics"].get("regret")))
            )
        lines = {k: sorted(v) for k, v in lines.items() if len({b for b, _, _ in v}) >= 2}
        if not lines:
            continue
        st = styles if styles and all(k in styles for k in lines) else entry_styles(sorted(lines))
        slug = re.sub(r"[^A-Za-z0-9._+-]+", "-", family).strip("-")
        names.append(save_figure(sweep_figure(lines, family, st), out, f"budget_sweep_{slug}.png"))
    return names


def plot_all(results: list[dict], out_dir: str | Path, labels: dict | None = None) -> list[str]:
    """The leaderboard's figures for the ranked entries; one style per entry across all of them."""

    out = Path(out_dir)
    labels = labels or entry_labels(results)
    styles = entry_styles(sorted({labels[id(r)] for r in results}))
    names = [
        save_figure(score_regret_figure(results, labels, styles), out, "score_regret.png"),
        _positions(results, labels, out, styles),
    ]
    records: dict[str, list[dict]] = {}
    by_entry: dict[str, list[dict]] = {}
    given: dict[int, list[dict]] = {}  # each result's records in its own order, by id
    for r in sorted(results, key=lambda r: (setting_key(setting_of(r)), labels[id(r)])):
        recs = results_records(r["_path"], r)[0]
        # each entry's records in its own order (the easy-order twins are the Regret reference)
        mine = [x for x in recs if x["order"] == r["suite"]["order"]]
        given[id(r)] = mine
        records[f"{labels[id(r)]} — {setting_of(r)}"] = mine
        by_entry.setdefault(labels[id(r)], []).extend(mine)
    # token lengths: one series per entry (its settings pooled), in the entry's colour
    names.append(_tokens(by_entry, out, styles))
    c = _confusion(records, out)
    if c:
        names.append(c)
    return names + budget_sweeps(results, out, styles, given)


# -- the sim leaderboard ---------------------------------------------------------------------------


def policy_bars_figure(tables: dict, styles: dict, *, title: str, value: str = "expected_score"):
    """Expected Score per policy, a panel per setting (sorted, one y-scale), the oracle's score as a
    dashed line; ``tables[setting]`` is a DataFrame with ``policy``, ``value`` and ``oracle_score``."""
    settings = sort_settings(tables)
    fig, (axes,) = panel_grid(len(settings))
    for ax, s in zip(axes, settings):
        df = tables[s].set_index("policy")
        names = [p for p in styles if p in df.index]
        ax.bar(range(len(names)), [float(df.loc[p, value]) for p in names], color=[styles[p]["color"] for p in names])
        ax.axhline(float(df["oracle_score"].iloc[0]), color="k", ls="--", lw=1.2)
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=7)
        ax.set_title(setting_title(s), fontsize=9)
        ax.set_ylabel(EXPECTED_SCORE_AXIS, fontsize=8)
    _set_ylim(axes, [float(v) for df in tables.values() for v in df[value]], floor=0.0)
    _legend(fig, styles, kind="bar", extra=[Line2D([], [], color="k", ls="--", label="oracle (exact optimum)")])
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def learning_curve_figure(meta: dict):
    """PPO's mean episode score against environment steps (markers: a short run shows its points)."""
    steps, rew = zip(*meta["learning_curve"]) if meta["learning_curve"] else ((), ())
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(steps, rew, marker="o", markersize=4)
    ax.set_xlabel("environment steps")
    ax.set_ylabel("mean episode score\n(correct answers per exam, last 500)", fontsize=8)
    ax.set_title(f"PPO on OSMCKP-Sim-v0 ({meta['profile']}, seed {meta['seed']})", fontsize=9)
    fig.tight_layout()
    return fig
