"""Exact optimum and exact policy evaluation for one exam by dynamic programming.

State (position k, remaining budget b); O(N * B * |actions| * atoms) with numpy over b, so the
cost grows linearly in the budget, never exponentially.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from osmckp_env.exam.levels import LevelBins
from osmckp_env.sim.profiles import Atoms


def action_caps(bins: LevelBins) -> list[int | None]:
    """The action menu: 0 = skip, then one cap per level edge, then ``None`` = all that is left."""
    return [0, *bins.edges, None]


def claimed_level(action: int, bins: LevelBins) -> int:
    """The level an action commits to (for the ``rarl`` reward): ``bins.claimed_level``."""
    return bins.claimed_level(action)


def _q_values(
    atoms: Atoms, action: int, caps, b: np.ndarray, v_next: np.ndarray, bins: LevelBins, reward: str
) -> np.ndarray:
    if action == 0:
        return v_next[b]
    cap = caps[action]
    c = b if cap is None else np.minimum(cap, b)
    q = np.zeros(len(b))
    claim = bins.claimed_level(action)
    for L, p, w in zip(atoms.lengths, atoms.p_correct, atoms.weights):
        fits = L <= c
        t = np.where(fits, L, c)
        gain = np.where(fits, p, 0.0)
        if reward == "rarl":
            actual = bins.levels_of(t)
            gain = gain * (actual == claim)
        q += w * (gain + v_next[b - t])
    return q


def solve_exam(atoms: Sequence[Atoms], budget: int, bins: LevelBins | None = None, reward: str = "score"):
    """Optimal expected reward ``V[0, budget]`` and the optimal action table ``pi[k, b]``.

    Example: two problems that do not both fit 250 tokens; the oracle skips the first (action 0)
    for the likelier second.
        >>> from osmckp_env.sim.profiles import Atoms
        >>> first = Atoms.from_dict({"lengths": [200], "p_correct": [0.5]}, "first")
        >>> second = Atoms.from_dict({"lengths": [100], "p_correct": [0.9]}, "second")
        >>> value, pi, _ = solve_exam([first, second], budget=250)
        >>> round(value, 3), int(pi[0, 250])
        (0.9, 0)
    """
    bins = bins or LevelBins()
    caps = action_caps(bins)
    n = len(atoms)
    b = np.arange(budget + 1)
    V = np.zeros((n + 1, budget + 1))
    pi = np.zeros((n, budget + 1), dtype=np.int64)
    for k in range(n - 1, -1, -1):
        Q = np.stack([_q_values(atoms[k], a, caps, b, V[k + 1], bins, reward) for a in range(len(caps))])
        pi[k] = Q.argmax(0)
        V[k] = Q.max(0)
    return float(V[0, budget]), pi, V


def evaluate_table(
    atoms: Sequence[Atoms], budget: int, table: np.ndarray, bins: LevelBins | None = None, reward: str = "score"
) -> float:
    """Exact expected reward of a policy given as ``table[k, b]`` = action (ints) or
    ``table[k, b, a]`` = action probabilities."""
    bins = bins or LevelBins()
    caps = action_caps(bins)
    n = len(atoms)
    b = np.arange(budget + 1)
    v = np.zeros(budget + 1)
    for k in range(n - 1, -1, -1):
        Q = np.stack([_q_values(atoms[k], a, caps, b, v, bins, reward) for a in range(len(caps))])
        if table.ndim == 2:
            v = Q[table[k], b]
        else:
            v = (Q.T * table[k]).sum(1)
    return float(v[budget])


def brute_force(atoms: Sequence[Atoms], budget: int, bins: LevelBins | None = None, reward: str = "score") -> float:
    """Optimal expected reward by full expectimax recursion (exponential; the tests' reference)."""
    bins = bins or LevelBins()
    caps = action_caps(bins)

    def value(k: int, b: int) -> float:
        if k == len(atoms) or b <= 0:
            return 0.0
        best = value(k + 1, b)
        for a in range(1, len(caps)):
            c = b if caps[a] is None else min(caps[a], b)
            total = 0.0
            for L, p, w in zip(atoms[k].lengths, atoms[k].p_correct, atoms[k].weights):
                t = int(L) if L <= c else c
                g = float(p) if L <= c else 0.0
                if reward == "rarl" and bins.level_of(t) != bins.claimed_level(a):
                    g = 0.0
                total += w * (g + value(k + 1, b - t))
            best = max(best, total)
        return best

    return value(0, budget)
