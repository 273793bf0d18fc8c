"""Pure answer extraction: brace-matched ``\\boxed{...}`` / ``\\fbox{...}`` contents and skips."""

from __future__ import annotations

import re

_BOX_RE = re.compile(r"\\(?:boxed|fbox)\s*\{")
SKIP_ANSWERS = frozenset({"na", "n/a", "\\text{na}", "\\text{n/a}", "\\mathrm{na}", "skip", "\\text{skip}"})


def find_boxed(text: str) -> list[tuple[int, int, str]]:
    """Every balanced ``\\boxed{...}``/``\\fbox{...}`` in ``text`` as (start, end, contents).

    Runs in linear time. A box whose braces never close (e.g. cut by the budget) is ignored.
    Nested boxes yield only the outer one.
    """
    out: list[tuple[int, int, str]] = []
    pos = 0
    n = len(text)
    while True:
        m = _BOX_RE.search(text, pos)
        if m is None:
            return out
        depth = 1
        i = m.end()
        while i < n and depth:
            c = text[i]
            if c == "\\" and i + 1 < n and text[i + 1] in "{}":
                i += 2
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            i += 1
        if depth:
            # unclosed: a later, complete box may still exist after this opening brace
            pos = m.end()
            continue
        out.append((m.start(), i, text[m.end() : i - 1].strip()))
        pos = i


def last_boxed(text: str) -> str | None:
    """Contents of the last complete box in ``text``, or ``None``."""
    boxes = find_boxed(text)
    return boxes[-1][2] if boxes else None


def is_skip(answer: str | None) -> bool:
    """True for the skip answer ``NA`` (case-insensitive, ``\\text{NA}`` and ``N/A`` accepted)."""
    if answer is None:
        return False
    return re.sub(r"\s+", "", answer).lower() in SKIP_ANSWERS
