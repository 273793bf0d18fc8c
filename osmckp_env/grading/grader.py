"""Hang-proof grading: math-verify and the pools' verifiers in killable worker processes with a
hard wall-clock limit.

Each worker runs ``verify_with`` (math-verify, or the problem's pool verifier from the one table,
``verify.VERIFIERS``) in its own main thread (so math-verify's signal timeouts work); the parent
waits at most ``hard_timeout_s`` per answer and SIGKILLs and replaces a worker that overruns (a
power tower like ``9^{9^{9^{9}}}`` ignores signals inside C code; a pool's ``score_answer`` that
loops) or dies. It can be called from any thread or process. Timeouts and errors are reported as
such, never folded into "wrong".
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import select
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import asdict, dataclass
from pathlib import Path

from osmckp_env.grading.verify import plain_number_verdict, reject_reason


@dataclass(frozen=True)
class GradeResult:
    """Outcome of grading one answer.

    ``status``: ``ok`` (the verifier decided), ``rejected`` (too large or deeply nested to parse:
    graded wrong, see ``verify.reject_reason``), ``timeout`` or ``error`` (grader failures).
    ``credit``: a pool verifier's score in [0, 1] (``None`` for math-verify); only 1.0 is correct,
    partial credit is kept here and in the problem's record, never counted.
    """

    correct: bool
    status: str = "ok"
    detail: str = ""
    credit: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


GRADER_HASH_SEED = "0"


def _worker_env() -> dict:
    """The caller's environment, with this package's location first on PYTHONPATH so the worker
    imports the same osmckp_env even when it was put on ``sys.path`` by hand."""
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = GRADER_HASH_SEED  # verdicts must not depend on the hash seed
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    return env


class _Worker:
    """One ``osmckp_env.grading.worker`` subprocess with a deadline-aware line reader."""

    def __init__(self, timeout_s: int, startup_timeout_s: float) -> None:
        self.startup_timeout_s = startup_timeout_s
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "osmckp_env.grading.worker", str(timeout_s)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=_worker_env(),
        )
        self._buf = b""
        if self._read_line(startup_timeout_s) is None:
            self.kill()
            raise RuntimeError(
                f"grading worker did not start within {startup_timeout_s}s; "
                "check that `python -m osmckp_env.grading.worker` runs in this environment"
            )

    def _read_line(self, timeout_s: float) -> bytes | None:
        deadline = time.monotonic() + timeout_s
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                raise EOFError("grading worker exited")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line

    def ask(self, pred: str, gold: str, timeout_s: float, verifier: str = "") -> GradeResult:
        self.send([(pred, gold, verifier)])
        return self.receive(timeout_s)

    def send(self, items) -> None:
        """``(pred, gold)`` or ``(pred, gold, verifier)`` items, one line each (``verifier`` only when set)."""
        lines = (json.dumps([p, g, *(v[:1] if v and v[0] else [])]) for p, g, *v in items)
        self.proc.stdin.write("".join(line + "\n" for line in lines).encode())
        self.proc.stdin.flush()

    def receive(self, timeout_s: float) -> GradeResult:
        """The next verdict, waiting at most ``timeout_s`` from now; a verifier's one-time warm-up
        (``{"warming": kind}`` ... ``{"warmed": kind}``) is timed by the start-up limit and restarts the clock."""
        line = self._read_line(timeout_s)
        if line is None:
            raise TimeoutError(f"no answer within {timeout_s}s")
        msg = json.loads(line)
        if "warming" in msg:
            if self._read_line(self.startup_timeout_s) is None:
                raise TimeoutError(f"verifier {msg['warming']!r} did not warm up within {self.startup_timeout_s}s")
            return self.receive(timeout_s)
        return GradeResult(**msg)

    def kill(self) -> None:
        try:
            self.proc.kill()
            self.proc.wait(timeout=5)
        except Exception:  # noqa: BLE001
            pass


class Grader:
    """A pool of grading processes.

    Args:
        n_workers: worker processes (default: min(4, cpu count)).
        timeout_s: math-verify's own per-call timeout inside the worker, in seconds.
        hard_timeout_s: wall-clock limit per answer after which the worker is killed; the answer
            is graded ``status='timeout'``. The clock starts when a *ready* worker (math-verify
            imported, one warm-up pair graded) receives the answer: time spent queued behind other
            answers or waiting for a replacement worker to start is never charged to it.
        startup_timeout_s: how long a new worker may take to become ready.
        cache_size: verdicts remembered (least recently used dropped first; 0 = none). A run
            grades each exam in two orders and the same problems recur across exams, so the same
            (answer, gold) pairs come back; each is graded once. Only ``ok`` verdicts are kept, never
            a ``timeout`` or ``error`` (rejections are decided before any worker, every time);
            identical pairs in flight share one grading.
    """

    def __init__(
        self,
        n_workers: int | None = None,
        *,
        timeout_s: int = 3,
        hard_timeout_s: float = 10.0,
        startup_timeout_s: float = 60.0,
        cache_size: int = 200_000,
    ):
        if hard_timeout_s <= 0 or timeout_s <= 0:
            raise ValueError(f"timeouts must be positive, got timeout_s={timeout_s}, hard_timeout_s={hard_timeout_s}")
        self.n_workers = n_workers or max(1, min(4, os.cpu_count() or 1))
        self.timeout_s = int(timeout_s)
        self.hard_timeout_s = float(hard_timeout_s)
        self.startup_timeout_s = float(startup_timeout_s)
        self._tasks: queue.Queue = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False
        self._live: dict[str, _Worker] = {}
        self._pid = os.getpid()
        self.cache_size = int(cache_size)
        self._cache: OrderedDict[tuple[str, str, str], GradeResult] = OrderedDict()
        self._inflight: dict[tuple[str, str, str], Future] = {}
        self.stats = {
            "graded": 0,
            "rejected": 0,
            "timeout": 0,
            "error": 0,
            "worker_restarts": 0,
            "cache_hits": 0,
            "plain_numbers": 0,
        }  # running counts

    def _ensure_started(self) -> None:
        if self._pid != os.getpid():
            self._forget_parent_state()
        with self._lock:
            if self._closed:
                raise RuntimeError("Grader is closed; create a new Grader()")
            if self._threads:
                return
            for i in range(self.n_workers):
                t = threading.Thread(target=self._dispatch, name=f"osmckp-grader-{i}", daemon=True)
                t.start()
                self._threads.append(t)

    def _forget_parent_state(self) -> None:
        """After ``fork`` the child has the parent's queue and worker pipes but none of its threads:
        start afresh (the parent's workers stay the parent's) instead of queueing into nothing."""
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._tasks = queue.Queue()
        self._threads = []
        self._live = {}
        self._inflight = {}

    PIPELINE = 8  # answers sent to a worker at once: it grades them one after another

    def _dispatch(self) -> None:
        """Feed one worker: up to ``PIPELINE`` queued answers are sent together (saving a pipe
        round trip per answer), and each answer's ``hard_timeout_s`` clock starts when the worker
        turns to it, i.e. when the previous answer's verdict arrived (or, for the first, when it
        was sent to the ready worker). An overrun kills the worker; the answers behind it go back
        to the queue, their clocks not started."""
        worker: _Worker | None = None
        while True:
            item = self._tasks.get()
            if item is None:
                if worker is not None:
                    worker.kill()
                return
            batch = [item]
            while len(batch) < self.PIPELINE:
                try:
                    nxt = self._tasks.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._tasks.put(None)  # keep the stop signal for after this batch
                    break
                batch.append(nxt)
            batch = [(f, p, g, v) for f, p, g, v in batch if f.set_running_or_notify_cancel()]
            if not batch:
                continue
            results: list[GradeResult] = []
            healthy = True
            try:
                if worker is None or worker.proc.poll() is not None:
                    worker = _Worker(self.timeout_s, self.startup_timeout_s)
                    self._live[threading.current_thread().name] = worker
                worker.send([(p, g, v) for _, p, g, v in batch])
                for _ in batch:
                    results.append(worker.receive(self.hard_timeout_s))
            except TimeoutError:
                healthy = False
                results.append(GradeResult(False, "timeout", f"worker killed after {self.hard_timeout_s}s"))
            except (EOFError, OSError, ValueError, RuntimeError) as e:
                healthy = False
                results.append(GradeResult(False, "error", f"grader worker failed: {type(e).__name__}: {e}"))
            if not healthy and worker is not None:
                worker.kill()
                worker = None
                with self._lock:
                    self.stats["worker_restarts"] += 1
            for (fut, *_), res in zip(batch, results):
                with self._lock:
                    self.stats["graded"] += 1
                    if res.status != "ok":
                        self.stats[res.status] += 1
                fut.set_result(res)
            for fut, pred, gold, verifier in batch[len(results) :]:  # never reached by the killed worker
                requeued: Future = Future()
                requeued.add_done_callback(lambda f, fut=fut: fut.set_result(_verdict(f)))
                self._tasks.put((requeued, pred, gold, verifier))

    def worker_pids(self) -> list[int]:
        """PIDs of the live grading processes (for monitoring and fault-injection tests)."""
        return [w.proc.pid for w in list(self._live.values()) if w.proc.poll() is None]

    def submit(self, pred: str | None, gold: str, verifier: str = "") -> Future:
        """Grade asynchronously; the future resolves to a ``GradeResult``. ``verifier``: the
        problem's (``Problem.verifier``; ``""``: math-verify against ``gold``); a pool's verifier
        is always called in a worker, with none of math-verify's shortcuts."""
        fut: Future = Future()
        if pred is None:
            fut.set_result(GradeResult(False, "ok", "no answer"))
            return fut
        if not isinstance(pred, str) or not isinstance(gold, str) or not isinstance(verifier, str):
            raise TypeError(
                f"pred, gold and verifier must be str, got {type(pred).__name__}, {type(gold).__name__}, "
                f"{type(verifier).__name__}"
            )
        if verifier:
            return self._queue(fut, pred, gold, verifier)
        if pred.strip() == gold.strip() and pred.strip():
            fut.set_result(GradeResult(True))
            return fut
        reason = reject_reason(pred)
        if reason is not None:
            with self._lock:
                self.stats["rejected"] += 1
            fut.set_result(GradeResult(False, "rejected", f"not parsed ({reason}): graded wrong"))
            return fut
        plain = plain_number_verdict(pred, gold)
        if plain is not None:  # two plain numbers: decided here, no worker needed
            with self._lock:
                self.stats["plain_numbers"] += 1
            fut.set_result(GradeResult(plain))
            return fut
        return self._queue(fut, pred, gold, verifier)

    def _queue(self, fut: Future, pred: str, gold: str, verifier: str) -> Future:
        """Send an answer to the workers, unless its verdict is remembered or being graded."""
        if not self.cache_size:
            self._ensure_started()
            self._tasks.put((fut, pred, gold, verifier))
            return fut
        key = (pred.strip(), gold.strip(), verifier)
        hit = first = None
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
            else:
                first = self._inflight.get(key)
            if hit is not None or first is not None:
                self.stats["cache_hits"] += 1
        if hit is not None:
            fut.set_result(hit)
            return fut
        if first is not None:  # the same pair is being graded: share its verdict
            first.add_done_callback(lambda f: fut.set_result(_verdict(f)))
            return fut
        self._ensure_started()
        with self._lock:
            self._inflight[key] = fut
        fut.add_done_callback(lambda f, k=key: self._remember(k, _verdict(f)))
        self._tasks.put((fut, pred, gold, verifier))
        return fut

    def _remember(self, key: tuple[str, str, str], res: GradeResult) -> None:
        with self._lock:
            self._inflight.pop(key, None)
            if res.status == "ok":
                self._cache[key] = res
                self._cache.move_to_end(key)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)

    def grade(self, pred: str | None, gold: str, verifier: str = "") -> GradeResult:
        """Grade one answer (blocking, bounded by ``hard_timeout_s`` plus worker start-up)."""
        return self.submit(pred, gold, verifier).result()

    def grade_many(self, pairs) -> list[GradeResult]:
        """Grade ``(pred, gold)`` or ``(pred, gold, verifier)`` items in parallel, results in input order."""
        futures = [self.submit(*item) for item in pairs]
        return [f.result() for f in futures]

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            threads = list(self._threads)
        for _ in threads:
            self._tasks.put(None)
        for t in threads:
            t.join(timeout=10)

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _verdict(fut: Future) -> GradeResult:
    """A finished grading future's result (a cancelled one counts as a grader error)."""
    if fut.cancelled():
        return GradeResult(False, "error", "grading was cancelled")
    return fut.result()


_DEFAULT: Grader | None = None
_DEFAULT_LOCK = threading.Lock()


def default_grader() -> Grader:
    """The process-wide shared ``Grader`` (created lazily, closed at exit)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None or _DEFAULT._closed:
            _DEFAULT = Grader()
            atexit.register(_DEFAULT.close)
        return _DEFAULT


def grade(pred: str | None, gold: str, verifier: str = "") -> GradeResult:
    """Grade one answer with the shared grader (math-verify, or the problem's ``verifier``, in a
    killable worker).

    Example:
        >>> grade("0.5", "\\\\frac{1}{2}").correct, grade("2", "\\\\frac{1}{2}").correct
        (True, False)
    """
    return default_grader().grade(pred, gold, verifier)


def grade_many(pairs) -> list[GradeResult]:
    """Grade many answers in parallel with the shared grader."""
    return default_grader().grade_many(pairs)
