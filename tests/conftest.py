"""Shared fixtures: tiny hand-made problems and exams, one grader per session."""

from __future__ import annotations

import pytest

from osmckp_env.grading import Grader
from osmckp_env.problems import Problem
from osmckp_env.suites import Exam


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
