"""Grading worker process: JSON lines in on stdin, ``GradeResult`` JSON lines out on stdout.

Started by ``Grader`` as ``python -m osmckp_env.grading.worker TIMEOUT_S`` with a fixed
``PYTHONHASHSEED``; runs math-verify in its own main thread so its signal-based timeouts work, and
grades every pair from a clean state (sympy's caches cleared), so the same pair gets the same
verdict in any worker, in any order. Independent of the caller's ``__main__``.
"""

from __future__ import annotations

import json
import logging
import os
import sys

from osmckp_env.grading.verify import clean_state, verify_answer


def main(timeout_s: int) -> None:
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # stray prints from libraries must not corrupt the protocol
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)

    # Ready means warm: math-verify (sympy, latex2sympy) imported and one pair graded, so the
    # parent's per-answer deadline never pays for this start-up.
    verify_answer("\\frac{1}{2}", "0.5", timeout_s=timeout_s)
    proto.write('{"ready": true}\n')
    proto.flush()
    for line in sys.stdin:
        pred, gold = json.loads(line)
        clean_state()  # every pair from the same state: a verdict never depends on what came before
        try:
            res = {"correct": bool(verify_answer(pred, gold, timeout_s=timeout_s)), "status": "ok", "detail": ""}
        except BaseException as e:  # noqa: BLE001 - every failure is reported, none hidden
            name = type(e).__name__
            status = "timeout" if "Timeout" in name else "rejected" if name == "AnswerRejected" else "error"
            res = {"correct": False, "status": status, "detail": f"{name}: {str(e)[:200]}"}
        proto.write(json.dumps(res) + "\n")
        proto.flush()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
