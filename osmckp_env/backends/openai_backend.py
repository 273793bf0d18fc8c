"""Any OpenAI-compatible server (vLLM serve, SGLang, ``transformers serve``, hosted APIs) through
the ``openai`` client, reasoning models included.

Retries with exponential backoff on 429/5xx/timeouts/connection errors are the client's own
(``max_retries``); an exam whose request still fails gets ``finish_reason='error'`` with the
error recorded: the runner counts it as an error, never as a score.

Reasoning: thinking a server splits off (``message.reasoning_content``: DeepSeek, ``transformers
serve``; ``message.reasoning``: newer vLLM) is joined back as ``<think>\\n...\\n</think>\\n\\n``
(the spec's ``think_markers``) before anything is counted; a reply that starts inside a think
block the chat template opened in the prompt (R1 distills served without a reasoning parser) gets
the opening marker put back in front; reasoning a server hides (``usage.completion_tokens_details.
reasoning_tokens``, or ``usage.completion_tokens`` beyond the env's count of the returned text by
more than the tokenizer tolerance) is returned as ``hidden_reasoning_tokens``, which the env
charges before the text.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from osmckp_env.backends.base import (
    CHATML_TEMPLATE,
    Completion,
    Messages,
    Sampling,
    check_arg_values,
    check_max_tokens,
    hidden_reasoning,
    is_bool,
    is_counter_or_none,
    is_int,
    is_mapping_or_none,
    is_number,
    is_str,
    join_reasoning,
    one_of,
    opens_thinking,
    optional,
    raise_on,
)
from osmckp_env.backends.model_files import load_tokenizer, locate_model
from osmckp_env.backends.replicas import ReplicaPool, public_url
from osmckp_env.exam.tokenization import TokenCounter, default_counter, safe_offsets
from osmckp_env.grading.parse import THINK_MARKERS, check_think_markers

MAX_TOKENS_PARAMS = ("max_tokens", "max_completion_tokens")
DROPPABLE = ("temperature", "top_p", "seed")  # sampling parameters a model may reject (dropped, noted)
_REJECTED_WORDS = re.compile(r"unsupported|not supported|does not support|not allowed|only the default", re.I)
USAGE_SLACK_TOKENS = 8


def rejected_parameter(error) -> str | None:
    """The request parameter an HTTP 400 says the model does not accept (``max_tokens``,
    ``temperature``, ``top_p``, ``seed``), or ``None``."""
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        body = body.get("error", body)
    param = body.get("param") if isinstance(body, dict) else None
    names = ("max_tokens", *DROPPABLE)
    if param in names:
        return param
    msg = str(body.get("message", "")) if isinstance(body, dict) else ""
    msg = f"{msg} {error}"
    if not _REJECTED_WORDS.search(msg):
        return None
    found = [(m.start(), n) for n in names for m in [re.search(rf"(?<![\w]){n}(?![\w])", msg)] if m]
    return min(found)[1] if found else None


def _is_urls(v) -> bool:
    urls = [v] if isinstance(v, str) else v
    return isinstance(urls, (list, tuple)) and bool(urls) and all(is_str(u) for u in urls)


class OpenAIBackend:
    """Args:
    model: the served model name.
    base_url: e.g. ``http://localhost:8000/v1``, or a list of replica URLs (data-parallel servers
        of one model): each request goes to the replica with the fewest in flight; a replica that
        refuses connections or times out is taken out for ``replica_cooldown_s`` and the request
        is sent to another (nothing lost or duplicated: one result per prompt). Requests and
        errors per replica are in ``notes["replicas"]`` (URLs without credentials).
    api_key: the key, or ``None`` to read ``api_key_env`` (never stored in results).
    endpoint: ``chat`` (``/v1/chat/completions``) or ``completions`` (``/v1/completions``, the
        prompt rendered here with ``tokenizer``'s chat template).
    concurrency: requests in flight at once.
    max_retries, backoff_s: how often and after what pause a request the server refused or never got
        (connection refused, HTTP 5xx/429, a malformed reply) is sent again.
    timeout_s: how long to wait for a reply, queueing on the server included (default 600 s: a CPU
        server answering one request at a time holds the others). A request that times out is not
        re-sent to the same server, which may still hold it; its exam is recorded as an error
        (``--retry-errors``). With replicas it is sent to another replica.
    max_tokens_param: ``max_tokens`` (default) or ``max_completion_tokens`` (OpenAI's reasoning
        models). On an HTTP 400 that names ``max_tokens`` as unsupported the request is retried once
        with ``max_completion_tokens`` and the switch is kept for the run (``notes``); a rejected
        ``temperature``/``top_p``/``seed`` is dropped the same way.
    extra_body: passed through with every request (``chat_template_kwargs``, ``reasoning_effort``...).
    chat_template_kwargs: keywords for the chat template (``{enable_thinking: true}``): sent in the
        body on the ``chat`` endpoint (vLLM, SGLang), used to render the prompt on ``completions``.
    tokenizer: a local tokenizer folder (or ``tokenizer.json``) of the served model, so the env counts
        as the server does; default the bundled Qwen2.5. Its chat template renders ``completions``
        prompts and, on ``chat``, tells whether the server's prompt opens a think block (both need
        ``transformers`` when the folder has a chat template).
    opens_thinking: ``True``: every reply starts inside a think block the chat template opened in
        the prompt (DeepSeek-R1 distills, Qwen3 thinking, served without a reasoning parser), so
        the opening marker is put back in front of the text and a reply cut before the closing
        marker is thinking, never an answer; ``False``: never; ``None`` (default): whether the
        prompt rendered with ``tokenizer``'s chat template (and ``chat_template_kwargs``) ends
        inside an open think block (no tokenizer, or one without a template: ``False``). Thinking
        the server splits off (``reasoning_content``) is joined back instead.
    think_markers: the spec's thinking markers (the runner passes them): split-off thinking is
        joined back, and an opened block put back, with these (``None``: the default ``<think>``
        pair; the env then reads the whole text).
    usage_tolerance: how far (a fraction of the env's count, plus 8 tokens) the server's
        ``usage.completion_tokens`` may exceed the env's count of the returned text before the excess
        is charged as hidden reasoning.
    counter: a ``TokenCounter`` object (Python use; overrides ``tokenizer`` for counting).
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
        timeout_s: float = 600.0,
        backoff_s: float = 0.5,
        max_tokens_param: str = "max_tokens",
        extra_body: dict | None = None,
        chat_template_kwargs: dict | None = None,
        tokenizer: str | None = None,
        usage_tolerance: float = 0.1,
        counter: TokenCounter | None = None,
        replica_cooldown_s: float = 30.0,
        opens_thinking: bool | None = None,
        think_markers=THINK_MARKERS,
    ) -> None:
        raise_on(OpenAIBackend.check_args({k: v for k, v in locals().items() if k != "self"}))
        try:
            import openai
        except ImportError as e:  # pragma: no cover
            raise ImportError("the openai backend needs the openai client: pip install 'osmckp[openai]'") from e
        self.think_markers = check_think_markers(think_markers)
        self._markers = self.think_markers or THINK_MARKERS  # what joins split-off thinking back
        key = api_key if api_key is not None else os.environ.get(api_key_env, "EMPTY")
        self._openai = openai
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        urls = [base_url] if isinstance(base_url, str) else list(base_url)
        self.pool = ReplicaPool(urls, cooldown_s=replica_cooldown_s)
        # we retry, never the client: its retries re-send a request that timed out, which a serial
        # server may still hold in its queue (it then generates the same exam twice)
        self.timeout_s = timeout_s
        self.clients = [openai.OpenAI(base_url=u, api_key=key, max_retries=0, timeout=timeout_s) for u in urls]
        self.client = self.clients[0]
        self.model = model
        self.endpoint = endpoint
        self.concurrency = concurrency
        self.extra_body = dict(extra_body or {})
        self.chat_template_kwargs = dict(chat_template_kwargs or {})
        self.usage_tolerance = float(usage_tolerance)
        self.name = f"openai:{model}"
        self._hf_tokenizer = None
        self.opens_thinking = opens_thinking
        self._template_decides = False  # chat: the served model's own template says if a block opens
        if tokenizer is not None:
            read_template = endpoint == "chat" and opens_thinking is None and _has_chat_template(tokenizer)
            self._hf_tokenizer, tok_counter = load_tokenizer(
                tokenizer, need_template=endpoint == "completions" or read_template
            )
            self._template_decides = read_template
            counter = counter or tok_counter
        # with the served model's own tokenizer the server's usage counts are in the env's tokens
        self.exact_token_counts = tokenizer is not None and counter is tok_counter
        self.counter = counter or default_counter()
        self._lock = threading.Lock()
        self._cap_param = max_tokens_param
        self._dropped: list[str] = []
        self.notes: dict = {}

    @staticmethod
    def check_args(args: dict) -> list[str]:
        """What is wrong with these arguments (those given; the rest keep their defaults), found
        without the ``openai`` client: the constructor's checks, run by ``osmckp validate`` and
        ``osmckp run`` before anything starts."""
        return check_arg_values(
            args,
            {
                "model": (is_str, "the served model's name"),
                "base_url": (_is_urls, "a URL or a non-empty list of URLs"),
                "api_key": (optional(lambda v: isinstance(v, str)), "a string or null"),
                "api_key_env": (is_str, "the name of an environment variable"),
                "endpoint": (one_of("chat", "completions"), "'chat' or 'completions'"),
                "concurrency": (is_int(1), "a positive int"),
                "max_retries": (is_int(0), "a non-negative int"),
                "timeout_s": (is_number(0, open_lo=True), "a positive number of seconds"),
                "backoff_s": (is_number(0), "a non-negative number of seconds"),
                "max_tokens_param": (one_of(*MAX_TOKENS_PARAMS), f"one of {MAX_TOKENS_PARAMS}"),
                "extra_body": (is_mapping_or_none, "a mapping"),
                "chat_template_kwargs": (is_mapping_or_none, "a mapping"),
                "tokenizer": (optional(lambda v: isinstance(v, (str, Path))), "a tokenizer folder or file"),
                "usage_tolerance": (is_number(0, 10), "a fraction in [0, 10]"),
                "counter": (is_counter_or_none, "a TokenCounter object"),
                "replica_cooldown_s": (is_number(0), "a non-negative number of seconds"),
                "opens_thinking": (optional(is_bool), "true, false or null"),
            },
        )

    # -- requests ------------------------------------------------------------------------
    def _one(self, messages: Messages, cap: int, sampling: Sampling) -> Completion:
        """One request, one result. With one server its client retries HTTP faults itself and we
        retry malformed 200 replies; with replicas every failed attempt is retried here, on the
        replica with the fewest requests in flight (an unreachable one is taken out first)."""
        for attempt in range(self.max_retries + 1):
            i = self.pool.acquire()
            c = self._adapting(self.clients[i], messages, cap, sampling)
            if c.error is not None:  # which server failed, never its credentials
                c = dataclasses.replace(c, error=f"{c.error} [server {public_url(self.pool.urls[i])}]")
            down = bool(c.meta.get("unreachable")) and len(self.pool) > 1
            self.pool.release(i, error=c.error, down=down)
            if c.error is None or not c.meta.get("retryable"):
                break
            if not (down and self.pool.any_up(besides=i)):  # another replica is up: try it at once
                time.sleep(min(8.0, self.backoff_s * 2**attempt))
        return c  # the last attempt's result when every attempt failed

    def _adapting(self, client, messages: Messages, cap: int, sampling: Sampling) -> Completion:
        """A request, re-sent once per parameter the server rejects (HTTP 400): ``max_tokens`` is
        switched to ``max_completion_tokens``, a rejected sampling parameter dropped; both kept for
        the rest of the run and noted."""
        for _ in range(1 + 1 + len(DROPPABLE)):
            with self._lock:
                cap_param, dropped = self._cap_param, list(self._dropped)
            try:
                return self._request(client, messages, cap, sampling, cap_param, dropped)
            except self._openai.BadRequestError as e:
                if not self._adapt(rejected_parameter(e), cap_param, dropped, e):
                    return _error(e, retryable=False)
            except Exception as e:  # noqa: BLE001 - recorded on the exam, the run continues
                oa = self._openai
                timed_out = isinstance(e, oa.APITimeoutError)
                unreachable = isinstance(e, oa.APIConnectionError)  # refused, reset, or timed out
                status = getattr(e, "status_code", None)
                # retried: what the server refused or never got (connection refused, HTTP 5xx/429) and
                # malformed 200 bodies (truncated JSON). A timeout is re-sent only to another replica:
                # the server that timed out may still hold the request (a serial server's queue)
                retryable = (
                    isinstance(e, (ValueError, oa.APIResponseValidationError))
                    or "JSON" in type(e).__name__
                    or (unreachable and not timed_out)
                    or (status is not None and (status >= 500 or status == 429))
                    or (timed_out and len(self.pool) > 1)
                )
                if timed_out and len(self.pool) == 1:
                    e = TimeoutError(
                        f"no reply within timeout_s={self.timeout_s:g} s; not re-sent, as the server may still be "
                        "working on it (a server that answers one request at a time queues the others): raise "
                        "backend_args.timeout_s or lower concurrency to the server's parallel slots, then "
                        "`osmckp run <results.json> --retry-errors`"
                    )
                c = _error(e, retryable=retryable)
                if unreachable:
                    c.meta["unreachable"] = True
                return c
        return _error(RuntimeError("the server rejected every request variant"), retryable=False)

    def _adapt(self, param: str | None, cap_param: str, dropped: list[str], e) -> bool:
        """Change the request for a rejected ``param``; False if there is nothing left to change."""
        reason = f"HTTP 400: {str(e)[:200]}"
        with self._lock:
            if param == "max_tokens" and cap_param == "max_tokens":
                if self._cap_param == "max_tokens":
                    self._cap_param = "max_completion_tokens"
                    self.notes["max_tokens_param"] = {"used": "max_completion_tokens", "because": reason}
                return True
            if param in DROPPABLE and param not in dropped:
                if param not in self._dropped:
                    self._dropped.append(param)
                    self.notes.setdefault("dropped_params", {})[param] = reason
                return True
        return False

    def opens(self, messages: Messages, prompt: str | None = None) -> bool:
        """True if the reply to ``messages`` starts inside a think block the prompt opened
        (``opens_thinking``; else the chat template's rendering, ``prompt`` if already rendered)."""
        if self.opens_thinking is not None:
            return self.opens_thinking
        if prompt is None and not self._template_decides:
            return False
        return opens_thinking(self.render(messages) if prompt is None else prompt, self._markers)

    def _request(self, client, messages: Messages, cap: int, sampling: Sampling, cap_param: str, dropped) -> Completion:
        kw = {"model": self.model, "temperature": sampling.temperature, "top_p": sampling.top_p, "seed": sampling.seed}
        for p in dropped:
            kw.pop(p, None)
        body = dict(self.extra_body)
        prompt = self.render(messages) if self.endpoint == "completions" else None
        opening = self._markers[0]
        # a prompt that opened the think block: the reply starts in it, the marker is put back (and
        # its tokens taken from the cap, so the text the env counts stays within it)
        prefix = f"{opening}\n" if self.opens(messages, prompt) else ""
        n_prefix = len(self.counter.offsets(prefix)) if prefix else 0
        if self.endpoint == "chat":
            if self.chat_template_kwargs:
                body["chat_template_kwargs"] = {**body.get("chat_template_kwargs", {}), **self.chat_template_kwargs}
            kw[cap_param] = max(1, cap - n_prefix)
            r = client.chat.completions.create(messages=messages, extra_body=body or None, **kw)
            msg = r.choices[0].message
            reasoning = getattr(msg, "reasoning_content", None) or getattr(msg, "reasoning", None)
            reasoning = reasoning if isinstance(reasoning, str) else None
            content = msg.content or ""
            if reasoning or content.lstrip().startswith(opening):  # the server split it off, or sent it
                prefix, n_prefix = "", 0
            cut = r.choices[0].finish_reason == "length"
            text = prefix + join_reasoning(reasoning, content, self._markers, cut=cut)
        else:
            kw["max_tokens"] = max(1, cap - n_prefix)
            r = client.completions.create(prompt=prompt, extra_body=body or None, **kw)
            reasoning = None
            text = prefix + (r.choices[0].text or "")
        finish = r.choices[0].finish_reason or "stop"
        own = len(safe_offsets(self.counter, text))  # the text itself stays as sent: the env flags it
        usage = getattr(r, "usage", None)
        reported = getattr(usage, "completion_tokens", None) if usage is not None else None
        details = getattr(usage, "completion_tokens_details", None) if usage is not None else None
        reasoning_tokens = getattr(details, "reasoning_tokens", None) if details is not None else None
        meta: dict = {}
        hidden = 0
        if hidden_reasoning(reasoning_tokens, reasoning, text, self._markers):
            hidden = int(reasoning_tokens)  # reasoning reported, not returned (OpenAI's reasoning models)
            meta["hidden_reasoning"] = "usage.completion_tokens_details.reasoning_tokens"
        elif reported is not None:
            excess = int(reported) + n_prefix - own
            if excess > math.ceil(self.usage_tolerance * own) + USAGE_SLACK_TOKENS:
                hidden = excess  # the server generated more than it returned
                meta["hidden_reasoning"] = "usage.completion_tokens exceeds the env's count"
        if reported is not None and abs(int(reported) - own) > math.ceil(self.usage_tolerance * own) + 8:
            meta["usage_completion_tokens"] = int(reported)
            meta["counted_tokens"] = own
        n = int(reported) + n_prefix if reported is not None else own  # the text's prefix is charged too
        return Completion(
            text, n, "length" if finish == "length" else "stop", meta=meta, hidden_reasoning_tokens=hidden
        )

    def render(self, messages: Messages) -> str:
        """The prompt for the ``completions`` endpoint: ``tokenizer``'s chat template (the bundled
        Qwen2.5 tokenizer has none: ChatML, Qwen2.5's own), with ``chat_template_kwargs``."""
        if self._hf_tokenizer is not None:
            return self._hf_tokenizer.apply_chat_template(
                messages, tokenize=False, add_generation_prompt=True, **self.chat_template_kwargs
            )
        return _chatml().render(messages=messages, add_generation_prompt=True, **self.chat_template_kwargs)

    def generate(self, prompts: list[Messages], *, max_tokens, sampling: Sampling | None = None) -> list[Completion]:
        sampling = sampling or Sampling()
        caps = check_max_tokens(max_tokens, len(prompts))
        with ThreadPoolExecutor(self.concurrency) as ex:
            out = list(ex.map(lambda a: self._one(a[0], a[1], sampling), zip(prompts, caps)))
        if len(self.pool) > 1:  # counted per request by the pool, recorded once per batch
            self.notes["replicas"] = self.pool.stats()
        return out


def _error(e: BaseException, *, retryable: bool) -> Completion:
    msg = str(e)
    body = getattr(e, "body", None)  # what the server said (FastAPI servers answer {"detail": ...})
    if body and str(body) not in msg:
        msg = f"{msg} - {body}"
    return Completion("", 0, "error", error=f"{type(e).__name__}: {msg[:500]}", meta={"retryable": retryable})


def _chatml():
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment(trim_blocks=False, lstrip_blocks=False).from_string(CHATML_TEMPLATE)


def _has_chat_template(path: str) -> bool:
    """True if a tokenizer folder (or the folder of a ``tokenizer.json``) ships a chat template (a
    GGUF file always holds one)."""
    import json

    if locate_model(str(path)).gguf_file:
        return True
    p = Path(path).expanduser()
    folder = p if p.is_dir() else p.parent
    if (folder / "chat_template.jinja").is_file() or (folder / "chat_template.json").is_file():
        return True
    cfg = folder / "tokenizer_config.json"
    try:
        return bool(cfg.is_file() and json.loads(cfg.read_text(encoding="utf-8")).get("chat_template"))
    except (OSError, ValueError):
        return False


