"""Run one agent spec over suites: batched, resumable, with a progress bar and a results file."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

import osmckp_env
from osmckp_env.agents import make_agent
from osmckp_env.backends import Sampling, make_backend
from osmckp_env.exam.levels import LevelBins
from osmckp_env.exam.prompts import exam_messages
from osmckp_env.exam.suites import (
    Suite,
    SuiteConfig,
    build_suite,
    get_suite,
    is_named_suite,
    named_suite_config,
    resolve_suite,
)
from osmckp_env.exam.tokenization import default_counter, repair_text
from osmckp_env.grading import Grader, default_grader
from osmckp_env.grading.record import RECORD_VERSION, record_key, score_completions, with_run_fields
from osmckp_env.results.io import (
    RESULTS_FORMAT,
    RecordWriter,
    config_hash,
    json_safe,
    load_results,
    provenance,
    read_records,
    split_orders,
    write_results,
)
from osmckp_env.runner.spec import AgentSpec, load_spec
from osmckp_env.scoring.format_report import format_report
from osmckp_env.scoring.metrics import REGRET_UNDEFINED, regret_defined, summarize


def citation(results: dict) -> dict:
    """What a paper must state to make a number from this results file reproducible, and a line
    to quote (Score and Regret with their 95% intervals)."""
    m, iv = results["metrics"], results["metrics"].get("intervals", {})

    def fmt(key):
        v, ci = m.get(key), (iv.get(key) or {}).get("ci", [None, None])
        if v is None:
            return "n/a"
        if key == "regret" and not regret_defined(m):
            return REGRET_UNDEFINED
        return f"{v:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if None not in ci else "")

    s = results["suite"]
    k = m.get("n_samples", 1)
    level = int(round(100 * m.get("interval_config", {}).get("level", 0.95)))
    errors = int(results.get("backend_errors") or 0)
    warning = (
        f"INCOMPLETE RUN, DO NOT CITE: {errors} of {results.get('n_records', '?')} exam records failed in the "
        "backend and are not scored (complete it with `osmckp run <results.json> --retry-errors`). "
        if errors
        else ""
    )
    return {
        "complete": not errors,
        "suite": s["name"],
        "suite_version": s["config"].get("version", 1),
        "suite_hash": s["hash"],
        "osmckp_version": results["osmckp_version"],
        "config_hash": results["config_hash"],
        "n_exams": s["n_exams"],
        "samples": k,
        "text": warning
        + (
            f"{results['spec']['name']} on {s['name']} (osmckp {results['osmckp_version']}, suite v"
            f"{s['config'].get('version', 1)} {s['hash']}, {s['n_exams']} exams"
            f"{f' x {k} samples' if k > 1 else ''}, config {results['config_hash']}): "
            f"Score {fmt('score')}, Regret {fmt('regret')} ({level}% bootstrap intervals over exams)"
        ),
    }


def sample_seed(seed: int, sample: int) -> int:
    """The seed of sample ``sample`` of a spec with ``samples: k``: the spec's own seed for the
    first, then seeds derived from it (so sample 0 is exactly the single-sample run)."""
    return seed if sample == 0 else (seed * 1_000_003 + sample * 7_919) % (2**31 - 1)


def pending_batches(items: list, samples: int, size: int, key: Callable[[Any, int], str], done: set[str]):
    """The work left, as ``(sample, batch)`` pairs: every item whose ``key(item, sample)`` is not in
    ``done``, in batches of at most ``size`` that never mix samples (a sample's seed,
    ``sample_seed(seed, sample)``, applies to its whole batch), sample 0 first. The runner and
    MFT data sampling both batch this way."""
    out = []
    for j in range(samples):
        left = [it for it in items if key(it, j) not in done]
        out.extend((j, left[i : i + size]) for i in range(0, len(left), size))
    return out


def build_backend(spec: AgentSpec):
    """Instantiate the spec's backend."""
    return make_backend(spec.backend, **spec.backend_kwargs())


def build_agent(spec: AgentSpec, backend=None, bins: LevelBins | None = None):
    """Instantiate the spec's backend (unless given) and agent (with ``bins``, default the spec's
    bins for the paper's budgets)."""
    backend = backend if backend is not None else build_backend(spec)
    sampling = Sampling(spec.temperature, spec.top_p, spec.seed)
    bins = bins or spec.bins(1024)
    return make_agent(spec.agent, backend, sampling=sampling, bins=bins, **spec.agent_args)


