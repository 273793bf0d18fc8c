"""In-process answer equivalence with math-verify (the only module that imports it), and the one
table of pool verifiers (``VERIFIERS``). Pure.

Use ``Grader`` (grader.py) to call this safely: math-verify's own timeouts rely on
``signal.alarm`` (main thread only) and cannot interrupt long C-level integer arithmetic, and a
pool's verifier is code of another package: both run in the grader's killable workers.
"""

from __future__ import annotations

import functools
import json
import math
import re
import threading
from decimal import Decimal

from osmckp_env.exam._lookup import lookup
from osmckp_env.exam.pools import rg as rg_pool
from osmckp_env.grading.normalize import is_plain_mixed_number, normalize_answer

MATH_VERIFIER = "math"  # the kind of ``Problem.verifier == ""``: math-verify against the gold answer
# kind -> (warm-up, score): ``score(pred, spec)`` is the credit in [0, 1] of ``pred`` under the problem's
# verifier spec (``Problem.verifier`` parsed); only a credit of 1.0 is correct. ``warm()`` imports what
# ``score`` needs, once per worker, before the first answer's clock starts.
VERIFIERS = {"rg": (rg_pool.warm, rg_pool.score_answer)}


def verifier_kind(verifier: str) -> str:
    """The kind of a problem's verifier: ``math`` for ``""``, else its spec's ``kind``."""
    if not verifier:
        return MATH_VERIFIER
    try:
        kind = json.loads(verifier)["kind"]
    except (ValueError, TypeError, KeyError):
        raise ValueError(
            f"a problem's verifier must be '' or a JSON object with a 'kind', got {verifier[:80]!r}"
        ) from None
    lookup({MATH_VERIFIER: None, **VERIFIERS}, kind, kind="verifier")  # an unknown kind: KeyError with did-you-mean
    return kind


def warm_verifier(kind: str) -> None:
    """Import what a verifier kind needs (nothing for math-verify, which a worker warms at start)."""
    if kind != MATH_VERIFIER:
        lookup(VERIFIERS, kind, kind="verifier")[0]()


def verify_with(pred: str, gold: str, verifier: str = "", *, timeout_s: int = 5) -> tuple[bool, float | None]:
    """Grade ``pred`` with the problem's verifier: math-verify against ``gold`` (``verifier == ""``;
    credit ``None``), or the pool's (``VERIFIERS``): correct only when its credit is 1.0, the credit
    returned beside the verdict (partial credit is recorded, never counted)."""
    if not verifier:
        return verify_answer(pred, gold, timeout_s=timeout_s), None
    kind = verifier_kind(verifier)
    credit = float(VERIFIERS[kind][1](pred, json.loads(verifier)))
    if not 0.0 <= credit <= 1.0:
        raise ValueError(f"verifier {kind!r} returned {credit}, outside [0, 1]")
    return credit == 1.0, credit


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


_RELATIONAL = re.compile(r"\\(?:neq?|[lg]e(?:q|qslant)?|[lg]t)(?![A-Za-z])|[<>≤≥≠]|:")
_STRIP = re.compile(r"\\left|\\right|\\[!,;: ]|\\quad|\\qquad|~|\$|\s+")
_SYNONYMS = (
    (r"\\leqslant|\\leq|≤|<=", r"\\le "),
    (r"\\geqslant|\\geq|≥|>=", r"\\ge "),
    (r"\\neq|≠|!=", r"\\ne "),
    (r"\\lt\b", "<"),
    (r"\\gt\b", ">"),
    (r"\\[dt]frac", r"\\frac"),
    (r"\\(?:text|mathrm|textrm|mbox)\s*\{([^{}]*)\}", r"\1"),
    (r"(?i)\b([ap])\.?\s*m\.?(?![a-z])", lambda m: m.group(1).lower() + "m"),
)


def relational_form(text: str) -> str:
    """A relation, time or ratio written one way: ``x \\leq 3`` and ``x\\le3`` alike, ``4\\!:\\!30
    \\text{ p.m.}`` and ``4:30 pm`` alike."""
    s = text.strip()
    for pat, rep in _SYNONYMS:
        s = re.sub(pat, rep, s)
    return _STRIP.sub("", s).rstrip(".")


def relational_verdict(pred: str, gold: str) -> bool | None:
    """For a gold that is a relation (``\\neq``, ``\\le``, ``<``...), a time (``12:00``) or a ratio
    (``3:4``): the normalised strings compared, the verdict where math-verify cannot give one (it
    raises on them); ``None`` for other golds."""
    if not _RELATIONAL.search(gold):
        return None
    return relational_form(pred) == relational_form(gold)


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
    if is_plain_mixed_number(pred):
        # math-verify reads "2 1/2" as it pleases (3/2; "1 1/2" as 1): a plain-text mixed number is
        # read as one only where the gold is a mixed number, and is otherwise not an answer form
        candidate = normalize_answer(pred, gold)
        return candidate is not None and _math_verify(candidate, gold, timeout_s)
    error: Exception | None = None
    try:
        if _math_verify(pred, gold, timeout_s):
            return True
    except Exception as e:  # a timeout is never decided here; a parse error may be, below
        if "Timeout" in type(e).__name__:
            raise
        error = e
    candidate = normalize_answer(pred, gold)  # only when the answer as written was not accepted
    if candidate is not None:
        try:
            if _math_verify(candidate, gold, timeout_s):
                return True
            error = None  # the normalised form got a verdict
        except Exception as e:
            if "Timeout" in type(e).__name__:
                raise
            error = error or e
    relational = relational_verdict(pred, gold)
    if relational is not None:  # relations, times, ratios: a verdict even where math-verify raises
        return relational
    if error is not None:
        raise error
    return False


_MATH_VERIFY_CACHES = ("parse_latex_cached", "parse_expr_cached", "extract_latex")


def clean_state() -> None:
    """Forget everything an earlier grading left behind: sympy's caches, math-verify's own parse
    caches (``math_verify.parser``'s ``lru_cache``s, which hand back sympy objects built in an
    earlier state) and ours. A few degenerate answers (``4 \\cdot 0/0``) otherwise get a verdict
    that depends on what the worker graded before. sympy's random number generators (``equals``
    tests expressions at random points) are reseeded too."""
    import random

    import sympy.core.random as sympy_random
    from math_verify import parser
    from sympy.core.cache import clear_cache

    clear_cache()
    sympy_random.seed(0)
    random.seed(0)
    assumptions_rng = getattr(sympy_random, "_assumptions_rng", None)
    if assumptions_rng is not None:
        assumptions_rng.seed(0)
    for name in _MATH_VERIFY_CACHES:
        fn = getattr(parser, name, None)
        if fn is not None and hasattr(fn, "cache_clear"):
            fn.cache_clear()
    _parse.cache_clear()


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
