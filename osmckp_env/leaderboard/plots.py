"""Leaderboard plots with matplotlib (Agg): score/regret bars, position accuracy, token lengths,
levels, and Score/Regret vs budget. Every plot shows exactly the entries the tables rank (full
runs), one labelled series per entry."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from osmckp_env.exam.problems import TIERS  # noqa: E402
from osmckp_env.scoring.metrics import level_confusion  # noqa: E402


def _num(v) -> float:
    return float("nan") if v is None else float(v)


def _save(fig, out: Path, name: str) -> str:
    fig.tight_layout()
    fig.savefig(out / name, dpi=100)
    plt.close(fig)
    return name


def _settings(results):
    from osmckp_env.exam.suites import MAIN_SETTINGS

    names = {r["suite"]["name"] for r in results}
    return [s for s in MAIN_SETTINGS if s in names] + sorted(names - set(MAIN_SETTINGS))


def _bars(results: list[dict], labels: dict, out: Path) -> str:
    settings = _settings(results)
    fig, axes = plt.subplots(2, len(settings), figsize=(4 * len(settings), 6.5), squeeze=False)
    for j, s in enumerate(settings):
        rs = sorted((r for r in results if r["suite"]["name"] == s), key=lambda r: labels[id(r)])
        names = [labels[id(r)] for r in rs]
        for ax, key, color in ((axes[0][j], "score", "tab:blue"), (axes[1][j], "regret", "tab:red")):
            vals = [_num(r["metrics"].get(key)) for r in rs]
            heights = [0.0 if math.isnan(v) else v for v in vals]
            cis = [((r["metrics"].get("intervals") or {}).get(key) or {}).get("ci", [None, None]) for r in rs]
            err = [
                [h - (lo if lo is not None else h) for h, (lo, _) in zip(heights, cis)],
                [(hi if hi is not None else h) - h for h, (_, hi) in zip(heights, cis)],
            ]
            bars = ax.bar(names, heights, color=color, yerr=err, capsize=4, ecolor="black")
            for b, v in zip(bars, vals):  # the value on every bar, a zero or an undefined one included
                ax.annotate(
                    "n/a" if math.isnan(v) else f"{v:.3f}",
                    (b.get_x() + b.get_width() / 2, b.get_height()),
                    ha="center",
                    va="bottom",
                    fontsize=7,
                )
            ax.axhline(0, color="black", linewidth=0.6)
            ax.set_title(f"{s}: {'Score' if key == 'score' else 'Regret'} (95% CI)")
            ax.tick_params(axis="x", rotation=45, labelsize=7)
        top = max([_num(r["metrics"]["score"]) for r in rs] + [0.0])
        axes[0][j].set_ylim(0, max(1.0, top * 1.15))
        lo = min(
            [_num(r["metrics"].get("regret")) for r in rs if not math.isnan(_num(r["metrics"].get("regret")))] + [0.0]
        )
        hi = max(
            [_num(r["metrics"].get("regret")) for r in rs if not math.isnan(_num(r["metrics"].get("regret")))] + [0.0]
        )
        axes[1][j].set_ylim(min(-0.05, lo * 1.2), max(0.05, hi * 1.2))
    return _save(fig, out, "score_regret.png")


def _positions(results: list[dict], labels: dict, out: Path) -> str:
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for r in sorted(results, key=lambda r: (r["suite"]["name"], labels[id(r)])):
        pos = [_num(x) for x in r["metrics"]["position_accuracy"]]
        ax.plot(range(1, len(pos) + 1), pos, marker="o", label=f"{labels[id(r)]} — {r['suite']['name']}")
    ax.set_xlabel("position in exam")
    ax.set_ylabel("accuracy")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Per-position accuracy")
    ax.legend(fontsize=6)
    return _save(fig, out, "position_accuracy.png")


def _tokens(records_by_entry: dict[str, list[dict]], out: Path) -> str:
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
    for k, tier in enumerate(TIERS):
        for label, recs in records_by_entry.items():
            toks = [
                p["tokens"]
                for r in recs
                for p in r["problems"]
                if p["tier"] == tier and p["status"] != "skipped" and p["status"] != "unreached"
            ]
            if toks:
                axes[k].hist(toks, bins=30, alpha=0.5, label=label)
        axes[k].set_title(f"tokens per problem: {tier}")
        axes[k].set_xlabel("tokens")
        axes[k].set_ylabel("problems")
        axes[k].yaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].legend(fontsize=6)
    return _save(fig, out, "token_lengths.png")


def _confusion(records_by_entry: dict[str, list[dict]], out: Path) -> str | None:
    matrices = {k: level_confusion(v) for k, v in records_by_entry.items()}
    runs = {k: m for k, m in matrices.items() if any(any(row) for row in m)}
    if not runs:
        return None
    fig, axes = plt.subplots(1, len(runs), figsize=(3.5 * len(runs), 3.5), squeeze=False)
    for ax, (label, m) in zip(axes[0], runs.items()):
        ax.imshow(m, cmap="Blues")
        for i in range(len(m)):
            for j in range(len(m)):
                ax.text(j, i, m[i][j], ha="center", va="center", fontsize=8)
        ax.set_xlabel("actual level")
        ax.set_ylabel("predicted level")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"{label} (n={sum(map(sum, m))})", fontsize=8)
    return _save(fig, out, "level_confusion.png")


def budget_sweeps(results: list[dict], labels: dict, out: Path) -> list[str]:
    """Per order (Medium, Hard): Score vs budget and Regret vs budget, a line per entry, for entries
    measured at two budgets or more (``osmckp run ... --budgets``)."""
    names = []
    for order in sorted({r["suite"]["order"] for r in results}):
        lines: dict[str, list[tuple[int, float, float]]] = {}
        for r in results:
            if r["suite"]["order"] == order:
                lines.setdefault(
                    r["spec"]["name"] if labels[id(r)].startswith(r["spec"]["name"]) else labels[id(r)], []
                ).append((r["suite"]["budget"], _num(r["metrics"]["score"]), _num(r["metrics"].get("regret"))))
        lines = {k: sorted(v) for k, v in lines.items() if len({b for b, _, _ in v}) >= 2}
        if not lines:
            continue
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
        for label, pts in sorted(lines.items()):
            bs = [b for b, _, _ in pts]
            axes[0].plot(bs, [s for _, s, _ in pts], marker="o", label=label)
            axes[1].plot(bs, [g for _, _, g in pts], marker="o", label=label)
        ticks = sorted({b for pts in lines.values() for b, _, _ in pts})
        for ax, what in zip(axes, ("Score", "Regret")):
            ax.set_xscale("log", base=2)
            ax.set_xticks(ticks, [str(b) for b in ticks])
            ax.minorticks_off()
            ax.set_xlabel("token budget")
            ax.set_title(f"{order.capitalize()}: {what} vs budget")
            ax.axhline(0, color="black", linewidth=0.6)
        axes[0].legend(fontsize=7)
        names.append(_save(fig, out, f"budget_sweep_{order}.png"))
    return names


def plot_all(results: list[dict], out_dir: str | Path, labels: dict | None = None) -> list[str]:
    from osmckp_env.leaderboard.entries import entry_labels
    from osmckp_env.results.io import results_records

    out = Path(out_dir)
    labels = labels or entry_labels(results)
    names = [_bars(results, labels, out), _positions(results, labels, out)]
    records = {}
    for r in sorted(results, key=lambda r: (r["suite"]["name"], labels[id(r)])):
        recs = results_records(r["_path"], r)[0]
        # each entry's records in its own order (the easy-order twins are the Regret reference)
        records[f"{labels[id(r)]} — {r['suite']['name']}"] = [x for x in recs if x["order"] == r["suite"]["order"]]
    names.append(_tokens(records, out))
    c = _confusion(records, out)
    if c:
        names.append(c)
    return names + budget_sweeps(results, labels, out)