def check_spec(spec: AgentSpec) -> None:
    """Refuse, before a run creates anything, a spec that ``AgentSpec.preflight`` (the checks
    ``osmckp validate`` makes) finds would fail: ``ValueError`` listing what is wrong with it, or
    ``ImportError`` with the ``pip install`` line when only a backend extra is missing here."""
    problems, missing = spec.preflight()
    if problems:
        raise ValueError(
            f"spec {spec.name!r} would fail at run time (nothing was written):\n  - "
            + "\n  - ".join(problems + missing)
        )
    if missing:
        raise ImportError(f"spec {spec.name!r} cannot run on this machine (nothing was written): " + "; ".join(missing))


def run_config(spec: AgentSpec, suite: Suite) -> dict:
    """What a records file is tied to: what the spec asks (``AgentSpec.identity``: no transport
    settings, no secrets), the suite and its hash. ``legacy_config_hash``: the hash 0.3 gave the
    same run (it covered transport settings), accepted when a run written then resumes."""
    d = {
        "spec": spec.identity(),
        "suite": suite.name,
        "suite_hash": suite.hash,
        "n_exams": len(suite),
        "record_version": RECORD_VERSION,
    }
    legacy = config_hash({**d, "spec": spec.to_dict()})
    out = {**d, "config_hash": config_hash(d)}
    return out if legacy == out["config_hash"] else {**out, "legacy_config_hash": legacy}


