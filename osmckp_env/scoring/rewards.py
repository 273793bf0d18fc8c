"""The one reward table: every reward kind, computed from a scored exam record in one place.

``reward_table(record)`` gives each kind the envs can pay (``score``, ``rarl``) and the
zero-weight terms RL logs (``skip_rate``, ``tokens``, ``level_accuracy``). ``OSMCKP-v0(reward=...)``,
the sequential env, the TRL reward functions for RARL (``make_exam_reward`` and the trainer's
batch scorer) all read it. TRL-shaped functions are ``fn(prompts, completions, **columns) ->
list[float]``, with the columns of ``Suite.to_dataset()`` (``problem_ids``, ``problems``,
``answers``, ``tiers``, ``budget``, ``order``).
"""

from __future__ import annotations

from osmckp_env.exam.levels import LevelBins
from osmckp_env.exam.problems import Problem
from osmckp_env.exam.suites import Exam
from osmckp_env.exam.tokenization import TokenCounter
from osmckp_env.grading import Grader
from osmckp_env.grading.record import score_completions

REWARD_KINDS = ("score", "rarl")  # what an env can pay
LOG_TERMS = ("skip_rate", "tokens", "level_accuracy")  # logged alongside, never trained on


def reward_table(record) -> dict[str, float | None]:
    """Every reward kind and logging term of one scored exam (or of the problems scored so far,
    as the sequential env pays them step by step).

    - ``score``: correct answers; ``rarl``: correct answers whose predicted level equals the
      level of the tokens used (the paper's RARL reward);
    - ``skip_rate``: share of problems skipped; ``tokens``: completion tokens counted by the env;
    - ``level_accuracy``: share of problems with a predicted and an actual level that match
      (``None`` if no problem has both).
    """
    ps = record["problems"]
    levels = [p for p in ps if p["predicted_level"] is not None and p.get("actual_level") is not None]
    return {
        "score": float(sum(p["correct"] for p in ps)),
        "rarl": float(sum(p["rarl"] for p in ps)),
        "skip_rate": sum(p["status"] == "skipped" for p in ps) / len(ps) if ps else 0.0,
        "tokens": float(record.get("completion_tokens", sum(p["tokens"] for p in ps))),
        "level_accuracy": sum(p["predicted_level"] == p["actual_level"] for p in levels) / len(levels)
        if levels
        else None,
    }


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
    """A reward function for ``trl.GRPOTrainer``: one kind of ``reward_table`` per exam (the env's
    ``score`` or ``rarl`` reward, or a logging term).

    Example:
        >>> fn = make_exam_reward("score")
        >>> fn(prompts=[""], completions=["### Problem 1\\n\\\\boxed{4}"], problem_ids=[["x"]],
        ...    answers=[["4"]], tiers=[["easy"]], budget=[64])
        [1.0]
    """
    if kind not in REWARD_KINDS + LOG_TERMS:
        raise ValueError(f"reward kind must be one of {REWARD_KINDS + LOG_TERMS}, got {kind!r}")

    def reward(prompts, completions, *, problem_ids, answers, tiers, budget, problems=None, order=None, **kwargs):
        exams = exams_from_columns(problem_ids, answers, tiers, budget, problems, order)
        texts = [completion_text(c) for c in completions]
        records = score_completions(exams, texts, counter=counter, bins=bins, grader=grader)
        return [reward_table(r)[kind] for r in records]

    reward.__name__ = f"osmckp_{kind}_reward"
    return reward
