"""A pool's verifier runs in the grader's killable workers, bounded by the hard timeout: a stand-in
``reasoning_gym`` package (first on the workers' PYTHONPATH) records where it ran, hangs, gives
partial credit, and takes long to import, as a real one might. (No test here uses the session's
``grader``: its workers would start with the stand-in on their path.)"""

from __future__ import annotations

import json
import os
import textwrap
import time

import pytest

from osmckp_env.exam.problems import Problem
from osmckp_env.exam.suites import Exam
from osmckp_env.grading import Grader
from osmckp_env.grading.record import score_completions
from osmckp_env.grading.verify import verifier_kind

FAKE_RG = """
import os, time
time.sleep(float(os.environ.get("FAKE_RG_IMPORT_S", "0")))  # a slow import: warm-up, not the answer's time
"""
FAKE_FACTORY = """
import os, time
from dataclasses import dataclass


@dataclass
class FakeConfig:
    knob: int = 0
    seed: int = 0
    size: int = 10


class FakeDataset:
    def __init__(self, config):
        self.config = config

    def score_answer(self, answer, entry):
        if answer == "where":
            with open(os.environ["FAKE_RG_PID_FILE"], "w") as fh:
                fh.write(str(os.getpid()))
            return 1.0
        if answer == "hang":
            time.sleep(600)
        if answer == "half":
            return 0.5
        return 1.0 if answer == entry["answer"] else 0.0


DATASETS = {"fake": (FakeDataset, FakeConfig)}
CURRICULA = {}


def create_curriculum(name):
    raise ValueError(name)
"""


def fake_verifier(answer: str = "42") -> str:
    entry = {"answer": answer, "metadata": {}}
    spec = {"kind": "rg", "dataset": "fake", "level": 0, "knobs": {"knob": 1}, "seed": 0, "size": 10, "entry": entry}
    return json.dumps(spec)


@pytest.fixture(scope="module")
def fake_rg(tmp_path_factory):
    root = tmp_path_factory.mktemp("fake_rg")
    (root / "reasoning_gym").mkdir()
    (root / "reasoning_gym" / "__init__.py").write_text(textwrap.dedent(FAKE_RG), encoding="utf-8")
    (root / "reasoning_gym" / "factory.py").write_text(textwrap.dedent(FAKE_FACTORY), encoding="utf-8")
    pid_file = root / "pid"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHONPATH", str(root))
        mp.setenv("FAKE_RG_IMPORT_S", "3")  # longer than the hard timeout below
        mp.setenv("FAKE_RG_PID_FILE", str(pid_file))
        g = Grader(n_workers=1, timeout_s=5, hard_timeout_s=2.0, startup_timeout_s=120)
        yield g, pid_file
        g.close()


class TestPoolVerifierInWorkers:
    def test_called_in_a_worker_after_a_warm_up_not_charged_to_the_answer(self, fake_rg):
        g, pid_file = fake_rg
        res = g.grade("where", "42", fake_verifier())  # first rg answer: the 3 s import is warm-up
        assert (res.correct, res.status, res.credit) == (True, "ok", 1.0)
        assert int(pid_file.read_text()) in g.worker_pids() and int(pid_file.read_text()) != os.getpid()

    def test_partial_credit_is_recorded_not_counted(self, fake_rg):
        g, _ = fake_rg
        res = g.grade("half", "42", fake_verifier())
        assert (res.correct, res.status, res.credit) == (False, "ok", 0.5) and "partial credit" in res.detail
        assert g.grade("42", "42", fake_verifier()).credit == 1.0
        assert g.grade("41", "42", fake_verifier()).correct is False

    def test_a_hanging_verifier_is_killed_at_the_hard_timeout(self, fake_rg):
        g, _ = fake_rg
        restarts = g.stats["worker_restarts"]
        t0 = time.monotonic()
        res = g.grade("hang", "42", fake_verifier())
        assert res.status == "timeout" and not res.correct
        assert time.monotonic() - t0 < 2.0 + 10  # the hard timeout, plus slack for a loaded machine
        assert g.stats["worker_restarts"] == restarts + 1
        assert g.grade("half", "42", fake_verifier()).credit == 0.5  # a fresh worker grades on

    def test_the_record_carries_the_verifier_and_its_credit(self, fake_rg):
        g, _ = fake_rg
        probs = tuple(
            Problem(f"rg-fake-{k}", "rg-fake", f"Q{k}?", "42", tier, verifier=fake_verifier())
            for k, tier in enumerate(("easy", "medium"))
        )
        exam = Exam(0, probs, 256, "easy")
        text = "### Problem 1\n\\boxed{42}\n### Problem 2\n\\boxed{half}\n"
        (rec,) = score_completions([exam], [text], grader=g)
        p1, p2 = rec["problems"]
        assert (p1["correct"], p1["credit"], p2["correct"], p2["credit"]) == (True, 1.0, False, 0.5)
        assert p1["verifier"] == fake_verifier() and rec["score"] == 1


def test_a_missing_reasoning_gym_is_a_grader_error_naming_the_extra(tmp_path, monkeypatch):
    (tmp_path / "reasoning_gym").mkdir()
    (tmp_path / "reasoning_gym" / "__init__.py").write_text("raise ImportError('not here')\n", encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    with Grader(n_workers=1, hard_timeout_s=30) as g:
        res = g.grade("42", "42", fake_verifier())
    assert res.status == "error" and "osmckp[rg]" in res.detail


def test_verifier_kinds():
    assert verifier_kind("") == "math" and verifier_kind(fake_verifier()) == "rg"
    with pytest.raises(KeyError, match="Did you mean 'rg'"):
        verifier_kind(json.dumps({"kind": "rgg"}))
    with pytest.raises(ValueError, match="JSON object"):
        verifier_kind("not json")
