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


def call_problems(fn, args, given=(), *, what: str, where: str, exclude=()) -> list[str]:
    """What is wrong with calling ``fn(**args)`` (plus the ``given`` names its caller fills in),
    from ``fn``'s signature alone: unknown names (with a did-you-mean) and required arguments
    missing. ``what`` names the callee (``backend 'openai'``), ``where`` where its arguments are
    set (``in backend_args or the spec's model``); ``exclude`` names parameters the caller sets
    itself, never the user: neither reported as unknown nor as missing. A signature that cannot be read: no problems."""
    import inspect

    try:
        params = {n: p for n, p in inspect.signature(fn).parameters.items() if n != "self" and n not in exclude}
    except (TypeError, ValueError):
        return []
    named = [n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    problems = []
    if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
        for k in args:
            if k not in named and k not in exclude:
                problems.append(
                    f"{what} has no argument {with_suggestion(k, named, quote=True)}; it takes {sorted(named)}"
                )
    for n, p in params.items():
        if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            if n not in args and n not in given:
                problems.append(f"{what} needs argument {n!r} ({where})")
    return problems
