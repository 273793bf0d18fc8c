"""In-process answer equivalence with math-verify. Pure; the only module that imports it.

Use ``Grader`` (grader.py) to call this safely: math-verify's own timeouts rely on
``signal.alarm`` (main thread only) and cannot interrupt long C-level integer arithmetic.
"""

from __future__ import annotations

import functools
import math
import re
import threading
from decimal import Decimal

from osmckp_env.grading.normalize import normalize_answer

MAX_ANSWER_CHARS = 2_000
MAX_NESTING = 8
MAX_EXPONENT_NESTING = 2
_INT_TOWER_RE = re.compile(r"^[\s\d{}^()]*\d\s*\^\s*\{?[\s\d]*\^")


MAX_DIGITS = 100_000
_INT_POW_RE = re.compile(r"(\d+)\s*\^\s*\{?\s*(\d+)")
_FACTORIAL_RE = re.compile(r"(\d+)\s*!")


class AnswerRejected(ValueError):
    """The predicted answer is too large or too deeply nested to send to sympy (graded wrong)."""


def reject_reason(answer: str) -> str | None:
    """Why ``answer`` is not worth parsing, or ``None``.

    Limits (no gold answer in the bundled pools comes near them: their deepest braces are 2
    levels, parentheses 2, exponents 1): at most ``MAX_ANSWER_CHARS`` characters, brace or
    parenthesis nesting ``MAX_NESTING``, exponent nesting ``MAX_EXPONENT_NESTING``, and no
    integer power tower (``9^{9^{9}}``: its value cannot be computed, only timed out on), and no
    integer power or factorial with more than ``MAX_DIGITS`` digits.
    """
    if len(answer) > MAX_ANSWER_CHARS:
        return f"longer than {MAX_ANSWER_CHARS} chars"
    braces = parens = exp = max_b = max_p = max_e = 0
    stack: list[bool] = []
    prev = ""
    for c in answer:
        if c == "{":
            is_exp = prev == "^"
            stack.append(is_exp)
            braces += 1
            exp += is_exp
            max_b, max_e = max(max_b, braces), max(max_e, exp)
        elif c == "}" and stack:
            exp -= stack.pop()
            braces -= 1
        elif c == "(":
            parens += 1
            max_p = max(max_p, parens)
        elif c == ")" and parens:
            parens -= 1
        elif c == "^" and exp:
            max_e = max(max_e, exp + 1)
        if not c.isspace():
            prev = c
    if max_b > MAX_NESTING or max_p > MAX_NESTING:
        return f"nested deeper than {MAX_NESTING} levels"
    if max_e > MAX_EXPONENT_NESTING:
        return f"exponents nested deeper than {MAX_EXPONENT_NESTING} levels"
    if max_e >= 2 and _INT_TOWER_RE.match(answer):
        return "integer power tower"
    for base, power in _INT_POW_RE.findall(answer):
        if int(base) > 1 and len(power) < 12 and int(power) * math.log10(int(base)) > MAX_DIGITS:
            return f"integer power with more than {MAX_DIGITS} digits"
        if len(power) >= 12 and int(base) > 1:
            return f"integer power with more than {MAX_DIGITS} digits"
    for n in _FACTORIAL_RE.findall(answer):
        if len(n) > 5 or int(n) > 25_000:
            return f"factorial with more than {MAX_DIGITS} digits"
    return None


_PLAIN_NUMBER = re.compile(r"-?\d{1,60}(?:\.\d{1,60})?")


def plain_number_verdict(pred: str, gold: str) -> bool | None:
    """Both plain decimal numbers (``17``, ``-3``, ``35.0``): compared exactly, as math-verify
    would, without parsing LaTeX; ``None`` otherwise. Most GSM8K and AIME answers are decided here."""
    p, g = pred.strip(), gold.strip()
    if _PLAIN_NUMBER.fullmatch(p) and _PLAIN_NUMBER.fullmatch(g):
        return Decimal(p) == Decimal(g)
    return None


def _wrap(answer: str) -> str:
    return "\\boxed{" + answer + "}"


def verify_answer(pred: str, gold: str, *, timeout_s: int = 5) -> bool:
    """True iff ``pred`` and ``gold`` (box contents, LaTeX or plain) are mathematically equal.

    ``pred`` is accepted if math-verify accepts it as written or in its normalised form
    (``normalize.normalize_answer``: ``35.0\\%`` or ``18 dollars`` for a bare-number gold).
    Raises on grader failure (timeout, parse error) instead of returning False, so callers can
    count errors apart from wrong answers. Signal timeouts are used only on the main thread.
    """
    reason = reject_reason(pred)
    if reason is not None:
        raise AnswerRejected(reason)
    if pred.strip() == gold.strip():
        return True
    plain = plain_number_verdict(pred, gold)
    if plain is not None:
        return plain
    try:
        if _math_verify(pred, gold, timeout_s):
            return True
    except Exception:
        candidate = normalize_answer(pred, gold)
        if candidate is None:
            raise
        return _math_verify(candidate, gold, timeout_s)
    candidate = normalize_answer(pred, gold)  # only when the answer as written was not accepted
    return candidate is not None and _math_verify(candidate, gold, timeout_s)


@functools.lru_cache(maxsize=8192)
def _parse(text: str, timeout_s: int | None):
    """math-verify's parse of a boxed answer, remembered: a grading worker sees the same golds
    (and often the same answers) again and again. Failures are not remembered (they raise)."""
    from math_verify import parse

    return tuple(parse(_wrap(text), parsing_timeout=timeout_s, raise_on_error=True))


def _math_verify(pred: str, gold: str, timeout_s: int) -> bool:
    from math_verify import verify

    if pred.strip() == gold.strip():
        return True
    on_main = threading.current_thread() is threading.main_thread()
    t = timeout_s if on_main else None
    gold_parsed = list(_parse(gold, t))
    pred_parsed = list(_parse(pred, t))
    if not pred_parsed or not gold_parsed:
        return False
    return bool(verify(gold_parsed, pred_parsed, timeout_seconds=t, raise_on_error=True))
