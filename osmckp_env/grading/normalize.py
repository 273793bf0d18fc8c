"""Answer normalisation for the forms real models write, applied before math-verify. Pure.

math-verify already accepts many forms (``35\\%``, ``\\$18``, ``x = 5``, ``90^\\circ``,
``1,234``, ``18\\text{ dollars}``) but not all (``35.0\\%``, ``18 dollars``, ``€18``,
``\\text{5 apples}``, ``18.``, ``(C) 18`` for choice C). ``normalize_answer`` turns a predicted
answer into **one plain candidate** when the gold is a bare number or a lettered choice, and
``verify_answer`` accepts an answer if math-verify accepts the original *or* the candidate.

Soundness: a candidate for a numeric gold is always a single bare number (the decoration around
one number removed); anything with a second number, an operator, or a word that changes the
value (``thousand``, ``squared``, ``pi``...) gives no candidate. So a rule can only remove
decoration, never turn a wrong value into a right one. The rules, in order:

1. ``$...$`` and a whole-answer ``\\text{}``/``\\textbf{}``/``\\mathrm{}``/``\\mbox{}`` are unwrapped;
   a trailing full stop is dropped (``18.``).
2. ``x = 5`` / ``n_1 = 5``: a single variable and ``=`` before the answer are dropped (when the
   gold has no ``=``).
3. Lettered choices (gold ``C``, ``(C)``, ``\\text{(C)}``): ``(C)``, ``C)``, ``(C) 18``,
   ``\\textbf{(C) } 18`` give ``C``.
4. Numeric golds (``35``, ``-2.5``, ``\\frac{1}{2}``): inline ``\\text{}`` wrappers, spacing
   commands (``\\,`` ``\\;`` ``\\ `` ``~``), currency signs (``\\$``, ``$``, ``€``, ``£``, ``¥``,
   ``USD``, ``Rs.``), a trailing percent (``%``, ``\\%``, ``percent``), degrees (``^\\circ``, ``°``,
   ``\\degree``, ``degrees``) and trailing unit words (``dollars``, ``cm``, ``m^2``, ``km/h``,
   ``apples``; one-letter units only ``m g s h l L``) are removed, and thousands separators
   (``1,234``, ``1{,}234``, ``1\\,234``) are dropped where every group has three digits.
5. A full stop at the end of any answer is dropped (``(1,2).``, ``\\sqrt{2}.``, ``5 \\text{ cm}.``).
6. Mixed numbers, only where the gold is one (``137 \\frac{1}{2}``): ``137 1/2`` gives
   ``\\frac{275}{2}``.
7. Interval golds (``[-2,7]``, ``\\left(0, 3\\right]``): a double inequality in one variable,
   ``-2 \\le x \\le 7``, gives the interval its relations name (``\\le`` closed, ``<`` open:
   ``-2 < x \\le 7`` gives ``(-2,7]``, which is not ``[-2,7]``).
"""

from __future__ import annotations

import re

_NUM = r"-?(?:\d+(?:\.\d*)?|\.\d+)"
_FRAC = r"-?\\[dt]?frac\{\d+\}\{\d+\}"
_BARE_NUMBER = re.compile(rf"(?:{_NUM}|{_FRAC})")
_WRAP = re.compile(r"^\\(?:text|textbf|mathrm|mbox|textrm)\s*\{(.*)\}$", re.S)
_INLINE_WRAP = re.compile(r"\\(?:text|textbf|mathrm|mbox|textrm)\s*\{([^{}]*)\}")
_VAR_EQ = re.compile(r"^[A-Za-z](?:_\{?\w+\}?)?\s*=\s*(.+)$", re.S)
_CHOICE_GOLD = re.compile(r"^\(?([A-Ea-e])\)?$")
_CHOICE_PRED = re.compile(r"^(\()?([A-Ea-e])(\))?(?:(?<=\))|[:.](?=\s)|$)(.*)$", re.S)
_ANOTHER_CHOICE = re.compile(r"\([A-Ea-e]\)|\b[A-E]\)")
_SPACING = re.compile(r"\\[,;:! ]|~|\\quad|\\qquad")
_CURRENCY_HEAD = re.compile(r"^(-?)\s*(?:\\\$|\$|€|£|¥|\\euro|\\pounds|US\\?\$|USD|Rs\.?|INR)\s*")
_CURRENCY_TAIL = re.compile(r"\s*(?:\\\$|\$|€|£|USD)$")
_PERCENT_TAIL = re.compile(r"\s*(?:\\%|%|percent|per\s*cent)$", re.I)
_DEGREE_TAIL = re.compile(r"\s*(?:\^\s*\{?\s*\\circ\s*\}?|°|\\degree|degrees?)(?:\s*[CF])?$")
# a unit: words of letters (one-letter ones only from a short list), joined by space, '/', '.'
# or '-', with an optional square/cube power; value-changing words are never units
_UNIT_TAIL = re.compile(r"\s*((?:[A-Za-z]{2,}|[mgshlL])(?:\s*[/.\-]?\s*[A-Za-z]+)*\.?(?:\s*\^\s*\{?[23]\}?)?)$")
_NOT_UNITS = frozenset(
    "thousand thousands million millions billion billions trillion hundred hundreds dozen dozens half halves "
    "third thirds quarter quarters squared cubed times plus minus over pi factorial percent degree degrees "
    "and or of to by root sqrt power th st nd rd".split()
)
_THOUSANDS = re.compile(r"^-?\d{1,3}(?:(?:,|\{,\}| )\d{3})+(?:\.\d+)?$")  # "\\," is a space by now


