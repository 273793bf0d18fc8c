"""Greedy-knapsack agent: predict each problem's level, choose by greedy knapsack, solve the chosen."""

from __future__ import annotations

from collections.abc import Sequence

from osmckp_env.agents.base import AgentOutput, PromptAgent, call_record
from osmckp_env.exam.knapsack import greedy_by_levels
from osmckp_env.exam.levels import SKIP_LEVEL, parse_level_tag
from osmckp_env.exam.prompts import LEVEL_TAG, SYSTEM_PROMPT, level_legend
from osmckp_env.exam.suites import Exam
from osmckp_env.exam.tokenization import safe_offsets
from osmckp_env.grading.parse import THINK_MARKERS, split_thinking

LEVEL_MAX_TOKENS = 24


class GreedyKnapsackAgent(PromptAgent):
    """Three stages per exam, batched across exams:

    1. ask the model for each problem's ``<predicted_level>`` (``LEVEL_MAX_TOKENS`` each; these
       planning tokens are recorded but not charged to the exam budget, see the README);
    2. choose problems with ``greedy_by_levels`` (typical costs 128/384/768, Level-3 skipped);
    3. solve the chosen problems in exam order, each capped at what is left minus the typical
       cost reserved for the chosen problems after it; the rest get ``\\boxed{NA}``.
    """

    name = "greedy-knapsack"
    with_levels = True

    def level_messages(self, problem) -> list[dict]:
        user = (
            "Estimate how many tokens you would need to solve this problem correctly. Reply with only "
            f"{LEVEL_TAG}, where " + level_legend(self.bins) + ".\n\n" + problem.problem
        )
        return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]

    def solve_messages(self, problem, cap: int) -> list[dict]:
        user = (
            f"Solve this problem within {cap} tokens. Be concise and end with the final answer in \\boxed{{...}}.\n\n"
            + problem.problem
        )
        return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]

    def _answer_and_thinking(self, text: str) -> tuple[str, int]:
        """A solve call's answer section and its thinking's tokens: several calls' think blocks
        cannot share one exam text (only the last block's end would count), so each call's thinking
        is charged to the exam as hidden reasoning (its text stays in the call log). The thinking
        rule is the backend's (the spec's ``think_markers``, which the runner gives the backend)."""
        sp = split_thinking(text, getattr(self.backend, "think_markers", THINK_MARKERS))
        answer = text[sp.answer_start : sp.answer_end]
        if len(answer) == len(text):
            return text, 0
        counter = self.backend.counter
        return answer, max(0, len(safe_offsets(counter, text)) - len(safe_offsets(counter, answer)))

    def solve(self, exams: Sequence[Exam]) -> list[AgentOutput]:
        outs = [AgentOutput("", [], {}) for _ in exams]
        lvl_prompts, where = [], []
        for i, e in enumerate(exams):
            for k, p in enumerate(e.problems):
                lvl_prompts.append(self.level_messages(p))
                where.append((i, k))
        comps = self.backend.generate(lvl_prompts, max_tokens=LEVEL_MAX_TOKENS, sampling=self.sampling)
        levels: list[list[int | None]] = [[None] * e.n_problems for e in exams]
        for (i, k), m, c in zip(where, lvl_prompts, comps):
            outs[i].calls.append(call_record(m, c, LEVEL_MAX_TOKENS, "level"))
            lvl = parse_level_tag(c.text)
            levels[i][k] = SKIP_LEVEL if lvl is None else lvl  # no usable estimate: treat as too costly
        chosen = [greedy_by_levels(levels[i], e.budget, self.bins) for i, e in enumerate(exams)]
        for i in range(len(exams)):
            outs[i].plan = {"levels": levels[i], "chosen": chosen[i]}
        # solve position by position so every exam's remaining budget is known before its next cap
        parts: list[list[str]] = [[] for _ in exams]
        remaining = [e.budget for e in exams]
        n_max = max(e.n_problems for e in exams)
        for k in range(n_max):
            batch, meta = [], []
            for i, e in enumerate(exams):
                if k >= e.n_problems:
                    continue
                header = f"### Problem {k + 1}\n<predicted_level>Level-{levels[i][k]}</predicted_level>\n"
                if k not in chosen[i]:
                    parts[i].append(header + "\\boxed{NA}\n")
                    continue
                reserve = sum(self.bins.cost_of(levels[i][j]) for j in chosen[i] if j > k)
                cap = remaining[i] - reserve - 24  # headers and tags of this and later problems
                if cap <= 0:
                    parts[i].append(header + "\\boxed{NA}\n")
                    continue
                batch.append(self.solve_messages(e.problems[k], cap))
                meta.append((i, header, cap))
            if not batch:
                continue
            comps = self.backend.generate(batch, max_tokens=[c for _, _, c in meta], sampling=self.sampling)
            for (i, header, cap), m, c in zip(meta, batch, comps):
                outs[i].calls.append(call_record(m, c, cap, "solve"))
                answer, thought = self._answer_and_thinking(c.text)
                parts[i].append(header + answer.strip() + "\n")
                outs[i].hidden_reasoning_tokens += c.hidden_reasoning_tokens + thought
                remaining[i] -= c.n_tokens
        for i in range(len(exams)):
            outs[i].text = "".join(parts[i])
        return outs
