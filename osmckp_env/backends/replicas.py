"""Spreading requests over server replicas (``backend_args.base_url`` as a list): the replica with
the fewest requests in flight takes the next one; a replica that refuses connections or times out
is taken out for ``cooldown_s`` and its requests go to the others."""

from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit, urlunsplit


def public_url(url: str) -> str:
    """``url`` without credentials or query (what results may record)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class ReplicaPool:
    """Least-in-flight choice among the replicas that are up; thread-safe.

    ``acquire()`` returns a replica index (and counts the request); ``release(i, error=..., down=...)``
    ends it: ``down`` (connection refused, timeout) takes the replica out until ``cooldown_s`` has
    passed. When every replica is out, the one that comes back first is tried (a run never stalls
    on its own bookkeeping)."""

    def __init__(self, urls: list[str], *, cooldown_s: float = 30.0, clock=time.monotonic) -> None:
        if not urls:
            raise ValueError("base_url: give one URL or a non-empty list of replica URLs")
        self.urls = list(urls)
        self.cooldown_s = float(cooldown_s)
        self._clock = clock
        self._lock = threading.Lock()
        self._in_flight = [0] * len(urls)
        self._down_until = [0.0] * len(urls)
        self._requests = [0] * len(urls)
        self._errors = [0] * len(urls)
        self._taken_out = [0] * len(urls)

    def __len__(self) -> int:
        return len(self.urls)

    def acquire(self) -> int:
        with self._lock:
            now = self._clock()
            up = [i for i in range(len(self.urls)) if self._down_until[i] <= now]
            if up:
                i = min(up, key=lambda j: (self._in_flight[j], self._requests[j]))
            else:
                i = min(range(len(self.urls)), key=lambda j: self._down_until[j])
            self._in_flight[i] += 1
            self._requests[i] += 1
            return i

    def release(self, i: int, *, error: str | None = None, down: bool = False) -> None:
        with self._lock:
            self._in_flight[i] -= 1
            if error is not None:
                self._errors[i] += 1
            if down:
                self._down_until[i] = self._clock() + self.cooldown_s
                self._taken_out[i] += 1

    def any_up(self, besides: int | None = None) -> bool:
        """Whether a replica other than ``besides`` is up now."""
        with self._lock:
            now = self._clock()
            return any(self._down_until[j] <= now for j in range(len(self.urls)) if j != besides)

    def stats(self) -> list[dict]:
        """Per replica: its URL (no credentials), requests sent, failed attempts, times taken out."""
        with self._lock:
            return [
                {"url": public_url(u), "requests": r, "errors": e, "taken_out": t}
                for u, r, e, t in zip(self.urls, self._requests, self._errors, self._taken_out)
            ]
