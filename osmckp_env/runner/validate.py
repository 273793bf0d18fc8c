"""Re-derive a results file from its records: suite hash, re-parse and re-grade, recompute metrics."""

from __future__ import annotations

import math
from pathlib import Path

from osmckp_env.backends.model_files import load_tokenizer
from osmckp_env.exam.levels import LevelBins
from osmckp_env.exam.suites import SUITE_VERSION, Exam, Suite, SuiteConfig, build_suite, is_named_suite
from osmckp_env.exam.tokenization import DEFAULT_TOKENIZER, default_counter
from osmckp_env.grading import Grader, default_grader
from osmckp_env.grading.parse import THINK_MARKERS
from osmckp_env.grading.record import score_completions
from osmckp_env.results.io import load_results, read_records, results_records, split_orders
from osmckp_env.runner.run import suite_of_results
from osmckp_env.scoring.metrics import summarize


def _close(a, b) -> bool:
    a = None if isinstance(a, float) and math.isnan(a) else a
    b = None if isinstance(b, float) and math.isnan(b) else b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= 1e-9
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    return a == b


# metrics an older results file does not hold (not a disagreement when absent)
METRICS_ADDED_IN_0_5 = ("not_attempted_rate", "regret_defined")


def validate_results(path: str | Path, *, regrade: bool = True, grader: Grader | None = None) -> list[str]:
    """Disagreements between a results file and what its records re-derive ([] = consistent)."""
    path = Path(path)
    res = load_results(path)
    issues: list[str] = []
    records, report = results_records(path, res)
    if report["bad_lines"]:
        issues.append(f"records file has {report['bad_lines']} corrupt line(s)")
    foreign = [r["key"] for r in records if r.get("config_hash") != res["config_hash"]]
    if foreign:
        issues.append(f"{len(foreign)} record(s) from another config hash, e.g. {foreign[:3]}")
    try:
        cfg = SuiteConfig.from_dict(res["suite"]["config"])
    except (TypeError, ValueError) as e:
        return [*issues, f"cannot rebuild the suite of this results file: {e}"]
    if cfg.version < SUITE_VERSION:
        return [
            *issues,
            f"this results file was made with suite version {cfg.version}, and this osmckp builds version "
            f"{SUITE_VERSION} (since version 2 a Medium exam is never in its easy or hard order, and the suite hash "
            "says which version built it); its numbers are not comparable with current results: re-run the spec "
            f"(`osmckp run {path}`)",
        ]
    suite, problem = run_suite_of(res, path, records)
    if problem:
        issues.append(problem)
    order = res["suite"]["order"]
    k = int(res["spec"].get("samples", 1))
    expected = len(suite) * (1 if order == "easy" else 2) * k
    if len(records) != expected:
        issues.append(f"{len(records)} records, expected {expected} ({len(suite)} exams x orders x {k} samples)")
    n_err = sum(1 for r in records if r.get("error"))
    if n_err:
        first = next(r for r in records if r.get("error"))
        issues.append(
            f"incomplete: {n_err} of {len(records)} record(s) failed in the backend (rate {n_err / len(records):.3f}; "
            f"first: {first['key']}: {str(first['error'])[:200]}); they are errors, not scores: "
            f"complete the run with `osmckp run {path} --retry-errors`"
        )
    if int(res.get("backend_errors") or 0) != n_err:
        issues.append(f"results say backend_errors={res.get('backend_errors')} but the records hold {n_err}")
    given, easy = split_orders(records, order)
    exams = {e.index: e for e in suite.exams}
    for r in given:
        e = exams.get(r["exam_index"])
        if e is None or [p.id for p in e.problems] != r["problem_ids"]:
            issues.append(f"record {r['key']}: problems differ from the run's suite")
            break
    issues += _check_shared(records, path.parent)
    recomputed = summarize(given, easy)
    for k, v in recomputed.items():
        if k in METRICS_ADDED_IN_0_5 and k not in res["metrics"]:
            continue  # an older results file: it could not hold this metric
        if not _close(v, res["metrics"].get(k)):
            issues.append(f"metric {k}: stored {res['metrics'].get(k)!r} != recomputed {v!r}")
    if regrade and records:
        issues += _regrade(records, res, grader or default_grader())
    return issues


