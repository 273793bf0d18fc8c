"""MFT data by rejection sampling: sample k solutions per training problem, keep correct ones,
label each with the level of the tokens it used; never-solved problems teach the skip."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from osmckp_env.backends import Sampling
from osmckp_env.backends.base import prompt_hash
from osmckp_env.exam.levels import LEVEL_TAG_RE, SKIP_LEVEL, LevelBins
from osmckp_env.exam.pools import pool_by_name, remember
from osmckp_env.exam.problems import Problem, load_pool
from osmckp_env.exam.prompts import LEVEL_TAG, SYSTEM_PROMPT, exam_user_prompt, level_legend
from osmckp_env.exam.suites import PROCEDURAL_N_EXAMS, Exam
from osmckp_env.grading import Grader, default_grader
from osmckp_env.grading.extract import box_last_number
from osmckp_env.grading.record import score_completions, segment_levels
from osmckp_env.results.io import RecordWriter
from osmckp_env.runner.run import build_agent, pending_batches, sample_seed
from osmckp_env.runner.spec import load_spec
from osmckp_env.training.config import MFTDataConfig

SAMPLE_FIELDS = ("key", "config_hash", "problem_id", "sample", "correct", "n_tokens")


def single_problem_messages(problem: Problem, bins: LevelBins) -> list[dict]:
    """The single-problem MFT prompt: predict the level first, then solve or skip."""
    user = (
        f"First predict the cost of this problem as {LEVEL_TAG} ({level_legend(bins)}); then solve it and give "
        f"the final answer in \\boxed{{...}}, or write \\boxed{{NA}} if it is not worth solving.\n\n{problem.problem}"
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def sampling_messages(problem: Problem, bins: LevelBins, sampling_prompt: str = "level-tag") -> list[dict]:
    """The prompt a sample is drawn with: the MFT prompt itself, or a plain user message (the
    problem put into ``sampling_prompt`` where ``{problem}`` stands). Rejection sampling only needs
    correct solutions; the examples are always posed with ``single_problem_messages``."""
    if sampling_prompt == "level-tag":
        return single_problem_messages(problem, bins)
    return [{"role": "user", "content": sampling_prompt.replace("{problem}", problem.problem)}]


LABEL_BUDGET = 10**9  # labels are measured on the whole target: nothing is cut


def strip_level_tags(text: str) -> str:
    """The sampled text without any ``<predicted_level>`` tag the sampler wrote (the label replaces it)."""
    return LEVEL_TAG_RE.sub("", text).strip()


def target_text(level: int, solution: str | None) -> str:
    """One problem's training target: ONE level tag, then the solution (or the skip)."""
    if level == SKIP_LEVEL or solution is None:
        return f"<predicted_level>Level-{SKIP_LEVEL}</predicted_level>\n\\boxed{{NA}}"
    return f"<predicted_level>Level-{level}</predicted_level>\n{strip_level_tags(solution)}"


def exam_target(levels: list[int], solutions: list[str | None]) -> str:
    """The exam-format target: each problem's header, tag and solution, as the exam prompt asks."""
    return "".join(
        f"### Problem {k + 1}\n{target_text(lv, sol)}\n" for k, (lv, sol) in enumerate(zip(levels, solutions))
    )


def label_targets(solutions: list[str | None], counter, bins: LevelBins) -> tuple[list[int], str]:
    """Levels and target text such that the env, scoring the text, gives each problem its label.

    A label is the level of the tokens the env counts for the problem: its whole segment, with
    the tag itself and, in exam format, its ``### Problem k`` header. One problem: the bare
    target (a single-problem completion has no header); several: ``exam_target``. Computed as a
    fixed point (the tag's digit does not change the count, so it settles at once).
    """
    n = len(solutions)
    levels = [SKIP_LEVEL if s is None else 0 for s in solutions]
    build = (lambda lv: target_text(lv[0], solutions[0])) if n == 1 else (lambda lv: exam_target(lv, solutions))
    for _ in range(5):
        text = build(levels)
        got = segment_levels(text, n, LABEL_BUDGET, counter, bins)
        if got == levels:
            return levels, text
        levels = got
    raise RuntimeError(f"MFT labels did not settle for a target of {n} problem(s): {levels}")


def training_problems(cfg: MFTDataConfig) -> list[Problem]:
    """The problems to sample: each tier's training pool (a seeded subset with ``limit_per_tier``),
    or with ``cfg.pool`` that procedural pool's first items of each tier under the training split."""
    out = []
    if cfg.pool is not None:
        pool = pool_by_name(cfg.pool)
        n = cfg.limit_per_tier if cfg.limit_per_tier is not None else PROCEDURAL_N_EXAMS
        for tier in cfg.tiers:
            out.extend(pool.problem(tier, i, seed=cfg.seed, split="train") for i in range(n))
        for p in out:
            remember(p)
        return out
    for tier in cfg.tiers:
        pool = load_pool("train", tier)
        if cfg.limit_per_tier is not None:
            rng = np.random.default_rng([cfg.seed, ord(tier[0])])
            pool = tuple(pool[i] for i in sorted(rng.permutation(len(pool))[: cfg.limit_per_tier]))
        out.extend(pool)
    return out


