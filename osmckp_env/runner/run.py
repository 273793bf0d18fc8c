"""Run one agent spec over suites: batched, resumable, with a progress bar and a results file."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from osmckp_env.agents import make_agent
from osmckp_env.backends import Sampling, make_backend
from osmckp_env.exam.levels import LevelBins
from osmckp_env.exam.suites import Suite, resolve_suite
from osmckp_env.exam.tokenization import default_counter
from osmckp_env.grading import Grader, default_grader
from osmckp_env.grading.record import RECORD_VERSION, score_completions, with_run_fields
from osmckp_env.results.io import (
    RESULTS_FORMAT,
    RecordWriter,
    config_hash,
    json_safe,
    provenance,
    split_orders,
    write_results,
)
from osmckp_env.runner.spec import AgentSpec
from osmckp_env.scoring.metrics import summarize


def build_agent(spec: AgentSpec, backend=None):
    """Instantiate the spec's backend (unless given) and agent."""
    if backend is None:
        kwargs = dict(spec.backend_args)
        if spec.model:
            kwargs.setdefault("model" if spec.backend != "replay" else "path", spec.model)
        backend = make_backend(spec.backend, **kwargs)
    sampling = Sampling(spec.temperature, spec.top_p, spec.seed)
    return make_agent(spec.agent, backend, sampling=sampling, bins=LevelBins(edges=spec.level_edges), **spec.agent_args)


def run_config(spec: AgentSpec, suite: Suite) -> dict:
    """What a records file is tied to: the spec (secrets redacted), the suite and its hash."""
    d = {
        "spec": spec.to_dict(),
        "suite": suite.name,
        "suite_hash": suite.hash,
        "n_exams": len(suite),
        "record_version": RECORD_VERSION,
    }
    return {**d, "config_hash": config_hash(d)}


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
) -> dict:
    """Evaluate ``spec`` on ``suite`` in its own order and in easy order, resuming what exists.

    Writes ``out_dir/records.jsonl`` (one record per exam and order, appended as each batch
    finishes) and ``out_dir/results.json``. ``max_batches`` stops early (for tests and smoke runs)
    and returns ``{}``. ``retry_errors`` re-runs exams whose backend call failed in an earlier run.
    The agent is ``agent``, else ``agent_factory()``, else built from the spec, and only when
    something is left to run.
    """
    cfg = run_config(spec, suite)
    grader = grader or default_grader()
    orders = [suite] if suite.config.order == "easy" else [suite, suite.with_order("easy")]
    with RecordWriter(out_dir, cfg, overwrite=overwrite) as writer:
        if writer.dropped:
            tqdm.write(
                f"[osmckp] {writer.path}: dropped {writer.dropped} corrupt or foreign line(s); they will be re-run"
            )
        if retry_errors:
            n = writer.drop(lambda r: bool(r.get("error")))
            if n:
                tqdm.write(f"[osmckp] re-running {n} exam(s) whose backend call failed before")
        done = writer.done_keys
        todo = [(s.name, e) for s in orders for e in s.exams if f"{e.order}:{e.index}" not in done]
        if todo and agent is None:
            agent = agent_factory() if agent_factory is not None else build_agent(spec)
        if spec.counter == "qwen2.5":
            counter = default_counter()
        elif agent is not None:
            counter = getattr(getattr(agent, "backend", None), "counter", None) or default_counter()
        else:
            counter = None  # nothing left to run: the records say who counted
        bins = LevelBins(edges=spec.level_edges)
        bar = tqdm(
            total=len(orders) * len(suite),
            initial=len(suite) * len(orders) - len(todo),
            disable=not progress,
            desc=f"{spec.name} {suite.name}",
            unit="exam",
            dynamic_ncols=True,
        )
        batches = 0
        for start in range(0, len(todo), spec.batch_size):
            if max_batches is not None and batches >= max_batches:
                bar.close()
                return {}
            chunk = todo[start : start + spec.batch_size]
            exams = [e for _, e in chunk]
            t0 = time.perf_counter()
            agent.reset(spec.seed)
            outs = agent.solve(exams)
            t1 = time.perf_counter()
            scored = score_completions(exams, [o.text for o in outs], counter=counter, bins=bins, grader=grader)
            t2 = time.perf_counter()
            timings = {"agent_s": (t1 - t0) / len(chunk), "grade_s": (t2 - t1) / len(chunk)}
            recs = [
                with_run_fields(
                    r,
                    config_hash=cfg["config_hash"],
                    suite=sname,
                    suite_hash=suite.hash if sname == suite.name else orders[-1].hash,
                    completion=o.text,
                    calls=o.calls,
                    plan=o.plan,
                    error=o.error,
                    timings=timings,
                )
                for (sname, _), o, r in zip(chunk, outs, scored)
            ]
            writer.append(recs)
            batches += 1
            bar.update(len(chunk))
            given = [r for r in writer.records if r["order"] == suite.config.order]
            if given:
                bar.set_postfix(score=f"{sum(r['score'] for r in given) / len(given):.3f}")
        bar.close()
        records = list(writer.records)
    tokenizer = counter.name if counter is not None else (records[0]["tokenizer"] if records else "unknown")
    results = make_results(spec, suite, orders[-1], records, cfg, tokenizer, grader)
    write_results(Path(out_dir) / "results.json", results)
    return results


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
            "level_edges": list(spec.level_edges),
            "metrics": summarize(given, easy_recs),
            "metrics_easy": summarize(easy_recs),
            "backend_errors": sum(1 for r in records if r.get("error")),
            "grader": dict(grader.stats) if grader is not None else {},
            "records_file": "records.jsonl",
        }
    )


def run_spec(
    spec: AgentSpec,
    suites: list[str],
    out_root: str | Path,
    *,
    n_exams: int | None = None,
    overwrite: bool = False,
    progress: bool = True,
    retry_errors: bool = False,
) -> list[dict]:
    """Run one spec over suites (names, or suite JSONL files from ``osmckp suites --export`` /
    ``Suite.to_jsonl``); each gets ``out_root/<spec.name>/<suite>[-n<N>]/``."""
    shared_agent = functools.cache(lambda: build_agent(spec))  # built once, only if a suite needs it
    out = []
    for name in suites:
        suite = resolve_suite(name, n_exams=n_exams)
        folder = Path(out_root) / spec.name / (suite.name if n_exams is None else f"{suite.name}-n{n_exams}")
        out.append(
            run_suite(
                spec,
                suite,
                folder,
                agent_factory=shared_agent,
                overwrite=overwrite,
                progress=progress,
                retry_errors=retry_errors,
            )
        )
    return out
