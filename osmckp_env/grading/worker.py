"""Grading worker process: JSON lines in on stdin, ``GradeResult`` JSON lines out on stdout.

Started by ``Grader`` as ``python -m osmckp_env.grading.worker TIMEOUT_S`` with a fixed
``PYTHONHASHSEED``; runs math-verify in its own main thread so its signal-based timeouts work, and
grades every pair from a clean state (sympy's caches cleared), so the same pair gets the same
verdict in any worker, in any order. Independent of the caller's ``__main__``.

A line in is ``[pred, gold]`` (math-verify) or ``[pred, gold, verifier]`` (a pool's verifier,
``Problem.verifier``). Before the first answer of a verifier kind it has not used, the worker writes
``{"warming": kind}``, imports what the kind needs, and writes ``{"warmed": kind}``: that start-up
is timed by the grader's start-up limit, never charged to the answer.
"""

from __future__ import annotations

import json
import logging
import os
import sys

from osmckp_env.grading.verify import (
    MATH_VERIFIER,
    clean_state,
    verifier_kind,
    verify_answer,
    verify_with,
    warm_verifier,
)


def main(timeout_s: int) -> None:
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # stray prints from libraries must not corrupt the protocol
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)

    # Ready means warm: math-verify (sympy, latex2sympy) imported and one pair graded, so the
    # parent's per-answer deadline never pays for this start-up.
    verify_answer("\\frac{1}{2}", "0.5", timeout_s=timeout_s)
    proto.write('{"ready": true}\n')
    proto.flush()
    warm = {MATH_VERIFIER}
    for line in sys.stdin:
        pred, gold, *rest = json.loads(line)
        verifier = rest[0] if rest else ""
        try:
            kind = verifier_kind(verifier)
            if kind not in warm:
                warm.add(kind)
                proto.write(json.dumps({"warming": kind}) + "\n")
                proto.flush()
                try:
                    warm_verifier(kind)
                finally:  # a failed import is the answer's error, reported below
                    proto.write(json.dumps({"warmed": kind}) + "\n")
                    proto.flush()
            clean_state()  # every pair from the same state: a verdict never depends on what came before
            correct, credit = verify_with(pred, gold, verifier, timeout_s=timeout_s)
            res = {"correct": bool(correct), "status": "ok", "detail": ""}
            if credit is not None:
                res["credit"] = credit
                if 0.0 < credit < 1.0:
                    res["detail"] = f"partial credit {credit:g} (recorded, not counted)"
        except BaseException as e:  # noqa: BLE001 - every failure is reported, none hidden
            name = type(e).__name__
            status = "timeout" if "Timeout" in name else "rejected" if name == "AnswerRejected" else "error"
            res = {"correct": False, "status": status, "detail": f"{name}: {str(e)[:200]}"}
        proto.write(json.dumps(res) + "\n")
        proto.flush()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
