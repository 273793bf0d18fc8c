"""Mutation testing of osmckp's pure core with mutmut 3 (outside CI).

    pip install "mutmut==3.8.1" && python benchmarks/mutation/run.py [--max-children N]

Why mutmut: its mutants are switched on by a trampoline in one copied tree, and each mutant runs
only the tests that cover the mutated function, forked from one warm pytest process, so ~300
mutants of the core take minutes on 2 cores; cosmic-ray runs a full test command per mutant
(hours at this suite's start-up cost).

The project is copied (git's tracked files) to a scratch folder, mutmut's config is written
there (the files it mutates: ``CORE``; the tests it runs: ``TESTS``), ``mutmut run`` runs there,
and ``benchmarks/mutation/RESULTS.md`` gets the counts and every surviving mutant with the
reason written in ``SURVIVORS.md`` next to this script (equivalent, or the test that should
exist), or "unexplained" for a new one. ``--update DIR`` (a folder kept with ``--keep``) brings
such a run up to date: mutmut keys each verdict on its function's hash, so the mutants of changed
or new functions are tested, and the earlier survivors are retested against the current tests.
Killed mutants of unchanged functions keep their verdict: valid while tests are only added; after
removing or weakening tests, run from scratch.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CORE = [
    "osmckp_env/grading/parse.py",  # parsing (segments, headers, thinking)
    "osmckp_env/grading/extract.py",  # extraction (boxes, the final answer, skips)
    "osmckp_env/exam/tokenization.py",  # the budget cut
    "osmckp_env/grading/record.py",  # record building
    "osmckp_env/scoring/metrics.py",  # metrics and intervals
    "osmckp_env/scoring/stats.py",  # the bootstrap
    "osmckp_env/scoring/rewards.py",  # the reward table
    "osmckp_env/exam/levels.py",  # level bins
    "osmckp_env/sim/oracle.py",  # the oracle
    "osmckp_env/exam/knapsack.py",  # the knapsack rule
]
TESTS = [
    "tests/grading/test_parse.py",
    "tests/grading/test_extract.py",
    "tests/grading/test_thinking.py",
    "tests/grading/test_record.py",
    "tests/grading/test_backend_counts.py",
    "tests/grading/test_pool_verifiers.py",
    "tests/exam/test_tokenization.py",
    "tests/exam/test_truncate_prefix.py",
    "tests/exam/test_levels.py",
    "tests/exam/test_knapsack.py",
    "tests/scoring/",
    "tests/sim/test_oracle.py",
    "tests/envs/test_exam.py",
    "tests/envs/test_regret.py",
    "tests/runner/test_citable.py",
]
# Not mutated: the text of error messages (a `raise` statement's message; that the error is raised,
# its condition, is mutated as any other line) and log lines. A mutant there changes what a user
# reads, not what is scored; the tests check messages where they matter with `match=`.
DO_NOT_MUTATE = [r"^\s*raise \w+\(", r"^\s*(?:logger|logging)\.\w+\(", r"^\s*warnings\.warn\("]


def _config() -> str:
    q = lambda xs: "[" + ", ".join(json.dumps(x) for x in xs) + "]"  # noqa: E731
    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["osmckp_env"]\n'
        f"only_mutate = {q(CORE)}\n"
        f"pytest_add_cli_args_test_selection = {q(TESTS)}\n"
        f"do_not_mutate_patterns = {q(DO_NOT_MUTATE)}\n"
        'pytest_add_cli_args = ["-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]\n'
    )


def _copy_project(dest: Path) -> None:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for f in files:
        src = ROOT / f
        if src.is_file():
            (dest / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / f)
    with open(dest / "pyproject.toml", "a", encoding="utf-8") as fh:
        fh.write(_config())


def _survivor_notes() -> dict[str, str]:
    notes = {}
    path = HERE / "SURVIVORS.md"
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            m = re.match(r"^- `([^`]+)`: (.+)$", line)
            if m:
                notes[m.group(1)] = m.group(2)
    return notes


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-children", type=int, default=2, help="mutants run in parallel (default 2)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder (prints its path)")
    ap.add_argument(
        "--update",
        metavar="DIR",
        help="a scratch folder kept by an earlier run (--keep): copy the current project over it, test the "
        "mutants of every function changed since (mutmut keys its verdicts on each function's hash), then "
        "rerun the mutants that survived there against the current tests",
    )
    args = ap.parse_args()
    work = Path(args.update) if args.update else Path(tempfile.mkdtemp(prefix="osmckp-mutation-"))
    t0 = time.perf_counter()
    try:
        if args.update and not (work / "mutants").is_dir():
            print(f"{work} holds no mutmut run: give a folder that run.py --keep printed", file=sys.stderr)
            return 2
        names = _survivors(work) if args.update else []
        _copy_project(work)
        # a plain run tests the mutants without a verdict: all of them at first, after --update those of
        # changed or new functions; naming the earlier survivors retests them against the current tests
        for batch in ([], names) if names else ([],):
            run = subprocess.run(
                [sys.executable, "-m", "mutmut", "run", "--max-children", str(args.max_children), *batch],
                cwd=work,
                preexec_fn=_limit_memory,
            )
            if run.returncode not in (0, 1):
                print(f"mutmut run failed with {run.returncode}", file=sys.stderr)
                return run.returncode
        subprocess.run([sys.executable, "-m", "mutmut", "export-cicd-stats"], cwd=work, check=True)
        stats = json.loads((work / "mutants" / "mutmut-cicd-stats.json").read_text())
        survivors = _survivors(work)
    finally:
        if args.keep or args.update:
            print(f"scratch folder: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    minutes = (time.perf_counter() - t0) / 60
    total = stats["total"]
    killed = stats["killed"] + stats.get("timeout", 0)
    notes = _survivor_notes()
    lines = [
        "# Mutation testing of the pure core",
        "",
        f"Measured with mutmut {_mutmut_version()} by `python benchmarks/mutation/run.py` "
        + (
            f"({minutes:.0f} min on this machine, {args.max_children} mutants at a time)."
            if not args.update
            else f"(a full run, then `--update`: the mutants of functions changed since, and its {len(names)} "
            f"survivors, tested against the current tests in {minutes:.0f} min, {args.max_children} at a time)."
        ),
        "",
        f"{total} mutants, {killed} killed ({100 * killed / max(total, 1):.1f}%)",
        "",
        "| | count |",
        "|---|---:|",
        *[f"| {k} | {v} |" for k, v in stats.items()],
        "",
        "Files mutated: " + ", ".join(f"`{c}`" for c in CORE) + ". Not mutated: error-message text and "
        "log lines (`DO_NOT_MUTATE` in run.py).",
        "",
        "## Survivors",
        "",
        "Each with why it survives (from `SURVIVORS.md`): an equivalent mutant, or the test that should exist. "
        "`mutmut show NAME` in a kept scratch folder (`--keep`) prints a mutant's diff.",
        "",
    ]
    for name in survivors:
        lines += [f"- `{name}`: {_reason(name, notes)}"]
    (HERE / "RESULTS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{total} mutants, {killed} killed; wrote {HERE / 'RESULTS.md'}")
    return 0


MEMORY_LIMIT = 6 << 30  # bytes of heap per process


def _limit_memory() -> None:
    """Cap each mutant's heap: a mutant that loops forever appending (one in ``find_boxed`` does)
    would otherwise fill the machine's memory before mutmut's CPU-time limit stops it. Past the cap
    its tests fail with MemoryError, and the mutant counts as killed."""
    import resource

    resource.setrlimit(resource.RLIMIT_DATA, (MEMORY_LIMIT, MEMORY_LIMIT))


def _survivors(work: Path) -> list[str]:
    """The mutants mutmut recorded as surviving (or covered by no test) in a scratch folder."""
    res = subprocess.run([sys.executable, "-m", "mutmut", "results"], cwd=work, capture_output=True, text=True)
    return [
        line.strip().split(":")[0]
        for line in res.stdout.splitlines()
        if line.strip().endswith((": survived", ": no tests"))
    ]


def _reason(name: str, notes: dict[str, str]) -> str:
    """The note for a mutant, or for its function (a note keyed ``module.x_function`` covers all
    of that function's mutants)."""
    if name in notes:
        return notes[name]
    base = name.split("__mutmut_")[0]
    return notes.get(base, "unexplained (new: add a test, or explain it in SURVIVORS.md)")


def _mutmut_version() -> str:
    from importlib.metadata import version

    return version("mutmut")


if __name__ == "__main__":
    raise SystemExit(main())
