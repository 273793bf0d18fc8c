"""Typed shapes of the runner's files (documentation and static checking; JSON on disk)."""

from __future__ import annotations

from typing import TypedDict


class ProblemRecord(TypedDict):
    position: int
    id: str
    tier: str
    gold: str
    answer: str | None
    status: str  # answered | skipped | missing
    predicted_level: int | None
    actual_level: int
    tokens: int
    correct: bool
    rarl: bool
    grade_status: str  # ok | timeout | error
    grade_detail: str


class ExamRecord(TypedDict):
    key: str  # "<order>:<exam_index>"
    config_hash: str
    suite: str
    suite_hash: str
    exam_index: int
    order: str
    budget: int
    problem_ids: list[str]
    problems: list[ProblemRecord]
    completion: str
    calls: list[dict]
    plan: dict | None
    error: str | None
    completion_tokens: int
    raw_completion_tokens: int
    budget_exhausted: bool
    truncated: bool
    score: int
    rarl_reward: int
    tokenizer: str
    timings: dict


class Results(TypedDict):
    osmckp_results: int
    osmckp_version: str
    git_hash: str | None
    date: str
    env_id: str
    spec: dict
    config_hash: str
    suite: dict
    easy_suite_hash: str
    tokenizer: str
    level_edges: list[int]
    metrics: dict
    metrics_easy: dict
    backend_errors: int
    grader: dict
    records_file: str
