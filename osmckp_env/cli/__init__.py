"""The ``osmckp`` command line (the top layer): suites, run, leaderboard, validate, sim, train, bench."""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

import osmckp_env
from osmckp_env.cli import bench
from osmckp_env.exam.pools import rg as rg_pool
from osmckp_env.exam.suites import MAIN_SETTINGS, get_suite, list_suites, parse_budgets, resolve_suite
from osmckp_env.results.io import LEADERBOARD_OUT
from osmckp_env.runner.compare import compare_results
from osmckp_env.runner.run import rerun_results, run_spec
from osmckp_env.runner.spec import load_spec
from osmckp_env.runner.validate import validate_results
from osmckp_env.scoring.format_report import format_line
from osmckp_env.scoring.metrics import REGRET_UNDEFINED, regret_defined
from osmckp_env.scoring.stats import IntervalConfig
from osmckp_env.sim import cli as sim_cli
from osmckp_env.training import cli as train_cli


def _rg_line() -> str:
    try:
        names = rg_pool.datasets()
    except ImportError:
        return "  rg-<dataset>-<order>-<B>: a reasoning-gym dataset (pip install 'osmckp[rg]' to list them)"
    return textwrap.fill(
        f"rg-<dataset>-<order>-<B>: a reasoning-gym dataset ({rg_pool.version()}), any of: {', '.join(names)}",
        width=110,
        initial_indent="  ",
        subsequent_indent="    ",
    )


def _cmd_suites(args) -> int:
    if args.export:
        s = get_suite(args.export, n_exams=args.n_exams, seed=args.seed)
        path = s.to_jsonl(args.out or f"{s.name}.jsonl")
        print(f"wrote {path} ({len(s)} exams, hash {s.hash})")
        return 0
    print(f"{'suite':<18}{'order':<8}{'budget':>7}{'exams':>7}  hash")
    for r in list_suites():
        print(f"{r['name']:<18}{r['order']:<8}{r['budget']:>7}{r['n_exams']:>7}  {r['hash']}")
    print(
        "Any order (medium, hard, easy) and budget B: <order>-<B>, train-<order>-<B> (the training pools); "
        "procedural suites:\n  arith-<order>-<B>: the arithmetic pool (digits, terms, operations per tier)"
    )
    print(_rg_line())
    print(
        "  Another seed (--seed with --export), other knobs, tiers or problems per exam: SuiteConfig(pool=...) "
        "(README: Procedural suites)"
    )
    return 0


EXIT_INCOMPLETE = 3  # `osmckp run`: some exams' backend calls failed after retries (errors, not scores)
EXIT_NOT_INSTALLED = 4  # `osmckp validate SPEC`: a valid spec whose backend's extra is not installed here


def _print_results(results: list[dict]) -> int:
    """Print each run's headline; the exit code: 0, or ``EXIT_INCOMPLETE`` if any run has failed
    backend calls (the count and the first error are printed)."""
    code = 0
    for r in results:
        m = {k: (float("nan") if v is None else v) for k, v in r["metrics"].items()}
        folder = Path(r["_path"]).parent
        reg = f"{m.get('regret', float('nan')):.3f}" if regret_defined(r["metrics"]) else REGRET_UNDEFINED
        title = f"{r['spec']['name']} {r['suite']['name']}{' (trial)' if r['suite'].get('trial') else ''}"
        n_err = int(r.get("backend_errors") or 0)
        scored = bool(r["metrics"].get("n_exams"))
        if scored:
            head = (
                f"Score {m['score']:.3f}  Regret {reg}  skip {m['skip_rate']:.2f}  "
                f"tokens/problem {m['tokens_per_problem']:.0f}  grader failures {m['grader_failures']}"
            )
        else:
            every = n_err and n_err == r.get("n_records")
            head = "no Score: " + ("every backend call failed, nothing was scored" if every else "no exam was scored")
        print(f"{title}: {head}\n  wrote {folder / 'records.jsonl'} and {folder / 'results.json'}")
        fmt = r.get("format")
        if fmt and scored:
            print(f"  {format_line(fmt)}")
            if fmt.get("warning"):
                print(f"  WARNING: {fmt['warning']}", file=sys.stderr)
        if n_err:
            code = EXIT_INCOMPLETE
            rest = "the Score above covers the rest" if scored else "so there is no Score"
            print(
                f"  INCOMPLETE: {n_err} of {r.get('n_records', '?')} exam records failed in the backend (not scored; "
                f"{rest}). First error: {r.get('first_backend_error')}\n"
                f"  fix the backend, then: osmckp run {folder / 'results.json'} --retry-errors",
                file=sys.stderr,
            )
    return code