def sample_problems(
    cfg: MFTDataConfig,
    backend,
    problems: list[Problem],
    *,
    grader: Grader | None = None,
    progress: bool = True,
    overwrite: bool = False,
) -> list[dict]:
    """Sample and grade each problem ``cfg.k`` times, resumable: ``samples.jsonl`` keeps one line
    per finished (problem, sample). Batched as the runner batches (``pending_batches``: a batch
    never mixes samples) with the runner's seed rule (sample j is drawn with
    ``sample_seed(cfg.seed, j)``). Returns one dict per problem with its samples in order."""

    grader = grader or default_grader()
    bins = LevelBins(edges=cfg.level_edges)
    header = {"config_hash": cfg.config_hash, "config": cfg.to_dict(), "seed_rule": "runner.sample_seed"}
    with RecordWriter(cfg.out_dir, header, filename="samples.jsonl", required=SAMPLE_FIELDS, overwrite=overwrite) as w:
        batches = pending_batches(problems, cfg.k, cfg.batch_size, lambda p, j: f"{p.id}:{j}", w.done_keys)
        total = len(problems) * cfg.k
        bar = tqdm(total=total, initial=total - sum(len(c) for _, c in batches), disable=not progress, desc="mft-data")
        for j, chunk in batches:
            prompts = [sampling_messages(p, bins, cfg.sampling_prompt) for p in chunk]
            comps = backend.generate(
                prompts, max_tokens=cfg.max_tokens, sampling=Sampling(cfg.temperature, 1.0, sample_seed(cfg.seed, j))
            )
            # "correct" as everywhere else: the env's record (parse, grade) of the sample as a one-problem
            # exam, never cut (the sample is already within the cap); plus MFT's own filter: a sample
            # the cap cut (finish_reason "length") is never a target, whatever its last box says
            graded = score_completions(
                [Exam(0, (p,), LABEL_BUDGET, "medium") for p in chunk],
                [c.text for c in comps],
                counter=backend.counter,
                bins=bins,
                grader=grader,
            )
            texts = [c.text for c in comps]
            if cfg.unboxed == "last-number":
                graded, texts = _grade_unboxed(chunk, comps, graded, backend.counter, bins, grader)
            lines = []
            for p, c, rec, m, text in zip(chunk, comps, graded, prompts, texts):
                prob = rec["problems"][0]
                n = min(int(c.n_tokens), cfg.max_tokens)  # generated ids, never a re-tokenized count
                lines.append(
                    {
                        "key": f"{p.id}:{j}",
                        "config_hash": cfg.config_hash,
                        "problem_id": p.id,
                        "tier": p.tier,
                        "sample": j,
                        "text": text,
                        **({"boxed_last_number": True} if text != c.text else {}),
                        "n_tokens": n,
                        "level": bins.level_of(n),
                        "answer": prob["answer"],
                        "correct": prob["correct"] and c.finish_reason != "length",
                        "grade_status": prob["grade_status"],
                        "prompt_hash": prompt_hash(m),
                        "finish_reason": c.finish_reason,
                    }
                )
            w.append(lines)
            bar.update(len(chunk))
        bar.close()
        done = list(w.records)
    by_problem: dict[str, list[dict]] = defaultdict(list)
    for r in sorted(done, key=lambda r: r["sample"]):
        by_problem[r["problem_id"]].append({k: v for k, v in r.items() if k not in ("key", "config_hash")})
    return [{"problem_id": p.id, "tier": p.tier, "samples": by_problem[p.id]} for p in problems if by_problem[p.id]]


def _grade_unboxed(chunk, comps, graded, counter, bins, grader) -> tuple[list, list[str]]:
    """``unboxed: last-number``: each sample that the cap did not cut and that has no box is graded
    again with its last number boxed after it (``box_last_number``), through the same scorer; the
    records and texts returned hold that version where it was right, the sample as written elsewhere."""
    texts = [c.text for c in comps]
    redo = [
        (i, boxed)
        for i, c in enumerate(comps)
        if c.finish_reason != "length" and (boxed := box_last_number(c.text)) is not None
    ]
    if not redo:
        return graded, texts
    again = score_completions(
        [Exam(0, (chunk[i],), LABEL_BUDGET, "medium") for i, _ in redo],
        [b for _, b in redo],
        counter=counter,
        bins=bins,
        grader=grader,
    )
    graded = list(graded)
    for (i, boxed), rec in zip(redo, again):
        if rec["problems"][0]["correct"]:
            graded[i], texts[i] = rec, boxed
    return graded, texts


def _example(messages: list[dict], target: str, **meta) -> dict:
    """One SFT example in prompt-completion form (TRL trains on the completion only) plus the
    same turns as ``messages`` for readers."""
    completion = [{"role": "assistant", "content": target}]
    return {"prompt": messages, "completion": completion, "messages": messages + completion, **meta}


