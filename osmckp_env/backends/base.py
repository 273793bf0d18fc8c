"""The Backend protocol: chat prompts in, completions out, never more than ``max_tokens``."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Protocol, runtime_checkable

from osmckp_env.exam.tokenization import TokenCounter

Messages = list[dict]


@dataclass(frozen=True)
class Completion:
    """One generation: ``n_tokens`` is the completion-token count the backend reports.

    ``text`` is everything the model generated that the backend received, thinking included (a
    server that splits the reasoning off has it joined back as ``<think>\n...\n</think>\n\n``,
    with the spec's think markers).
    ``hidden_reasoning_tokens``: tokens the server charged but did not return (hidden reasoning),
    which the env charges before the text. ``finish_reason`` is ``stop``, ``length`` (hit
    ``max_tokens``) or ``error`` (with ``error`` set).
    """

    text: str
    n_tokens: int
    finish_reason: str = "stop"
    error: str | None = None
    meta: dict = field(default_factory=dict)
    hidden_reasoning_tokens: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Sampling:
    """Decoding settings; ``temperature == 0`` means greedy."""

    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")


@runtime_checkable
class Backend(Protocol):
    """Turns a batch of chat prompts into completions with a hard token cap.

    ``counter`` counts tokens with the backend's own tokenizer, so the env can count the same way.
    A backend may also expose ``notes`` (a dict of what it changed during the run, e.g. a request
    parameter a server rejected), which the runner stores in the results.
    """

    name: str
    counter: TokenCounter

    def generate(self, prompts: list[Messages], *, max_tokens: int | list[int], sampling: Sampling) -> list[Completion]:
        """One ``Completion`` per prompt, in order. Contract:

        - **returns** ``len(prompts)`` completions, the i-th answering ``prompts[i]``;
        - **the cap**: never more than the prompt's cap of generated tokens (``max_tokens``: one
          int for all, or one per prompt), thinking included; ``finish_reason='length'`` when the
          cap stopped it; ``n_tokens`` is the count of generated token ids as the backend (or
          server) reports it, which the env does not trust for the budget: it recounts ``text``
          with ``counter``;
        - **text**: everything generated, the thinking as well as the answer (a server that
          splits the reasoning off has it joined back, see ``join_reasoning``); reasoning the
          server charged but did not return goes in ``hidden_reasoning_tokens``;
        - **sampling**: ``sampling.seed`` seeds the batch (the runner gives each sample its own
          seed); ``temperature == 0`` is greedy;
        - **errors**: a request that fails after the backend's own retries gives a
          ``Completion`` with ``finish_reason='error'`` and ``error`` set, never an exception that
          loses the batch (the runner records it as an error, never as a score of 0); invalid
          arguments (a bad prompt shape, a non-positive cap) raise ``ValueError`` at once;
        - **counter**: ``self.counter`` counts tokens with the model's own tokenizer, the one the
          env should count with.
        """
        ...


def join_reasoning(reasoning: str | None, content: str, markers=("<think>", "</think>"), *, cut: bool = False) -> str:
    """The text the env scores when a server returned the thinking split off (``reasoning_content``,
    ``reasoning``): ``<think>\n{reasoning}\n</think>\n\n{content}``, so thinking is charged and
    never read for answers. ``cut``: the generation hit its cap inside the thinking (no content):
    the block is left open, as the model left it."""
    if not reasoning:
        return content
    opening, closing = markers or ("<think>", "</think>")
    if cut and not content:
        return f"{opening}\n{reasoning}"
    return f"{opening}\n{reasoning}\n{closing}\n\n{content}"


def hidden_reasoning(
    reasoning_tokens, returned_reasoning: str | None, text: str, markers=("<think>", "</think>")
) -> int:
    """Reasoning a server charged but did not return (OpenAI's reasoning models: the count in
    ``usage.completion_tokens_details.reasoning_tokens``, no reasoning text): what the env charges
    as ``hidden_reasoning_tokens``, before the text. 0 when the reasoning came back (split off, or
    inside think markers in ``text``): it is then counted in the text, and charging the server's
    count too would charge it twice."""
    if not reasoning_tokens or returned_reasoning or any(m in text for m in markers or ()):
        return 0
    return int(reasoning_tokens)


def opens_thinking(rendered_prompt: str, markers=("<think>", "</think>")) -> bool:
    """True if a rendered chat prompt ends inside an open think block (a chat template that opens
    it for the model, as Qwen3's and the R1 distills' do): the completion then starts in thinking."""
    if not markers:
        return False
    opening, closing = markers
    i = rendered_prompt.rfind(opening)
    return i >= 0 and rendered_prompt.find(closing, i) < 0


def check_max_tokens(max_tokens, n: int) -> list[int]:
    """One positive cap per prompt (a single int applies to all)."""
    caps = [max_tokens] * n if isinstance(max_tokens, int) else list(max_tokens)
    if len(caps) != n:
        raise ValueError(f"got {len(caps)} max_tokens for {n} prompts")
    for c in caps:
        if not isinstance(c, int) or isinstance(c, bool) or c <= 0:
            raise ValueError(f"max_tokens must be positive ints, got {c!r}")
    return caps


def prompt_hash(messages: Messages) -> str:
    """Stable id of a chat prompt (used by records and the replay backend)."""
    return hashlib.sha256(json.dumps(messages, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


CHATML_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
"""Qwen2.5-style ChatML, used when a tokenizer ships no chat template (e.g. the bundled one)."""


def keep_marker_decoder(tokenizer, markers=("<think>", "</think>")):
    """``decode(ids) -> str`` that drops special tokens except the think markers, which some
    tokenizers mark special (``skip_special_tokens=True`` would erase them, and the thinking with
    them would be read as the answer)."""
    vocab = tokenizer.get_vocab()
    keep = {vocab[m] for m in (markers or ()) if m in vocab}
    special = set(getattr(tokenizer, "all_special_ids", []) or [])
    for i, tok in (getattr(tokenizer, "added_tokens_decoder", {}) or {}).items():
        if getattr(tok, "special", False):
            special.add(int(i))
    drop = special - keep

    def decode(ids) -> str:
        return tokenizer.decode([i for i in ids if i not in drop], skip_special_tokens=False)

    return decode


def peft_adapter(model: str, base_model: str | None = None) -> tuple[str, str | None]:
    """(base model, adapter folder) for a path that is a PEFT adapter (it holds
    ``adapter_config.json``, e.g. an intermediate LoRA ``checkpoint-N``), else (model, None).

    The base is ``base_model`` if given, else the adapter's own ``base_model_name_or_path``.
    """
    import json
    from pathlib import Path

    cfg = Path(model) / "adapter_config.json"
    if not cfg.is_file():
        return model, None
    base = base_model or json.loads(cfg.read_text(encoding="utf-8")).get("base_model_name_or_path")
    if not base:
        raise ValueError(f"{cfg} names no base_model_name_or_path; pass the base model as backend_args.base_model")
    return base, model


# -- argument checks: one per backend (its ``check_args``), used by its constructor and by
# ``osmckp validate`` / ``osmckp run`` before any model loads ------------------------------------


def is_int(lo: int | None = None):
    """An int (never a bool) of at least ``lo``."""
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and (lo is None or v >= lo)


def is_number(lo: float | None = None, hi: float | None = None, *, open_lo: bool = False):
    """An int or float (never a bool) in ``[lo, hi]`` (``(lo, hi]`` if ``open_lo``)."""

    def ok(v) -> bool:
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v != v:
            return False
        return (lo is None or (v > lo if open_lo else v >= lo)) and (hi is None or v <= hi)

    return ok


def is_bool(v) -> bool:
    return isinstance(v, bool)


def is_str(v) -> bool:
    return isinstance(v, str) and v != ""


def is_mapping_or_none(v) -> bool:
    return v is None or isinstance(v, dict)


def is_counter_or_none(v) -> bool:
    """A ``TokenCounter`` object (Python use only: a spec cannot give one)."""
    return v is None or callable(getattr(v, "offsets", None))


def one_of(*choices):
    return lambda v: v in choices


def optional(ok):
    return lambda v: v is None or ok(v)


def check_arg_values(args: dict, rules: dict) -> list[str]:
    """What is wrong with the arguments given (absent ones keep their defaults):
    ``rules[name] = (ok, what)``; each ``args[name]`` that ``ok`` refuses is reported as
    ``name must be <what>, got <value>``."""
    return [
        f"{name} must be {what}, got {args[name]!r}"
        for name, (ok, what) in rules.items()
        if name in args and not ok(args[name])
    ]


def raise_on(problems: list[str]) -> None:
    """A constructor's refusal of what its ``check_args`` found."""
    if problems:
        raise ValueError("; ".join(problems))
