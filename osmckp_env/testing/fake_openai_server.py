"""A small OpenAI-compatible HTTP server on localhost for tests and benchmarks.

Serves ``/v1/chat/completions`` and ``/v1/completions`` with scripted replies, optional delay,
and injected faults (HTTP 500/429, dropped connections, stalls, truncated JSON) for the first
requests, so retry and give-up paths can be tested against a real socket.

Reasoning models' reply shapes: a reply may be a dict ``{"content": ..., "reasoning_content": ...}``
(DeepSeek, ``transformers serve``), ``{"reasoning": ...}`` (vLLM's reasoning parser), or
``{"reasoning_tokens": N}`` (hidden reasoning, reported in ``usage.completion_tokens_details``
only, as OpenAI's reasoning models do); ``completion_tokens`` overrides the reported usage.
``reject`` names request parameters answered with OpenAI's HTTP 400 (``max_tokens``,
``temperature``...).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _rejection(param: str) -> dict:
    """OpenAI's HTTP 400 body for a parameter a reasoning model does not take."""
    if param == "max_tokens":
        message = (
            "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."
        )
        code = "unsupported_parameter"
    else:
        message = (
            f"Unsupported value: '{param}' does not support 0.0 with this model. "
            "Only the default (1) value is supported."
        )
        code = "unsupported_value"
    return {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}


class FakeOpenAIServer:
    """Args:
    reply: ``fn(prompt_text, max_tokens) -> str``; tokens are counted as whitespace words.
    faults: one entry per request, consumed in order: ``None`` (ok), ``500``, ``429``,
        ``"drop"``, ``"stall"`` (sleep ``stall_s``) or ``"badjson"``.
    delay_s: sleep before every answer.
    capacity: how many requests it works on at once (``None``: no limit); with ``delay_s`` a
        server of fixed throughput, as one replica of a served model (``capacity / delay_s``/s).
    """

    def __init__(
        self,
        reply: Callable[[str, int], str | dict] | None = None,
        *,
        faults=None,
        delay_s: float = 0.0,
        stall_s: float = 5.0,
        reject=(),
        capacity: int | None = None,
    ) -> None:
        self.reply = reply or (lambda prompt, cap: "\\boxed{NA}")
        self.faults = list(faults or [])
        self.reject = tuple(reject)
        self.bodies: list[dict] = []
        self.delay_s = delay_s
        self.stall_s = stall_s
        self.requests = 0
        self.lock = threading.Lock()
        self.slots = threading.BoundedSemaphore(capacity) if capacity else None
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body go out as two writes: without this, Nagle's algorithm holds the body
            # back until the client's delayed ACK (~40 ms a request), a cost no real server has
            disable_nagle_algorithm = True

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(n) or b"{}")
                with server.lock:
                    server.requests += 1
                    server.bodies.append(body)
                    fault = server.faults.pop(0) if server.faults else None
                if fault == "drop":  # the connection closes with no reply (a crashed worker, a proxy reset)
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.connection.close()
                    return
                if fault == "stall":
                    time.sleep(server.stall_s)
                if fault in (500, 429):
                    self._send(fault, {"error": {"message": "injected", "type": "server_error"}})
                    return
                if server.delay_s:
                    if server.slots is not None:
                        with server.slots:
                            time.sleep(server.delay_s)
                    else:
                        time.sleep(server.delay_s)
                for param in server.reject:
                    if param in body:
                        self._send(400, _rejection(param))
                        return
                cap = int(body.get("max_tokens") or body.get("max_completion_tokens") or 16)
                if self.path.endswith("/chat/completions"):
                    prompt = "\n".join(m.get("content", "") for m in body.get("messages", []))
                else:
                    prompt = body.get("prompt", "")
                r = server.reply(prompt, cap)
                r = {"content": r} if isinstance(r, str) else dict(r)
                hidden = min(int(r.get("reasoning_tokens", 0)), cap)
                left = cap - hidden
                field = "reasoning_content" if "reasoning_content" in r else "reasoning" if "reasoning" in r else None
                thought = r[field].split(" ") if field else []
                thought, left = thought[:left], left - min(left, len(thought))
                words = r.get("content", "").split(" ")
                kept = words[:left]
                text = " ".join(kept)
                finish = "length" if len(words) > left or hidden + len(thought) >= cap > 0 and not kept else "stop"
                n_out = hidden + len(thought) + (len(kept) if text else 0)
                usage = {"prompt_tokens": len(prompt.split()), "completion_tokens": r.get("completion_tokens", n_out)}
                if hidden or thought:
                    usage["completion_tokens_details"] = {"reasoning_tokens": hidden + len(thought)}
                if self.path.endswith("/chat/completions"):
                    message = {"role": "assistant", "content": text}
                    if field:
                        message[field] = " ".join(thought)
                    choice = {"index": 0, "message": message, "finish_reason": finish}
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
                    "usage": {**usage, "total_tokens": usage["prompt_tokens"] + usage["completion_tokens"]},
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
