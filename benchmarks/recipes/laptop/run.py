"""The laptop demo: a base model through the paper's pipeline, one resumable stage at a time.

    python benchmarks/recipes/laptop/run.py                       # every stage, SmolLM2-135M on a CPU
    python benchmarks/recipes/laptop/run.py eval-base mft-data    # some stages
    python benchmarks/recipes/laptop/run.py --dry-run             # print each stage's osmckp command
    python benchmarks/recipes/laptop/run.py --scale gpu --model Qwen/Qwen2.5-1.5B-Instruct
    python benchmarks/recipes/laptop/run.py --quick --model PATH  # 2 exams, 2 steps (the test's size)

Stages (in order): ``suites`` (the held-out exams: a fresh seed of the profile's pool),
``eval-base``, ``mft-data`` (rejection sampling from the base model), ``mft`` (SFT), ``rarl``
(Dr. GRPO on training-split exams), ``eval-mft``, ``eval-rarl``, ``report`` (results JSON with
95% intervals, RARL's learning curve, one figure). Each stage is one of the kit's commands
(``osmckp suites --export``, ``osmckp run``, ``osmckp train mft-data|mft|rarl``) on a config the
driver writes under ``OUT/configs/``; a stage whose output is complete for that config is skipped,
and an interrupted one resumes (the commands resume themselves). The profile (``laptop.yaml``,
``gpu.yaml``) holds every setting; nothing here is specific to a model.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import sys
import time
from pathlib import Path

import yaml

from osmckp_env.cli import main as osmckp
from osmckp_env.exam.suites import resolve_suite
from osmckp_env.training.config import MFTConfig, MFTDataConfig, RARLConfig

HERE = Path(__file__).resolve().parent
PROFILES = {"laptop": HERE / "laptop.yaml", "gpu": HERE / "gpu.yaml"}
STAGES = ("suites", "eval-base", "mft-data", "mft", "rarl", "eval-mft", "eval-rarl", "report")
MODELS = {"base": "eval-base", "mft": "eval-mft", "mft+rarl": "eval-rarl"}  # label -> its evaluation stage
RUN_NAMES = {"base": "base", "mft": "mft", "mft+rarl": "mft-rarl"}  # label -> its spec's name and eval folder
METRICS = ("score", "regret", "skip_rate", "level_accuracy", "tokens_per_problem", "score_easy", "rarl_reward")


def merge(base: dict, over: dict) -> dict:
    """``over`` on top of ``base``, mappings merged key by key."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def load_profile(path: Path, *, quick: bool, model: str | None, n_exams: int | None) -> dict:
    prof = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    quick_over = prof.pop("quick", {}) or {}
    if quick:
        prof = merge(prof, quick_over)
    if model:
        prof["model"] = model
    if n_exams:
        prof["n_exams"] = n_exams
    return prof


