"""The sim leaderboard: reference policies, PPO and the exact oracle on the four settings."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from osmckp_env.exam.suites import MAIN_SETTINGS, get_suite, resolve_suite
from osmckp_env.leaderboard.tables import to_markdown
from osmckp_env.scoring.metrics import regret
from osmckp_env.sim.env import SimEnv
from osmckp_env.sim.policies import POLICIES, Oracle, SB3Policy, SimPolicy, make_policy
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

    from osmckp_env.sim.ppo import bundled_ppo_path

    path = bundled_ppo_path()
    meta = path.with_suffix(".json") if path is not None else None
    return json.loads(meta.read_text()).get("profile") if meta is not None and meta.is_file() else None


def default_policies(include_ppo: bool = True, reward: str = "score", profile: str | None = None) -> list[SimPolicy]:
    """The reference policies, the bundled PPO (named ``ppo[<its training profile>]`` when it is
    evaluated on another profile) and the exact oracle."""
    out = [make_policy(n) for n in POLICIES if n != "oracle"]
    if include_ppo:
        from osmckp_env.sim.ppo import bundled_ppo_path

        path = bundled_ppo_path()
        if path is not None:
            try:
                from osmckp_env.sim.ppo import load_ppo

                trained_on = bundled_ppo_profile()
                name = "ppo" if profile is None or trained_on == profile else f"ppo[{trained_on}]"
                out.append(SB3Policy(load_ppo(path), name))
            except ImportError:
                pass
    out.append(Oracle(reward))
    return out


def default_out_dir(profile, root: str | Path = "leaderboards/sim") -> Path:
    """Where a profile's sim leaderboard goes: the bundled synthetic profile's at ``root``, any
    other profile's in its own folder ``root/<profile name>/`` (never over the bundled results)."""
    prof = get_profile(profile)
    return Path(root) if prof.name == "synthetic-v0" else Path(root) / prof.name


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
    budgets: list[int] | tuple[int, ...] | None = None,
) -> dict[str, pd.DataFrame]:
    """Evaluate every policy on every setting; write Markdown/CSV/PNG under ``out_dir``.

    ``budgets`` sweeps the budget: each setting's exams under each budget (``medium-256``...),
    with a Score vs budget plot per order in which the exact oracle is the ceiling.
    """
    prof = get_profile(profile)
    policies = policies or default_policies(reward=reward, profile=prof.name)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tables, suite_hashes = {}, {}
    suites = []
    for setting in settings:
        base = get_suite(setting, n_exams=n_exams)
        suites += [base] if not budgets else [resolve_suite(base, budget=b) for b in budgets]
    suites = list({s.name: s for s in suites}.values())
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
        df.assign(
            profile=prof.name,
            profile_hash=prof.hash,
            synthetic=prof.synthetic,
            suite_hash=suite.hash,
            reward=reward,
            seed=seed,
        ).to_csv(out_dir / f"{setting}.csv", index=False)
        (out_dir / f"{setting}.md").write_text(
            f"# Sim {setting}: profile {prof.label}\n\n"
            f"{'SYNTHETIC profile: ' if prof.synthetic else ''}simulator results, not model results.\n\n"
            f"{to_markdown(df)}\n"
        )
        tables[setting] = df
        suite_hashes[setting] = suite.hash
    bar.close()
    _write_index(out_dir, tables, prof, reward, plots, {s.name: s.config for s in suites})
    _write_results(out_dir, tables, prof, reward, seed, n_exams, suite_hashes)
    return tables


def _write_results(out_dir: Path, tables: dict, prof, reward: str, seed: int, n_exams, suite_hashes: dict) -> None:
    import json

    from osmckp_env.results.io import json_safe, provenance

    doc = {
        "osmckp_sim_results": 1,
        "env_id": "OSMCKP-Sim-v0",
        **provenance(),
        "profile": {"name": prof.name, "hash": prof.hash, "synthetic": prof.synthetic},
        "reward": reward,
        "seed": seed,
        "n_exams": n_exams,
        "suite_hashes": suite_hashes,
        "tables": {k: df.to_dict(orient="records") for k, df in tables.items()},
    }
    (out_dir / "results.json").write_text(json.dumps(json_safe(doc), indent=1))


