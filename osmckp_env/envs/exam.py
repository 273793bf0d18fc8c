"""OSMCKP-v0: a whole multi-problem exam under one token budget, answered in one step."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from osmckp_env.envs.spaces import CompletionText, UnicodeText, read_action
from osmckp_env.exam.levels import LevelBins
from osmckp_env.exam.prompts import SYSTEM_PROMPT, exam_user_prompt, problem_user_prompt
from osmckp_env.exam.suites import Exam, Suite, SuiteConfig, resolve_suite
from osmckp_env.exam.tokenization import HFTokenCounter, TokenCounter, default_counter, repair_text
from osmckp_env.grading import Grader
from osmckp_env.grading.parse import THINK_MARKERS, check_think_markers
from osmckp_env.grading.record import (
    SequentialExam,
    score_completions,
)
from osmckp_env.scoring.rewards import REWARD_KINDS, reference_score, regret_reference_of, reward_table

MODES = ("exam", "sequential")
MAX_TEXT = 1_000_000  # action (completion) length limit, in characters
MAX_PROMPT = 200_000  # observation limit; sized for AsyncVectorEnv shared memory (4 bytes a character)
MAX_BUDGET = 2**31 - 1


class ExamEnv(gym.Env):
    """
    ## Description

    Budgeted multi-problem reasoning (OS-MCKP, ROI-Reasoning, arXiv 2601.03822). An episode is one
    exam: several math problems (GSM8K, MATH-500, AIME 2025 by default) in a fixed order under ONE
    token budget. The agent decides which problems to solve and which to skip (``\\boxed{NA}``) so
    that the budget lasts. ``OSMCKP-v0`` is the paper's setting (one completion answers the whole
    exam); ``OSMCKP-Seq-v0`` poses one problem per step.

    ## Action Space

    ``CompletionText``: the model's completion, a ``str`` of any characters (at most 1,000,000), or
    a mapping ``{"text": str, "hidden_reasoning_tokens": int}`` for a model whose server charged
    reasoning it did not return (OpenAI's o-series); ``PromptAgent.act`` returns the mapping when
    its backend reports hidden reasoning. The env counts the text's tokens with its own tokenizer,
    charges the hidden reasoning first (as the runner does: ``grading.record.cut_and_parse``) and
    cuts the text at what the budget leaves (in sequential mode, at what is left of it): the budget
    cannot be bypassed. Vector envs take a tuple of such actions, each a str or a mapping. See the
    README's "Output protocol" and "Reasoning models".

    ## Observation Space

    ``Dict`` with:

    - ``prompt`` (``UnicodeText``): the user message: every problem (exam mode), or the current one
      with the remaining budget and the answers so far (sequential mode); ``""`` once the episode ends.
    - ``remaining_budget`` (``Box(0, 2**31-1, (), int64)``): tokens left.
    - ``position`` (``Discrete(n + 1)``): the problem being posed (``n`` when done).

    The system message is ``osmckp_env.exam.prompts.SYSTEM_PROMPT``; ``info["messages"]`` holds both.

    ## Rewards

    From the one reward table (``osmckp_env.scoring.rewards.reward_table``):

    - ``reward="score"``: 1 per correct answer (a skip scores 0).
    - ``reward="rarl"``: 1 per problem that is correct AND whose ``<predicted_level>`` equals the
      level of the tokens it actually used (the paper's RARL reward).
    - ``reward="regret"``: the exam's score minus its reference score, the same exam's easy-order
      score in the reference run ``regret_reference`` (``info`` carries ``score``, ``reference``
      and ``reference_source``).

    Exam mode pays after its one step; sequential mode pays each problem's ``score``/``rarl`` at
    its step and ``regret`` (an exam-level quantity) at the last step.

    ## Starting State

    ``reset`` draws an exam of the suite uniformly with ``np_random`` (seeded by ``reset(seed=...)``),
    or takes ``options={"exam_index": i}``. The whole budget is left and the position is 0.

    ## Episode End

    The episode terminates after the one step in exam mode; in sequential mode when every problem
    has been posed or the budget is spent. It is never truncated. ``info["record"]`` then holds the
    exam record (``osmckp_env.grading.record.ExamRecord``).

    ## Arguments

    - ``suite``: a suite name (``medium-1024`` default, ``medium-512``, ``hard-1024``, ``hard-512``,
      ``easy-*``, or a procedural one: ``arith-<order>-<B>``, ``rg-<dataset>-<order>-<B>``), a suite
      ``.jsonl`` file, a ``SuiteConfig`` (``SuiteConfig(pool="arith", seed=7, ...)``) or a ``Suite``.
    - ``budget``: replaces the suite's budget (the same exams).
    - ``reward``: ``score`` (default), ``rarl`` or ``regret``.
    - ``regret_reference``: for ``reward="regret"``, a results file (``osmckp run SPEC --suite ...``)
      whose easy-order records hold every exam of the suite (found by content and budget).
    - ``mode``: ``exam`` (default) or ``sequential`` (``OSMCKP-Seq-v0`` sets it).
    - ``n_exams``: use only the suite's first ``n_exams`` exams.
    - ``suite_seed``: draws a different named suite (default 0, the published one).
    - ``counter``: the token counter, a ``TokenCounter`` or a tokenizer (default: the bundled Qwen2.5 BPE).
    - ``level_bins``: ``LevelBins`` or a tuple of edges (default ``LevelBins.for_budget`` of the suite's
      budget: the paper's ``(256, 512)`` at 512 and 1024).
    - ``with_levels``: ask for ``<predicted_level>`` tags in the prompt (default ``False``).
    - ``grader``: a ``Grader`` (default: the process-wide one).
    - ``think_markers``: the thinking rule's (opening, closing) markers, default ``("<think>",
      "</think>")``: every token counts against the budget, thinking included, and only the text
      after the last closing marker is read for answers; ``None`` reads the whole text.
    - ``render_mode``: ``ansi`` (returns the transcript) or ``human`` (prints it).

    ## Example

        >>> import gymnasium as gym
        >>> import osmckp_env  # registers the envs
        >>> env = gym.make("OSMCKP-v0", suite="medium-512", n_exams=2)
        >>> obs, info = env.reset(seed=0, options={"exam_index": 0})
        >>> exam = env.unwrapped.suite[0]
        >>> text = "".join(f"### Problem {k + 1}\\n\\\\boxed{{{p.answer}}}\\n" for k, p in enumerate(exam.problems))
        >>> obs, reward, terminated, truncated, info = env.step(text)
        >>> reward, terminated, info["record"]["completion_tokens"] <= 512
        (3.0, True, True)

    ## Version History

    - v0: initial release. Records are ``record_version`` 2 and suites ``SUITE_VERSION`` 2 since osmckp 0.2;
      ``record_version`` 3 (the thinking rule, ``think_markers``) since 0.3. Since 0.4 a record's
      problems carry ``tier`` as before and suites name MATH's level ``math_level``; sequential
      records are built by ``grading.record.SequentialExam`` (the same fields and values). Since 0.5
      an action may be a mapping carrying ``hidden_reasoning_tokens`` (``CompletionText``), and a suite
      may be procedural (problems from a pool, graded by its verifier; the record's problems then carry
      ``verifier`` and ``credit``).
    """

    metadata = {"render_modes": ["ansi", "human"], "render_fps": 1}

    def __init__(
        self,
        suite: str | Suite | SuiteConfig = "medium-1024",
        *,
        budget: int | None = None,
        reward: str = "score",
        mode: str = "exam",
        n_exams: int | None = None,
        suite_seed: int = 0,
        counter: TokenCounter | Any | None = None,
        level_bins: LevelBins | tuple[int, ...] | None = None,
        with_levels: bool = False,
        grader: Grader | None = None,
        render_mode: str | None = None,
        regret_reference=None,
        think_markers=THINK_MARKERS,
    ) -> None:
        if reward not in REWARD_KINDS:
            raise ValueError(f"reward must be one of {REWARD_KINDS}, got {reward!r}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")
        self.suite = resolve_suite(suite, budget, n_exams, suite_seed)
        self.reward_kind = reward
        self.reference = regret_reference_of(reward, regret_reference)
        if self.reference is not None:
            self.reference.check_covers(self.suite.exams, self.suite.name)
        self.mode = mode
        if counter is None:
            self.counter = default_counter()
        elif isinstance(counter, TokenCounter):
            self.counter = counter
        else:
            self.counter = HFTokenCounter(counter, getattr(counter, "name_or_path", type(counter).__name__))
        if isinstance(level_bins, tuple):
            level_bins = LevelBins(edges=level_bins)
        self.bins = level_bins or LevelBins.for_budget(self.suite.config.budget)
        self.with_levels = with_levels
        self.think_markers = check_think_markers(think_markers)
        self.grader = grader
        self.render_mode = render_mode
        n = max(e.n_problems for e in self.suite.exams)
        self.observation_space = spaces.Dict(
            {
                "prompt": UnicodeText(MAX_PROMPT),
                "remaining_budget": spaces.Box(0, MAX_BUDGET, shape=(), dtype=np.int64),
                "position": spaces.Discrete(n + 1),
            }
        )
        self.action_space = CompletionText(MAX_TEXT)
        self._exam: Exam | None = None
        self._transcript: list[str] = []

    # -- episode state -------------------------------------------------------------------
    def _obs(self) -> dict:
        exam = self._exam
        if self.mode == "exam":
            prompt = exam_user_prompt(exam, with_levels=self.with_levels, bins=self.bins)
        elif not self._seq.done:
            prompt = problem_user_prompt(
                exam.problems[self._seq.position],
                position=self._seq.position,
                n_problems=exam.n_problems,
                remaining=self._seq.remaining,
                history="\n".join(self._history),
                with_levels=self.with_levels,
                bins=self.bins,
            )
        else:
            prompt = ""
        return {
            "prompt": prompt,
            "remaining_budget": np.array(self._seq.remaining, dtype=np.int64),
            "position": self._seq.position,
        }

    def _info(self) -> dict:
        obs_prompt = self._last_prompt
        return {
            "exam_index": self._exam.index,
            "suite": self.suite.name,
            "suite_hash": self.suite.hash,
            "budget": self._exam.budget,
            "order": self._exam.order,
            "problem_ids": [p.id for p in self._exam.problems],
            "tokenizer": self.counter.name,
            "messages": [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": obs_prompt}],
        }

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Start an exam: ``options={"exam_index": i}`` picks one, else it is drawn from ``np_random``."""
        super().reset(seed=seed)
        options = options or {}
        if "exam_index" in options:
            i = options["exam_index"]
            if not isinstance(i, (int, np.integer)) or not 0 <= int(i) < len(self.suite):
                raise ValueError(f"options['exam_index'] must be an int in 0..{len(self.suite) - 1}, got {i!r}")
            i = int(i)
        else:
            i = int(self.np_random.integers(len(self.suite)))
        self._exam = self.suite[i]
        self._seq = SequentialExam(
            self._exam, counter=self.counter, bins=self.bins, grader=self.grader, think_markers=self.think_markers
        )
        self._history: list[str] = []
        self._done = False
        obs = self._obs()
        self._last_prompt = obs["prompt"]
        self._transcript = [f"=== exam {i} ({self.suite.name}, budget {self._exam.budget}) ===", obs["prompt"]]
        return obs, self._info()

    def step(self, action):
        if self._exam is None:
            raise RuntimeError("call reset() before step()")
        if self._done:
            raise RuntimeError("episode is over; call reset() to start a new exam")
        act = read_action(action)
        return self._step_exam(act) if self.mode == "exam" else self._step_sequential(act)

    def _reference_info(self, record) -> dict:
        """What the reward is measured against (``regret`` only) and the exam's score."""
        if self.reference is None:
            return {}
        return {
            "score": float(record["score"]),
            "reference": reference_score(self.reference, record),
            "reference_source": self.reference.source,
        }

    def _step_exam(self, act):
        text, hidden = act.text, act.hidden_reasoning_tokens
        rec = score_completions(
            [self._exam],
            [text],
            counter=self.counter,
            bins=self.bins,
            grader=self.grader,
            think_markers=self.think_markers,
            hidden_tokens=[hidden],
            generated_tokens=[act.generated_tokens],
        )[0]
        self._done = True
        self._record = rec
        self._transcript.extend([*_hidden_line(hidden), text])
        self._transcript.extend(_problem_lines(rec["problems"]))
        info = {**self._info(), "record": rec, **self._reference_info(rec)}
        obs = {
            "prompt": "",
            "remaining_budget": np.array(self._exam.budget - rec["completion_tokens"], dtype=np.int64),
            "position": self._exam.n_problems,
        }
        return obs, reward_table(rec, reference_score(self.reference, rec))[self.reward_kind], True, False, info

    def _step_sequential(self, act):
        text, hidden = act.text, act.hidden_reasoning_tokens
        seq, pos = self._seq, self._seq.position
        prob = seq.answer(text, hidden, act.generated_tokens)
        self._history.append(f"Problem {pos + 1}: {prob['status']}, answer {prob['answer']!r}, {prob['tokens']} tokens")
        self._transcript.extend([f"--- problem {pos + 1} ---", *_hidden_line(hidden), text])
        self._transcript.extend(_problem_lines([prob]))
        terminated = seq.done
        info = {**self._info(), "problem": prob}
        if terminated:
            self._done = True
            self._record = seq.record()
            info["record"] = self._record
            info.update(self._reference_info(self._record))
        obs = self._obs()
        self._last_prompt = obs["prompt"]
        if self.reward_kind == "regret":  # an exam-level reward: paid once, at the end
            reward = (
                reward_table(self._record, reference_score(self.reference, self._record))["regret"]
                if terminated
                else 0.0
            )
        else:  # score and rarl are sums over problems: each problem's share is paid at its step
            reward = reward_table({"problems": [prob]})[self.reward_kind]
        return obs, reward, terminated, False, info

    def render(self):
        if self.render_mode is None:
            return None
        text = repair_text("\n".join(self._transcript))[0]  # a completion may hold invalid code points
        if self.render_mode == "human":
            print(text)
            return None
        return text


def _hidden_line(hidden: int) -> list[str]:
    return [f"[hidden reasoning: {hidden} tokens, charged first]"] if hidden else []


def _problem_lines(problems: list[dict]) -> list[str]:
    return [
        f"[P{p['position'] + 1} {p['tier']:<6}] {p['status']:<8} answer={p['answer']!r} gold={p['gold']!r} "
        f"correct={p['correct']} level(pred/actual)={p['predicted_level']}/{p['actual_level']} tokens={p['tokens']}"
        + ("" if p["grade_status"] == "ok" else f" GRADER {p['grade_status'].upper()}")
        for p in problems
    ]