class Recipe:
    """The stages of one profile in one output folder."""

    def __init__(self, prof: dict, out: Path, *, dry_run: bool = False, report_dir: str | Path | None = None) -> None:
        self.p, self.out, self.dry_run = prof, Path(out), dry_run
        self.configs = self.out / "configs"
        self.timings_path = self.out / "stages.json"
        self.report_dir = Path(report_dir) if report_dir else self.out / "report"

    # -- names and configs -------------------------------------------------------------------

    def suite_name(self, order: str) -> str:
        pool = self.p.get("pool")
        return f"{pool + '-' if pool else ''}{order}-{self.p['budget']}"

    def suite_arg(self, order: str) -> str:
        """What ``osmckp run --suite`` takes: the named suite (seed 0) or the exported fresh-seed file."""
        if int(self.p.get("eval_seed", 0)) == 0:
            return self.suite_name(order)
        return str(self.out / "suites" / f"{self.suite_name(order)}-seed{self.p['eval_seed']}.jsonl")

    def write(self, name: str, data: dict) -> Path:
        self.configs.mkdir(parents=True, exist_ok=True)
        path = self.configs / name
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return path

    def spec(self, label: str) -> Path:
        """The agent spec evaluating ``label``: the base model with the direct prompt, a checkpoint
        with the level-tag (``mft``) prompt; greedy, the profile's level bins."""
        model = {"base": self.p["model"], "mft": str(self.out / "mft"), "mft+rarl": str(self.out / "rarl")}[label]
        name = RUN_NAMES[label]
        return self.write(
            f"eval-{name}.yaml",
            {
                "name": name,
                "agent": "direct" if label == "base" else "mft",
                "backend": self.p["backend"],
                "model": model,
                "backend_args": self.p.get("backend_args", {}),
                "temperature": 0.0,
                "seed": int(self.p.get("seed", 0)),
                "batch_size": int(self.p.get("backend_args", {}).get("batch_size", 32)),
                "level_edges": list(self.p["level_edges"]),
                "description": f"laptop recipe: {label} ({self.p['model']})",
            },
        )

    def sampler_spec(self) -> Path:
        return self.write(
            "sampler.yaml",
            {
                "name": "sampler",
                "agent": "mft",
                "backend": self.p["backend"],
                "model": self.p["model"],
                "backend_args": self.p.get("backend_args", {}),
            },
        )

    def mft_data_config(self) -> Path:
        d = {
            "spec": str(self.sampler_spec()),
            "out_dir": str(self.out / "mft-data"),
            "pool": self.p.get("pool"),
            "level_edges": list(self.p["level_edges"]),
            "exam_budgets": [int(self.p["budget"])],
            "seed": int(self.p.get("seed", 0)),
            **self.p.get("mft_data", {}),
        }
        return self.write("mft_data.yaml", d)

    def mft_config(self) -> Path:
        d = {
            "model": self.p["model"],
            "dataset": str(self.out / "mft-data" / "dataset"),
            "output_dir": str(self.out / "mft"),
            "resume": "auto",
            "seed": int(self.p.get("seed", 0)),
            **self.p.get("mft", {}),
        }
        return self.write("mft.yaml", d)

    def rarl_config(self) -> Path:
        d = {
            "model": str(self.out / "mft"),
            "output_dir": str(self.out / "rarl"),
            "budget": int(self.p["budget"]),
            "pool": self.p.get("pool"),
            "level_edges": list(self.p["level_edges"]),
            "resume": "auto",
            "seed": int(self.p.get("seed", 0)),
            **self.p.get("rarl", {}),
        }
        return self.write("rarl.yaml", d)

    # -- completeness (a complete stage is skipped) ------------------------------------------

    @staticmethod
    def _trained(folder: Path, cfg) -> bool:
        meta = folder / "osmckp_train.json"
        return meta.is_file() and json.loads(meta.read_text(encoding="utf-8")).get("config_hash") == cfg.config_hash

    def results_of(self, label: str) -> list[Path]:
        """The results file of each suite ``label`` was evaluated on: of its runs on a suite (a
        trial run of n exams has its own folder), the one with the most exams."""
        name = RUN_NAMES[label]
        best: dict[str, tuple[int, Path]] = {}
        for f in sorted((self.out / "eval" / name).glob("*/results.json")):
            res = json.loads(f.read_text())
            n = res["metrics"]["n_exams"]
            if res["suite"]["name"] not in best or n > best[res["suite"]["name"]][0]:
                best[res["suite"]["name"]] = (n, f)
        return [f for _, f in sorted(best.values(), key=lambda t: str(t[1]))]

    def evaluated(self, label: str) -> bool:
        found = self.results_of(label)
        if len(found) < len(self.p["eval_orders"]):
            return False
        return all(json.loads(f.read_text())["metrics"]["n_exams"] >= int(self.p["n_exams"]) for f in found)

    def done(self, stage: str) -> bool:
        if stage == "suites":
            if int(self.p.get("eval_seed", 0)) == 0:
                return True
            files = [Path(self.suite_arg(o)) for o in self.p["eval_orders"]]
            return all(f.is_file() and len(resolve_suite(str(f))) >= int(self.p["n_exams"]) for f in files)
        if stage == "mft-data":
            stats = self.out / "mft-data" / "stats.json"
            cfg = MFTDataConfig.load(self.mft_data_config())
            return stats.is_file() and json.loads(stats.read_text())["config_hash"] == cfg.config_hash
        if stage == "mft":
            return self._trained(self.out / "mft", MFTConfig.load(self.mft_config()))
        if stage == "rarl":
            return self._trained(self.out / "rarl", RARLConfig.load(self.rarl_config()))
        if stage in MODELS.values():
            return self.evaluated(next(k for k, v in MODELS.items() if v == stage))
        return False

    # -- the stages --------------------------------------------------------------------------

    def commands(self, stage: str) -> list[list[str]]:
        """The ``osmckp`` command line(s) of ``stage`` (``report`` has none: it reads their outputs)."""
        n = str(self.p["n_exams"])
        if stage == "suites":
            seed = str(self.p.get("eval_seed", 0))
            if not self.dry_run:
                (self.out / "suites").mkdir(parents=True, exist_ok=True)
            return [
                ["suites", "--export", self.suite_name(o), "--seed", seed, "--n-exams", n, "--out", self.suite_arg(o)]
                for o in self.p["eval_orders"]
                if seed != "0"
            ]
        if stage in MODELS.values():
            label = next(k for k, v in MODELS.items() if v == stage)
            suites = [self.suite_arg(o) for o in self.p["eval_orders"]]
            return [["run", str(self.spec(label)), "--suite", *suites, "--n-exams", n, "--out", str(self.out / "eval")]]
        if stage == "mft-data":
            return [["train", "mft-data", "--config", str(self.mft_data_config())]]
        if stage == "mft":
            return [["train", "mft", "--config", str(self.mft_config())]]
        if stage == "rarl":
            return [["train", "rarl", "--config", str(self.rarl_config())]]
        return []

    def run(self, stages: list[str], *, force: bool = False) -> int:
        for stage in stages:
            if stage == "report":
                if not self.dry_run:
                    report(self)
                    print(f"report: wrote {self.report_dir}")
                continue
            if not force and not self.dry_run and self.done(stage):
                print(f"{stage}: complete, skipped")
                continue
            start = time.time()
            for argv in self.commands(stage):
                print(f"{stage}: osmckp {' '.join(argv)}", flush=True)
                if self.dry_run:
                    continue
                rc = osmckp(argv)
                if rc:
                    print(f"{stage}: osmckp exited {rc}; run the same command again to resume", file=sys.stderr)
                    return rc
            if not self.dry_run:  # read just before writing: two drivers may share the folder
                self.out.mkdir(parents=True, exist_ok=True)
                timings = json.loads(self.timings_path.read_text()) if self.timings_path.is_file() else {}
                timings[stage] = round(time.time() - start, 1)
                self.timings_path.write_text(json.dumps(timings, indent=1))
        return 0


