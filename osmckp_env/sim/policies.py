"""Reference policies for the sim, each a function of (exam view, position, remaining budget)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from osmckp_env.exam._lookup import lookup
from osmckp_env.exam.knapsack import greedy_by_levels
from osmckp_env.sim.env import ExamView, SimEnv
from osmckp_env.sim.oracle import action_caps, evaluate_table, solve_exam


class SimPolicy:
    """Base: ``decide(view, k, b)`` returns an action or a probability vector over actions."""

    name = "policy"
    stochastic = False
    uses_atoms = False  # True: decisions depend on the profile's outcome distributions (the oracle)

    def decide(self, view: ExamView, k: int, b: int):
        raise NotImplementedError

    def table_key(self, view: ExamView) -> tuple:
        """What the decision table depends on. A policy that sees only what the env shows (tiers,
        MATH levels, predicted levels, budget) decides alike on every exam that looks alike, so
        its table is built once for all of them (with a per-problem profile, every exam has its
        own atoms, and rebuilding tables per exam made the sim leaderboard 10x slower)."""
        if self.uses_atoms:
            return ("atoms", view.signature)
        return (
            tuple((p.tier, p.math_level) for p in view.exam.problems),
            view.predicted_levels,
            view.budget,
            view.bins,
        )

    def table(self, view: ExamView) -> np.ndarray:
        """Decisions for every (position, remaining budget): (N, B+1) ints or (N, B+1, A) probabilities."""
        cache = self.__dict__.setdefault("_tables", {})
        key = self.table_key(view)
        if key not in cache:
            n, B = view.exam.n_problems, view.budget
            rows = [[self.decide(view, k, b) for b in range(B + 1)] for k in range(n)]
            if self.stochastic:
                cache[key] = np.array(rows).reshape(n, B + 1, len(action_caps(view.bins)))
            else:
                cache[key] = np.array(rows, dtype=np.int64)
        return cache[key]

    def expected(self, view: ExamView, reward: str = "score") -> float:
        return evaluate_table(view.atoms, view.budget, self.table(view), view.bins, reward)

    def act(self, info: dict, rng: np.random.Generator):
        d = self.decide(info["view"], info["position"], info["remaining"])
        if self.stochastic:
            return int(rng.choice(len(d), p=d))
        return int(d)


class AlwaysAttempt(SimPolicy):
    """Attempt every problem with all the budget that is left."""

    name = "always-attempt"

    def decide(self, view, k, b):
        return len(action_caps(view.bins)) - 1


class SkipHardestTier(SimPolicy):
    """Skip every problem of the hardest tier (AIME); attempt the rest with all that is left."""

    name = "skip-hardest-tier"

    def decide(self, view, k, b):
        return 0 if view.exam.problems[k].tier == "hard" else len(action_caps(view.bins)) - 1


def _largest_cap_within(view: ExamView, b: int, room: int) -> int:
    """The largest attempt action whose cap fits in ``room`` (the smallest cap if none does)."""
    caps = action_caps(view.bins)
    best = 1
    for a in range(1, len(caps)):
        if (b if caps[a] is None else caps[a]) <= room:
            best = a
    return best


class GreedyKnapsack(SimPolicy):
    """The paper's greedy-knapsack baseline, as the LLM agent runs it: ONE plan made before
    solving, from the predicted levels of the whole exam and its full budget (the same pure
    ``greedy_by_levels``). Problems outside the plan are skipped; a planned problem gets the
    largest cap that leaves the typical cost of the planned problems after it."""

    name = "greedy-knapsack"

    def __init__(self) -> None:
        self._plans: dict = {}

    def plan(self, view: ExamView) -> frozenset[int]:
        key = (view.predicted_levels, view.budget, view.bins)
        if key not in self._plans:
            self._plans[key] = frozenset(greedy_by_levels(list(view.predicted_levels), view.budget, view.bins))
        return self._plans[key]

    def decide(self, view, k, b):
        chosen = self.plan(view)
        if k not in chosen:
            return 0
        reserve = sum(view.bins.cost_of(view.predicted_levels[j]) for j in chosen if j > k)
        return _largest_cap_within(view, b, b - reserve)


class GreedyReplan(SimPolicy):
    """Greedy knapsack re-planned at every step over the problems still ahead and the budget
    actually left (not the paper's baseline, which plans once: see ``GreedyKnapsack``)."""

    name = "greedy-replan"

    def decide(self, view, k, b):
        levels = list(view.predicted_levels[k:])
        chosen = greedy_by_levels(levels, b, view.bins)
        if 0 not in chosen:
            return 0
        reserve = sum(view.bins.cost_of(levels[j]) for j in chosen if j > 0)
        return _largest_cap_within(view, b, b - reserve)


class RandomPolicy(SimPolicy):
    """Uniformly random actions."""

    name = "random"
    stochastic = True

    def decide(self, view, k, b):
        A = len(action_caps(view.bins))
        return np.full(A, 1.0 / A)


class Oracle(SimPolicy):
    """The exact optimum by dynamic programming over (position, remaining budget)."""

    name = "oracle"
    uses_atoms = True

    def __init__(self, reward: str = "score") -> None:
        self.reward = reward
        self._cache: dict = {}

    def _solve(self, view):
        key = (view.signature, self.reward)
        if key not in self._cache:
            self._cache[key] = solve_exam(view.atoms, view.budget, view.bins, self.reward)
        return self._cache[key]

    def decide(self, view, k, b):
        return int(self._solve(view)[1][k, b])

    def table(self, view):
        return self._solve(view)[1]

    def expected(self, view, reward: str = "score") -> float:
        if reward == self.reward:
            return self._solve(view)[0]
        return super().expected(view, reward)


class SB3Policy(SimPolicy):
    """A stable-baselines3 model acting on the env's observation (deterministic)."""

    name = "ppo"

    def __init__(self, model, name: str = "ppo") -> None:
        self.model = model
        self.name = name

    def decide(self, view, k, b):
        obs = SimEnv.features(view, k, b)
        return int(self.model.predict(obs, deterministic=True)[0])

    def table(self, view):
        cache = self.__dict__.setdefault("_tables", {})
        key = self.table_key(view)
        if key not in cache:
            n, B = view.exam.n_problems, view.budget
            obs = np.stack([SimEnv.features(view, k, b) for k in range(n) for b in range(B + 1)])
            acts = self.model.predict(obs, deterministic=True)[0]
            cache[key] = np.asarray(acts, dtype=np.int64).reshape(n, B + 1)
        return cache[key]


POLICIES: dict[str, Callable[[], SimPolicy]] = {
    "always-attempt": AlwaysAttempt,
    "skip-hardest-tier": SkipHardestTier,
    "greedy-knapsack": GreedyKnapsack,
    "greedy-replan": GreedyReplan,
    "random": RandomPolicy,
    "oracle": Oracle,
}


def make_policy(name: str) -> SimPolicy:
    return lookup(POLICIES, name, kind="sim policy")()
