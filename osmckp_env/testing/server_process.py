"""Start a real server as a subprocess for a test and wait until it answers (``transformers serve``,
``llama_cpp.server``): one helper, so every real-server test starts, waits for and stops its
server the same way."""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server_process(cmd: list[str], ready_url: str, *, start_timeout_s: float = 300) -> Iterator[subprocess.Popen]:
    """Run ``cmd`` until the block ends; yield once ``ready_url`` answers HTTP 200. Raises
    ``RuntimeError`` with the server's last output if it exits or does not answer in time.

    The server's output goes to a temporary file, never a pipe nobody reads while it runs: a server
    that logs more than a pipe holds (llama.cpp writes ~200 kB while loading) would block on its
    next write and never answer."""
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, text=True)

        def tail() -> str:
            log.flush()
            log.seek(0)
            return log.read()[-2000:]

        try:
            deadline = time.monotonic() + start_timeout_s
            while True:
                try:
                    with urllib.request.urlopen(ready_url, timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None:
                    raise RuntimeError(f"{cmd[0]} exited with {proc.returncode}: {tail()}")
                if time.monotonic() > deadline:
                    what = f"{' '.join(cmd[:3])} did not answer {ready_url} in {start_timeout_s:g} s"
                    raise RuntimeError(f"{what}; its last output:\n{tail()}")
                time.sleep(1)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