def run_suite(
    spec: AgentSpec,
    suite: Suite,
    out_dir: str | Path,
    *,
    agent=None,
    grader: Grader | None = None,
    overwrite: bool = False,
    progress: bool = True,
    max_batches: int | None = None,
    retry_errors: bool = False,
    agent_factory: Callable[[], Any] | None = None,
    suite_source: str | None = None,
    trial: bool = False,
    reuse_from: list[str | Path] | None = None,
) -> dict:
    """Evaluate ``spec`` on ``suite`` in its own order and in easy order, resuming what exists.

    ``suite_source`` (the suite file it came from, if any) and ``trial`` (the first exams of a
    larger suite: a smoke run, never ranked with full runs) are stored in the results so that
    the results file alone re-runs exactly this run.

    Writes ``out_dir/records.jsonl`` (one record per exam and order, appended as each batch
    finishes) and ``out_dir/results.json``. ``max_batches`` stops early (for tests and smoke runs)
    and returns ``{}``. ``retry_errors`` re-runs exams whose backend call failed in an earlier run.
    The agent is ``agent``, else ``agent_factory()``, else built from the spec, and only when
    something is left to run. ``reuse_from``: other runs' ``records.jsonl`` whose easy-order
    records serve this run where the request would be identical (``reuse_records``).
    """
    cfg = run_config(spec, suite)
    grader = grader or default_grader()
    orders = [suite] if suite.config.order == "easy" else [suite, suite.with_order("easy")]
    bins = spec.bins(suite.config.budget)
    records_path = Path(out_dir) / "records.jsonl"
    fresh = not records_path.exists()
    made = [d for d in (Path(out_dir), *Path(out_dir).parents) if not d.exists()]  # deepest first
    legacy = {cfg["legacy_config_hash"]} if "legacy_config_hash" in cfg else set()
    header = {k: v for k, v in cfg.items() if k != "legacy_config_hash"}
    writer = None
    try:
        with RecordWriter(out_dir, header, overwrite=overwrite, accept_hashes=legacy) as writer:
            if writer.dropped:
                tqdm.write(
                    f"[osmckp] {writer.path}: dropped {writer.dropped} corrupt or foreign line(s); they will be re-run"
                )
            if retry_errors:
                n = writer.drop(lambda r: bool(r.get("error")))
                if n:
                    tqdm.write(f"[osmckp] re-running {n} exam(s) whose backend call failed before")
            k = spec.samples
            items = [(s.name, e) for s in orders for e in s.exams]

            def key_of(item, j):
                return record_key(item[1].order, item[1].index, j if k > 1 else None)

            n_done = len(writer.records)  # this folder's own, before any reused from other runs
            shared = reuse_records(
                spec, cfg, orders[-1], key_of, writer.done_keys, k, reuse_from or [], Path(out_dir), bins
            )
            if shared:
                writer.append(shared)
            chunks = pending_batches(items, k, spec.batch_size, key_of, writer.done_keys)
            n_todo = sum(len(c) for _, c in chunks)
            n_all = len(items) * k
            if n_done and not n_todo and not shared:
                tqdm.write(f"[osmckp] {out_dir}: already complete ({n_all} exam records); nothing new to run")
            elif n_done:
                tqdm.write(
                    f"[osmckp] {out_dir}: resuming: {n_done} of {n_all} exam records done, {n_todo} new to run"
                    + (f" ({len(shared)} more reused from other runs)" if shared else "")
                )
            if chunks and agent is None:
                agent = agent_factory() if agent_factory is not None else build_agent(spec, bins=bins)
            own_counts = spec.counter != "qwen2.5"
            if spec.counter == "qwen2.5":
                counter = default_counter()
            elif agent is not None:
                counter = getattr(getattr(agent, "backend", None), "counter", None) or default_counter()
            else:
                counter = None  # nothing left to run: the records say who counted
            bar = tqdm(
                total=len(orders) * len(suite) * k,
                initial=len(suite) * len(orders) * k - n_todo,
                disable=not progress,
                desc=f"{spec.name} {suite.name}",
                unit="exam",
                dynamic_ncols=True,
            )
            batches = 0
            for j, chunk in chunks:
                if max_batches is not None and batches >= max_batches:
                    bar.close()
                    return {}
                exams = [e for _, e in chunk]
                t0 = time.perf_counter()
                agent.reset(sample_seed(spec.seed, j))
                outs = agent.solve(exams)
                t1 = time.perf_counter()
                texts = [repair_text(o.text)[0] for o in outs]
                scored = score_completions(
                    exams,
                    [o.text for o in outs],
                    counter=counter,
                    bins=bins,
                    grader=grader,
                    think_markers=spec.think_markers,
                    hidden_tokens=[int(getattr(o, "hidden_reasoning_tokens", 0) or 0) for o in outs],
                    # the backend's own counts are in its counter's tokens: they win only where it counts
                    generated_tokens=[getattr(o, "generated_tokens", None) if own_counts else None for o in outs],
                )
                t2 = time.perf_counter()
                timings = {"agent_s": (t1 - t0) / len(chunk), "grade_s": (t2 - t1) / len(chunk)}
                recs = [
                    with_run_fields(
                        r,
                        config_hash=cfg["config_hash"],
                        suite=sname,
                        suite_hash=suite.hash if sname == suite.name else orders[-1].hash,
                        completion=text,
                        calls=o.calls,
                        plan=o.plan,
                        error=o.error,
                        timings=timings,
                        sample=j if k > 1 else None,
                        request_hash=request_hash(spec, exam, bins),
                    )
                    for (sname, exam), o, r, text in zip(chunk, outs, scored, texts)
                ]
                writer.append(recs)
                batches += 1
                bar.update(len(chunk))
                given = [r for r in writer.records if r["order"] == suite.config.order]
                if given:
                    bar.set_postfix(score=f"{sum(r['score'] for r in given) / len(given):.3f}")
            bar.close()
            records = list(writer.records)
    except BaseException:
        if fresh:  # refused or stopped before its first record: leave nothing behind
            _remove_empty_run(Path(out_dir), made, drop_files=writer is not None and not writer.records)
        raise
    tokenizer = counter.name if counter is not None else (records[0]["tokenizer"] if records else "unknown")
    results = make_results(spec, suite, orders[-1], records, cfg, tokenizer, grader)
    notes = getattr(getattr(agent, "backend", None), "notes", None)
    if notes:
        results["backend_notes"] = json_safe(dict(notes))
    results["suite"].update(source=suite_source, trial=bool(trial))
    results["citation"] = citation(results)
    write_results(Path(out_dir) / "results.json", results)
    return results


def request_hash(spec: AgentSpec, exam, bins: LevelBins) -> str:
    """What one exam's generation was asked for, hashed: the spec's identity (model, backend
    settings that change generation, agent and its arguments, sampling, bins), the exam's problems
    in order with their full content (statement, gold, tier, source), its budget and order, the
    prompts the built-in templates make of it, the record version and the osmckp version (the
    agents' prompt code). A finished generation is reused only for a request with the same hash:
    a suite whose gold or text was corrected under the same problem ids asks something else."""
    return config_hash(
        {
            "spec": spec.identity(),
            "record_version": RECORD_VERSION,
            "osmckp_version": osmckp_env.__version__,
            "budget": int(exam.budget),
            "order": exam.order,
            "level_edges": list(bins.edges),
            "problems": [p.to_dict() for p in exam.problems],
            "prompts": [exam_messages(exam, with_levels=w, bins=bins) for w in (False, True)],
        }
    )


