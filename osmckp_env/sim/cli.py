"""``osmckp sim``: leaderboard, calibrate, train-ppo."""

from __future__ import annotations

import argparse
from pathlib import Path

from osmckp_env.exam.suites import SWEEP_BUDGETS
from osmckp_env.scoring.rewards import REWARD_KINDS
from osmckp_env.sim.calibrate import calibrate_file
from osmckp_env.sim.ppo import plot_learning_curve, train_ppo


def _leaderboard(args) -> int:
    from osmckp_env.sim.leaderboard import (  # deferred: pandas and matplotlib, only for this command
        default_out_dir,
        sim_leaderboard,
    )

    budgets = None if args.budgets == [0] else args.budgets
    variant = dict(n_exams=args.n_exams, budgets=budgets, reward=args.reward, seed=args.seed)
    out = args.out or default_out_dir(args.profile, **variant)
    tables = sim_leaderboard(
        out,
        profile=args.profile,
        budgets=budgets,
        n_exams=args.n_exams,
        seed=args.seed,
        reward=args.reward,
        progress=not args.quiet,
    )
    for setting, df in tables.items():
        best = df.iloc[0]
        print(f"{setting}: best {best['policy']} {best['expected_score']:.3f} (oracle {best['oracle_score']:.3f})")
    print(f"wrote {out}/README.md")
    return 0


def _calibrate(args) -> int:
    prof = calibrate_file(args.records, args.name)
    out = prof.save(args.out or f"{prof.name}.json")
    print(f"wrote {out}: profile {prof.name!r} with {len(prof.keys)} keys, hash {prof.hash}")
    return 0


def _train_ppo(args) -> int:
    meta = train_ppo(args.out, timesteps=args.timesteps, seed=args.seed, profile=args.profile, progress=not args.quiet)
    plot_learning_curve(meta, Path(args.out).with_suffix(".png"))
    last = meta["learning_curve"][-1][1] if meta["learning_curve"] else float("nan")
    print(f"wrote {args.out} ({args.timesteps} steps, final mean score {last:.3f})")
    return 0


def add_command(sub) -> None:
    p = sub.add_parser("sim", help="the numeric simulator: leaderboard, calibration, PPO")
    s = p.add_subparsers(dest="sim_cmd", required=True)
    lb = s.add_parser(
        "leaderboard",
        help="reference policies, PPO and the exact oracle on Medium/Hard, swept over budgets",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    lb.add_argument("--profile", default="synthetic-v0", help="bundled name or profile JSON")
    lb.add_argument(
        "--out",
        help="output folder (default: leaderboards/sim for the full default run of the bundled synthetic "
        "profile, leaderboards/sim/<profile name>/ for any other; a partial or changed run goes to a "
        "quick-look-... folder below it and never overwrites the full run)",
    )
    lb.add_argument(
        "--budgets",
        nargs="+",
        type=int,
        default=list(SWEEP_BUDGETS),
        metavar="B",
        help="budget sweep: every setting under each budget (the same default as `osmckp bench`; 0: the "
        "settings' own budgets, 512 and 1024)",
    )
    lb.add_argument("--n-exams", type=int, help="first N exams of each setting (a quick look, in its own folder)")
    lb.add_argument("--seed", type=int, default=0, help="seed of the Monte-Carlo episodes")
    lb.add_argument(
        "--reward",
        default="score",
        choices=[k for k in REWARD_KINDS if k != "regret"],  # the tables report regret against the oracle
        help="what the policies are scored on",
    )
    lb.add_argument("--quiet", action="store_true", help="no progress bar")
    lb.set_defaults(func=_leaderboard)
    c = s.add_parser("calibrate", help="build a response profile from runner records")
    c.add_argument("records", help="records.jsonl (or its run folder)")
    c.add_argument("--name", help="the profile's name (default: from the run folder)")
    c.add_argument("--out", help="profile JSON to write (default NAME.json)")
    c.set_defaults(func=_calibrate)
    t = s.add_parser("train-ppo", help="train PPO (stable-baselines3) on the sim")
    t.add_argument("--out", default="runs/ppo/ppo-synthetic-v0.zip", help="where to save the SB3 model (.zip)")
    t.add_argument("--timesteps", type=int, default=150_000, help="environment steps to train for")
    t.add_argument("--seed", type=int, default=0, help="training seed")
    t.add_argument("--profile", default="synthetic-v0", help="bundled profile name or profile JSON")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(func=_train_ppo)
