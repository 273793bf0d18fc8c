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


# What may stand between the boxes of one final answer split over several boxes, and after the last
# one: whitespace, commas, semicolons, "and", "&", \quad, and math delimiters ($, \( \), \[ \]).
_JOINER = r"(?:\s|,|;|&|\band\b|\\text\s*\{\s*(?:and|,)?\s*\}|\\q?quad|\$|\\[()\[\]])"
_BETWEEN_RE = re.compile(rf"^{_JOINER}*$")
_AFTER_RE = re.compile(r"^(?:\s|\.|\$|\\[)\]])*$")


def final_answer(text: str, boxes: list[tuple[int, int, str]] | None = None) -> str | None:
    """The final answer of a segment: the contents of its last box, or, when the segment ends in
    several boxes that form one answer, their contents joined as one list (``1, -2``).

    Boxes form one answer when only whitespace, commas, semicolons, ``and``, ``&``, ``\\quad``
    or math delimiters (``$``, ``\\(``, ``\\)``, ``\\[``, ``\\]``) stand between them and
    only whitespace, full stops and closing delimiters follow the last one. An earlier box
    separated by anything else (a draft, reasoning) loses to the final one; a run holding a skip
    (``NA``) is not joined (the last box decides).
    """
    boxes = find_boxed(text) if boxes is None else boxes
    if not boxes:
        return None
    if not _AFTER_RE.match(text[boxes[-1][1] :]):
        return boxes[-1][2]
    run = [boxes[-1]]
    for prev in reversed(boxes[:-1]):
        if not _BETWEEN_RE.match(text[prev[1] : run[0][0]]):
            break
        run.insert(0, prev)
    if len(run) == 1 or any(is_skip(b[2]) for b in run):
        return boxes[-1][2]
    return ", ".join(b[2] for b in run)


def last_boxed(text: str) -> str | None:
    """Contents of the last complete box in ``text``, or ``None``."""
    boxes = find_boxed(text)
    return boxes[-1][2] if boxes else None


def is_skip(answer: str | None) -> bool:
    """True for the skip answer ``NA`` (case-insensitive, ``\\text{NA}`` and ``N/A`` accepted)."""
    if answer is None:
        return False
    return re.sub(r"\s+", "", answer).lower() in SKIP_ANSWERS


_LAST_NUMBER_RE = re.compile(r"-?\d+(?:,\d{3})*(?:\.\d+)?")


def box_last_number(text: str) -> str | None:
    """``text`` with its last number boxed on a line of its own, when it has no box at all
    (``None`` when it has a box or no number): how rejection sampling reads a small model that
    answers ``7 + 5 = 12`` and never boxes (MFT data's ``unboxed: last-number``). Thousands
    separators are dropped from the boxed copy; the text itself is kept as written.

    >>> box_last_number("7 + 5 = 12")
    '7 + 5 = 12\\n\\\\boxed{12}'
    >>> box_last_number("The answer is \\\\boxed{3}.") is None, box_last_number("no digits") is None
    (True, True)
    """
    if find_boxed(text):
        return None
    numbers = _LAST_NUMBER_RE.findall(text)
    if not numbers:
        return None
    return f"{text.rstrip()}\n\\boxed{{{numbers[-1].replace(',', '')}}}"
