"""Token counting and hard budget truncation with a real tokenizer.

The env's default counter is the bundled Qwen2.5 byte-level BPE (the paper's model family);
an agent with its own tokenizer passes it in, and every result records which one counted.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Protocol, runtime_checkable

from osmckp_env.exam._lookup import lookup

DEFAULT_TOKENIZER = "qwen2.5"


@runtime_checkable
class TokenCounter(Protocol):
    """Anything that can split text into tokens with character offsets."""

    name: str

    def offsets(self, text: str) -> list[tuple[int, int]]:
        """Character (start, end) of every token of ``text``, no special tokens added."""
        ...


@dataclass(frozen=True)
class Truncation:
    """``text`` cut to at most ``budget`` tokens; ``n_tokens`` counted before the cut (a lower
    bound when ``n_tokens_exact`` is False)."""

    text: str
    n_tokens: int
    truncated: bool
    token_ends: tuple[int, ...]
    n_tokens_exact: bool = True  # False: ``n_tokens`` counts only a prefix of a very long text

    def tokens_in(self, start: int, end: int) -> int:
        """Tokens of the kept text whose end falls in the character span (start, end]."""
        import bisect

        return bisect.bisect_right(self.token_ends, end) - bisect.bisect_right(self.token_ends, start)


class HFTokenCounter:
    """Counter backed by a ``tokenizers.Tokenizer`` or a transformers fast tokenizer."""

    def __init__(self, tokenizer, name: str) -> None:
        self.name = name
        backend = getattr(tokenizer, "backend_tokenizer", None)
        self._tok = backend if backend is not None else tokenizer
        if not hasattr(self._tok, "encode_batch"):
            raise TypeError(
                f"HFTokenCounter needs a tokenizers.Tokenizer or a fast transformers tokenizer, "
                f"got {type(tokenizer).__name__}"
            )

    def offsets(self, text: str) -> list[tuple[int, int]]:
        return list(self._tok.encode(text, add_special_tokens=False).offsets)

    def count(self, text: str) -> int:
        return len(self._tok.encode(text, add_special_tokens=False).ids)

    def count_batch(self, texts: list[str]) -> list[int]:
        return [len(e.ids) for e in self._tok.encode_batch(list(texts), add_special_tokens=False)]

    def __repr__(self) -> str:
        return f"HFTokenCounter({self.name!r})"


@cache
def bundled_tokenizer(name: str = DEFAULT_TOKENIZER):
    """The bundled ``tokenizers.Tokenizer`` (Qwen2.5 BPE), loaded once per process."""
    from tokenizers import Tokenizer

    lookup({DEFAULT_TOKENIZER: None}, name, kind="bundled tokenizer")
    path = resources.files("osmckp_env") / "data" / "tokenizers" / name / "tokenizer.json.gz"
    with path.open("rb") as fh:
        return Tokenizer.from_str(gzip.decompress(fh.read()).decode("utf-8"))


@cache
def default_counter() -> HFTokenCounter:
    """The env's default token counter: the bundled Qwen2.5 tokenizer."""
    return HFTokenCounter(bundled_tokenizer(), DEFAULT_TOKENIZER)


_INVALID_RE = re.compile("[\ud800-\udfff\x00]")


def repair_text(text: str) -> tuple[str, bool]:
    """``text`` with every code point that cannot be encoded or tokenized (lone surrogates, NUL)
    replaced by U+FFFD, and whether anything was replaced: a server's broken text is scored, never
    a crash (a tokenizer raises TypeError on a lone surrogate, a UTF-8 writer UnicodeEncodeError)."""
    fixed = _INVALID_RE.sub("\ufffd", text)  # one code point for one: lengths and offsets are kept
    return fixed, fixed != text


EXACT_CHARS = 100_000  # texts up to this long are counted whole (their raw count is exact)
MARGIN_TOKENS = 32  # tokens counted past the budget, so the kept tokens match the whole text's
CHARS_PER_TOKEN = 5  # cap on the characters-per-token guess that sizes the first prefix (English runs 4-5)


def truncate(text: str, budget: int, counter: TokenCounter | None = None) -> Truncation:
    """Keep the longest prefix of ``text`` that is at most ``budget`` tokens.

    Cost grows with the budget, not the text: a completion longer than ``EXACT_CHARS``
    characters is counted over a growing prefix (the budget times the characters per token of the
    text's first 1,000 characters, at most ``CHARS_PER_TOKEN``, doubled until more than
    ``budget + MARGIN_TOKENS`` tokens are seen or the text ends), so a runaway 10 MB completion
    costs about as much as a short one. Its ``n_tokens`` is then a lower bound, above the budget
    (the counted prefix's tokens less the margin; ``n_tokens_exact`` is False); everything else
    (the kept text, its token ends, ``truncated``) is what counting the whole text gives.
    """
    if budget < 0:
        raise ValueError(f"budget must be >= 0, got {budget}")
    counter = counter or default_counter()
    if len(text) <= EXACT_CHARS:
        return _cut(text, safe_offsets(counter, text), budget, exact=True)
    return truncate_prefix(text, budget, counter)


def truncate_prefix(text: str, budget: int, counter: TokenCounter) -> Truncation:
    """``truncate`` over a growing prefix, for any text (``truncate`` uses it past ``EXACT_CHARS``)."""
    n = len(text)
    # first guess from the text's own density (characters per token of its first 1,000 characters)
    head = min(n, 1000)
    per_token = head / max(1, len(safe_offsets(counter, text[:head]))) if head else CHARS_PER_TOKEN
    length = min(n, int(min(per_token * 1.15, CHARS_PER_TOKEN) * (budget + MARGIN_TOKENS)) + 64)
    while True:
        offs = safe_offsets(counter, text[:length])
        if length >= n:
            return _cut(text, offs, budget, exact=True)
        if len(offs) > budget + MARGIN_TOKENS:
            # the last tokens of a prefix can differ from the whole text's; the ones before the
            # margin are the whole text's, so their number is a lower bound of its count (> budget)
            cut = _cut(text, offs, budget, exact=False)
            return Truncation(cut.text, len(offs) - MARGIN_TOKENS, True, cut.token_ends, n_tokens_exact=False)
        length = min(n, 2 * length)


def safe_offsets(counter: TokenCounter, text: str):
    """The counter's token offsets of ``text`` with invalid code points replaced (``repair_text``
    keeps the length, so the offsets index ``text`` itself): counting never fails on a server's
    broken text. Only what is counted is scanned."""
    return counter.offsets(_INVALID_RE.sub("\ufffd", text))


def _cut(text: str, offs, budget: int, *, exact: bool) -> Truncation:
    n = len(offs)
    if exact and n <= budget:
        return Truncation(text, n, False, tuple(e for _, e in offs))
    cut = offs[budget - 1][1] if budget > 0 else 0
    kept = tuple(e for _, e in offs[:budget])
    return Truncation(text[:cut], n, True, kept, n_tokens_exact=exact)
