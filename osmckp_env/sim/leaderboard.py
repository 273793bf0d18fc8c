"""The sim leaderboard: reference policies, PPO and the exact oracle on the four settings."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from osmckp_env.exam.suites import MAIN_SETTINGS, SWEEP_BUDGETS, get_suite, resolve_suite
from osmckp_env.leaderboard import style
from osmckp_env.leaderboard.naming import ORDER_RANK, setting_title, sort_settings
from osmckp_env.leaderboard.plots import (
    EXPECTED_SCORE_AXIS,
    learning_curve_figure,
    policy_bars_figure,
    sweep_figure,
)
from osmckp_env.leaderboard.style import MAX_ENTRIES, entry_styles, pick_entries
from osmckp_env.leaderboard.tables import FIGURES_NOTE, figure_index, fmt_interval, latex_table, to_markdown
from osmckp_env.results.io import LEADERBOARD_OUT, provenance, write_results, write_text_atomic
from osmckp_env.scoring.metrics import regret
from osmckp_env.scoring.stats import IntervalConfig, bootstrap_indices, interval, regret_of
from osmckp_env.sim.env import SimEnv
from osmckp_env.sim.policies import POLICIES, Oracle, SB3Policy, SimPolicy, make_policy
from osmckp_env.sim.ppo import bundled_ppo_path, bundled_ppo_seed_curves, learning_curve_caption, load_ppo
from osmckp_env.sim.profiles import get_profile

COLUMNS = [
    "policy",
    "expected_score",
    "expected_score_lo",
    "expected_score_hi",
    "oracle_score",
    "oracle_regret",
    "oracle_regret_lo",
    "oracle_regret_hi",
    "regret",
    "regret_lo",
    "regret_hi",
    "expected_score_easy",
    "mc_score",
    "mc_stderr",
    "mc_lo",
    "mc_hi",
    "skip_rate",
    "tokens_per_problem",
    "n_exams",
]
INTERVALS = IntervalConfig(method="percentile bootstrap over the suite's exams of their exact expected scores")
SIM_INTERVAL_RULE = (
    "95% intervals: expected Score, oracle − policy and Regret: percentile bootstrap over the suite's exams "
    f"({INTERVALS.resamples:,} resamples, seed {INTERVALS.seed}) of each exam's exact expected score (Regret and "
    "oracle − policy paired: an exam's scores resampled together); they say how much the numbers would move on "
    "another draw of exams, the profile held fixed. Monte Carlo Score: mc_score ± 1.96 × its standard error "
    "(one simulated episode per exam)."
)


def _expected(policy: SimPolicy, views: list, reward: str, cache: dict) -> np.ndarray:
    """Each exam's exact expected reward; exams with the same signature are solved once."""
    vals = []
    for v in views:
        key = (id(policy), v.signature)
        if key not in cache:
            cache[key] = policy.expected(v, reward)
        vals.append(cache[key])
    return np.asarray(vals, dtype=float)


def _bounds(name: str, reps: np.ndarray, point: float) -> dict:
    lo, hi = interval(reps, point, INTERVALS.level)["ci"]
    return {f"{name}_lo": _nan(lo), f"{name}_hi": _nan(hi)}


def _nan(v) -> float:
    return float("nan") if v is None else float(v)


def _monte_carlo(policy: SimPolicy, env: SimEnv, suite, seed: int) -> dict:
    scores, skips, tokens, n_prob = [], 0, 0, 0
    rng = np.random.default_rng(seed)
    for e in suite.exams:
        obs, info = env.reset(seed=seed + e.index, options={"exam_index": e.index})
        total, done = 0.0, False
        while not done:
            a = policy.act(info, rng)
            obs, r, done, _, info = env.step(a)
            total += r
            skips += a == 0
            tokens += info["tokens"]
            n_prob += 1
        scores.append(total)
    s = np.asarray(scores)
    n_all = sum(x.n_problems for x in suite.exams)
    se = float(s.std(ddof=1) / math.sqrt(len(s))) if len(s) > 1 else 0.0
    return {
        "mc_score": float(s.mean()),
        "mc_stderr": se,
        "mc_lo": float(s.mean()) - 1.96 * se,
        "mc_hi": float(s.mean()) + 1.96 * se,
        "skip_rate": (skips + n_all - n_prob) / n_all,
        "tokens_per_problem": tokens / n_all,
    }


