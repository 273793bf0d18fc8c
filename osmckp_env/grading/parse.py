"""Split one exam completion into per-problem segments and read each one's answer and level tag.

Protocol (see the README): for each problem k a header ``### Problem k``, optionally
``<predicted_level>Level-j</predicted_level>``, reasoning, and a final ``\\boxed{...}``;
``\\boxed{NA}`` means skip.

**Headers.** A line is the header of problem k (k in 1..n; any other number is never a header)
when it is either

- *marked*: it starts with markdown header or bold markers (``#``..``######``, ``**``, ``__``,
  or ``#`` markers then a bold marker) directly followed by ``Problem k``, whatever the rest of the
  line holds (a title of any length, math, a box, a level tag): ``### Problem 2: Divisibility by
  $n+2$``, ``**Problem 2 (the $n+2$ one):**``, ``## Problem 2 is like problem 1``; or
- *unmarked* and holding nothing but ``Problem k``, optionally ``of n``, then optionally
  punctuation (``:`` ``.`` ``-`` ``)`` ``\u2013`` ``\u2014``) with a plain title (at most 60 characters,
  no ``$``, no box) or a parenthetical (at most 40 characters), then optionally a level tag:
  ``Problem 2:``, ``Problem 2: Geometry``, ``Problem 2 of 3``. A reasoning line that mentions a
  problem (``Problem 2 is similar, but first: \\boxed{1}``) is not a header.

A header line belongs to its problem: a box or level tag on it (``### Problem 2: \\boxed{NA}``)
counts for that problem.

Segments **partition** the completion: the text before the first header is the preamble, and
every later character belongs to the problem whose header (the last valid one) precedes it. A
repeated header continues its problem (a problem may own several pieces); a header with an
out-of-range number is not a header, so its text stays with the problem before it. Per-problem
token counts therefore add up, with the preamble, to the completion's tokens.

**Thinking** (reasoning models): the answer section is what follows the last closing think marker
(``</think>`` by default; ``think_markers=None`` disables the rule). Text before it is thinking,
also when no opening marker precedes it (chat templates that open the block in the prompt); an
opening marker with no closing one after it starts thinking that runs to the end of the text (a
completion cut inside its thinking). Nothing inside the thinking is ever a header, a level tag or
an answer.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from osmckp_env.exam.levels import parse_level_tag
from osmckp_env.grading.extract import final_answer, find_boxed, is_skip

# Two kinds of header line (see the module docstring). A *marked* line (markdown header or bold
# markers first) that names ``Problem k`` is a header whatever follows; an *unmarked* line is one
# only when it holds nothing but ``Problem k`` and a short plain title, so a reasoning line such as
# ``Problem 2 is similar: ...`` or ``Problem 2: so $x=3$`` is not one.
HEADER_RE = re.compile(
    r"^[ \t]*(?:"
    r"(?:#{1,6}[ \t]*(?:\*\*|__)?|\*\*|__)[ \t]*Problem[ \t]*(?P<marked>\d{1,3})(?!\d)[^\n]*"
    r"|Problem[ \t]*(?P<plain>\d{1,3})(?:[ \t]+of[ \t]+\d{1,3})?[ \t]*"
    r"(?:(?:[:.)\-\u2013\u2014][ \t]*(?P<title>[^\n]{0,60}?))|\([^()\n]{0,40}\))?"
    r"[ \t]*(?:<predicted_level>[^<\n]{0,20}</predicted_level>)?[ \t]*"
    r")$",
    re.IGNORECASE | re.MULTILINE,
)
_NOT_A_TITLE = re.compile(r"\\(?:boxed|fbox)|\$")

STATUSES = ("answered", "skipped", "missing", "unreached")
THINK_MARKERS = ("<think>", "</think>")


@dataclass(frozen=True)
class ThinkSplit:
    """Where a completion's answer section lies: ``text[answer_start:answer_end]``; everything else
    is thinking. ``ends_in_thinking``: an opened think block is still open at the end of the text."""

    answer_start: int
    answer_end: int
    ends_in_thinking: bool


def check_think_markers(markers) -> tuple[str, str] | None:
    """``None`` (no thinking rule) or a pair of non-empty, different strings (opening, closing)."""
    if markers is None:
        return None
    if (
        not isinstance(markers, (tuple, list))
        or len(markers) != 2
        or not all(isinstance(m, str) and m for m in markers)
        or markers[0] == markers[1]
    ):
        raise ValueError(
            f"think_markers must be two different non-empty strings (opening, closing), e.g. "
            f"{list(THINK_MARKERS)}, or None to disable the thinking rule; got {markers!r}"
        )
    return (markers[0], markers[1])


def split_thinking(text: str, markers=THINK_MARKERS) -> ThinkSplit:
    """The answer section of ``text`` under the thinking rule (see the module docstring)."""
    markers = check_think_markers(markers)
    n = len(text)
    if markers is None:
        return ThinkSplit(0, n, False)
    opening, closing = markers
    close = text.rfind(closing)
    start = 0 if close < 0 else close + len(closing)
    reopen = text.find(opening, start)
    if reopen >= 0:  # a block opened after the last close (or never closed): thinking to the end
        return ThinkSplit(start, reopen, True)
    return ThinkSplit(start, n, False)


@dataclass(frozen=True)
class ParsedProblem:
    """What the completion says about one problem.

    ``status``: ``answered``; ``skipped`` (``\\boxed{NA}``); ``missing`` (the problem has a
    segment without a complete box, or has no segment although a later problem has one);
    ``unreached`` (no segment, and no later problem has one either: the completion ended, e.g.
    the budget ran out, before it). ``spans`` are the (start, end) character ranges of the
    problem's segment pieces, in text order (empty if it has none).
    """

    index: int
    answer: str | None
    status: str
    predicted_level: int | None
    spans: tuple[tuple[int, int], ...]

    @property
    def reached(self) -> bool:
        """True if the completion holds any text for this problem."""
        return any(e > s for s, e in self.spans)

    def to_dict(self) -> dict:
        return asdict(self)


def _read_segment(index: int, text: str, start: int, end: int) -> ParsedProblem:
    segment = text[start:end]
    if "\\" not in segment and "<" not in segment:  # no box, no tag: nothing to read
        return ParsedProblem(index, None, "missing", None, ((start, end),))
    answer = final_answer(segment)
    if answer is None:
        status = "missing"
    elif is_skip(answer):
        status = "skipped"
    else:
        status = "answered"
    return ParsedProblem(index, answer, status, parse_level_tag(segment), ((start, end),))


def parse_single(text: str, index: int = 0, think_markers=THINK_MARKERS) -> ParsedProblem:
    """Parse a completion that answers one problem: the last box of its answer section wins.

    A helper for reading one-problem replies outside the envs; the envs and the runner read every
    completion with ``parse_completion`` (sequential mode with ``n_problems=1``), which also
    honours a ``### Problem 1`` header."""
    split = split_thinking(text, think_markers)
    return _read_segment(index, text, split.answer_start, split.answer_end)