def _cmd_run(args) -> int:
    kw = dict(overwrite=args.overwrite, progress=not args.quiet, retry_errors=args.retry_errors)
    if args.spec.endswith(".json"):
        given = [
            f
            for f, v in (
                ("--suite", args.suite),
                ("--n-exams", args.n_exams),
                ("--out", args.out),
                ("--budgets", args.budgets),
            )
            if v is not None
        ]
        if given:
            raise ValueError(
                f"a results file re-runs exactly its own run (suite, exam count, folder); drop {', '.join(given)} "
                "or run its spec file instead"
            )
        res = rerun_results(args.spec, **kw)
        res["_path"] = str(Path(args.spec))
        return _print_results([res])
    spec = load_spec(args.spec)
    suites = args.suite or list(MAIN_SETTINGS)
    budgets = parse_budgets(args.budgets)
    for s in suites:
        for b in budgets or [None]:
            resolve_suite(s, budget=b)  # every suite name, file and budget is checked before anything runs
    return _print_results(run_spec(spec, suites, args.out or "runs", n_exams=args.n_exams, budgets=budgets, **kw))


def _cmd_compare(args) -> int:
    cfg = IntervalConfig(resamples=args.resamples, seed=args.seed, level=args.level)
    out = compare_results(args.a, args.b, cfg)
    pct = int(round(100 * args.level))
    for w in out["warnings"]:
        print(f"WARNING: {w}", file=sys.stderr)
    print(f"{out['a']} vs {out['b']} on {out['suite']} ({out['n_exams']} exams, suite {out['suite_hash']})")
    for key, name in (("score", "ΔScore"), ("regret", "ΔRegret")):
        if key not in out:
            continue
        d = out[key]
        ci = "n/a" if None in d["ci"] else f"[{d['ci'][0]:+.3f}, {d['ci'][1]:+.3f}]"
        p = d.get("p_value")
        p = "n/a" if p is None else f"< {1 / args.resamples:.4f}" if p == 0 else f"{p:.4f}"
        print(f"  {name} (A − B) = {d['delta']:+.3f}  {pct}% CI {ci}  bootstrap p = {p}")
    d = out["score"]
    verdict = "distinguishable from zero" if d["distinguishable"] else "NOT distinguishable from zero"
    print(f"The Score difference is {verdict} at the {pct}% level.")
    return 0


def _cmd_leaderboard(args) -> int:
    from osmckp_env.leaderboard import build_leaderboard  # deferred: pandas and matplotlib, only for this command

    if not Path(args.runs).is_dir():
        raise FileNotFoundError(f"--runs {args.runs}: no such folder; give the folder `osmckp run --out` wrote to")
    out = build_leaderboard(args.runs, args.out, reported=args.reported, plots=not args.no_plots)
    bench.print_leaderboard(out)
    for p in out["skipped"]:
        print(f"skipped: {p}", file=sys.stderr)
    print(f"wrote {args.out}/README.md")
    return 0


def _cmd_validate(args) -> int:
    path = Path(args.path)
    if path.suffix in (".yaml", ".yml", ".toml"):
        spec = load_spec(path)
        problems, missing = spec.preflight()  # the checks `osmckp run` makes before anything starts
        if problems:
            print(f"{path}: spec {spec.name!r} would fail at run time:")
            for p in problems + missing:
                print(f"  - {p}")
            return 1
        print(
            f"{path}: valid spec {spec.name!r} (agent {spec.agent}, backend {spec.backend}, spec hash "
            f"{spec.config_hash}: its results files carry it as spec_hash)",
            flush=True,
        )
        if missing:
            for m in missing:
                print(f"WARNING: not runnable on this machine: {m}", file=sys.stderr)
            return EXIT_NOT_INSTALLED
        return 0

    if path.is_dir():
        path = path / "results.json"
    issues = validate_results(path, regrade=not args.no_regrade)
    if issues:
        print(f"{path}: {len(issues)} disagreement(s)")
        for i in issues[:50]:
            print(f"  - {i}")
        return 1
    print(f"{path}: consistent (suite hash, records, metrics{', grades' if not args.no_regrade else ''})")
    return 0


