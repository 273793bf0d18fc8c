"""``osmckp bench``: the default benchmark on bundled data, no GPU, no download.

Runs the sim leaderboard (reference policies, bundled PPO, exact oracle on Medium and Hard under
the budgets 256, 512, 1024 and 2048, with Score/Regret vs budget curves) and rebuilds the text
leaderboard from any runs present.
"""

from __future__ import annotations

from pathlib import Path

from osmckp_env.results.io import LEADERBOARD_OUT
from osmckp_env.sim.cli import add_sweep_flags, sweep_budgets
from osmckp_env.sim.profiles import get_profile


def _bench(args) -> int:
    from osmckp_env.leaderboard import build_leaderboard  # deferred: pandas and matplotlib, only for this command
    from osmckp_env.sim.leaderboard import (  # deferred: pandas and matplotlib, only for this command
        SIM_INTERVAL_RULE,
        default_out_dir,
        sim_console_table,
        sim_leaderboard,
    )

    prof = get_profile(args.profile)
    print(f"[osmckp bench] OSMCKP-Sim-v0 with profile {prof.label}: SIMULATOR results, not model results.")
    budgets = sweep_budgets(args)
    sim_out = default_out_dir(prof, Path(args.out) / "sim", n_exams=args.n_exams, budgets=budgets)
    tables = sim_leaderboard(sim_out, profile=prof, n_exams=args.n_exams, progress=not args.quiet, budgets=budgets)
    for setting, df in tables.items():
        print(f"\n== {setting} (sim, {prof.name}; n = {int(df['n_exams'].iloc[0])} exams) ==")
        print(sim_console_table(df))
    print(f"\n{SIM_INTERVAL_RULE}")
    out = build_leaderboard(args.runs, args.out, reported=args.reported, plots=True)
    print_leaderboard(out)
    n_text = sum(len(df) for df in out["settings"].values())
    print(
        f"\nwrote {sim_out}/README.md (sim) and {args.out}/README.md ({n_text} measured text-env entries "
        f"from {args.runs}/; add some with `osmckp run SPEC`)"
    )
    if args.out == LEADERBOARD_OUT:
        print("(the committed leaderboards/ are left as they are: `osmckp bench --out leaderboards` refreshes them)")
    return 0


def print_leaderboard(out: dict) -> None:
    """The model leaderboard's tables as ``build_leaderboard`` returned them: per setting, each
    entry's n and its Score and Regret with their 95% intervals (trial runs apart)."""
    from osmckp_env.leaderboard.tables import console_table  # deferred: pandas, only for this command

    for kind, tables in (("", out["settings"]), (" (trial: first n exams, not ranked)", out["trials"])):
        for setting, df in tables.items():
            print(f"\n== {setting}{kind} ==")
            print(console_table(df))


def add_command(sub) -> None:
    p = sub.add_parser("bench", help="the default benchmark: sim leaderboard (+ text leaderboard from runs/)")
    p.add_argument("--profile", default="synthetic-v0", help="sim response profile: bundled name or JSON")
    p.add_argument(
        "--out",
        default=LEADERBOARD_OUT,
        help="leaderboard folder (the sim's goes to OUT/sim); the default is inside runs/, which git ignores: "
        "--out leaderboards refreshes the committed leaderboards",
    )
    p.add_argument("--runs", default="runs", help="where the text-env results.json files are")
    p.add_argument("--reported", default="leaderboards/reported.yaml", help="the paper's reported numbers")
    add_sweep_flags(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_bench)
