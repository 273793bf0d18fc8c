"""Problem pools: sources of verifiable problems, each with a tier and a verifier.

- the **bundled** pools (GSM8K / MATH / AIME, ``exam.problems.load_pool``): finite, by split; a
  suite without a pool (``SuiteConfig(pool=None)``) draws from them. Verifier: math-verify.
- ``arith`` (``ArithmeticPool``): integer arithmetic with knobs per tier (digits, terms,
  operations); needs nothing extra. Verifier: math-verify.
- ``rg-<dataset>`` (``ReasoningGymPool``): any reasoning-gym dataset, the tier from its difficulty
  knobs (the ``rg`` extra). Verifier: the dataset's ``score_answer``.

A procedural pool is a frozen dataclass of validated knobs with ``problem(tier, index, *, seed,
split)``: item ``index`` of a tier, drawn on its own from a seed derived from the knobs, the split
and the suite seed (random access, the same on every machine). Its problems carry their verifier
(``Problem.verifier``), which the grader's workers dispatch on (``grading.verify.VERIFIERS``).
"""

from __future__ import annotations

from osmckp_env.exam._lookup import lookup
from osmckp_env.exam.pools._base import drawn_answer, remember, stable_seed
from osmckp_env.exam.pools.arithmetic import ArithmeticPool, ArithmeticTier
from osmckp_env.exam.pools.rg import ReasoningGymPool

POOL_KINDS = {"arith": ArithmeticPool, "rg": ReasoningGymPool}
Pool = ArithmeticPool | ReasoningGymPool


def pool_from_dict(d: dict) -> Pool:
    """A pool from its ``to_dict()`` (as suite files and results files store it)."""
    if not isinstance(d, dict) or "kind" not in d:
        raise ValueError(f"a pool is a mapping with a 'kind' ({', '.join(POOL_KINDS)}), got {d!r}")
    try:
        cls = lookup(POOL_KINDS, d["kind"], kind="pool kind")
    except KeyError as e:
        raise ValueError(e.args[0]) from None
    return cls.from_dict(d)


def pool_by_name(name: str) -> Pool:
    """A built-in pool by name: ``arith`` (default knobs) or ``rg-<dataset>`` (curriculum tiers).

    Example:
        >>> pool_by_name("rg-chain_sum").dataset, pool_by_name("arith").medium.digits
        ('chain_sum', 2)
    """
    if name == "arith":
        return ArithmeticPool()
    if isinstance(name, str) and name.startswith("rg-") and len(name) > 3:
        return ReasoningGymPool(name[3:])
    raise ValueError(f"unknown pool {name!r}; built-in pools: arith, rg-<dataset> (a reasoning-gym dataset)")


def as_pool(value) -> Pool | None:
    """``None`` (the bundled pools), a pool, its dict or its name, as a pool."""
    if value is None or isinstance(value, (ArithmeticPool, ReasoningGymPool)):
        return value
    if isinstance(value, str):
        return pool_by_name(value)
    if isinstance(value, dict):
        return pool_from_dict(value)
    raise TypeError(f"pool must be None, a pool, its dict or its name (arith, rg-<dataset>), got {value!r}")


__all__ = [
    "POOL_KINDS",
    "ArithmeticPool",
    "ArithmeticTier",
    "Pool",
    "ReasoningGymPool",
    "as_pool",
    "drawn_answer",
    "pool_by_name",
    "pool_from_dict",
    "remember",
    "stable_seed",
]