def bundled_ppo_profile() -> str | None:
    """The profile the bundled PPO policy was trained on (from its training record)."""
    import json

    path = bundled_ppo_path()
    meta = path.with_suffix(".json") if path is not None else None
    return json.loads(meta.read_text()).get("profile") if meta is not None and meta.is_file() else None


def default_policies(include_ppo: bool = True, reward: str = "score", profile: str | None = None) -> list[SimPolicy]:
    """The reference policies, the bundled PPO (named ``ppo[<its training profile>]`` when it is
    evaluated on another profile) and the exact oracle."""
    out = [make_policy(n) for n in POLICIES if n != "oracle"]
    if include_ppo:
        path = bundled_ppo_path()
        if path is not None:
            try:
                trained_on = bundled_ppo_profile()
                name = "ppo" if profile is None or trained_on == profile else f"ppo[{trained_on}]"
                out.append(SB3Policy(load_ppo(path), name))
            except ImportError:
                pass
    out.append(Oracle(reward))
    return out


DEFAULTS = {"n_exams": None, "budgets": SWEEP_BUDGETS, "reward": "score", "seed": 0, "ppo": ()}


def variant_name(*, n_exams=None, budgets=SWEEP_BUDGETS, reward="score", seed=0, ppo=()) -> str | None:
    """``None`` for the full default run; else the name of the folder of its own that a partial or
    changed run writes: ``quick-look-n50`` (the first 50 exams; ``quick-look-n50-rarl``...), or
    ``custom-b512-1024``, ``custom-rarl``, ``custom-with-ppo-synthetic-v0-seed3`` (an added PPO model)
    for a full run with other settings."""
    parts = [f"with-{Path(p).stem}" for p in ppo]
    if n_exams is not None:
        parts.append(f"n{n_exams}")
    if budgets is not None and tuple(budgets) != SWEEP_BUDGETS:
        parts.append("b" + "-".join(str(b or 0) for b in budgets))
    if budgets is None:
        parts.append("paper-budgets")
    if reward != "score":
        parts.append(reward)
    if seed != 0:
        parts.append(f"seed{seed}")
    if not parts:
        return None
    return ("quick-look-" if n_exams is not None else "custom-") + "-".join(parts)


def default_out_dir(profile, root: str | Path = f"{LEADERBOARD_OUT}/sim", **variant) -> Path:
    """Where a sim leaderboard goes: the bundled synthetic profile's full default run at ``root``
    (default ``runs/leaderboards/sim``, outside the committed ``leaderboards/sim``),
    any other profile's in ``root/<profile name>/``; a partial or changed run (``variant``: the
    ``n_exams``, ``budgets``, ``reward``, ``seed``, ``ppo`` it was given) in a ``quick-look-...``
    or ``custom-...`` folder below that, so that it never overwrites the full run's tables."""
    prof = get_profile(profile)
    base = Path(root) if prof.name == "synthetic-v0" else Path(root) / prof.name
    name = variant_name(**{**DEFAULTS, **variant})
    return base if name is None else base / name