def _unwrap(ans: str) -> str:
    ans = ans.strip()
    while True:
        before = ans
        if len(ans) >= 2 and ans[0] == ans[-1] == "$":
            ans = ans[1:-1].strip()
        m = _WRAP.match(ans)
        if m and "{" not in m.group(1) and "}" not in m.group(1):
            ans = m.group(1).strip()
        if len(ans) > 1 and ans.endswith(".") and not ans.endswith(".."):
            ans = ans[:-1].rstrip()
        if ans == before:
            return ans


def _is_number(s: str) -> bool:
    return _BARE_NUMBER.fullmatch(s) is not None


def _choice(s: str) -> str | None:
    """``C``, ``(C)``, ``C)``, ``(C) 18``, ``C: 18`` -> ``C``; ``None`` if another choice follows."""
    m = _CHOICE_PRED.match(s)
    if m is None or (m.group(1) and not m.group(3)) or _ANOTHER_CHOICE.search(m.group(4)):
        return None
    if m.group(4) and not m.group(4)[0].isspace() and not m.group(3):
        return None
    return m.group(2).upper()


def _numeric_candidate(ans: str) -> str | None:
    s = _INLINE_WRAP.sub(lambda m: " " + m.group(1) + " ", ans)
    s = _SPACING.sub(" ", s).strip()
    s = _CURRENCY_HEAD.sub(lambda m: m.group(1), s)
    for _ in range(3):  # tails in any order: "18 dollars \\$", "90^\\circ C", "5 m^2"
        before = s
        s = _CURRENCY_TAIL.sub("", s)
        s = _PERCENT_TAIL.sub("", s)
        s = _DEGREE_TAIL.sub("", s)
        m = _UNIT_TAIL.search(s)
        if m and s[: m.start()].strip() and not set(re.findall(r"[A-Za-z]+", m.group(1).lower())) & _NOT_UNITS:
            s = s[: m.start()]
        s = s.strip()
        if s == before:
            break
    s = _CURRENCY_HEAD.sub(lambda m: m.group(1), s).strip()
    if _THOUSANDS.match(s):
        s = re.sub(r"\{,\}|,| ", "", s)
    s = s.replace(" ", "") if re.fullmatch(r"-\s+\d.*", s) else s
    return s if _is_number(s) else None


_MIXED_GOLD = re.compile(r"^(\d+)\s*\\[dt]?frac\s*\{\s*(\d+)\s*\}\s*\{\s*(\d+)\s*\}$")
_MIXED_PRED = re.compile(r"^(-?)(\d+)\s+(\d+)\s*/\s*(\d+)$")
_INTERVAL_GOLD = re.compile(r"^(?:\\left\s*)?[\[(].*,.*(?:\\right\s*)?[\])]$", re.S)
_LE = r"(?:\\leq?|\\leqslant|≤|<=|<)"
_DOUBLE_INEQ = re.compile(rf"^(.+?)\s*({_LE})\s*([A-Za-z])\s*({_LE})\s*(.+)$", re.S)


def is_plain_mixed_number(text: str) -> bool:
    """``137 1/2``: a whole number, a space and a fraction written with ``/``."""
    return _MIXED_PRED.match(_unwrap(text)) is not None


def _mixed_number(p: str, g: str) -> str | None:
    """``137 1/2`` as ``\\frac{275}{2}`` when the gold is a mixed number (``137 \\frac{1}{2}``)."""
    if not _MIXED_GOLD.match(g):
        return None
    m = _MIXED_PRED.match(p)
    if m is None or int(m.group(4)) == 0 or int(m.group(3)) >= int(m.group(4)):
        return None
    whole, num, den = int(m.group(2)), int(m.group(3)), int(m.group(4))
    return f"{m.group(1)}\\frac{{{whole * den + num}}}{{{den}}}"


def _interval(p: str, g: str) -> str | None:
    """``a \\le x < b`` as ``[a,b)`` when the gold is an interval."""
    if not _INTERVAL_GOLD.match(g):
        return None
    m = _DOUBLE_INEQ.match(p)
    if m is None or re.search(_LE, m.group(1)) or re.search(_LE, m.group(5)):
        return None
    left = "(" if m.group(2) == "<" else "["
    right = ")" if m.group(4) == "<" else "]"
    return f"{left}{m.group(1).strip()},{m.group(5).strip()}{right}"


def normalize_answer(pred: str, gold: str) -> str | None:
    """A plain candidate for ``pred`` given the form of ``gold``, or ``None`` if no rule applies.

    See the module docstring for the rules; the candidate is graded in addition to ``pred``.
    """
    if not isinstance(pred, str) or not isinstance(gold, str):
        return None
    g = _unwrap(gold)
    p = _unwrap(pred)
    if "=" not in g:
        m = _VAR_EQ.match(p)
        if m:
            p = m.group(1).strip()
    gm = _CHOICE_GOLD.match(_INLINE_WRAP.sub(lambda m: m.group(1), g).strip())
    if gm:
        c = _choice(_INLINE_WRAP.sub(lambda m: m.group(1), p).strip())
        out = c
    elif _is_number(g.replace(",", "")):
        out = _numeric_candidate(p)
    else:
        out = _mixed_number(p, g) or _interval(p, g) or p
    return out if out is not None and out != pred.strip() else None