def reusable(spec: AgentSpec) -> bool:
    """Whether a finished generation may serve an identical request: only when decoding is a
    function of the request, greedy (temperature 0). Sampled runs are never reused: the runner
    seeds a batch, not a request, so one request's output may depend on the batch it was in."""
    return float(spec.temperature) == 0.0


def reuse_records(
    spec, cfg: dict, easy, key_of, done: set, samples: int, sources, out_dir: Path, bins: LevelBins
) -> list[dict]:
    """Records of ``easy`` (this run's easy-order suite) taken from other runs instead of generated
    again: a source serves when its records file was written for the same spec identity and record
    version and holds a finished record (no backend error) of the same request (``request_hash``:
    the same problems, content and gold included, in the same order under the same budget, asked
    the same way). Records written before requests were hashed (0.5) are never reused. Each
    reused record is this run's (its key, index, suite and hashes) and says where it came from in
    ``shared_from``."""
    missing = [(j, e) for j in range(samples) for e in easy.exams if key_of((easy.name, e), j) not in done]
    if not missing or not sources or not reusable(spec):
        return []  # nothing to fill in (a finished run re-reads no other run's records)
    index: dict[tuple, tuple[dict, Path]] = {}
    for src in sources:
        src = Path(src)
        if src.resolve() == (out_dir / "records.jsonl").resolve():
            continue
        records, report = read_records(src)
        header = report["header"] or {}
        if header.get("spec") != cfg["spec"] or header.get("record_version") != cfg["record_version"]:
            continue
        for r in records:
            if r["order"] == "easy" and not r.get("error") and r.get("request_hash"):
                index.setdefault((r["request_hash"], r.get("sample")), (r, src))
    if not index:
        return []
    out = []
    for j, e in missing:
        hit = index.get((request_hash(spec, e, bins), j if samples > 1 else None))
        if hit is None:
            continue
        r, src = hit
        out.append(
            {
                **r,
                "key": key_of((easy.name, e), j),
                "config_hash": cfg["config_hash"],
                "suite": easy.name,
                "suite_hash": easy.hash,
                "exam_index": e.index,
                "shared_from": {
                    "records": os.path.relpath(src.resolve(), out_dir.resolve()),
                    "suite": r["suite"],
                    "key": r["key"],
                },
            }
        )
    return out


def reuse_summary(records: list[dict]) -> dict:
    """How many records of a run were reused from other runs, and from which records files."""
    shared = [r["shared_from"] for r in records if r.get("shared_from")]
    return {"reused_records": len(shared), "reused_from": sorted({s["records"] for s in shared})}


def backend_error_summary(records: list[dict]) -> dict:
    """How many records' backend calls failed after retries (errors, never scores: they are left
    out of every metric), their share, and the first error message."""
    errs = [r for r in records if r.get("error")]
    return {
        "n_records": len(records),
        "backend_errors": len(errs),
        "backend_error_rate": len(errs) / len(records) if records else 0.0,
        "first_backend_error": errs[0]["error"] if errs else None,
        "complete": not errs,
    }


def _remove_empty_run(folder: Path, made: list[Path], *, drop_files: bool) -> None:
    """Undo a run that wrote no record: its header-only records file and lock (``drop_files``:
    only when this run held the lock and the file holds no record) and the folders it made
    (deepest first, each only if empty), so that OUT/<name>/ is not left behind either. A folder
    that held records before is never touched (the run was not fresh)."""
    if drop_files:
        for name in ("records.jsonl", ".lock"):
            (folder / name).unlink(missing_ok=True)
    for d in made:
        try:
            d.rmdir()
        except OSError:
            break


def make_results(
    spec: AgentSpec,
    suite: Suite,
    easy: Suite,
    records: list[dict],
    cfg: dict,
    tokenizer: str,
    grader: Grader | None = None,
) -> dict:
    """The results document: metrics in the given and easy order, Regret, and full provenance."""
    given, easy_recs = split_orders(records, suite.config.order)
    return json_safe(
        {
            "osmckp_results": RESULTS_FORMAT,
            **provenance(),
            "spec": spec.to_dict(),
            "spec_hash": spec.config_hash,
            "config_hash": cfg["config_hash"],
            "suite": {
                "name": suite.name,
                "hash": suite.hash,
                "order": suite.config.order,
                "budget": suite.config.budget,
                "n_exams": len(suite),
                "config": suite.config.to_dict(),
            },
            "easy_suite_hash": easy.hash,
            "tokenizer": tokenizer,
            "level_edges": list(spec.bins(suite.config.budget).edges),
            "metrics": summarize(given, easy_recs),
            "metrics_easy": summarize(easy_recs),
            "format": format_report([r for r in records if not r.get("error")]),
            **backend_error_summary(records),
            **reuse_summary(records),
            "grader": dict(grader.stats) if grader is not None else {},
            "records_file": "records.jsonl",
        }
    )


