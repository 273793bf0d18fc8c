"""Bundled problem pools (GSM8K, MATH, AIME), normalised to one ``Problem`` record each."""

from __future__ import annotations

import gzip
import json
import re
import warnings
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources

from osmckp_env.exam._lookup import lookup

TIERS = ("easy", "medium", "hard")
TIER_RANK = {t: i for i, t in enumerate(TIERS)}
SPLITS = ("train", "eval")

_GSM8K_ANSWER_RE = re.compile(r"####\s*(.+?)\s*$", re.S)


@dataclass(frozen=True)
class Problem:
    """One benchmark problem.

    ``tier`` is easy/medium/hard (GSM8K/MATH/AIME in the bundled pools); ``math_level`` the MATH
    dataset's level 1-5 where the source has one (not the cost level 0-3 of ``exam.levels``). ``id``
    is stable and traceable to its source (a bundled file, or a procedural pool's knobs, seed and
    index). ``verifier`` says how an answer is graded: ``""`` (the bundled and arithmetic pools) is
    math-verify against ``answer``; otherwise the canonical JSON a pool's verifier needs, naming its
    kind (``{"kind": "rg", ...}``: reasoning-gym's ``score_answer``), which the grader's workers
    dispatch on (``grading.verify.VERIFIERS``).
    """

    id: str
    source: str
    problem: str
    answer: str
    tier: str
    math_level: int | None = None
    verifier: str = ""

    @property
    def rank(self) -> tuple[int, int]:
        """Sort key from easiest to hardest: tier first, then MATH level."""
        return (TIER_RANK[self.tier], self.math_level or 0)

    @property
    def difficulty(self) -> str:
        """The tier, under its name before 0.4 (deprecated: use ``tier``)."""
        warnings.warn("Problem.difficulty is Problem.tier since osmckp 0.4", DeprecationWarning, stacklevel=2)
        return self.tier

    @property
    def level(self) -> int | None:
        """The MATH level, under its name before 0.4 (deprecated: use ``math_level``)."""
        warnings.warn("Problem.level is Problem.math_level since osmckp 0.4", DeprecationWarning, stacklevel=2)
        return self.math_level

    def to_dict(self) -> dict:
        d = asdict(self)
        if not self.verifier:
            del d["verifier"]  # math-verify: suite files of the bundled pools are as before 0.5
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Problem:
        """A problem from its dict (suite files before 0.4 say ``difficulty`` and ``level``)."""
        tier = d.get("tier", d.get("difficulty"))
        missing = {"id", "source", "problem", "answer"} - set(d) | ({"tier"} if tier is None else set())
        if missing:
            raise ValueError(f"problem record lacks fields {sorted(missing)}: {str(d)[:200]}")
        if tier not in TIER_RANK:
            raise ValueError(f"problem {d['id']!r}: tier must be one of {TIERS}, got {tier!r}")
        level = d.get("math_level", d.get("level"))
        return cls(
            id=str(d["id"]),
            source=str(d["source"]),
            problem=str(d["problem"]),
            answer=str(d["answer"]),
            tier=str(tier),
            math_level=int(level) if isinstance(level, int) or (isinstance(level, str) and level.isdigit()) else None,
            verifier=str(d.get("verifier") or ""),
        )


def _read_jsonl_gz(relpath: str) -> list[dict]:
    path = resources.files("osmckp_env") / "data" / relpath
    with path.open("rb") as fh, gzip.open(fh, "rt", encoding="utf-8") as text:
        return [json.loads(line) for line in text if line.strip()]


def gsm8k_final_answer(solution: str) -> str:
    """The final answer after ``####`` in a GSM8K worked solution (commas removed)."""
    m = _GSM8K_ANSWER_RE.search(solution)
    if m is None:
        raise ValueError(f"GSM8K solution has no '#### answer' line: {solution[-120:]!r}")
    return m.group(1).replace(",", "").strip()


def _gsm8k(split: str) -> list[Problem]:
    rows = _read_jsonl_gz(f"gsm8k/{split}.jsonl.gz")
    return [
        Problem(f"gsm8k-{split}-{i:05d}", "gsm8k", r["question"], gsm8k_final_answer(r["answer"]), "easy")
        for i, r in enumerate(rows)
    ]


def _math(split: str) -> list[Problem]:
    rows = _read_jsonl_gz(f"math/{split}.jsonl.gz")
    name = "math500" if split == "test" else "math"
    out = []
    for r in rows:
        if r.get("answer") is None:
            continue  # 2 rebuilt MATH-train rows have no boxed answer (see SOURCES.md)
        level = r.get("level")
        out.append(
            Problem(
                f"{name}-{r['unique_id']}",
                name,
                r["problem"],
                str(r["answer"]),
                "medium",
                level if isinstance(level, int) else None,
            )
        )
    return out


def _aime(years: tuple[int, ...]) -> list[Problem]:
    out = []
    for year in years:
        for r in _read_jsonl_gz(f"aime/aime_{year}.jsonl.gz"):
            out.append(Problem(r["id"], f"aime{year}", r["problem"], str(r["answer"]).strip(), "hard"))
    return out


def _aime_1983_2023() -> list[Problem]:
    """The optional larger hard-tier training pool (975 AIME problems, 1983-2023; DeepScaleR)."""
    return [
        Problem(r["id"], f"aime{r['year']}", r["problem"], str(r["answer"]).strip(), "hard")
        for r in _read_jsonl_gz("aime/aime_1983_2023.jsonl.gz")
    ]


_POOLS = {
    ("train", "easy"): lambda: _gsm8k("train"),
    ("train", "medium"): lambda: _math("train"),
    ("train", "hard"): lambda: _aime((2022, 2023, 2024)),
    ("eval", "easy"): lambda: _gsm8k("test"),
    ("eval", "medium"): lambda: _math("test"),
    ("eval", "hard"): lambda: _aime((2025,)),
}


@cache
def load_pool(split: str, tier: str, *, extended: bool = False) -> tuple[Problem, ...]:
    """Problems of one tier: ``split='eval'`` is GSM8K test / MATH-500 / AIME 2025,
    ``split='train'`` is GSM8K train / MATH train / AIME 2022-2024.

    ``extended=True`` (train split, hard tier only) gives the optional larger AIME pool,
    1983-2023 (975 problems; no overlap with AIME 2024 or 2025).
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if extended:
        if (split, tier) != ("train", "hard"):
            raise ValueError(f"extended=True is only for the train split's hard tier, got {split!r}/{tier!r}")
        return tuple(_aime_1983_2023())
    loader = lookup({t: _POOLS[(split, t)] for t in TIERS}, tier, kind="tier")
    return tuple(loader())


def load_pools(split: str) -> dict[str, tuple[Problem, ...]]:
    """All three tiers of a split."""
    return {tier: load_pool(split, tier) for tier in TIERS}
