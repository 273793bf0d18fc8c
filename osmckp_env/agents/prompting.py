"""The paper's prompting baselines: direct, Plan-and-Solve, Least-to-Most, and the MFT format."""

from __future__ import annotations

import re
from collections.abc import Sequence

from osmckp_env.agents.base import AgentOutput, PromptAgent, call_record, generated_count
from osmckp_env.backends.base import Messages
from osmckp_env.exam.prompts import SYSTEM_PROMPT, exam_user_prompt
from osmckp_env.exam.suites import Exam


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


ASSESS_MAX_TOKENS = 64
_SKIP_LINE_RE = re.compile(r"SKIP\s*:\s*([^\n]*)", re.IGNORECASE)


def parse_skip_list(text: str, n_problems: int) -> list[int] | None:
    """Problem indices (0-based) named on the ``SKIP: 2, 3`` line (``SKIP: none`` -> []); ``None``
    if there is no such line (the assessment is then ignored)."""
    m = _SKIP_LINE_RE.search(text)
    if m is None:
        return None
    return sorted({int(x) - 1 for x in re.findall(r"\d+", m.group(1)) if 1 <= int(x) <= n_problems})


class LeastToMostAgent(PromptAgent):
    """Least-to-Most prompting (Zhou et al., 2023): break each problem into simpler subproblems and
    solve them from the easiest up, reusing earlier answers.

    With the paper's **global assessment** step: before solving, one short call shows the model the
    whole exam and its budget and asks which problems to skip (``SKIP: 2, 3`` or ``SKIP: none``,
    at most ``ASSESS_MAX_TOKENS`` tokens, recorded in the call log and the plan but, like the greedy
    agent's level calls, not charged to the exam budget). The solving prompt then names the
    problems to answer with ``\\boxed{NA}``.
    """

    name = "least-to-most"
    instructions = (
        "For each problem, first break it down into a short list of simpler subproblems, then solve "
        "the subproblems one by one from the simplest, using earlier answers, until the problem is "
        "solved. Skip a problem with \\boxed{NA} if its subproblems would not fit in the budget."
    )
    assessment = (
        "Before solving anything, assess the whole exam: which problems are worth their token cost under "
        "the total budget, and which should be skipped to keep budget for the others? Do not solve them now. "
        "Reply with one line only: `SKIP: ` followed by the numbers of the problems to skip, or `SKIP: none`."
    )

    def assess_messages(self, exam: Exam) -> Messages:
        user = exam_user_prompt(exam, with_levels=False, bins=self.bins) + "\n" + self.assessment + "\n"
        return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]

    def solve_messages(self, exam: Exam, skip: list[int] | None) -> Messages:
        msgs = self.messages(exam)
        if skip is not None:
            said = ", ".join(str(k + 1) for k in skip) if skip else "none"
            msgs[-1]["content"] += f"Your assessment of the whole exam: skip problems {said}. " + (
                "Answer each of them with its header and \\boxed{NA} only.\n" if skip else "\n"
            )
        return msgs

    def solve(self, exams: Sequence[Exam]) -> list[AgentOutput]:
        assess = [self.assess_messages(e) for e in exams]
        verdicts = self.backend.generate(assess, max_tokens=ASSESS_MAX_TOKENS, sampling=self.sampling)
        skips = [parse_skip_list(c.text, e.n_problems) for c, e in zip(verdicts, exams)]
        prompts = [self.solve_messages(e, sk) for e, sk in zip(exams, skips)]
        comps = self.backend.generate(prompts, max_tokens=[e.budget for e in exams], sampling=self.sampling)
        return [
            AgentOutput(
                c.text,
                [call_record(am, ac, ASSESS_MAX_TOKENS, "assess"), call_record(m, c, e.budget)],
                {"skip": sk},
                hidden_reasoning_tokens=c.hidden_reasoning_tokens,
                generated_tokens=generated_count(self.backend, c),
            )
            for am, ac, sk, m, c, e in zip(assess, verdicts, skips, prompts, comps, exams)
        ]


class MFTAgent(PromptAgent):
    """Meta-cognitive format: per problem a ``<predicted_level>`` tag first, then solve or skip.
    MFT and RARL checkpoints are this agent with their model path."""

    name = "mft"
    with_levels = True