def header_marks(text: str, n_problems: int) -> list[tuple[int, int]]:
    """(character offset, problem index) of every valid header line, in text order."""
    out = []
    for m in HEADER_RE.finditer(text):
        marked = m.group("marked")
        if marked is None:
            title = m.group("title")
            if title and _NOT_A_TITLE.search(title):
                continue
        k = int(marked or m.group("plain")) - 1
        if 0 <= k < n_problems:
            out.append((m.start(), k))
    return out


def parse_completion(text: str, n_problems: int, think_markers=THINK_MARKERS) -> list[ParsedProblem]:
    """Split ``text`` into ``n_problems`` segments and parse each (spans index ``text``).

    Only the answer section is read (``split_thinking``): thinking holds no headers, tags or answers.

    Header lines (see the module docstring) mark segments; text up to the next header belongs to
    the problem whose header precedes it (a repeated header continues its problem: the last
    complete box over all its pieces wins, the first level tag counts).
    Without any header the boxes are assigned to problems in order, one box each (a best-effort
    fallback for models that ignore the format); text after the last box belongs to the next
    problem.
    """
    if n_problems <= 0:
        raise ValueError(f"n_problems must be positive, got {n_problems}")
    if not isinstance(text, str):
        raise TypeError(f"completion must be str, got {type(text).__name__}")
    split = split_thinking(text, think_markers)
    if split.answer_start == 0 and split.answer_end == len(text):
        return _parse_answer(text, n_problems)
    parsed = _parse_answer(text[split.answer_start : split.answer_end], n_problems)
    a = split.answer_start
    return [
        ParsedProblem(p.index, p.answer, p.status, p.predicted_level, tuple((s + a, e + a) for s, e in p.spans))
        for p in parsed
    ]


def _parse_answer(text: str, n_problems: int) -> list[ParsedProblem]:
    """``parse_completion`` on an answer section (no thinking in it)."""
    marks = header_marks(text, n_problems)
    if not marks:
        return _mark_unreached(_parse_headerless(text, n_problems))
    pieces: dict[int, list[tuple[int, int]]] = {}
    for j, (pos, k) in enumerate(marks):
        end = marks[j + 1][0] if j + 1 < len(marks) else len(text)
        pieces.setdefault(k, []).append((pos, end))
    out = []
    for k in range(n_problems):
        spans = pieces.get(k)
        if not spans:
            out.append(ParsedProblem(k, None, "missing", None, ()))
            continue
        parsed = [_read_segment(k, text, s, e) for s, e in spans]
        with_answer = [p for p in parsed if p.answer is not None]
        chosen = with_answer[-1] if with_answer else parsed[-1]
        level = next((p.predicted_level for p in parsed if p.predicted_level is not None), None)
        out.append(ParsedProblem(k, chosen.answer, chosen.status, level, tuple(spans)))
    return _mark_unreached(out)


def preamble_end(parsed: list[ParsedProblem], answer_end: int) -> int:
    """End of the preamble (answer-section text before any problem's segment): the first
    segment's start, else the end of the answer section."""
    starts = [s for p in parsed for s, e in p.spans if e > s]
    return min(starts) if starts else answer_end


def _mark_unreached(parsed: list[ParsedProblem]) -> list[ParsedProblem]:
    """Problems with no segment after the last problem that has one were never reached."""
    last = max((p.index for p in parsed if p.reached), default=-1)
    return [
        ParsedProblem(p.index, None, "unreached", None, ()) if p.index > last and not p.reached else p for p in parsed
    ]


def _parse_headerless(text: str, n_problems: int) -> list[ParsedProblem]:
    boxes = find_boxed(text)
    out = []
    prev_end = 0
    for k in range(n_problems):
        if k < len(boxes):
            seg_end = boxes[k][1]
            if k + 1 == n_problems or (k + 1 == len(boxes) and not text[seg_end:].strip()):
                seg_end = len(text)  # trailing text or whitespace stays with the last answered problem
        else:
            seg_end = len(text)  # text after the last box is the next problem's (unfinished) attempt
        if seg_end > prev_end:
            out.append(_read_segment(k, text, prev_end, seg_end))
        else:
            out.append(ParsedProblem(k, None, "missing", None, ()))
        prev_end = seg_end
    return out