class HelpFormatter(argparse.HelpFormatter):
    """``--help`` shows each option's default (where it has one and its help does not say it)."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        if (
            "(default" in text
            or default is None
            or default is False
            or default == argparse.SUPPRESS
            or not action.option_strings
            or isinstance(action, argparse._HelpAction)
        ):
            return text
        shown = " ".join(map(str, default)) if isinstance(default, (list, tuple)) else "%(default)s"
        return f"{text} (default: {shown})"


def _with_defaults(parser: argparse.ArgumentParser) -> None:
    """Every (sub)command's ``--help`` shows defaults and opens with a description: its own, else
    the one-line help its parent lists it with."""
    parser.formatter_class = HelpFormatter
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            listed = {a.dest: a.help for a in action._choices_actions}
            for name, child in action.choices.items():
                if not child.description and listed.get(name):
                    text = listed[name]
                    child.description = text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")
                _with_defaults(child)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="osmckp", description="Budgeted multi-problem reasoning benchmark (OS-MCKP).")
    p.add_argument("--version", action="version", version=f"osmckp {osmckp_env.__version__}")
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("suites", help="list the named suites with sizes and hashes, or export one")
    s.add_argument("--export", metavar="SUITE", help="write this suite as JSONL")
    s.add_argument("--n-exams", type=int, help="with --export: only the first N exams")
    s.add_argument("--seed", type=int, default=0, help="with --export: the suite seed (other than 0: other exams)")
    s.add_argument("--out", help="with --export: the file to write (default SUITE.jsonl)")
    s.set_defaults(func=_cmd_suites)

    r = sub.add_parser(
        "run",
        help="evaluate an agent spec on suites (resumable)",
        description="Evaluate an agent spec on suites (resumable). Exit status: 0 done; 2 bad spec, suite or "
        "arguments (nothing written); 3 incomplete: some exams' backend calls failed after retries "
        "(errors, not scores; re-run with --retry-errors).",
    )
    r.add_argument(
        "spec",
        help="agent spec (.yaml/.toml), or a results.json: re-runs (or resumes) exactly that run, "
        "with its suite, exam count and folder",
    )
    r.add_argument(
        "--suite",
        nargs="+",
        help="named suites and/or suite .jsonl files (osmckp suites --export); default: "
        "medium-1024 medium-512 hard-1024 hard-512",
    )
    r.add_argument("--n-exams", type=int, help="first N exams of each suite: a trial run, listed apart from full runs")
    r.add_argument(
        "--budgets",
        nargs="+",
        type=int,
        metavar="B",
        help="budget sweep: run each suite's exams under each of these budgets (each its own folder and hash); "
        "0 stands for the suite's own budget: --budgets 0 2048 runs it as named and under 2048",
    )
    r.add_argument("--out", help="output root (default: runs/); a run goes to OUT/<spec name>/<suite>/")
    r.add_argument("--overwrite", action="store_true", help="start over if the folder holds another config")
    r.add_argument("--retry-errors", action="store_true", help="re-run exams whose backend call failed")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=_cmd_run)

    lb = sub.add_parser("leaderboard", help="collect results into tables and plots")
    lb.add_argument("--runs", default="runs", help="where to look for results.json files (recursively)")
    lb.add_argument(
        "--out",
        default=LEADERBOARD_OUT,
        help="where to write README.md, per-setting tables and plots (the default is inside runs/, which git "
        "ignores: --out leaderboards refreshes the committed leaderboard)",
    )
    lb.add_argument(
        "--reported", default="leaderboards/reported.yaml", help="the paper's reported numbers (shown apart)"
    )
    lb.add_argument("--no-plots", action="store_true", help="tables only")
    lb.set_defaults(func=_cmd_leaderboard)

    c = sub.add_parser(
        "compare", help="paired comparison of two runs on the same suite: ΔScore, ΔRegret, intervals, p-values"
    )
    c.add_argument("a", help="results.json (or run folder) of agent A")
    c.add_argument("b", help="results.json (or run folder) of agent B, on the same suite")
    c.add_argument("--level", type=float, default=0.95, help="interval level (default 0.95)")
    c.add_argument("--resamples", type=int, default=2000, help="bootstrap resamples (default 2000)")
    c.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    c.set_defaults(func=_cmd_compare)

    v = sub.add_parser(
        "validate",
        help="check a spec (fields, agent import, backend extra, checkpoint path), or re-derive a results "
        "file from its records",
        description="Check a spec with every check `osmckp run` makes before any model loads (fields, agent "
        "import and agent_args, backend_args names and values, scripted replies, checkpoint paths, the "
        "backend's extra), or re-derive a results file from its records and the suite it ran on. Exit status: "
        "0 valid spec / consistent results; 1 the spec would fail at run time / the results disagree; 2 an "
        f"unreadable spec or file; {EXIT_NOT_INSTALLED} a valid spec whose backend's extra is not installed on "
        "this machine (a warning gives the pip install line; e.g. vllm on a CPU laptop).",
    )
    v.add_argument("path", help="a spec (.yaml/.toml), a results.json, or a run folder")
    v.add_argument("--no-regrade", action="store_true", help="skip re-grading the answers (faster)")
    v.set_defaults(func=_cmd_validate)

    for module in (sim_cli, train_cli, bench):
        module.add_command(sub)
    _with_defaults(p)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        hint = {
            "run": "every finished exam is saved in its records.jsonl: run the same command again to resume",
            "train": "samples and checkpoints are kept: run the same command again (mft, rarl: with --resume)",
        }.get(args.cmd, "nothing half-written was kept")
        print(f"\nosmckp {args.cmd}: interrupted; {hint}", file=sys.stderr)
        return 130
    except (ValueError, KeyError, FileNotFoundError, FileExistsError, ImportError, RuntimeError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"osmckp {args.cmd}: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
