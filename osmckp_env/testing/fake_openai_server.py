"""A small OpenAI-compatible HTTP server on localhost for tests and benchmarks.

Serves ``/v1/chat/completions`` and ``/v1/completions`` with scripted replies, optional delay,
and injected faults (HTTP 500/429, dropped connections, stalls, truncated JSON) for the first
requests, so retry and give-up paths can be tested against a real socket.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeOpenAIServer:
    """Args:
    reply: ``fn(prompt_text, max_tokens) -> str``; tokens are counted as whitespace words.
    faults: one entry per request, consumed in order: ``None`` (ok), ``500``, ``429``,
        ``"drop"``, ``"stall"`` (sleep ``stall_s``) or ``"badjson"``.
    delay_s: sleep before every answer.
    """

    def __init__(
        self, reply: Callable[[str, int], str] | None = None, *, faults=None, delay_s: float = 0.0, stall_s: float = 5.0
    ) -> None:
        self.reply = reply or (lambda prompt, cap: "\\boxed{NA}")
        self.faults = list(faults or [])
        self.delay_s = delay_s
        self.stall_s = stall_s
        self.requests = 0
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(n) or b"{}")
                with server.lock:
                    server.requests += 1
                    fault = server.faults.pop(0) if server.faults else None
                if fault == "drop":
                    self.connection.close()
                    return
                if fault == "stall":
                    time.sleep(server.stall_s)
                if fault in (500, 429):
                    self._send(fault, {"error": {"message": "injected", "type": "server_error"}})
                    return
                if server.delay_s:
                    time.sleep(server.delay_s)
                cap = int(body.get("max_tokens") or 16)
                if self.path.endswith("/chat/completions"):
                    prompt = "\n".join(m.get("content", "") for m in body.get("messages", []))
                else:
                    prompt = body.get("prompt", "")
                words = server.reply(prompt, cap).split(" ")
                text = " ".join(words[:cap])
                finish = "length" if len(words) > cap else "stop"
                usage = {"prompt_tokens": len(prompt.split()), "completion_tokens": min(len(words), cap)}
                if self.path.endswith("/chat/completions"):
                    choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}
                    obj = "chat.completion"
                else:
                    choice = {"index": 0, "text": text, "finish_reason": finish}
                    obj = "text_completion"
                payload = {
                    "id": "x",
                    "object": obj,
                    "created": 0,
                    "model": body.get("model", "m"),
                    "choices": [choice],
                    "usage": {**usage, "total_tokens": sum(usage.values())},
                }
                if fault == "badjson":
                    raw = json.dumps(payload).encode()[:20]
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                    return
                self._send(200, payload)

            def _send(self, code, obj):
                raw = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                if code == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(raw)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
