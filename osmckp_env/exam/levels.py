"""Cost levels: the bins that map tokens spent on a problem to Level-0/1/2 (Level-3 = skip)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

SKIP_LEVEL = 3
LEVEL_TAG_RE = re.compile(r"<predicted_level>\s*Level[-_ ]?(\d+)\s*</predicted_level>", re.IGNORECASE)


@dataclass(frozen=True)
class LevelBins:
    """Token edges between cost levels.

    The default ``edges=(256, 512)`` follows the paper as summarised in PAPER.md:
    Level-0 < 256 tokens, Level-1 in [256, 512), Level-2 >= 512, and Level-3 means "too costly:
    answer ``\\boxed{NA}``". Pass ``edges=(256, 512, 1024)`` for the stricter reading in which
    a solution of 1024 tokens or more is itself Level-3.

    Args:
        edges: strictly increasing positive token counts; level k covers [edges[k-1], edges[k]).
        typical_costs: the cost a knapsack policy assumes for Level-0/1/2 (paper: 128/384/768).
    """

    edges: tuple[int, ...] = (256, 512)
    typical_costs: tuple[int, ...] = (128, 384, 768)

    def __post_init__(self) -> None:
        edges = tuple(int(e) for e in self.edges)
        object.__setattr__(self, "edges", edges)
        object.__setattr__(self, "typical_costs", tuple(int(c) for c in self.typical_costs))
        if not edges or any(e <= 0 for e in edges) or list(edges) != sorted(set(edges)):
            raise ValueError(
                f"LevelBins.edges must be strictly increasing positive token counts, got {self.edges}; "
                "e.g. LevelBins(edges=(256, 512))"
            )
        if len(edges) > SKIP_LEVEL:
            raise ValueError(f"at most {SKIP_LEVEL} edges (Level-3 is reserved for skips), got {edges}")
        if len(self.typical_costs) != SKIP_LEVEL or any(c <= 0 for c in self.typical_costs):
            raise ValueError(
                f"LevelBins.typical_costs needs one positive cost per Level-0/1/2, got {self.typical_costs}"
            )

    @classmethod
    def for_budget(cls, budget: int) -> LevelBins:
        """The bins for an exam budget (``level_edges: auto``, and the env's default): the paper's
        ``(256, 512)`` from 512 to 1024 tokens (the paper's budgets keep the paper's bins); below
        512 and above 1024, edges at a quarter and a half of the budget, ``(B/4, B/2)``, which is
        the paper's rule at 1024 continued (under 512 the paper's bins would put every answer in
        Level-0), with typical costs at the same places in the bins (half the first edge, the
        middle of the second bin, 1.5x the last edge: the paper's 128/384/768 at 1024)."""
        if not isinstance(budget, int) or isinstance(budget, bool) or budget <= 0:
            raise ValueError(f"budget must be a positive int, got {budget!r}")
        if 512 <= budget <= 1024:
            return cls()
        e1 = max(1, budget // 4)
        e2 = max(e1 + 1, budget // 2)
        return cls(edges=(e1, e2), typical_costs=(max(1, e1 // 2), (e1 + e2) // 2, e2 * 3 // 2))

    def level_of(self, n_tokens: int) -> int:
        """Level whose bin holds ``n_tokens`` (beyond the last edge: Level-2, or 3 with 3 edges).

        Example:
            >>> LevelBins().level_of(255), LevelBins().level_of(256), LevelBins().level_of(4000)
            (0, 1, 2)
        """
        for level, edge in enumerate(self.edges):
            if n_tokens < edge:
                return level
        return len(self.edges)

    def levels_of(self, n_tokens) -> np.ndarray:
        """``level_of`` over an array of token counts (the sims and the oracle use it)."""
        return np.searchsorted(np.asarray(self.edges), np.asarray(n_tokens), side="right")

    @property
    def n_actions(self) -> int:
        """The sim's action menu size: skip, one cap per edge, all that is left."""
        return len(self.edges) + 2

    def claimed_level(self, action):
        """The level a sim action commits to (for the ``rarl`` reward): skip (0) = Level-3, cap i
        (``edges[i-1]``) = Level-(i-1), all that is left = the last level. ``action`` may be an
        int or an integer array."""
        if isinstance(action, (int, np.integer)):  # the single env's step: no array work
            if not 0 <= action < self.n_actions:
                raise ValueError(f"actions are 0..{self.n_actions - 1} for edges {self.edges}, got {action!r}")
            return SKIP_LEVEL if action == 0 else int(action) - 1
        a = np.asarray(action)
        if ((a < 0) | (a >= self.n_actions)).any():
            raise ValueError(f"actions are 0..{self.n_actions - 1} for edges {self.edges}, got {action!r}")
        out = np.where(a == 0, SKIP_LEVEL, a - 1)
        return int(out) if out.ndim == 0 else out

    def cost_of(self, level: int) -> int | None:
        """Typical token cost of a level for knapsack planning; ``None`` for Level-3 (skip)."""
        if level >= SKIP_LEVEL or level < 0:
            return None
        return self.typical_costs[level]


def parse_level_tag(text: str) -> int | None:
    """The level k of the first ``<predicted_level>Level-k</predicted_level>`` in ``text``."""
    m = LEVEL_TAG_RE.search(text)
    if m is None:
        return None
    level = int(m.group(1))
    return level if 0 <= level <= SKIP_LEVEL else None
