"""One lookup helper for every registry (suites, agents, backends, profiles): unknown names suggest."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")


def with_suggestion(name: str, known, *, quote: bool = False) -> str:
    """``name`` (``repr`` if ``quote``) followed by `` (did you mean X?)`` when one of ``known`` is close."""
    close = difflib.get_close_matches(str(name), list(known), n=1)
    show = repr if quote else str
    return show(name) + (f" (did you mean {show(close[0])}?)" if close else "")


def lookup(registry: Mapping[str, T], name: str, *, kind: str) -> T:
    """Return ``registry[name]`` or raise a KeyError that lists close matches and all options."""
    if name in registry:
        return registry[name]
    close = difflib.get_close_matches(str(name), list(registry), n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    available = ", ".join(sorted(registry))
    raise KeyError(f"unknown {kind} {name!r}.{hint} Available: {available}.")