def sim_leaderboard(
    out_dir: str | Path,
    *,
    profile="synthetic-v0",
    settings=MAIN_SETTINGS,
    n_exams: int | None = None,
    policies: list[SimPolicy] | None = None,
    seed: int = 0,
    reward: str = "score",
    progress: bool = True,
    plots: bool = True,
    budgets: list[int] | tuple[int, ...] | None = SWEEP_BUDGETS,
) -> dict[str, pd.DataFrame]:
    """Evaluate every policy on every setting; write Markdown/CSV/PNG under ``out_dir``.

    ``budgets`` sweeps the budget (default ``SWEEP_BUDGETS``, as ``osmckp bench``): each setting's
    exams under each budget (``medium-256``...), with a Score vs budget plot per order in which
    the exact oracle is the ceiling; ``None`` keeps the settings' own budgets. A run on the first
    ``n_exams`` exams is a quick look: every title says so. The folder ends up holding only this
    run's files (those an earlier sim leaderboard wrote there are removed; a folder holding tables
    that no sim leaderboard wrote is refused).
    """
    prof = get_profile(profile)
    policies = policies or default_policies(reward=reward, profile=prof.name)
    out_dir = Path(out_dir)
    previous = _previous_files(out_dir)
    tables, suite_hashes = {}, {}
    suites = []
    for setting in settings:  # every suite and budget is checked before the folder is made
        base = get_suite(setting, n_exams=n_exams)
        suites += [base] if not budgets else [resolve_suite(base, budget=b) for b in budgets]
    suites = list({s.name: s for s in suites}.values())
    out_dir.mkdir(parents=True, exist_ok=True)
    quick = f"QUICK LOOK (first {n_exams} exams of each setting), " if n_exams is not None else ""
    bar = tqdm(total=len(suites) * len(policies), disable=not progress, desc="sim leaderboard", unit="policy")
    for suite in suites:
        setting = suite.name
        easy = suite.with_order("easy")
        env, env_easy = SimEnv(suite, profile=prof, reward=reward), SimEnv(easy, profile=prof, reward=reward)
        views = [env.view_of(e) for e in suite.exams]
        views_easy = [env_easy.view_of(e) for e in easy.exams]
        cache: dict = {}
        oracle_v = _expected(Oracle(reward), views, reward, cache)
        oracle_score = float(oracle_v.mean())
        idx = bootstrap_indices(len(views), INTERVALS.resamples, INTERVALS.seed)  # one draw for every policy
        rows = []
        for pol in policies:
            bar.set_postfix(setting=setting, policy=pol.name)
            exp_v = _expected(pol, views, reward, cache)
            easy_v = _expected(pol, views_easy, reward, cache)
            exp, exp_easy = float(exp_v.mean()), float(easy_v.mean())
            reps, reps_easy = exp_v[idx].mean(axis=1), easy_v[idx].mean(axis=1)
            mc = _monte_carlo(pol, env, suite, seed)
            rows.append(
                {
                    "policy": pol.name,
                    "expected_score": exp,
                    **_bounds("expected_score", reps, exp),
                    "oracle_score": oracle_score,
                    "oracle_regret": oracle_score - exp,
                    **_bounds("oracle_regret", (oracle_v - exp_v)[idx].mean(axis=1), oracle_score - exp),
                    "regret": regret(exp, exp_easy),
                    **_bounds("regret", regret_of(reps, reps_easy), regret(exp, exp_easy)),
                    "expected_score_easy": exp_easy,
                    **mc,
                    "n_exams": len(suite),
                }
            )
            bar.update(1)
        df = pd.DataFrame(rows, columns=COLUMNS).sort_values("expected_score", ascending=False)
        csv = df.assign(
            profile=prof.name,
            profile_hash=prof.hash,
            synthetic=prof.synthetic,
            suite_hash=suite.hash,
            reward=reward,
            seed=seed,
        ).to_csv(index=False)
        write_text_atomic(out_dir / f"{setting}.csv", csv)
        write_text_atomic(
            out_dir / f"{setting}.md",
            f"# Sim {setting_title(setting)}: profile {prof.label}\n\n{quick}"
            f"{'SYNTHETIC profile: ' if prof.synthetic else ''}simulator results, not model results.\n\n"
            f"{to_markdown(display_table(df))}\n\n{SIM_INTERVAL_RULE}\n",
        )
        write_text_atomic(out_dir / f"{setting}.tex", sim_latex(df, setting, prof, suite.hash, quick))
        df.attrs["suite_hash"] = suite.hash
        tables[setting] = df
        suite_hashes[setting] = suite.hash
    bar.close()
    files = [f"{s}.{ext}" for s in tables for ext in ("csv", "md", "tex")]
    files += _write_index(
        out_dir, tables, prof, reward, plots, {s.name: s.config for s in suites}, [p.name for p in policies], quick
    )
    files.append("results.json")
    for stale in sorted(previous - set(files)):
        (out_dir / stale).unlink(missing_ok=True)
    write_results(
        out_dir / "results.json",
        {
            "osmckp_sim_results": 1,
            "env_id": "OSMCKP-Sim-v0",
            **provenance(),
            "profile": {"name": prof.name, "hash": prof.hash, "synthetic": prof.synthetic},
            "reward": reward,
            "seed": seed,
            "n_exams": n_exams,
            "quick_look": n_exams is not None,
            "budgets": list(budgets) if budgets else None,
            "suite_hashes": suite_hashes,
            "files": sorted(files),
            "tables": {k: df.to_dict(orient="records") for k, df in tables.items()},
        },
    )
    return tables


