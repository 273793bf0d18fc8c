"""The real-server helper: a server that logs a lot while starting still gets waited for (its
output must not fill a pipe nobody reads), and one that dies is reported with its output."""

from __future__ import annotations

import sys
import urllib.request

import pytest

from osmckp_env.testing.server_process import free_port, server_process

CHATTY = (
    "import sys, http.server, socketserver\n"
    "sys.stderr.write('loading tensor ...\\n' * 20000); sys.stderr.flush()  # ~380 kB, as llama.cpp writes\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    def do_GET(self):\n"
    "        self.send_response(200); self.end_headers(); self.wfile.write(b'ok')\n"
    "        sys.stderr.write('served\\n' * 5000); sys.stderr.flush()\n"
    "socketserver.TCPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()\n"
)


def test_a_server_that_logs_hundreds_of_kilobytes_is_waited_for_and_served():
    port = free_port()
    with server_process([sys.executable, "-c", CHATTY, str(port)], f"http://127.0.0.1:{port}/", start_timeout_s=60):
        for _ in range(3):  # it keeps logging while it serves
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
                assert r.read() == b"ok"


def test_a_server_that_exits_is_reported_with_its_last_output():
    cmd = [sys.executable, "-c", "import sys; sys.stderr.write('no such model file\\n'); sys.exit(3)"]
    with pytest.raises(RuntimeError, match=r"exited with 3: no such model file"):
        with server_process(cmd, f"http://127.0.0.1:{free_port()}/", start_timeout_s=60):
            pass
