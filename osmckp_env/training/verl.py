"""RARL at scale on verl: exams as verl RL data, and our reward in verl's shape.

``write_verl_data`` writes parquet in verl's RL dataset schema (``data_source``, ``prompt`` as
chat messages, ``ability``, ``reward_model: {style: rule, ground_truth}``, ``extra_info``) with
everything the reward needs to re-create each exam. ``compute_score`` has verl's signature
(``custom_reward_function.path`` = this file, ``.name`` = ``compute_score``) and scores a response
through the same record builder and reward table as ``OSMCKP-v0(reward=...)`` and the TRL reward,
grading in our hang-proof ``Grader`` (no signal tricks in verl's reward workers).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from osmckp_env.exam.levels import LevelBins
from osmckp_env.exam.prompts import exam_messages
from osmckp_env.exam.suites import SuiteConfig, build_suite, standard_name
from osmckp_env.grading.record import with_both_levels
from osmckp_env.scoring.rewards import REWARD_KINDS, ExamReward, reference_score, reward_table
from osmckp_env.scoring.rewards import regret_reference as load_reference

DATA_SOURCE = "osmckp"


def exam_rows(
    suite, *, reward: str = "rarl", level_edges=(256, 512), start_index: int = 0, regret_reference=None
) -> list[dict]:
    """One verl row per exam: the ``mft`` agent's prompt (the one prompt function) and the exam.
    ``reward="regret"`` needs ``regret_reference`` (a results file holding these exams)."""

    if reward not in REWARD_KINDS:
        raise ValueError(f"verl reward must be one of {REWARD_KINDS}, got {reward!r}")
    bins = LevelBins(edges=tuple(level_edges))
    if reward == "regret":
        load_reference(regret_reference).check_covers(suite.exams, suite.name, n_exams=len(suite))
    rows = []
    for i, e in enumerate(suite.exams):
        golds = [p.answer for p in e.problems]
        rows.append(
            {
                "data_source": DATA_SOURCE,
                "prompt": exam_messages(e, with_levels=True, bins=bins),
                "ability": "math",
                "reward_model": {"style": "rule", "ground_truth": json.dumps(golds, ensure_ascii=False)},
                "extra_info": {
                    "index": start_index + i,
                    "exam_index": e.index,
                    "problem_ids": [p.id for p in e.problems],
                    "answers": golds,
                    "tiers": [p.tier for p in e.problems],
                    "verifiers": [p.verifier for p in e.problems],
                    "order": e.order,
                    "budget": e.budget,
                    "level_edges": list(bins.edges),
                    "suite": suite.name,
                    "suite_hash": suite.hash,
                    "reward": reward,
                    "regret_reference": None if regret_reference is None else str(regret_reference),
                },
            }
        )
    return rows


def write_verl_data(
    out_dir: str | Path,
    *,
    split: str = "train",
    budget: int = 1024,
    n_exams: int = 2000,
    orders=("medium", "hard"),
    reward: str = "rarl",
    seed: int = 0,
    regret_reference=None,
    pool=None,
) -> Path:
    """``out_dir/<split>.parquet``: ``n_exams`` exams per order under ``budget``. Training exams
    come from the training pools only (GSM8K train, MATH train, AIME 2022-2024), as for RARL with
    TRL; or, with ``pool`` (``arith``, ``rg-<dataset>``, or a pool), from a procedural pool under
    the training split's seeds."""
    import pandas as pd

    if split not in ("train", "eval"):
        raise ValueError(f"split must be 'train' or 'eval', got {split!r}")
    rows = []
    for order in orders:  # one seed for every order: Medium and Hard hold the same problem triples
        config = SuiteConfig(order=order, budget=budget, n_exams=n_exams, split=split, seed=seed, pool=pool)
        suite = build_suite(config, name=training_suite_name(split, order, budget, seed, config.pool))
        rows += exam_rows(suite, reward=reward, start_index=len(rows), regret_reference=regret_reference)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{split}.parquet"
    pd.DataFrame(rows).to_parquet(path, index=False)
    return path


def training_suite_name(split: str, order: str, budget: int, seed: int = 0, pool=None) -> str:
    """The suite name an export writes, one ``osmckp run --suite`` accepts (seed 0 only: the named
    suites are seed 0): ``train-medium-1024``, ``train-arith-hard-128``."""
    name = standard_name(SuiteConfig(order=order, budget=budget, split=split, pool=pool))
    return (f"{split}-{name}" if split == "eval" else name) + ("" if seed == 0 else f"-seed{seed}")


def _plain(value):
    """numpy arrays (as parquet gives lists back) -> lists."""
    return value.tolist() if hasattr(value, "tolist") else list(value)


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs) -> dict:
    """verl's reward function: the exam's ``rarl`` (or ``score``, or ``regret`` against
    ``extra_info["regret_reference"]``, per ``extra_info["reward"]``) reward for one response,
    plus the per-exam details verl logs.

    The exam is rebuilt from ``extra_info`` (its problem ids, golds, tiers, verifiers, order,
    budget and level bins); ``ground_truth`` must hold the same golds. Tokens are counted with the bundled
    Qwen2.5 tokenizer, as the env does by default.
    """

    if not extra_info or "problem_ids" not in extra_info:
        raise ValueError("osmckp compute_score needs the extra_info written by `osmckp export verl`")
    golds = _plain(extra_info["answers"])
    if ground_truth is not None and json.loads(ground_truth) != golds:
        raise ValueError("osmckp compute_score: ground_truth and extra_info['answers'] disagree")
    kind = kwargs.get("reward") or extra_info.get("reward", "rarl")
    edges = tuple(int(x) for x in _plain(extra_info.get("level_edges", (256, 512))))
    path = (kwargs.get("regret_reference") or extra_info.get("regret_reference")) if kind == "regret" else None
    reward = _exam_reward(kind, edges, str(path) if path else None)
    (record,) = reward.records(
        [solution_str],
        problem_ids=[_plain(extra_info["problem_ids"])],
        answers=[golds],
        tiers=[_plain(extra_info["tiers"])],
        verifiers=[_plain(extra_info["verifiers"])] if extra_info.get("verifiers") is not None else None,
        budget=[int(extra_info["budget"])],
        order=[extra_info.get("order", "medium")],
    )
    table = reward_table(record, reference_score(reward.reference, record))
    levels = with_both_levels(record["problems"])
    return {
        "score": float(table[kind]),
        "exam_score": table["score"],
        "rarl": table["rarl"],
        "skip_rate": float(table["skip_rate"]),
        "tokens": table["tokens"],
        "levels_predicted": float(len(levels)),
        "levels_right": float(sum(p["predicted_level"] == p["actual_level"] for p in levels)),
    }


@functools.lru_cache(maxsize=8)
def _exam_reward(kind: str, edges: tuple[int, ...], reference: str | None):
    """The ``ExamReward`` for one reward kind, bins and reference (made once per worker process,
    keyed on these values)."""

    return ExamReward(kind, bins=LevelBins(edges=edges), regret_reference=reference)


def compute_score_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs) -> dict:
    """``compute_score`` with the ``score`` reward whatever the data says (``custom_reward_function.name``)."""
    return compute_score(data_source, solution_str, ground_truth, extra_info, reward="score")
