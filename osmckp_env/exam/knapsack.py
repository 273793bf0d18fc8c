"""The greedy value/cost knapsack the paper uses as a baseline (pure; shared by agents and the sim)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

from osmckp_env.exam.levels import LevelBins


def greedy_knapsack(costs: Sequence[int | None], budget: int, values: Sequence[float] | None = None) -> list[int]:
    """Indices to attempt: sort by value/cost (cost ascending for equal values), keep while the
    running total stays within ``budget``. ``None`` cost (Level-3) is never chosen.

    With equal values this is exactly the paper's rule (sort by cost ascending, keep while the
    total fits, skip the rest): after the first item that does not fit, none later can. With
    unequal values an item that does not fit is skipped and later, cheaper items are still tried.
    """
    if budget < 0:
        raise ValueError(f"budget must be >= 0, got {budget}")
    values = [1.0] * len(costs) if values is None else list(values)
    if len(values) != len(costs):
        raise ValueError(f"{len(values)} values for {len(costs)} costs")
    cand = [i for i, c in enumerate(costs) if c is not None and c >= 0 and values[i] > 0]
    cand.sort(key=lambda i: (-(values[i] / max(costs[i], 1)), costs[i], i))
    chosen, total = [], 0
    for i in cand:
        if total + costs[i] <= budget:
            chosen.append(i)
            total += costs[i]
    return sorted(chosen)


def greedy_by_levels(
    levels: Sequence[int | None], budget: int, bins: LevelBins | None = None, values: Sequence[float] | None = None
) -> list[int]:
    """``greedy_knapsack`` with each level's typical cost (Level-0/1/2 -> 128/384/768 by default)."""
    bins = bins or LevelBins()
    costs = [None if lvl is None else bins.cost_of(lvl) for lvl in levels]
    return greedy_knapsack(costs, budget, values)


def best_subset(
    costs: Sequence[int | None], budget: int, values: Sequence[float] | None = None
) -> tuple[float, list[int]]:
    """Exact 0/1 knapsack by enumeration (small inputs; the reference for tests)."""
    values = [1.0] * len(costs) if values is None else list(values)
    items = [i for i, c in enumerate(costs) if c is not None]
    best: tuple[float, list[int]] = (0.0, [])
    for r in range(1, len(items) + 1):
        for combo in combinations(items, r):
            if sum(costs[i] for i in combo) <= budget:
                v = sum(values[i] for i in combo)
                if v > best[0]:
                    best = (v, list(combo))
    return best