def run_suite_of(res: dict, path: Path, records: list[dict]) -> tuple[Suite, str | None]:
    """The suite a run used and what is wrong with it (``None``: nothing): the one its results file
    names (``suite_of_results``: the suite file it ran from, else the named suite, else its config),
    checked against the stored hash. A custom suite whose file is gone is read from the run's own
    records (their exams, hashed like a suite: the stored hash says whether they are the suite's);
    a named suite that no longer rebuilds to its hash is a disagreement (bundled data or code changed)."""
    info = res["suite"]
    try:
        return suite_of_results(res, path), None
    except ValueError as e:
        why = str(e)
    cfg = SuiteConfig.from_dict(info["config"])
    if not is_named_suite(info["name"]):
        given = {}
        for r in records:
            if r["order"] == info["order"] and r.get("sample") in (None, 0):
                given.setdefault(r["exam_index"], r)
        exams = tuple(
            Exam.from_columns(
                r["problem_ids"],
                [p["gold"] for p in r["problems"]],
                [p["tier"] for p in r["problems"]],
                r["budget"],
                r["order"],
                i,
                verifiers=[p.get("verifier", "") for p in r["problems"]],
            )
            for i, r in sorted(given.items())
        )
        recorded = Suite(info["name"], cfg, exams)
        if exams and recorded.hash == info["hash"]:
            return recorded, None
    try:
        rebuilt = build_suite(cfg, name=info["name"])
    except (ValueError, ImportError):
        rebuilt = Suite(info["name"], cfg, ())
    return rebuilt, f"suite hash {info['hash']} does not match the suite this run names: {why}"


SHARED_FIELDS = ("completion", "problem_ids", "budget", "order", "score", "completion_tokens", "sample", "request_hash")


def _check_shared(records: list[dict], folder: Path) -> list[str]:
    """A record reused from another run (``shared_from``) must match its source record (when the
    source is still there): the same completion of the same exam, scored the same."""
    issues, cache = [], {}
    shared = [r for r in records if r.get("shared_from")]
    for r in shared:
        src = r["shared_from"]
        path = (folder / src["records"]).resolve()
        if path not in cache:
            cache[path] = {x["key"]: x for x in read_records(path)[0]} if path.is_file() else None
        source = cache[path]
        if source is None:
            continue  # the source run was moved or deleted: the record stands on its own (re-graded below)
        other = source.get(src["key"])
        if other is None or any(other.get(f) != r.get(f) for f in SHARED_FIELDS):
            issues.append(f"record {r['key']}: reused from {src['records']} ({src['key']}) but does not match it")
    return issues


def _counter_of(tokenizer: str | None):
    """The counter a run counted with, when it can be loaded here without a hub: the bundled one,
    or a local tokenizer folder / ``.gguf`` / ``pkg:`` file (the real model's). ``None`` otherwise."""
    if tokenizer == DEFAULT_TOKENIZER:
        return default_counter()
    if not tokenizer:
        return None
    try:
        return load_tokenizer(tokenizer, need_template=False)[1]
    except (OSError, ImportError, ValueError):
        return None


def _regrade(records: list[dict], res: dict, grader: Grader) -> list[str]:
    issues = []
    bins = LevelBins(edges=tuple(res.get("level_edges", (256, 512))))
    spec = res.get("spec", {})
    markers = spec.get("think_markers", THINK_MARKERS) if "think_markers" in spec else None
    counter = _counter_of(res.get("tokenizer"))
    if counter is not None:
        exams = [
            Exam.from_columns(
                [p["id"] for p in r["problems"]],
                [p["gold"] for p in r["problems"]],
                [p["tier"] for p in r["problems"]],
                r["budget"],
                r["order"],
                r["exam_index"],
                verifiers=[p.get("verifier", "") for p in r["problems"]],
            )
            for r in records
        ]
        fresh = score_completions(
            exams,
            [r["completion"] for r in records],
            counter=counter,
            bins=bins,
            grader=grader,
            think_markers=markers,
            hidden_tokens=[int(r.get("hidden_reasoning_tokens") or 0) for r in records],
            generated_tokens=[r.get("generated_tokens") for r in records],
        )
        for r, f in zip(records, fresh):
            for key in ("score", "rarl_reward", "completion_tokens"):
                if r[key] != f[key]:
                    issues.append(f"record {r['key']}: stored {key}={r[key]} but re-scoring gives {f[key]}")
    else:
        # the counting tokenizer is the agent's own and not loadable here: re-grade the stored answers only
        pairs = [
            (p["answer"] if p["status"] == "answered" else None, p["gold"], p.get("verifier", ""))
            for r in records
            for p in r["problems"]
        ]
        grades = iter(grader.grade_many(pairs))
        for r in records:
            for p in r["problems"]:
                g = next(grades)
                if g.status == "ok" and bool(g.correct) != bool(p["correct"]):
                    issues.append(
                        f"record {r['key']} P{p['position'] + 1}: stored correct={p['correct']} "
                        f"but re-grading gives {g.correct}"
                    )
    return issues
