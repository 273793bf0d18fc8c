"""Leaderboard plots with matplotlib (Agg): score/regret bars, position accuracy, token lengths, levels."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from osmckp_env.exam.problems import TIERS  # noqa: E402
from osmckp_env.scoring.metrics import level_confusion  # noqa: E402


def _bars(results: list[dict], out: Path) -> str:
    settings = sorted({r["suite"]["name"] for r in results})
    fig, axes = plt.subplots(2, max(1, len(settings)), figsize=(4 * max(1, len(settings)), 6), squeeze=False)
    for j, s in enumerate(settings):
        rs = sorted((r for r in results if r["suite"]["name"] == s), key=lambda r: r["spec"]["name"])
        names = [r["spec"]["name"] for r in rs]
        axes[0][j].bar(names, [r["metrics"]["score"] for r in rs], color="tab:blue")
        axes[0][j].set_title(f"{s}: Score")
        reg = [r["metrics"].get("regret") for r in rs]
        axes[1][j].bar(names, [0 if x is None or math.isnan(x) else x for x in reg], color="tab:red")
        axes[1][j].set_title(f"{s}: Regret")
        for ax in (axes[0][j], axes[1][j]):
            ax.tick_params(axis="x", rotation=45, labelsize=7)
    fig.tight_layout()
    name = "score_regret.png"
    fig.savefig(out / name, dpi=100)
    plt.close(fig)
    return name


def _positions(results: list[dict], out: Path) -> str:
    fig, ax = plt.subplots(figsize=(6, 4))
    for r in results:
        pos = [float("nan") if x is None else x for x in r["metrics"]["position_accuracy"]]
        ax.plot(range(1, len(pos) + 1), pos, marker="o", label=f"{r['spec']['name']} {r['suite']['name']}")
    ax.set_xlabel("position in exam")
    ax.set_ylabel("accuracy")
    ax.set_title("Per-position accuracy")
    ax.legend(fontsize=6)
    fig.tight_layout()
    name = "position_accuracy.png"
    fig.savefig(out / name, dpi=100)
    plt.close(fig)
    return name


def _tokens(records_by_run: dict[str, list[dict]], out: Path) -> str:
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
    for k, tier in enumerate(TIERS):
        for label, recs in records_by_run.items():
            toks = [p["tokens"] for r in recs for p in r["problems"] if p["tier"] == tier and p["status"] != "skipped"]
            if toks:
                axes[k].hist(toks, bins=30, alpha=0.5, label=label)
        axes[k].set_title(f"tokens per problem: {tier}")
        axes[k].set_xlabel("tokens")
    axes[0].legend(fontsize=6)
    fig.tight_layout()
    name = "token_lengths.png"
    fig.savefig(out / name, dpi=100)
    plt.close(fig)
    return name


def _confusion(records_by_run: dict[str, list[dict]], out: Path) -> str | None:
    runs = {k: level_confusion(v) for k, v in records_by_run.items() if any(any(row) for row in level_confusion(v))}
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
        ax.set_title(label, fontsize=8)
    fig.tight_layout()
    name = "level_confusion.png"
    fig.savefig(out / name, dpi=100)
    plt.close(fig)
    return name


def plot_all(results: list[dict], out_dir: str | Path) -> list[str]:
    from osmckp_env.results.io import results_records

    out = Path(out_dir)
    names = [_bars(results, out), _positions(results, out)]
    records = {f"{r['spec']['name']} {r['suite']['name']}": results_records(r["_path"], r)[0] for r in results}
    records = {
        k: [x for x in v if x["order"] != "easy" or k.split()[-1].startswith("easy")] for k, v in records.items()
    }
    names.append(_tokens(records, out))
    c = _confusion(records, out)
    if c:
        names.append(c)
    return names
