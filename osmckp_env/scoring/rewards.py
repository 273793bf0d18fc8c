"""TRL-shaped reward functions over whole-exam completions, on the env's scoring path.

``fn(prompts, completions, **columns) -> list[float]``; the columns come from
``Suite.to_dataset()`` (``problem_ids``, ``problems``, ``answers``, ``tiers``, ``budget``, ``order``).
"""

from __future__ import annotations

from osmckp_env.exam.levels import LevelBins
from osmckp_env.exam.problems import Problem
from osmckp_env.exam.suites import Exam
from osmckp_env.exam.tokenization import TokenCounter
from osmckp_env.grading import Grader
from osmckp_env.grading.record import score_completions

REWARD_KINDS = ("score", "rarl")


def completion_text(completion) -> str:
    """Text of a completion given as a str or as chat messages (TRL conversational format)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list):
        return "".join(m.get("content", "") for m in completion if isinstance(m, dict))
    if isinstance(completion, dict):
        return str(completion.get("content", ""))
    raise TypeError(f"completion must be a str or a list of chat messages, got {type(completion).__name__}")


def exams_from_columns(problem_ids, answers, tiers, budget, problems=None, order=None) -> list[Exam]:
    """Rebuild the exams of a batch from dataset columns."""
    out = []
    for i, (ids, golds, ts) in enumerate(zip(problem_ids, answers, tiers, strict=True)):
        texts = problems[i] if problems is not None else [""] * len(ids)
        probs = tuple(Problem(pid, pid.split("-")[0], t, g, tier) for pid, t, g, tier in zip(ids, texts, golds, ts))
        out.append(Exam(i, probs, int(budget[i]), order[i] if order is not None else "medium"))
    return out


def make_exam_reward(
    kind: str = "rarl",
    *,
    counter: TokenCounter | None = None,
    bins: LevelBins | None = None,
    grader: Grader | None = None,
):
    """A reward function for ``trl.GRPOTrainer``: the env's ``score`` or ``rarl`` reward per exam.

    Example:
        >>> fn = make_exam_reward("score")
        >>> fn(prompts=[""], completions=["### Problem 1\\n\\\\boxed{4}"], problem_ids=[["x"]],
        ...    answers=[["4"]], tiers=[["easy"]], budget=[64])
        [1.0]
    """
    if kind not in REWARD_KINDS:
        raise ValueError(f"reward kind must be one of {REWARD_KINDS}, got {kind!r}")
    key = "score" if kind == "score" else "rarl_reward"

    def reward(prompts, completions, *, problem_ids, answers, tiers, budget, problems=None, order=None, **kwargs):
        exams = exams_from_columns(problem_ids, answers, tiers, budget, problems, order)
        texts = [completion_text(c) for c in completions]
        records = score_completions(exams, texts, counter=counter, bins=bins, grader=grader)
        return [float(r[key]) for r in records]

    reward.__name__ = f"osmckp_{kind}_reward"
    return reward
