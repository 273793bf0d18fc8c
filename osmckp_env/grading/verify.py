"""In-process answer equivalence with math-verify. Pure; the only module that imports it.

Use ``Grader`` (grader.py) to call this safely: math-verify's own timeouts rely on
``signal.alarm`` (main thread only) and cannot interrupt long C-level integer arithmetic.
"""

from __future__ import annotations

import threading

MAX_ANSWER_CHARS = 2_000


class AnswerTooLong(ValueError):
    """The predicted answer exceeds ``MAX_ANSWER_CHARS`` and is not sent to sympy."""


def _wrap(answer: str) -> str:
    return "\\boxed{" + answer + "}"


def verify_answer(pred: str, gold: str, *, timeout_s: int = 5) -> bool:
    """True iff ``pred`` and ``gold`` (box contents, LaTeX or plain) are mathematically equal.

    Raises on grader failure (timeout, parse error) instead of returning False, so callers can
    count errors apart from wrong answers. Signal timeouts are used only on the main thread.
    """
    from math_verify import parse, verify

    if len(pred) > MAX_ANSWER_CHARS:
        raise AnswerTooLong(f"answer of {len(pred)} chars > {MAX_ANSWER_CHARS}")
    if pred.strip() == gold.strip():
        return True
    on_main = threading.current_thread() is threading.main_thread()
    t = timeout_s if on_main else None
    gold_parsed = parse(_wrap(gold), parsing_timeout=t, raise_on_error=True)
    pred_parsed = parse(_wrap(pred), parsing_timeout=t, raise_on_error=True)
    if not pred_parsed or not gold_parsed:
        return False
    return bool(verify(gold_parsed, pred_parsed, timeout_seconds=t, raise_on_error=True))
