"""Shared fixtures: tiny hand-made problems and exams, one grader per session."""

from __future__ import annotations

import pytest

from osmckp_env.exam.problems import Problem
from osmckp_env.exam.suites import Exam
from osmckp_env.grading import Grader


@pytest.fixture(scope="session")
def grader():
    g = Grader(n_workers=2, timeout_s=2, hard_timeout_s=6)
    yield g
    g.close()


def make_exam(answers=("4", "\\frac{1}{2}", "70"), budget=256, order="easy", index=0) -> Exam:
    tiers = ("easy", "medium", "hard")
    probs = tuple(
        Problem(f"p{k}", "test", f"Question {k}?", a, tiers[k % 3], 3 if tiers[k % 3] == "medium" else None)
        for k, a in enumerate(answers)
    )
    return Exam(index, probs, budget, order)


@pytest.fixture
def exam():
    return make_exam()


def completion(answers, levels=None, filler=""):
    parts = []
    for k, a in enumerate(answers, 1):
        lvl = f"<predicted_level>Level-{levels[k - 1]}</predicted_level>\n" if levels else ""
        parts.append(f"### Problem {k}\n{lvl}{filler}The answer is \\boxed{{{a}}}.\n")
    return "".join(parts)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """A tiny random Qwen2 model + trained tokenizer saved to disk (loaded by path like a real one)."""
    pytest.importorskip("transformers")
    from osmckp_env.testing.tiny_model import save_tiny_checkpoint

    return save_tiny_checkpoint(tmp_path_factory.mktemp("tiny") / "ckpt")


def gold_or_level_reply(levels=None):
    """Scripted model: answers level questions from ``levels`` (by tier), else the gold answers."""
    from osmckp_env.backends.scripted import gold_reply
    from osmckp_env.exam.problems import TIERS, load_pool

    levels = levels or {"easy": 0, "medium": 1, "hard": 3}
    tier_of = {p.problem.strip(): p.difficulty for t in TIERS for p in load_pool("eval", t)}

    def reply(messages, cap):
        user = messages[-1]["content"]
        if user.startswith("Estimate how many tokens"):
            body = user.split("\n\n", 1)[1].strip()
            return f"<predicted_level>Level-{levels[tier_of[body]]}</predicted_level>"
        return gold_reply(messages, cap)

    return reply
