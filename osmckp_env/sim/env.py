"""OSMCKP-Sim-v0: the allocation problem alone, numeric and fast, outcomes drawn from a profile."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from osmckp_env.exam.levels import SKIP_LEVEL, LevelBins
from osmckp_env.exam.problems import TIER_RANK
from osmckp_env.exam.suites import Exam, resolve_suite
from osmckp_env.scoring.rewards import REWARD_KINDS
from osmckp_env.sim.oracle import action_caps, solve_exam
from osmckp_env.sim.profiles import Atoms, Profile, get_profile

N_FEATURES = 12
REGRET_SHAPINGS = ("sparse", "potential")


def regret_step_reward(
    V: np.ndarray, k: int, b: int, b_next: int, gain: float, terminated: bool, score: float, shaping: str
) -> float:
    """One step's ``regret`` reward. ``V[k, b]``: the oracle's expected score-to-go.

    ``sparse``: 0 until the end, then ``score - V[0, B]``. ``potential``: ``gain + V(s') - V(s)``
    with ``V(s') = 0`` at the end (potential-based shaping with the oracle's values: the same
    return, ``score - V[0, B]``, and the same optimal policy).
    """
    if shaping == "sparse":
        return score - float(V[0, -1]) if terminated else 0.0
    v_next = 0.0 if terminated else float(V[k + 1, b_next])
    return gain + v_next - float(V[k, b])


@dataclass(frozen=True)
class ExamView:
    """What a sim policy may know about an exam (plus the profile's atoms for the oracle)."""

    exam: Exam
    atoms: tuple[Atoms, ...]
    predicted_levels: tuple[int, ...]
    budget: int
    bins: LevelBins

    @property
    def signature(self) -> tuple:
        return (tuple(id(a) for a in self.atoms), self.predicted_levels, self.budget)


def true_level(atoms: Atoms, budget: int, bins: LevelBins) -> int:
    """A problem's level as a calibrated MFT model would predict it: the bin of its median length,
    Level-3 if that exceeds the whole budget."""
    m = atoms.median_length
    return SKIP_LEVEL if m > budget else bins.level_of(m)


class SimEnv(gym.Env):
    """## Description
    The OS-MCKP allocation problem without an LLM: an exam of N problems under budget B. At
    each step the agent sees the current problem's features and skips or attempts it with a
    token allowance; tokens spent and correctness are drawn from a response profile. An
    attempt that needs more than its allowance is cut and scores 0, as in the text env.

    ## Observation Space
    ``Box(0, 1, (12,), float32)``: tier one-hot (3), MATH level / 5, position / N, remaining / B,
    problems left / N, B / 4096, predicted level one-hot (4; noisy if ``level_noise > 0``).
    ``info["view"]`` holds the raw ``ExamView`` for scripted policies.

    ## Action Space
    ``Discrete(len(edges) + 2)``: 0 = skip, i = attempt with a cap of ``edges[i-1]`` tokens,
    last = attempt with all that is left.

    ## Rewards
    ``score``: 1 per correct answer. ``rarl``: 1 only if correct AND the action's level
    (cap i -> Level-(i-1), all -> last level) equals the level of the tokens used.
    ``regret``: the episode's score minus the exact oracle's expected score for that exam under
    the env's profile (``info["reference"]``), so the return is minus the oracle regret of the
    episode and 0 is optimal in expectation. Paid at the end (``regret_shaping="sparse"``), or
    step by step as ``score_t + V(s_{t+1}) - V(s_t)`` with ``V`` the oracle's value-to-go
    (``regret_shaping="potential"``: potential-based, so the optimal policy is unchanged and the
    return is the same).

    ## Episode End
    All problems answered or the budget spent.

    ## Arguments
    ``suite`` (name, SuiteConfig, Suite, or a list of them to sample from), ``budget``,
    ``profile`` (bundled name, JSON path or ``Profile``), ``reward`` (``score``, ``rarl`` or
    ``regret``), ``regret_shaping`` (``sparse`` or ``potential``), ``level_noise``,
    ``n_exams``, ``suite_seed``, ``level_bins``.

    ## Version History
    * v0: initial release.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self,
        suite="medium-1024",
        *,
        budget: int | None = None,
        profile="synthetic-v0",
        reward: str = "score",
        level_noise: float = 0.0,
        n_exams: int | None = None,
        suite_seed: int = 0,
        level_bins: LevelBins | tuple | None = None,
        render_mode: str | None = None,
        regret_shaping: str = "sparse",
    ) -> None:
        if reward not in REWARD_KINDS:
            raise ValueError(f"reward must be one of {REWARD_KINDS}, got {reward!r}")
        if regret_shaping not in REGRET_SHAPINGS:
            raise ValueError(f"regret_shaping must be one of {REGRET_SHAPINGS}, got {regret_shaping!r}")
        self.regret_shaping = regret_shaping
        self._values: dict = {}
        if not 0.0 <= float(level_noise) <= 1.0:
            raise ValueError(f"level_noise must be in [0, 1], got {level_noise}")
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be 'ansi' or None, got {render_mode!r}")
        suites = suite if isinstance(suite, (list, tuple)) else [suite]
        self.suites = [resolve_suite(s, budget, n_exams, suite_seed) for s in suites]
        self.profile: Profile = get_profile(profile)
        if isinstance(level_bins, tuple):
            level_bins = LevelBins(edges=level_bins)
        self.bins = level_bins or LevelBins()
        self.caps = action_caps(self.bins)
        self.reward_kind = reward
        self.level_noise = float(level_noise)
        self.render_mode = render_mode
        self.observation_space = spaces.Box(0.0, 1.0, shape=(N_FEATURES,), dtype=np.float32)
        self.action_space = spaces.Discrete(len(self.caps))
        self._view: ExamView | None = None
        self._profile_id = (self.profile.name, self.profile.hash)
        # id(exam) -> (atoms, true levels, static feature rows, exam): worked out once per exam
        # (the exam itself is kept so its id stays its own)
        self._exam_cache: dict = {}

    def view_of(self, exam: Exam, rng: np.random.Generator | None = None) -> ExamView:
        atoms, levels, _, _ = self._exam_tables(exam)
        if rng is not None:
            # drawn whatever the noise, so that noise changes the predictions and nothing else
            # (the same seed gives the same exams and outcomes with and without noise)
            n = len(levels)
            r = rng.random(2 * n)
            levels = tuple(
                int(r[n + i] * (SKIP_LEVEL + 1)) if r[i] < self.level_noise else lvl for i, lvl in enumerate(levels)
            )
        return ExamView(exam, atoms, levels, exam.budget, self.bins)

    def _exam_tables(self, exam: Exam) -> tuple:
        cached = self._exam_cache.get(id(exam))
        if cached is None:
            atoms = tuple(self.profile.atoms_for(p) for p in exam.problems)
            levels = tuple(true_level(a, exam.budget, self.bins) for a in atoms)
            v = ExamView(exam, atoms, levels, exam.budget, self.bins)
            # one feature row per position and one for the end; predicted levels left out
            rows = np.stack([self.features(v, k, v.budget) for k in range(exam.n_problems + 1)])
            rows[:, 8:] = 0.0
            cached = self._exam_cache[id(exam)] = (atoms, levels, rows, exam)
        return cached

    def static_rows(self, exam: Exam) -> np.ndarray:
        """The exam's features that do not change along an episode: a row per position and one for
        the end, with the predicted-level columns zero and the remaining budget at full (shared
        with the vectorised env; do not modify)."""
        return self._exam_tables(exam)[2]

    def oracle_values(self, view: ExamView) -> np.ndarray:
        """The exact oracle's expected score-to-go ``V[k, b]`` for this exam (cached per exam)."""
        key = (view.exam, view.budget)
        if key not in self._values:
            self._values[key] = solve_exam(view.atoms, view.budget, self.bins, "score")[2]
        return self._values[key]

    @staticmethod
    def features(v: ExamView, k: int, remaining: int) -> np.ndarray:
        """The observation vector at position ``k`` with ``remaining`` tokens left."""
        n = v.exam.n_problems
        x = np.zeros(N_FEATURES, dtype=np.float32)
        if k < n:
            p = v.exam.problems[k]
            x[TIER_RANK[p.tier]] = 1.0
            x[3] = (p.math_level or 0) / 5.0
            x[8 + v.predicted_levels[k]] = 1.0
        x[4] = k / n
        x[5] = remaining / v.budget
        x[6] = (n - k) / n
        x[7] = min(1.0, v.budget / 4096)
        return x

    def _obs(self) -> np.ndarray:
        x = self._base[self._pos].copy()  # rows 0..n-1: the positions; row n: the end
        x[5] = self._remaining / self._view.budget
        return x

    def _info(self) -> dict:
        return {
            "view": self._view,
            "position": self._pos,
            "remaining": self._remaining,
            "exam_index": self._view.exam.index,
            "profile": self._profile_id[0],
            "profile_hash": self._profile_id[1],
        }

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        options = options or {}
        si = options.get("suite_index")
        s = self.suites[int(self.np_random.random() * len(self.suites)) if si is None else int(si)]
        i = options.get("exam_index")
        if i is None:
            i = int(self.np_random.random() * len(s))
        elif not isinstance(i, (int, np.integer)) or not 0 <= i < len(s):
            raise ValueError(f"options['exam_index'] must be an int in 0..{len(s) - 1}, got {i!r}")
        self._view = self.view_of(s[int(i)], self.np_random)
        self._V = self.oracle_values(self._view) if self.reward_kind == "regret" else None
        self._score = 0.0
        self._pos = 0
        self._remaining = self._view.budget
        self._log: list[str] = []
        # the exam's fixed features plus this episode's predicted levels
        v = self._view
        base = self._base = self.static_rows(v.exam).copy()
        for k, lvl in enumerate(v.predicted_levels):
            base[k, 8 + lvl] = 1.0
        return self._obs(), self._info()

    def step(self, action):
        if self._view is None:
            raise RuntimeError("call reset() before step()")
        if self._pos >= len(self._view.atoms) or self._remaining <= 0:
            raise RuntimeError("episode is over; call reset()")
        if type(action) is not int and isinstance(action, np.ndarray) and action.shape == ():
            action = action.item()
        if type(action) is not int and (not isinstance(action, (int, np.integer)) or isinstance(action, bool)):
            raise TypeError(f"action must be an int in 0..{len(self.caps) - 1} (0 = skip), got {type(action).__name__}")
        a = int(action)
        if not 0 <= a < len(self.caps):
            raise ValueError(f"action must be in 0..{len(self.caps) - 1} (0 = skip, last = all remaining), got {a}")
        k = self._pos
        tokens, correct = 0, False
        if a != 0:
            lengths, p_correct, cdf = self._view.atoms[k].lists
            cap = self._remaining if self.caps[a] is None else min(self.caps[a], self._remaining)
            j = min(bisect.bisect_right(cdf, self.np_random.random()), len(lengths) - 1)
            L = lengths[j]
            if L <= cap:
                tokens, correct = L, self.np_random.random() < p_correct[j]
            else:
                tokens = cap
        reward = float(correct)
        actual = SKIP_LEVEL if a == 0 else self.bins.level_of(tokens)
        if self.reward_kind == "rarl":
            reward = float(correct and actual == self.bins.claimed_level(a))
        b0 = self._remaining
        self._score += float(correct)
        self._remaining -= tokens
        self._pos += 1
        terminated = self._pos >= len(self._view.atoms) or self._remaining <= 0
        if self.reward_kind == "regret":
            reward = regret_step_reward(
                self._V, k, b0, self._remaining, float(correct), terminated, self._score, self.regret_shaping
            )
        if self.render_mode == "ansi":
            self._log.append(
                f"P{k + 1} {self._view.exam.problems[k].tier:<6} action={a} tokens={tokens} "
                f"correct={correct} left={self._remaining}"
            )
        info = self._info()
        info["tokens"], info["correct"], info["actual_level"] = tokens, bool(correct), actual
        if self._V is not None:
            info.update(score=self._score, reference=float(self._V[0, self._view.budget]), reference_source="oracle")
        return self._obs(), reward, terminated, False, info

    def render(self):
        if self.render_mode == "ansi":
            return "\n".join(self._log)
        return None