def build_examples(cfg: MFTDataConfig, problems: list[Problem], sample_records: list[dict], counter) -> list[dict]:
    """Single-problem examples: correct samples with their level tag; unsolved problems -> Level-3 skip."""
    bins = LevelBins(edges=cfg.level_edges)
    by_id = {r["problem_id"]: r for r in sample_records}
    examples = []
    for p in problems:
        rec = by_id.get(p.id)
        if rec is None:
            continue
        correct = sorted((s for s in rec["samples"] if s["correct"]), key=lambda s: s["n_tokens"])
        chosen = correct[:1] if cfg.keep == "shortest" else correct
        for s in chosen or [None]:
            solution = None if s is None else strip_level_tags(s["text"])
            (level,), target = label_targets([solution], counter, bins)
            examples.append(
                _example(
                    single_problem_messages(p, bins),
                    target,
                    problem_id=p.id,
                    tier=p.tier,
                    level=level,
                    levels=[level],
                    solution=solution,
                    n_tokens=0 if s is None else s["n_tokens"],
                    kind="single",
                )
            )
    return examples


def compose_exam_examples(
    cfg: MFTDataConfig, problems: list[Problem], singles: list[dict], counter
) -> tuple[list[dict], dict]:
    """Multi-problem examples in the exam format, from single examples of different tiers.

    Each gets the smallest of ``cfg.exam_budgets`` that its target fits (as the env counts it);
    one that fits none is dropped and counted, never truncated. Labels are re-measured in the
    exam format (headers included)."""
    dropped = {"over_budget": 0}
    if cfg.n_exam_examples <= 0:
        return [], dropped
    bins = LevelBins(edges=cfg.level_edges)
    by_tier: dict[str, list[dict]] = defaultdict(list)
    for ex in singles:
        by_tier[ex["tier"]].append(ex)
    tiers = [t for t in ("easy", "medium", "hard") if by_tier[t]]
    if not tiers:
        return [], dropped
    rng = np.random.default_rng([cfg.seed, 7])
    pmap = {p.id: p for p in problems}
    out = []
    for i in range(cfg.n_exam_examples):
        picks = [by_tier[t][int(rng.integers(len(by_tier[t])))] for t in tiers]
        picks = [picks[j] for j in rng.permutation(len(picks))]
        levels, target = label_targets([x["solution"] for x in picks], counter, bins)
        total = len(counter.offsets(target))
        budget = next((b for b in sorted(cfg.exam_budgets) if total <= b), None)
        if budget is None:
            dropped["over_budget"] += 1
            continue
        exam = Exam(i, tuple(pmap[x["problem_id"]] for x in picks), budget, "medium")
        messages = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": exam_user_prompt(exam, with_levels=True, bins=bins)},
        ]
        out.append(
            _example(
                messages,
                target,
                problem_id="|".join(x["problem_id"] for x in picks),
                tier="exam",
                level=-1,
                levels=levels,
                solution=None,
                n_tokens=total,
                kind="exam",
                budget=budget,
            )
        )
    return out, dropped


def stats(sample_records: list[dict], examples: list[dict]) -> dict:
    """Level histogram per tier and solve rate (any correct sample) per tier."""
    hist: dict[str, Counter] = defaultdict(Counter)
    for ex in examples:
        if ex["kind"] == "single":
            hist[ex["tier"]][f"Level-{ex['level']}"] += 1
    solved: dict[str, list[bool]] = defaultdict(list)
    for r in sample_records:
        solved[r["tier"]].append(any(s["correct"] for s in r["samples"]))
    return {
        "level_histogram": {t: dict(c) for t, c in hist.items()},
        "solve_rate": {t: sum(v) / len(v) for t, v in solved.items()},
        "n_problems": len(sample_records),
        "n_examples": len(examples),
        "grader_failures": sum(s["grade_status"] != "ok" for r in sample_records for s in r["samples"]),
    }


def make_mft_data(
    cfg: MFTDataConfig, backend=None, *, grader: Grader | None = None, progress: bool = True, overwrite: bool = False
) -> dict:
    """The whole pipeline; writes ``dataset/`` (``datasets.Dataset``), ``stats.json``."""
    import datasets

    if backend is None:
        backend = build_agent(load_spec(cfg.spec)).backend
    problems = training_problems(cfg)
    samples = sample_problems(cfg, backend, problems, grader=grader, progress=progress, overwrite=overwrite)
    singles = build_examples(cfg, problems, samples, backend.counter)
    exams, dropped = compose_exam_examples(cfg, problems, singles, backend.counter)
    examples = [{**ex, "budget": 0} for ex in singles] + exams
    ds = datasets.Dataset.from_list(examples)
    out = Path(cfg.out_dir)
    ds.save_to_disk(str(out / "dataset"))
    st = {
        **stats(samples, examples),
        "exam_examples_dropped": dropped,
        "tokenizer": backend.counter.name,
        "config": cfg.to_dict(),
        "config_hash": cfg.config_hash,
        "dataset_fingerprint": ds._fingerprint,
    }
    (out / "stats.json").write_text(json.dumps(st, indent=1))
    return st