def suite_of_results(res: dict, results_path: str | Path | None = None) -> Suite:
    """Rebuild the exact suite a results file was run on (named suite, suite file under the run's
    budget, or config), checked against its stored hash."""

    info = res["suite"]
    cfg = SuiteConfig.from_dict(info["config"])
    n = info["n_exams"]
    candidates = []
    source = info.get("source")
    if source:
        for path in (Path(source), Path(results_path or ".").parent / Path(source).name):
            if path.is_file():
                candidates.append(lambda p=path: resolve_suite(str(p), budget=info["budget"], n_exams=n))
                break
    if is_named_suite(info["name"]):
        candidates.append(
            lambda: (
                resolve_suite(get_suite(info["name"], seed=cfg.seed), n_exams=n)
                if cfg.version == named_suite_config(info["name"]).version
                else build_suite(cfg, name=info["name"])
            )
        )
    candidates.append(lambda: build_suite(cfg, name=info["name"]))
    # the first n exams of the full suite (a trial run of a budget-swept or generated suite)
    candidates.append(lambda: resolve_suite(build_suite(cfg.replace(n_exams=None), name=info["name"]), n_exams=n))
    tried = []
    for make in candidates:
        try:
            suite = make()
        except (ValueError, FileNotFoundError, ImportError) as e:  # ImportError: a pool's extra is not here
            tried.append(str(e))
            continue
        if suite.hash == info["hash"]:
            return suite
        tried.append(f"rebuilt hash {suite.hash}")
    raise ValueError(
        f"cannot rebuild the suite {info['name']!r} (hash {info['hash']}) of this results file: "
        f"{'; '.join(tried)}. The bundled data or the suite version changed (run `osmckp validate` on it)"
        + (f", or its suite file {source} is gone" if source else "")
    )


def rerun_results(path: str | Path, **kwargs) -> dict:
    """Re-run (or resume) exactly the run of a results file: its spec, its suite (hash checked),
    its exam count and its folder."""

    path = Path(path)
    res = load_results(path)
    suite = suite_of_results(res, path)
    return run_suite(
        load_spec(path),
        suite,
        path.parent,
        suite_source=res["suite"].get("source"),
        trial=bool(res["suite"].get("trial", False)),
        **kwargs,
    )


def run_spec(
    spec: AgentSpec,
    suites: list[str],
    out_root: str | Path,
    *,
    n_exams: int | None = None,
    budgets: list[int] | None = None,
    overwrite: bool = False,
    progress: bool = True,
    retry_errors: bool = False,
) -> list[dict]:
    """Run one spec over suites (names, or suite JSONL files from ``osmckp suites --export`` /
    ``Suite.to_jsonl``); each gets ``out_root/<spec.name>/<suite>[-n<N>]/``. ``budgets`` sweeps
    the budget: each suite's exams under each budget, as its own suite (``medium-256``...).

    Each distinct generation is paid for once: an easy-order exam that a run of this spec under
    ``out_root`` already generated (in this invocation or an earlier one; Medium and Hard hold the
    same problem triples, so their easy orders are the same requests) is reused, not regenerated,
    when decoding is greedy (``reusable``)."""
    check_spec(spec)
    shared_backend = functools.cache(lambda: build_backend(spec))  # loaded once, only if a suite needs it
    out = []
    for name, budget in [(n, b) for n in suites for b in (budgets or [None])]:
        full = resolve_suite(name, budget=budget)
        suite = resolve_suite(full, n_exams=n_exams)
        bins = spec.bins(suite.config.budget)
        folder = Path(out_root) / spec.name / (suite.name if n_exams is None else f"{suite.name}-n{n_exams}")
        out.append(
            run_suite(
                spec,
                suite,
                folder,
                agent_factory=lambda bins=bins: build_agent(spec, shared_backend(), bins),
                overwrite=overwrite,
                progress=progress,
                retry_errors=retry_errors,
                suite_source=str(Path(name).resolve()) if str(name).endswith(".jsonl") else None,
                trial=len(suite) < len(full),
                reuse_from=sorted((Path(out_root) / spec.name).glob("*/records.jsonl")),
            )
        )
        out[-1]["_path"] = str(folder / "results.json")
    return out
