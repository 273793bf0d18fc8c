"""The sim leaderboard: reference policies, PPO and the exact oracle on the four settings."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from osmckp_env.exam.suites import MAIN_SETTINGS, SWEEP_BUDGETS, get_suite, resolve_suite
from osmckp_env.leaderboard import plots as figures
from osmckp_env.leaderboard.naming import ORDER_RANK, setting_title, sort_settings
from osmckp_env.leaderboard.plots import entry_styles, learning_curve_figure, policy_bars_figure, sweep_figure
from osmckp_env.leaderboard.tables import to_markdown
from osmckp_env.results.io import LEADERBOARD_OUT, provenance, write_results, write_text_atomic
from osmckp_env.scoring.metrics import regret
from osmckp_env.sim.env import SimEnv
from osmckp_env.sim.policies import POLICIES, Oracle, SB3Policy, SimPolicy, make_policy
from osmckp_env.sim.ppo import bundled_ppo_path, load_ppo
from osmckp_env.sim.profiles import get_profile

COLUMNS = [
    "policy",
    "expected_score",
    "oracle_score",
    "oracle_regret",
    "regret",
    "expected_score_easy",
    "mc_score",
    "mc_stderr",
    "skip_rate",
    "tokens_per_problem",
    "n_exams",
]


def _expected(policy: SimPolicy, views: list, reward: str, cache: dict) -> float:
    """Mean exact expected reward over exams; exams with the same signature are solved once."""
    vals = []
    for v in views:
        key = (id(policy), v.signature)
        if key not in cache:
            cache[key] = policy.expected(v, reward)
        vals.append(cache[key])
    return float(np.mean(vals))


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
    return {
        "mc_score": float(s.mean()),
        "mc_stderr": float(s.std(ddof=1) / math.sqrt(len(s))) if len(s) > 1 else 0.0,
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
        oracle_score = _expected(Oracle(reward), views, reward, cache)
        rows = []
        for pol in policies:
            bar.set_postfix(setting=setting, policy=pol.name)
            exp = _expected(pol, views, reward, cache)
            exp_easy = _expected(pol, views_easy, reward, cache)
            mc = _monte_carlo(pol, env, suite, seed)
            rows.append(
                {
                    "policy": pol.name,
                    "expected_score": exp,
                    "oracle_score": oracle_score,
                    "oracle_regret": oracle_score - exp,
                    "regret": regret(exp, exp_easy),
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
            f"{to_markdown(df)}\n",
        )
        tables[setting] = df
        suite_hashes[setting] = suite.hash
    bar.close()
    files = [f"{s}.{ext}" for s in tables for ext in ("csv", "md")]
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


def _sweep_plots(out_dir: Path, tables: dict, configs: dict, styles: dict, title: str) -> list[str]:
    """Score vs budget per order (a line per policy, the oracle dashed as the ceiling), where the
    tables hold an order at two budgets or more."""
    names = []
    for order in sorted({c.order for c in configs.values()}, key=lambda o: ORDER_RANK.get(o, 9)):
        sweep = sorted((c.budget, name) for name, c in configs.items() if c.order == order and name in tables)
        if len({b for b, _ in sweep}) < 2:
            continue
        by_policy = [(b, tables[name].set_index("policy")) for b, name in sweep]
        lines = {
            policy: [
                (b, float(df.loc[policy, "expected_score"]), float(df.loc[policy, "regret"])) for b, df in by_policy
            ]
            for policy in tables[sweep[0][1]]["policy"]
        }
        name = f"sim_budget_sweep_{order}.png"
        names.append(figures.save_figure(sweep_figure(lines, order, styles, title=title), out_dir, name))
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
        "- `oracle_score`: the exact optimum for the same exams; `oracle_regret` = oracle − policy.",
        "- `regret`: the paper's Regret, (Score_easy − Score) / Score_easy, from expected scores.",
        "- `mc_score` ± `mc_stderr`: one simulated episode per exam through the env.",
        "",
    ]
    for setting in sort_settings(tables):
        lines += [f"## {setting_title(setting)}", "", to_markdown(tables[setting]), ""]
    written = ["README.md"]
    if plots and tables:
        styles = entry_styles([p for p in policy_order if p != "oracle"])
        title = f"OSMCKP-Sim-v0, profile {prof.label}: {quick}simulator results, not model results"
        written.append(figures.save_figure(policy_bars_figure(tables, styles, title=title), out_dir, "sim_scores.png"))
        lines.append("![sim scores](sim_scores.png)")
        sweeps = _sweep_plots(out_dir, tables, configs, {**styles, "oracle": {}}, title)
        written += sweeps
        lines += [f"![{n}]({n})" for n in sweeps]

        ppo = bundled_ppo_path()
        meta = ppo.with_suffix(".json") if ppo is not None else None
        if meta is not None and meta.is_file() and bundled_ppo_profile() == prof.name:
            import json

            fig = learning_curve_figure(json.loads(meta.read_text()))
            written.append(figures.save_figure(fig, out_dir, "ppo_learning_curve.png"))
            lines.append("![PPO learning curve](ppo_learning_curve.png)")
    write_text_atomic(out_dir / "README.md", "\n".join(lines) + "\n")
    return written
