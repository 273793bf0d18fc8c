"""``osmckp sim``: leaderboard, calibrate, train-ppo."""

from __future__ import annotations

from pathlib import Path

from osmckp_env.exam.suites import SWEEP_BUDGETS, parse_budgets
from osmckp_env.results.io import LEADERBOARD_OUT
from osmckp_env.scoring.rewards import REWARD_KINDS
from osmckp_env.sim.calibrate import calibrate_file
from osmckp_env.sim.policies import SB3Policy
from osmckp_env.sim.ppo import default_ppo_path, load_ppo, plot_learning_curve, train_ppo
from osmckp_env.sim.profiles import get_profile


def _leaderboard(args) -> int:
    from osmckp_env.sim import leaderboard as lb  # deferred: pandas and matplotlib, only for this command

    budgets = sweep_budgets(args)
    ppo = [Path(p) for p in args.ppo or []]
    variant = dict(n_exams=args.n_exams, budgets=budgets, reward=args.reward, seed=args.seed, ppo=ppo)
    out = args.out or lb.default_out_dir(args.profile, **variant)
    policies = None
    if ppo:
        policies = lb.default_policies(reward=args.reward, profile=get_profile(args.profile).name)
        policies[-1:-1] = [SB3Policy(load_ppo(p), p.stem) for p in ppo]  # before the oracle
    tables = lb.sim_leaderboard(
        out,
        policies=policies,
        profile=args.profile,
        budgets=budgets,
        n_exams=args.n_exams,
        seed=args.seed,
        reward=args.reward,
        progress=not args.quiet,
    )
    for setting, df in tables.items():
        print(f"{setting}: {best_policy_line(df, args.reward)}")
    print(f"wrote {out}/README.md")
    return 0


def best_policy_line(df, reward: str = "score") -> str:
    """What a sim table's top says: the best policy other than the exact oracle, its expected Score
    and how close it comes to the oracle's (the most any policy can score under this profile)."""
    rows = df[df["policy"] != "oracle"]
    best = (rows if len(rows) else df).iloc[0]
    ceiling = float(best["oracle_score"])
    share = f", {100 * best['expected_score'] / ceiling:.0f}% of it" if ceiling > 0 else ""
    return (
        f"best policy {best['policy']}: expected {'Score' if reward == 'score' else reward + ' reward'} "
        f"{best['expected_score']:.3f} per exam; the exact oracle "
        f"(the most any policy can score here) {ceiling:.3f}{share}"
    )


def _calibrate(args) -> int:
    prof = calibrate_file(args.records, args.name)
    out = prof.save(args.out or f"{prof.name}.json")
    print(f"wrote {out}: profile {prof.name!r} with {len(prof.keys)} keys, hash {prof.hash}")
    return 0


def _train_ppo(args) -> int:
    out = Path(args.out or default_ppo_path(args.profile, args.seed))
    meta = train_ppo(out, timesteps=args.timesteps, seed=args.seed, profile=args.profile, progress=not args.quiet)
    figs = plot_learning_curve(meta, out)
    last = meta["learning_curve"][-1][1] if meta["learning_curve"] else float("nan")
    print(f"wrote {out} ({args.timesteps} steps, final mean score {last:.3f}) and its learning curve "
          f"({', '.join(figs)}); rank it with `osmckp sim leaderboard --ppo {out}`")  # fmt: skip
    return 0


def add_sweep_flags(parser) -> None:
    """``--budgets`` and ``--n-exams`` of a sim leaderboard, one definition for `osmckp sim
    leaderboard` and `osmckp bench` (so their defaults agree)."""
    parser.add_argument(
        "--budgets",
        nargs="+",
        type=int,
        default=list(SWEEP_BUDGETS),
        metavar="B",
        help="sim budget sweep, every setting under each budget: the ROI curves; 0 stands for the settings' own "
        "budgets (512 and 1024): --budgets 0 for those alone, --budgets 0 2048 adds 2048",
    )
    parser.add_argument(
        "--n-exams", type=int, help="first N exams of each setting (a quick look, written to a folder of its own)"
    )


def sweep_budgets(args) -> list[int | None] | None:
    """The budgets ``add_sweep_flags`` parsed (``parse_budgets``: 0 is the settings' own budgets;
    ``None`` for ``--budgets 0`` alone)."""
    return parse_budgets(args.budgets)


def add_command(sub) -> None:
    p = sub.add_parser("sim", help="the numeric simulator: leaderboard, calibration, PPO")
    s = p.add_subparsers(dest="sim_cmd", required=True)
    lb = s.add_parser(
        "leaderboard",
        help="reference policies, PPO and the exact oracle on Medium/Hard, swept over budgets",
    )
    lb.add_argument("--profile", default="synthetic-v0", help="bundled name or profile JSON")
    lb.add_argument(
        "--out",
        help=f"output folder (default: {LEADERBOARD_OUT}/sim for the full default run of the bundled synthetic "
        f"profile, {LEADERBOARD_OUT}/sim/<profile name>/ for any other; a partial or changed run goes to a "
        "quick-look-... or custom-... folder below it and never overwrites the full run; inside runs/, which "
        "git ignores: --out leaderboards/sim refreshes the committed tables)",
    )
    add_sweep_flags(lb)
    lb.add_argument("--seed", type=int, default=0, help="seed of the Monte-Carlo episodes")
    lb.add_argument(
        "--reward",
        default="score",
        choices=[k for k in REWARD_KINDS if k != "regret"],  # the tables report regret against the oracle
        help="what the policies are scored on",
    )
    lb.add_argument(
        "--ppo",
        action="append",
        metavar="PATH",
        help="add a PPO model trained with `osmckp sim train-ppo` (repeatable; named after its file; the run "
        "then goes to a folder of its own)",
    )
    lb.add_argument("--quiet", action="store_true", help="no progress bar")
    lb.set_defaults(func=_leaderboard)
    c = s.add_parser("calibrate", help="build a response profile from runner records")
    c.add_argument("records", help="records.jsonl (or its run folder)")
    c.add_argument("--name", help="the profile's name (default: from the run folder)")
    c.add_argument("--out", help="profile JSON to write (default NAME.json)")
    c.set_defaults(func=_calibrate)
    t = s.add_parser("train-ppo", help="train PPO (stable-baselines3) on the sim")
    t.add_argument("--out", help="where to save the SB3 model (.zip) (default: runs/ppo/ppo-<profile>-seed<seed>.zip)")
    t.add_argument("--timesteps", type=int, default=150_000, help="environment steps to train for")
    t.add_argument("--seed", type=int, default=0, help="training seed")
    t.add_argument("--profile", default="synthetic-v0", help="bundled profile name or profile JSON")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(func=_train_ppo)
