"""Any OpenAI-compatible server (vLLM serve, SGLang, hosted APIs) through the ``openai`` client.

Retries with exponential backoff on 429/5xx/timeouts/connection errors are the client's own
(``max_retries``); an exam whose request still fails gets ``finish_reason='error'`` with the
error recorded, and the run goes on.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

from osmckp_env.backends.base import Completion, Messages, Sampling, check_max_tokens
from osmckp_env.exam.tokenization import TokenCounter, default_counter


class OpenAIBackend:
    """Args:
    model: the served model name.
    base_url: e.g. ``http://localhost:8000/v1``.
    api_key: the key, or ``None`` to read ``api_key_env`` (never stored in results).
    endpoint: ``chat`` (``/v1/chat/completions``) or ``completions`` (``/v1/completions``).
    concurrency: requests in flight at once.
    max_retries, timeout_s: passed to the ``openai`` client.
    counter: tokenizer for prompts rendered for ``completions`` and for missing usage.
    """

    def __init__(
        self,
        model: str,
        *,
        base_url: str = "http://localhost:8000/v1",
        api_key: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        endpoint: str = "chat",
        concurrency: int = 8,
        max_retries: int = 4,
        timeout_s: float = 120.0,
        backoff_s: float = 0.5,
        counter: TokenCounter | None = None,
    ) -> None:
        try:
            import openai
        except ImportError as e:  # pragma: no cover
            raise ImportError("the openai backend needs the openai client: pip install 'osmckp[openai]'") from e
        if endpoint not in ("chat", "completions"):
            raise ValueError(f"endpoint must be 'chat' or 'completions', got {endpoint!r}")
        if concurrency <= 0:
            raise ValueError(f"concurrency must be positive, got {concurrency}")
        key = api_key if api_key is not None else os.environ.get(api_key_env, "EMPTY")
        self._openai = openai
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.client = openai.OpenAI(base_url=base_url, api_key=key, max_retries=max_retries, timeout=timeout_s)
        self.model = model
        self.endpoint = endpoint
        self.concurrency = concurrency
        self.name = f"openai:{model}"
        self.counter = counter or default_counter()

    def _one(self, messages: Messages, cap: int, sampling: Sampling) -> Completion:
        """One request; the client retries HTTP faults itself, we also retry malformed 200 replies."""
        last = None
        for attempt in range(self.max_retries + 1):
            c = self._request(messages, cap, sampling)
            if c.error is None or not c.meta.get("retryable"):
                return c
            last = c
            time.sleep(min(8.0, self.backoff_s * 2**attempt))
        return last

    def _request(self, messages: Messages, cap: int, sampling: Sampling) -> Completion:
        kw = {
            "model": self.model,
            "max_tokens": cap,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "seed": sampling.seed,
        }
        try:
            if self.endpoint == "chat":
                r = self.client.chat.completions.create(messages=messages, **kw)
                text = r.choices[0].message.content or ""
            else:
                prompt = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
                r = self.client.completions.create(prompt=prompt + "<|im_start|>assistant\n", **kw)
                text = r.choices[0].text or ""
            finish = r.choices[0].finish_reason or "stop"
            usage = getattr(r, "usage", None)
            n = getattr(usage, "completion_tokens", None) if usage is not None else None
            if n is None:
                n = len(self.counter.offsets(text))
            return Completion(text, int(n), "length" if finish == "length" else "stop")
        except Exception as e:  # noqa: BLE001 - recorded on the exam, the run continues
            # the client already retried HTTP/timeouts; a malformed 200 body (truncated JSON) is ours to retry
            retryable = (
                isinstance(e, (ValueError, self._openai.APIResponseValidationError)) or "JSON" in type(e).__name__
            )
            return Completion(
                "", 0, "error", error=f"{type(e).__name__}: {str(e)[:300]}", meta={"retryable": retryable}
            )

    def generate(self, prompts: list[Messages], *, max_tokens, sampling: Sampling | None = None) -> list[Completion]:
        sampling = sampling or Sampling()
        caps = check_max_tokens(max_tokens, len(prompts))
        with ThreadPoolExecutor(self.concurrency) as ex:
            return list(ex.map(lambda a: self._one(a[0], a[1], sampling), zip(prompts, caps)))