# -- the report ------------------------------------------------------------------------------


def _metric(m: dict, key: str) -> dict:
    v = m.get(key)
    v = None if v is None or (isinstance(v, float) and math.isnan(v)) else v
    iv = (m.get("intervals") or {}).get(key) or {}
    return {"value": v, "ci95": iv.get("ci", [None, None])}


def learning_curve(rarl_dir: Path) -> list[dict]:
    """RARL's logged steps: the training reward and the zero-weight logging rewards, reward spread
    and the share of groups with one reward for all (TRL's ``frac_reward_zero_std``)."""
    meta = rarl_dir / "osmckp_train.json"
    if meta.is_file():
        history = json.loads(meta.read_text())["log_history"]
    else:  # an interrupted run: its newest checkpoint's state
        states = sorted(
            rarl_dir.glob("checkpoint-*/trainer_state.json"), key=lambda p: int(p.parent.name.split("-")[1])
        )
        history = json.loads(states[-1].read_text())["log_history"] if states else []
    keep = ("step", "loss", "reward", "reward_std", "frac_reward_zero_std", "learning_rate")
    return [
        {k: v for k, v in h.items() if k in keep or (k.startswith("rewards/") and k.endswith("/mean"))}
        for h in history
        if "reward" in h
    ]


def report(rec: Recipe) -> dict:
    """``OUT/report/``: ``results.json`` (each model's metrics with 95% intervals per suite, the
    settings, stage times, RARL's reward variance), ``learning_curve.json`` and ``figure.pdf/.png``."""
    out = rec.report_dir
    out.mkdir(parents=True, exist_ok=True)
    models = {}
    for label in MODELS:
        per_suite = {}
        for f in rec.results_of(label):
            res = json.loads(f.read_text())
            m = res["metrics"]
            per_suite[res["suite"]["name"]] = {
                "n_exams": m["n_exams"],
                **{k: _metric(m, k) for k in METRICS},
                "regret_defined": m.get("regret_defined"),
                "budget_exhausted_rate": m.get("budget_exhausted_rate"),
                "results_file": str(f.relative_to(rec.out)),
            }
        if per_suite:
            models[label] = {"model": res["spec"]["model"], "agent": res["spec"]["agent"], "suites": per_suite}
    curve = learning_curve(rec.out / "rarl")
    meta = rec.out / "rarl" / "osmckp_train.json"
    variance = json.loads(meta.read_text()).get("reward_variance") if meta.is_file() else None
    timings = json.loads(rec.timings_path.read_text()) if rec.timings_path.is_file() else {}
    mft_stats = rec.out / "mft-data" / "stats.json"
    doc = {
        "recipe": "benchmarks/recipes/laptop",
        "settings": rec.p,
        "models": models,
        "mft_data": {
            k: v
            for k, v in json.loads(mft_stats.read_text()).items()
            if k in ("n_problems", "n_examples", "solve_rate", "level_histogram", "exam_examples_dropped")
        }
        if mft_stats.is_file()
        else None,  # fmt: skip
        "rarl_reward_variance": variance,
        "rarl_steps": len(curve),
        "stage_seconds": timings,
        "interval": "95% percentile bootstrap over exams (2,000 resamples, seed 0); Regret paired with the easy order",
    }
    (out / "results.json").write_text(json.dumps(doc, indent=1))
    (out / "learning_curve.json").write_text(json.dumps(curve, indent=1))
    (out / "table.md").write_text(markdown_table(doc))
    if models:
        write_figure(doc, curve, out)
    return doc


