"""The exam prompt: one documented format for the whole exam (see README "Output protocol")."""

from __future__ import annotations

from osmckp_env.exam.levels import SKIP_LEVEL, LevelBins

SYSTEM_PROMPT = (
    "You are taking a timed exam. You have ONE total token budget for all problems; "
    "generation stops when it is used up."
)

FORMAT_RULES = (
    "Answer the problems in the given order. For each problem k write a header line "
    "`### Problem k`, {level_rule}then your reasoning, and end with the final answer in "
    "\\boxed{{...}}. If a problem is not worth its cost, write \\boxed{{NA}} to skip it and save "
    "tokens for later problems. Only correct final answers score."
)

LEVEL_TAG = "<predicted_level>Level-k</predicted_level>"


def level_legend(bins: LevelBins) -> str:
    """What each level means under ``bins``, rendered from its edges (the one place that says it).

    ``LevelBins((256, 512))`` -> ``Level-0: under 256 tokens, Level-1: 256-511 tokens, Level-2: 512
    tokens or more, Level-3: not worth its cost, skip it``; with a third edge, Level-2 ends there
    and Level-3 also covers solutions at or above it.
    """
    e = bins.edges
    parts = [f"Level-0: under {e[0]} tokens"]
    parts += [f"Level-{k}: {e[k - 1]}-{e[k] - 1} tokens" for k in range(1, len(e))]
    if len(e) < SKIP_LEVEL:
        parts.append(f"Level-{len(e)}: {e[-1]} tokens or more")
        parts.append(f"Level-{SKIP_LEVEL}: not worth its cost, skip it")
    else:
        parts.append(f"Level-{SKIP_LEVEL}: {e[-1]} tokens or more, or not worth its cost: skip it")
    return ", ".join(parts)


def level_rule(bins: LevelBins) -> str:
    """The exam prompt's level instruction (a clause that precedes the reasoning)."""
    return f"first predict how many tokens you need as {LEVEL_TAG} ({level_legend(bins)}), "


def exam_user_prompt(
    exam, *, with_levels: bool = False, bins: LevelBins | None = None, budget: int | None = None
) -> str:
    """The user message posing every problem of ``exam`` under its budget."""
    bins = bins or LevelBins()
    budget = exam.budget if budget is None else budget
    rules = FORMAT_RULES.format(level_rule=level_rule(bins) if with_levels else "")
    parts = [f"Total token budget for this exam: {budget} tokens. There are {exam.n_problems} problems.", rules, ""]
    for k, p in enumerate(exam.problems, 1):
        parts.append(f"### Problem {k}\n{p.problem}\n")
    return "\n".join(parts).rstrip() + "\n"


def exam_messages(exam, *, with_levels: bool = False, bins: LevelBins | None = None) -> list[dict]:
    """Chat messages (system + user) for the whole exam."""
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": exam_user_prompt(exam, with_levels=with_levels, bins=bins)},
    ]


def problem_user_prompt(
    problem,
    *,
    position: int,
    n_problems: int,
    remaining: int,
    history: str = "",
    with_levels: bool = False,
    bins: LevelBins | None = None,
) -> str:
    """Sequential mode: one problem, with the remaining budget and the answers so far."""
    bins = bins or LevelBins()
    lvl = level_rule(bins) if with_levels else ""
    head = (
        f"Problem {position + 1} of {n_problems}. Remaining token budget for this and all later problems: "
        f"{remaining} tokens.\n"
        f"{lvl}Reason, then give the final answer in \\boxed{{...}}; \\boxed{{NA}} skips this problem."
    )
    hist = f"\nSo far:\n{history}\n" if history else ""
    return f"{head}\n{hist}\n{problem.problem}\n"
