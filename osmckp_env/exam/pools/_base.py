"""What every procedural pool shares: canonical JSON, seeds derived from content, the pool hash
that problem ids carry, and the answers of the problems drawn in this process."""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict

from osmckp_env.exam.problems import TIERS


def canonical_json(value) -> str:
    """One spelling of a JSON-able value: sorted keys, no spaces, UTF-8 kept (hashes and verifier specs)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def stable_seed(*parts) -> int:
    """A 63-bit seed from ``parts`` (JSON-able): the same on every machine and Python version (sha256,
    never ``hash()``), and unrelated seeds for neighbouring parts (tier, split, suite seed)."""
    digest = hashlib.sha256(canonical_json(list(parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def content_hash(value, n: int = 8) -> str:
    """The first ``n`` hex digits of the sha256 of ``value``'s canonical JSON."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()[:n]


def check_tier(tier: str) -> None:
    if tier not in TIERS:
        raise ValueError(f"tier must be one of {TIERS}, got {tier!r}")


def item_id(pool_name: str, pool_hash: str, split: str, seed: int, tier: str, index: int, attempt: int = 0) -> str:
    """A drawn problem's id: its pool, knobs (hash), split, suite seed, tier and index, all it is made from."""
    return f"{pool_name}-{pool_hash}-{split}-s{seed}-{tier}-{index}" + (f"-r{attempt}" if attempt else "")


_DRAWN: OrderedDict[str, str] = OrderedDict()
_DRAWN_MAX = 200_000


def remember(problem) -> None:
    """Keep ``problem``'s gold answer under its statement, for ``drawn_answer`` (the newest kept first)."""
    key = problem.problem.strip()
    _DRAWN[key] = problem.answer
    _DRAWN.move_to_end(key)
    while len(_DRAWN) > _DRAWN_MAX:
        _DRAWN.popitem(last=False)


def drawn_answer(statement: str) -> str | None:
    """The gold answer of a procedural problem this process drew (built a suite with), by its
    statement; ``None`` if none was. The scripted ``gold`` backend answers procedural suites with it."""
    return _DRAWN.get(statement.strip())