TABLE_METRICS = ("score", "regret", "skip_rate", "level_accuracy", "tokens_per_problem")


def markdown_table(doc: dict) -> str:
    """The README's table: one row per model and suite, each metric with its 95% interval."""

    def cell(m: dict) -> str:
        v, (lo, hi) = m["value"], m["ci95"]
        if v is None:
            return "n/a"
        return f"{v:.3g} [{lo:.3g}, {hi:.3g}]" if lo is not None else f"{v:.3g}"

    head = "| model | suite | n | " + " | ".join(TABLE_METRICS) + " |\n|---|---|---:|" + "---|" * len(TABLE_METRICS)
    rows = [
        f"| {label} | {suite} | {m['n_exams']} | "
        + " | ".join(
            "not defined (S_easy = 0)" if k == "regret" and not m["regret_defined"] else cell(m[k])
            for k in TABLE_METRICS
        )  # fmt: skip
        + " |"
        for label, model in doc["models"].items()
        for suite, m in model["suites"].items()
    ]
    return "\n".join([head, *rows]) + "\n"


FIGURE_METRICS = (("score", "Score (correct per exam)"), ("regret", "Regret"), ("skip_rate", "skip rate"),
                  ("level_accuracy", "level accuracy"))  # fmt: skip


CURVE = (
    ("rewards/rarl/mean", "RARL reward"),
    ("rewards/score/mean", "Score"),
    ("rewards/skip_rate/mean", "skip rate"),
    ("frac_reward_zero_std", "groups with one reward"),
)