def _sweep_plots(out_dir: Path, tables: dict, configs: dict, prof) -> list[str]:
    """Score vs budget per order (a line per policy, the oracle dashed as the ceiling), where the
    tables hold an order at two budgets or more."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    for order in sorted({c.order for c in configs.values()}):
        sweep = sorted((c.budget, name) for name, c in configs.items() if c.order == order and name in tables)
        if len({b for b, _ in sweep}) < 2:
            continue
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
        budgets = [b for b, _ in sweep]
        for policy in tables[sweep[0][1]]["policy"]:
            rows = [tables[name].set_index("policy").loc[policy] for _, name in sweep]
            style = dict(color="k", ls="--", lw=2) if policy == "oracle" else dict(marker="o")
            axes[0].plot(budgets, [r["expected_score"] for r in rows], label=policy, **style)
            axes[1].plot(budgets, [r["regret"] for r in rows], label=policy, **style)
        for ax, what in zip(axes, ("expected Score", "Regret")):
            ax.set_xscale("log", base=2)
            ax.set_xticks(budgets, [str(b) for b in budgets])
            ax.minorticks_off()
            ax.set_xlabel("token budget")
            ax.set_title(f"{order.capitalize()}: {what} vs budget", fontsize=9)
        axes[1].axhline(0, color="black", lw=0.6)
        axes[0].legend(fontsize=7)
        fig.suptitle(f"OSMCKP-Sim-v0, profile {prof.label}: simulator results, not model results", fontsize=8)
        fig.tight_layout()
        name = f"sim_budget_sweep_{order}.png"
        fig.savefig(out_dir / name, dpi=100)
        plt.close(fig)
        names.append(name)
    return names


def _write_index(out_dir: Path, tables: dict, prof, reward: str, plots: bool, configs: dict | None = None) -> None:
    lines = [
        "# osmckp sim leaderboard (OSMCKP-Sim-v0)",
        "",
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
    for setting, df in tables.items():
        lines += [f"## {setting}", "", to_markdown(df), ""]
    if plots and tables:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, len(tables), figsize=(4 * len(tables), 4.2), squeeze=False)
        for ax, (setting, df) in zip(axes[0], tables.items()):
            ax.bar(df["policy"], df["expected_score"], color="tab:blue", label="policy")
            ax.axhline(float(df["oracle_score"].iloc[0]), color="k", ls="--", label="oracle")
            ax.set_title(setting)
            ax.tick_params(axis="x", rotation=45, labelsize=7)
        axes[0][0].set_ylabel("expected score")
        axes[0][0].legend(fontsize=7)
        fig.suptitle(
            f"OSMCKP-Sim-v0, profile {prof.label}"
            f"{': SYNTHETIC, ' if prof.synthetic else ': '}simulator results, not model results",
            fontsize=9,
        )
        fig.tight_layout()
        fig.savefig(out_dir / "sim_scores.png", dpi=100)
        plt.close(fig)
        lines.append("![sim scores](sim_scores.png)")
        lines += [f"![{n}]({n})" for n in _sweep_plots(out_dir, tables, configs or {}, prof)]
        from osmckp_env.sim.ppo import bundled_ppo_path

        ppo = bundled_ppo_path()
        meta = ppo.with_suffix(".json") if ppo is not None else None
        if meta is not None and meta.is_file() and bundled_ppo_profile() == prof.name:
            import json

            from osmckp_env.sim.ppo import plot_learning_curve

            plot_learning_curve(json.loads(meta.read_text()), out_dir / "ppo_learning_curve.png")
            lines.append("![PPO learning curve](ppo_learning_curve.png)")
    (out_dir / "README.md").write_text("\n".join(lines) + "\n")