def _previous_files(out_dir: Path) -> set[str]:
    """The files an earlier sim leaderboard wrote in ``out_dir`` (from its results.json; files of
    versions before the list was kept: its tables' and the known figures). Refuses a folder that
    holds tables no sim leaderboard wrote."""
    import json

    res = out_dir / "results.json"
    if res.is_file():
        try:
            doc = json.loads(res.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            doc = {}
        if isinstance(doc, dict) and doc.get("osmckp_sim_results") == 1:
            if "files" in doc:
                return set(doc["files"])
            old = {f"{s}.{ext}" for s in doc.get("tables", {}) for ext in ("csv", "md")}
            return (
                old
                | {"README.md", "sim_scores.png", "ppo_learning_curve.png", "results.json"}
                | {f"sim_budget_sweep_{o}.png" for o in ("medium", "hard", "easy")}
            )
    foreign = sorted(p.name for p in out_dir.glob("*.csv")) if out_dir.is_dir() else []
    if foreign:
        raise FileExistsError(
            f"{out_dir} holds tables ({', '.join(foreign[:3])}...) that no sim leaderboard wrote; "
            "pass another --out folder (nothing was written)"
        )
    return set()


DISPLAY = {
    "expected_score": ("expected_score [95% CI]", "expected_score"),
    "oracle_regret": ("oracle − policy [95% CI]", "oracle_regret"),
    "regret": ("regret [95% CI]", "regret"),
    "mc": ("mc_score [95% CI]", "mc"),
}


def _cell(row, key: str) -> str:
    point = row["mc_score"] if key == "mc" else row[key]
    return fmt_interval(point, row[f"{key}_lo"], row[f"{key}_hi"])


def display_table(df: pd.DataFrame) -> pd.DataFrame:
    """A sim table as the Markdown shows it: each number with its 95% interval, n."""
    out = pd.DataFrame({"policy": df["policy"]})
    out["expected_score [95% CI]"] = [_cell(r, "expected_score") for _, r in df.iterrows()]
    out["oracle_score"] = df["oracle_score"]
    out["oracle − policy [95% CI]"] = [_cell(r, "oracle_regret") for _, r in df.iterrows()]
    out["regret [95% CI]"] = [_cell(r, "regret") for _, r in df.iterrows()]
    out["expected_score_easy"] = df["expected_score_easy"]
    out["mc_score [95% CI]"] = [_cell(r, "mc") for _, r in df.iterrows()]
    out["mc_stderr"] = df["mc_stderr"]
    for c in ("skip_rate", "tokens_per_problem", "n_exams"):
        out[c] = df[c]
    return out


def sim_console_table(df: pd.DataFrame) -> str:
    """A sim table for the terminal: policy, n, expected Score, oracle − policy and Regret with
    their 95% intervals, and the Monte Carlo check with its interval."""
    header = [
        "policy",
        "n",
        "expected Score [95% CI]",
        "oracle − policy [95% CI]",
        "Regret [95% CI]",
        "MC Score [95% CI]",
    ]
    rows = [header] + [
        [r["policy"], str(int(r["n_exams"]))]
        + [_cell(r, k) for k in ("expected_score", "oracle_regret", "regret", "mc")]
        for _, r in df.iterrows()
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)


def sim_latex(df: pd.DataFrame, setting: str, prof, suite_hash: str, quick: str = "") -> str:
    """One sim table as LaTeX (booktabs), its caption stating n, the profile and the interval rule."""
    header = ["policy", "expected Score", "oracle − policy", "Regret", "MC Score", "skip rate", "tokens/problem"]
    rows = [
        [r["policy"]]
        + [_cell(r, k) for k in ("expected_score", "oracle_regret", "regret", "mc")]
        + [f"{r['skip_rate']:.3f}", f"{r['tokens_per_problem']:.0f}"]
        for _, r in df.iterrows()
    ]
    caption = (
        f"OSMCKP-Sim-v0, {setting_title(setting)}: {quick}simulator results, not model results "
        f"(profile {prof.label}{', SYNTHETIC' if prof.synthetic else ''}; suite hash {suite_hash}; "
        f"n = {int(df['n_exams'].iloc[0])} exams). Expected Score is exact (dynamic programming over the profile); "
        f"numbers as 'value [lower, upper]'. {SIM_INTERVAL_RULE}"
    )
    return latex_table(header, rows, caption=caption, label=f"tab:sim-{setting}")


def _title(prof, quick: str) -> str:
    kind = "SYNTHETIC profile" if prof.synthetic else "calibrated profile"
    return f"OSMCKP-Sim-v0, {prof.name} ({kind}): {quick}simulator results, not model results"


def _sim_caption(what: str, prof, tables: dict, settings: list[str], reward: str, quick: str, hidden: list[str]) -> str:
    n = sorted({int(tables[s]["n_exams"].iloc[0]) for s in settings})
    parts = [
        what,
        "",
        f"{quick}**Simulator results, not model results**: OSMCKP-Sim-v0 with the response profile "
        f"`{prof.name}` (hash `{prof.hash}`{', SYNTHETIC: not measured on any model' if prof.synthetic else ''}), "
        f"reward `{reward}`. Settings: {', '.join(setting_title(s) for s in settings)}; n = "
        f"{' / '.join(map(str, n))} exams per setting. Expected Scores are exact (dynamic programming over the "
        "profile); the oracle is the exact optimum on the same exams.",
        "",
        SIM_INTERVAL_RULE,
        "",
        "Numbers from `results.json` (`tables`) and the per-setting tables (`<setting>.csv`, `.md`, `.tex`) "
        "beside this file; suite hashes: "
        + ", ".join(f"{s} `{tables[s].attrs.get('suite_hash', '')}`" for s in settings)
        + ".",
    ]
    if hidden:
        parts += [
            "",
            f"Not drawn (at most {MAX_ENTRIES} entries a panel, the oracle one of them; in the tables): "
            f"{', '.join(hidden)}.",
        ]
    return "\n".join(parts)


def _sweep_lines(tables: dict, sweep: list[tuple[int, str]]) -> dict[str, list[dict]]:
    by_policy = [(b, tables[name].set_index("policy")) for b, name in sweep]
    lines = {}
    for policy in tables[sweep[0][1]]["policy"]:
        pts = []
        for b, df in by_policy:
            row = df.loc[policy]
            pts.append(
                {
                    "budget": b,
                    "score": float(row["expected_score"]),
                    "score_ci": (float(row["expected_score_lo"]), float(row["expected_score_hi"])),
                    "regret": float(row["regret"]),
                    "regret_ci": (float(row["regret_lo"]), float(row["regret_hi"])),
                    "gap": float(row["oracle_regret"]),
                    "gap_ci": (float(row["oracle_regret_lo"]), float(row["oracle_regret_hi"])),
                }
            )
        lines[policy] = pts
    return lines


def _sweep_plots(out_dir: Path, tables: dict, configs: dict, styles: dict, caption) -> list[str]:
    """Score, Regret and the gap to the oracle vs budget per order (a line per policy, the oracle
    dashed as the ceiling), where the tables hold an order at two budgets or more."""
    names = []
    for order in sorted({c.order for c in configs.values()}, key=lambda o: ORDER_RANK.get(o, 9)):
        sweep = sorted((c.budget, name) for name, c in configs.items() if c.order == order and name in tables)
        if len({b for b, _ in sweep}) < 2:
            continue
        lines = {k: v for k, v in _sweep_lines(tables, sweep).items() if k in styles}
        stem = f"sim_budget_sweep_{order}"
        what = (
            f"**{stem}**: for {setting_title(order)} exams, each policy's expected Score (correct answers per exam), "
            "its Regret ((S_easy − S) / S_easy, from expected scores on the same exams in easy-to-hard order) and its "
            "gap to the exact oracle (oracle − policy expected Score, where policies within a few hundredths on the "
            "Score axis stand apart) against the token budget (logarithmic axis, base 2), with 95% intervals; the "
            "oracle (exact optimum) dashed. Markers are shifted sideways a little so that equal values stay visible."
        )
        names += style.write_figure(
            out_dir,
            stem,
            lambda size, lines=lines, order=order: sweep_figure(
                lines, order, styles, size, title=caption["title"], score_axis=EXPECTED_SCORE_AXIS
            ),
            caption["text"](what, [n for _, n in sweep]),
        )
    return names


def _write_index(
    out_dir: Path, tables: dict, prof, reward: str, plots: bool, configs: dict, policy_order: list, quick: str
) -> list[str]:
    """README.md and the figures; returns the names of the files written."""
    lines = [
        "# osmckp sim leaderboard (OSMCKP-Sim-v0)" + (" — quick look" if quick else ""),
        "",
        f"{('**' + quick.rstrip(', ') + ': not the full benchmark.** ') if quick else ''}"
        f"**Simulator results, not model results.** Outcomes are drawn from the response profile "
        f"`{prof.name}` (hash `{prof.hash}`)"
        f"{' — a SYNTHETIC profile, not measured on any model' if prof.synthetic else ''}. "
        f"Reward: `{reward}`.",
        "",
        "- `expected_score`: exact expected correct answers per exam (dynamic programming over the profile).",
        "- `oracle_score`: the exact optimum for the same exams; `oracle − policy` = oracle − policy expected Score.",
        "- `regret`: the paper's Regret, (Score_easy − Score) / Score_easy, from expected scores.",
        "- `mc_score` ± `mc_stderr`: one simulated episode per exam through the env.",
        f"- {SIM_INTERVAL_RULE}",
        "- Each setting's table is also a CSV (with the interval ends) and a LaTeX table (`<setting>.tex`, booktabs).",
        "",
    ]
    for setting in sort_settings(tables):
        lines += [f"## {setting_title(setting)}", "", to_markdown(display_table(tables[setting])), ""]
    written = ["README.md"]
    if plots and tables:
        scores = {
            p: float(np.mean([float(df.set_index("policy").loc[p, "expected_score"]) for df in tables.values()]))
            for p in policy_order
            if p != "oracle"
        }
        shown, hidden = pick_entries(scores, MAX_ENTRIES - 1)  # the oracle is the sixth entry of each panel
        styles = entry_styles([p for p in policy_order if p in shown])
        settings = sort_settings(tables)
        caption = {
            "title": _title(prof, quick),
            "text": lambda what, these: _sim_caption(what, prof, tables, sort_settings(these), reward, quick, hidden),
        }
        bars_what = (
            "**sim_scores**: each policy's expected Score (correct answers per exam) with its 95% interval, a "
            "panel per order and a group of bars per token budget; the dashed segment over each group is the exact "
            "oracle's expected Score (the most any policy can score under the profile). A zero is drawn as the "
            "policy's marker on the axis."
        )
        names = style.write_figure(
            out_dir,
            "sim_scores",
            lambda size: policy_bars_figure(tables, styles, size, title=caption["title"]),
            caption["text"](bars_what, settings),
        )
        names += _sweep_plots(out_dir, tables, configs, {**styles, "oracle": {}}, caption)

        ppo = bundled_ppo_path()
        meta = ppo.with_suffix(".json") if ppo is not None else None
        if meta is not None and meta.is_file() and bundled_ppo_profile() == prof.name:
            import json

            m = json.loads(meta.read_text())
            seeds = bundled_ppo_seed_curves()
            names += style.write_figure(
                out_dir,
                "ppo_learning_curve",
                lambda size: learning_curve_figure(m, size, seeds=seeds),
                learning_curve_caption(m, seeds),
            )
        written += names
        lines += ["## Figures", "", FIGURES_NOTE, ""] + figure_index(names)
    write_text_atomic(out_dir / "README.md", "\n".join(lines) + "\n")
    return written
