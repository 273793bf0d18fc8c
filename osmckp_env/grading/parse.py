"""Split one exam completion into per-problem segments and read each one's answer and level tag.

Protocol (see the README): for each problem k a header ``### Problem k``, optionally
``<predicted_level>Level-j</predicted_level>``, reasoning, and a final ``\\boxed{...}``;
``\\boxed{NA}`` means skip.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from osmckp_env.grading.extract import find_boxed, is_skip
from osmckp_env.levels import parse_level_tag

HEADER_RE = re.compile(r"^[ \t]*(?:#{1,6}|\*\*)?[ \t]*Problem[ \t]*(\d{1,3})\b[^\n]*$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class ParsedProblem:
    """What the completion says about one problem.

    ``status`` is ``answered``, ``skipped`` (``\\boxed{NA}``) or ``missing`` (no complete box);
    ``span`` is the (start, end) character range of the problem's segment (empty if absent).
    """

    index: int
    answer: str | None
    status: str
    predicted_level: int | None
    span: tuple[int, int]

    def to_dict(self) -> dict:
        return asdict(self)


def _read_segment(index: int, text: str, start: int, end: int) -> ParsedProblem:
    segment = text[start:end]
    boxes = find_boxed(segment)
    answer = boxes[-1][2] if boxes else None
    if answer is None:
        status = "missing"
    elif is_skip(answer):
        status = "skipped"
    else:
        status = "answered"
    return ParsedProblem(index, answer, status, parse_level_tag(segment), (start, end))


def parse_single(text: str, index: int = 0) -> ParsedProblem:
    """Parse a completion that answers one problem (sequential mode): the last box wins."""
    return _read_segment(index, text, 0, len(text))


def parse_completion(text: str, n_problems: int) -> list[ParsedProblem]:
    """Split ``text`` into ``n_problems`` segments and parse each.

    Headers ``### Problem k`` (also ``Problem k:``, ``**Problem k**``) mark segments; a repeated
    header continues the same problem, out-of-range numbers are ignored, and text before the
    first header belongs to nobody. Without any header the boxes are assigned to problems in
    order, one box each (a best-effort fallback for models that ignore the format).
    """
    if n_problems <= 0:
        raise ValueError(f"n_problems must be positive, got {n_problems}")
    if not isinstance(text, str):
        raise TypeError(f"completion must be str, got {type(text).__name__}")
    marks = [(m.start(), int(m.group(1)) - 1) for m in HEADER_RE.finditer(text)]
    marks = [(pos, k) for pos, k in marks if 0 <= k < n_problems]
    if not marks:
        return _parse_headerless(text, n_problems)
    pieces: dict[int, list[tuple[int, int]]] = {}
    for j, (pos, k) in enumerate(marks):
        end = marks[j + 1][0] if j + 1 < len(marks) else len(text)
        pieces.setdefault(k, []).append((pos, end))
    out = []
    for k in range(n_problems):
        spans = pieces.get(k)
        if not spans:
            out.append(ParsedProblem(k, None, "missing", None, (0, 0)))
            continue
        # a duplicated header continues the problem: the last box over all its pieces wins
        parsed = [_read_segment(k, text, s, e) for s, e in spans]
        with_answer = [p for p in parsed if p.answer is not None]
        chosen = with_answer[-1] if with_answer else parsed[-1]
        level = next((p.predicted_level for p in parsed if p.predicted_level is not None), None)
        out.append(ParsedProblem(k, chosen.answer, chosen.status, level, (spans[0][0], spans[-1][1])))
    return out


def _parse_headerless(text: str, n_problems: int) -> list[ParsedProblem]:
    boxes = find_boxed(text)
    out = []
    prev_end = 0
    for k in range(n_problems):
        if k < len(boxes):
            start, end, answer = boxes[k]
            seg_end = end if k + 1 < n_problems else len(text)
            out.append(_read_segment(k, text, prev_end, seg_end))
            prev_end = seg_end
        else:
            out.append(ParsedProblem(k, None, "missing", None, (prev_end, prev_end)))
    return out