def write_figure(doc: dict, curve: list[dict], out: Path) -> list[str]:
    """The paper-style figure (``osmckp_env.leaderboard.style``: PDF and PNG at a two-column and a
    one-column width, ``figure.pdf`` / ``figure-1col.pdf``, and ``figure.caption.md``): each metric's
    value and 95% interval for base, MFT and MFT+RARL (one panel per metric, one marker per suite),
    and RARL's learning curve."""
    from osmckp_env.leaderboard import style

    labels = list(doc["models"])
    suites = sorted({s for m in doc["models"].values() for s in m["suites"]})
    styles = style.entry_styles(labels)
    curve_styles = style.entry_styles([name for _, name in CURVE])
    n = sorted({s["n_exams"] for m in doc["models"].values() for s in m["suites"].values()})

    def build(size: str):
        rows, cols = (2, 3) if size == "2col" else (3, 2)  # five panels and a cell for the curve's legend
        fig, axes = style.new_figure(size, rows, cols, row_height=1.8, extra_height=0.1)
        cells = list(axes.flat)
        for ax, (key, title) in zip(cells, FIGURE_METRICS):
            for j, suite in enumerate(suites):
                for i, label in enumerate(labels):
                    entry = doc["models"][label]["suites"].get(suite, {})
                    if key == "regret" and not entry.get("regret_defined"):
                        continue  # S_easy = 0: Regret is not defined, not 0
                    m = entry.get(key) or {}
                    v, (lo, hi) = m.get("value"), m.get("ci95") or (None, None)
                    if v is None:
                        continue
                    x = i + style.dodge(j, len(suites), 0.3)
                    err = [[v - lo], [hi - v]] if lo is not None else None
                    ax.errorbar([x], [v], yerr=err, fmt=style.MARKERS[j % len(style.MARKERS)], capsize=2, ms=4,
                                color=styles[label]["color"])  # fmt: skip
            if not ax.lines and not ax.collections:
                ax.text(0.5, 0.5, "not defined\n(S_easy = 0)" if key == "regret" else "no values", ha="center",
                        va="center", transform=ax.transAxes, fontsize=style.FONT_PT["note"])  # fmt: skip
            ax.set_xticks(range(len(labels)), labels)
            ax.set_xlim(-0.5, len(labels) - 0.5)
            ax.set_title(title)
        ax = cells[len(FIGURE_METRICS)]
        steps = [h["step"] for h in curve]
        for key, name in CURVE:
            ys = [h.get(key) for h in curve]
            if any(y is not None for y in ys):
                ax.plot(steps, ys, ms=3, label=name, **style.line_style(curve_styles[name]))
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps are whole
        ax.set_xlabel("RARL step")
        ax.set_title("RARL, per step")
        key = axes.flat[-1]  # the sixth cell: the curve's legend, never over its data
        key.axis("off")
        if curve:
            key.legend(*ax.get_legend_handles_labels(), loc="center", frameon=False, title="RARL, per step")
        return fig

    caption = (
        f"{doc['settings']['model']} through the paper's pipeline on a CPU (the laptop demo): base model (direct "
        f"prompt), MFT and MFT+RARL (level-tag prompt), greedy, on {', '.join(suites)} ({n} held-out exams from a "
        "fresh seed, each also in easy order for Regret). Markers: each metric's value; whiskers: 95% percentile "
        "bootstrap interval over exams. Regret is not drawn where the easy-order Score is 0 (not defined). Last "
        "panel: RARL's per-step training reward (the rarl reward, Score and skip rate of the sampled completions) "
        "and the share of groups whose completions all got one reward (no learning signal). Measured by this "
        "project (benchmarks/recipes/laptop/results/results.json)."
    )
    return style.write_figure(out, "figure", style.paper_style(build), caption)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("stages", nargs="*", choices=[[], *STAGES], help=f"stages to run (default: all): {STAGES}")
    ap.add_argument("--scale", choices=sorted(PROFILES), default="laptop", help="the profile (default: laptop)")
    ap.add_argument("--profile", help="a profile YAML of your own (overrides --scale)")
    ap.add_argument(
        "--model", help="the base model: hub id, folder, .gguf or pkg:PACKAGE/FILE (default: the profile's)"
    )
    ap.add_argument(
        "--out", default=None, help="output folder (default: runs/laptop, runs/laptop-gpu with --scale gpu)"
    )
    ap.add_argument("--n-exams", type=int, help="held-out exams per suite (default: the profile's)")
    ap.add_argument("--quick", action="store_true", help="the profile's quick: block (2 exams, 2 steps; the test)")
    ap.add_argument("--report-dir", help="where report writes (default: OUT/report); the committed results are in "
                    "benchmarks/recipes/laptop/results")  # fmt: skip
    ap.add_argument("--force", action="store_true", help="run stages even when their output is complete")
    ap.add_argument("--dry-run", action="store_true", help="print the osmckp command of each stage, run nothing")
    args = ap.parse_args(argv)
    prof = load_profile(args.profile or PROFILES[args.scale], quick=args.quick, model=args.model, n_exams=args.n_exams)
    out = Path(args.out or ("runs/laptop" if args.scale == "laptop" else f"runs/laptop-{args.scale}"))
    return Recipe(prof, out, dry_run=args.dry_run, report_dir=args.report_dir).run(
        list(args.stages) or list(STAGES), force=args.force
    )


if __name__ == "__main__":
    raise SystemExit(main())
