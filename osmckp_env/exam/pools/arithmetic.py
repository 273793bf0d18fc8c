"""The arithmetic pool: integer expressions with knobs per tier (digits, terms, operations).

Needs nothing beyond the core package. Each problem is ``What is 47 + 85?`` with its integer value
as the gold, graded by math-verify (the verifier of the bundled pools). The default tiers are sums
of two numbers of one, two and three digits, which a small model (SmolLM2-135M-Instruct) solves about
half, a third and almost never of the time: three tiers with different costs and success rates.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, fields
from typing import ClassVar

from osmckp_env.exam.pools._base import check_tier, content_hash, item_id, stable_seed
from osmckp_env.exam.problems import TIERS, Problem

OPERATIONS = "+-*"
MAX_DIGITS = 18
MAX_TERMS = 20


@dataclass(frozen=True)
class ArithmeticTier:
    """One tier's knobs.

    Args:
        digits: digits of every operand (1: 1-9; 2: 10-99; ...), 1 to 18.
        terms: operands per expression, 2 to 20.
        ops: the operations drawn from for each place between two operands, any of ``+``, ``-``,
            ``*`` (``"+-"``: sums and differences); ``*`` binds before ``+`` and ``-``.
    """

    digits: int = 1
    terms: int = 2
    ops: str = "+"

    def __post_init__(self) -> None:
        if not isinstance(self.digits, int) or isinstance(self.digits, bool) or not 1 <= self.digits <= MAX_DIGITS:
            raise ValueError(f"digits must be an int in 1..{MAX_DIGITS}, got {self.digits!r}")
        if not isinstance(self.terms, int) or isinstance(self.terms, bool) or not 2 <= self.terms <= MAX_TERMS:
            raise ValueError(f"terms must be an int in 2..{MAX_TERMS}, got {self.terms!r}")
        ops = "".join(dict.fromkeys(self.ops)) if isinstance(self.ops, str) else None
        if not ops or set(ops) - set(OPERATIONS):
            raise ValueError(f"ops must be a string of operations among {OPERATIONS!r}, e.g. '+-', got {self.ops!r}")
        object.__setattr__(self, "ops", ops)


def _tier(value, name: str) -> ArithmeticTier:
    if isinstance(value, ArithmeticTier):
        return value
    if isinstance(value, dict):
        known = {f.name for f in fields(ArithmeticTier)}
        if set(value) - known:
            raise ValueError(
                f"arithmetic tier {name!r}: unknown knobs {sorted(set(value) - known)}; knobs: {sorted(known)}"
            )
        return ArithmeticTier(**value)
    raise TypeError(f"arithmetic tier {name!r} must be an ArithmeticTier or a dict of its knobs, got {value!r}")


def evaluate(operands: list[int], ops: list[str]) -> int:
    """The value of ``operands[0] ops[0] operands[1] ...`` with ``*`` before ``+`` and ``-``."""
    total, term = 0, operands[0]
    sign = 1
    for op, x in zip(ops, operands[1:]):
        if op == "*":
            term *= x
        else:
            total += sign * term
            sign, term = (1 if op == "+" else -1), x
    return total + sign * term


@dataclass(frozen=True)
class ArithmeticPool:
    """Integer arithmetic, one ``ArithmeticTier`` of knobs per tier.

    Item ``index`` of a tier is drawn from ``random.Random(base + index)``, ``base`` a seed derived
    from the knobs, the split, the suite seed and the tier (random access: any problem can be made
    alone). Verifier: math-verify (``verifier = ""``).

    Example:
        >>> pool = ArithmeticPool()
        >>> p = pool.problem("medium", 0, seed=0)
        >>> p.tier, p.problem.startswith("What is "), sum(map(int, p.problem[8:-1].split(" + "))) == int(p.answer)
        ('medium', True, True)
    """

    kind: ClassVar[str] = "arith"
    verifier: ClassVar[str] = ""

    easy: ArithmeticTier = ArithmeticTier(digits=1)
    medium: ArithmeticTier = ArithmeticTier(digits=2)
    hard: ArithmeticTier = ArithmeticTier(digits=3)

    def __post_init__(self) -> None:
        for t in TIERS:
            object.__setattr__(self, t, _tier(getattr(self, t), t))

    @property
    def name(self) -> str:
        return self.kind

    def to_dict(self) -> dict:
        return {"kind": self.kind, **{t: asdict(getattr(self, t)) for t in TIERS}}

    @classmethod
    def from_dict(cls, d: dict) -> ArithmeticPool:
        extra = set(d) - {"kind", *TIERS}
        if extra:
            raise ValueError(f"arithmetic pool: unknown fields {sorted(extra)}; give {list(TIERS)}")
        return cls(**{t: d[t] for t in TIERS if t in d})

    @property
    def hash(self) -> str:
        return content_hash(self.to_dict())

    def problem(self, tier: str, index: int, *, seed: int = 0, split: str = "eval", attempt: int = 0) -> Problem:
        """Item ``index`` of ``tier`` for a suite ``seed`` and ``split`` (``attempt`` > 0: a redraw,
        when the item repeats a problem already in its exam)."""
        check_tier(tier)
        knobs: ArithmeticTier = getattr(self, tier)
        base = stable_seed(self.kind, self.to_dict(), split, seed, tier, attempt)
        rng = random.Random(base + index)
        lo, hi = (1, 9) if knobs.digits == 1 else (10 ** (knobs.digits - 1), 10**knobs.digits - 1)
        operands = [rng.randint(lo, hi) for _ in range(knobs.terms)]
        ops = [rng.choice(knobs.ops) for _ in range(knobs.terms - 1)]
        expr = str(operands[0]) + "".join(f" {op} {x}" for op, x in zip(ops, operands[1:]))
        return Problem(
            item_id(self.kind, self.hash, split, seed, tier, index, attempt),
            self.name,
            f"What is {expr}?",
            str(evaluate(operands, ops)),
            tier,
        )
