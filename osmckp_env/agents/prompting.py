"""The paper's prompting baselines: direct, Plan-and-Solve, Least-to-Most, and the MFT format."""

from __future__ import annotations

from osmckp_env.agents.base import PromptAgent


class DirectAgent(PromptAgent):
    """The budget-aware plain prompt: states the budget, the format and that ``\\boxed{NA}`` skips."""

    name = "direct"


class PlanAndSolveAgent(PromptAgent):
    """Plan-and-Solve prompting (Wang et al., 2023): devise a plan, then carry it out step by step,
    here extended to the exam: plan which problems to attempt under the budget first."""

    name = "plan-and-solve"
    instructions = (
        "Let's first understand the problems and devise a plan: decide which problems are worth "
        "their token cost under the budget and which to skip. Then, for each problem in order, carry "
        "out the plan and solve it step by step, keeping every step short."
    )


class LeastToMostAgent(PromptAgent):
    """Least-to-Most prompting (Zhou et al., 2023): break each problem into simpler subproblems and
    solve them from the easiest up, reusing earlier answers."""

    name = "least-to-most"
    instructions = (
        "For each problem, first break it down into a short list of simpler subproblems, then solve "
        "the subproblems one by one from the simplest, using earlier answers, until the problem is "
        "solved. Skip a problem with \\boxed{NA} if its subproblems would not fit in the budget."
    )


class MFTAgent(PromptAgent):
    """Meta-cognitive format: per problem a ``<predicted_level>`` tag first, then solve or skip.
    MFT and RARL checkpoints are this agent with their model path."""

    name = "mft"
    with_levels = True
