"""A text space for real problem and completion text (any unicode, LaTeX included)."""

from __future__ import annotations

import multiprocessing as mp
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium.spaces import Box, Text
from gymnasium.spaces.utils import flatten, flatten_space, unflatten
from gymnasium.vector.utils.shared_memory import create_shared_memory, read_from_shared_memory, write_to_shared_memory

SAMPLE_CHARSET = string.ascii_letters + string.digits + " \n\\{}()^_+-*/=.,$#<>" + "αβπ∑√≤≥→°é中"


class UnicodeText(Text):
    """``gymnasium.spaces.Text`` that contains any ``str`` within the length bounds.

    Gymnasium's Text checks every character against a finite charset (alphanumeric by default),
    which real problems (unicode, LaTeX) and model completions fail. Membership here is: a str,
    encodable as UTF-8 (no lone surrogates), of allowed length. ``sample()`` draws from
    ``SAMPLE_CHARSET``, a mix of ASCII, LaTeX symbols and non-ASCII characters.
    """

    def __init__(self, max_length: int, *, min_length: int = 0, seed=None) -> None:
        super().__init__(max_length, min_length=min_length, charset=SAMPLE_CHARSET, seed=seed)

    def contains(self, x: Any) -> bool:
        if not isinstance(x, str) or not (self.min_length <= len(x) <= self.max_length):
            return False
        try:
            x.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True

    def __repr__(self) -> str:
        return f"UnicodeText({self.min_length}, {self.max_length})"

    def __eq__(self, other: Any) -> bool:
        return type(other) is type(self) and (self.min_length, self.max_length) == (
            other.min_length,
            other.max_length,
        )


ACTION_KEYS = ("text", "hidden_reasoning_tokens", "generated_tokens")


@dataclass(frozen=True)
class Action:
    """An exam env's action, read: the completion, the hidden reasoning the server charged (tokens
    it did not return), and the backend's own count of the text's tokens when it has one."""

    text: str
    hidden_reasoning_tokens: int = 0
    generated_tokens: int | None = None


def _count(action: Mapping, key: str, default, what: str):
    v = action.get(key, default)
    if isinstance(v, np.integer):
        v = int(v)
    if v is default:
        return v
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        raise ValueError(f"action[{key!r}] must be a non-negative int ({what}), got {v!r}")
    return v


def read_action(action: Any) -> Action:
    """An exam env's action, checked.

    An action is the completion as a ``str``, or a mapping ``{"text": str,
    "hidden_reasoning_tokens": int, "generated_tokens": int}`` (both counts optional):
    ``hidden_reasoning_tokens`` for a model whose server charged reasoning it did not return
    (OpenAI's o-series: ``usage.completion_tokens_details.reasoning_tokens``), charged before the
    text; ``generated_tokens``, the number of token ids the model generated for ``text`` when the
    env counts with the model's own tokenizer (decoded text re-counts shorter or longer: the
    backend's count wins, as in the runner). Raises ``TypeError``/``ValueError`` saying what was wrong.
    """
    if isinstance(action, str):
        return Action(action)
    if isinstance(action, Mapping):
        unknown = sorted(map(repr, set(action) - set(ACTION_KEYS)))
        if unknown or "text" not in action:
            what = f"unknown key(s) {', '.join(unknown)}" if unknown else "no 'text'"
            raise ValueError(
                f"an action mapping takes the keys {list(ACTION_KEYS)} ('text' required), got {what}: "
                'e.g. {"text": completion, "hidden_reasoning_tokens": 120}'
            )
        text = action["text"]
        if not isinstance(text, str):
            raise TypeError(f"action['text'] must be the completion as a str, got {type(text).__name__}")
        hidden = _count(action, "hidden_reasoning_tokens", 0, "tokens the server charged but did not return; 0 if none")
        generated = _count(action, "generated_tokens", None, "token ids the model generated for the text")
        return Action(text, hidden, generated)
    hint = (
        " (decode bytes with .decode('utf-8', errors='replace'): invalid bytes become U+FFFD)"
        if isinstance(action, (bytes, bytearray))
        else ""
    )
    raise TypeError(
        "action must be the completion text as a str, or a mapping "
        f'{{"text": str, "hidden_reasoning_tokens": int}}, got {type(action).__name__}{hint}'
    )


class CompletionText(UnicodeText):
    """The exam envs' action space: a completion ``str`` (as ``UnicodeText``) or a mapping
    ``{"text": str, "hidden_reasoning_tokens": int >= 0}`` (see ``read_action``). ``sample()``
    draws plain strings. Vector envs batch it as a ``Tuple`` of these, so a batch of actions is a
    tuple whose entries may each be a str or a mapping."""

    def contains(self, x: Any) -> bool:
        try:
            text = read_action(x).text
        except (TypeError, ValueError):
            return False
        return super().contains(text)

    def __repr__(self) -> str:
        return f"CompletionText({self.min_length}, {self.max_length})"


# Flattening and shared memory (AsyncVectorEnv) index characters into Text's finite charset;
# UnicodeText stores Unicode code points instead (int32, padded with -1).
def _codes(space: UnicodeText, x: str) -> np.ndarray:
    out = np.full(space.max_length, -1, dtype=np.int32)
    out[: len(x)] = np.frombuffer(x.encode("utf-32-le"), dtype=np.int32) if x else []
    return out


def _text(codes: np.ndarray) -> str:
    codes = np.asarray(codes, dtype=np.int32)
    return codes[codes >= 0].astype("<i4").tobytes().decode("utf-32-le")


@flatten.register(UnicodeText)
def _flatten_unicode(space: UnicodeText, x: str) -> np.ndarray:
    return _codes(space, x)


@unflatten.register(UnicodeText)
def _unflatten_unicode(space: UnicodeText, x: np.ndarray) -> str:
    return _text(x)


@flatten_space.register(UnicodeText)
def _flatten_space_unicode(space: UnicodeText) -> Box:
    return Box(low=-1, high=0x10FFFF, shape=(space.max_length,), dtype=np.int32)


@create_shared_memory.register(UnicodeText)
def _create_unicode_shared_memory(space: UnicodeText, n: int = 1, ctx=mp):
    return ctx.Array(np.dtype(np.int32).char, n * space.max_length)


class SharedTextView(Sequence):
    """Live view of the batch's strings in shared memory.

    AsyncVectorEnv reads its shared observation buffer once, at construction, and relies on
    numpy views staying current; strings cannot be views, so this decodes on access and turns
    into a plain tuple of the current strings when the vector env copies its observations.
    """

    def __init__(self, data: np.ndarray) -> None:
        self._data = data

    def __len__(self) -> int:
        return self._data.shape[0]

    def __getitem__(self, i):
        if isinstance(i, slice):
            return tuple(_text(row) for row in self._data[i])
        return _text(self._data[i])

    def __deepcopy__(self, memo) -> tuple[str, ...]:
        return tuple(self)

    def __eq__(self, other) -> bool:
        return tuple(self) == tuple(other) if isinstance(other, Sequence) else NotImplemented

    def __repr__(self) -> str:
        return f"SharedTextView({tuple(self)!r})"


@read_from_shared_memory.register(UnicodeText)
def _read_unicode_shared_memory(space: UnicodeText, shared_memory, n: int = 1) -> SharedTextView:
    return SharedTextView(np.frombuffer(shared_memory.get_obj(), dtype=np.int32).reshape((n, space.max_length)))


@write_to_shared_memory.register(UnicodeText)
def _write_unicode_shared_memory(space: UnicodeText, index: int, values: str, shared_memory) -> None:
    size = space.max_length
    dest = np.frombuffer(shared_memory.get_obj(), dtype=np.int32)
    np.copyto(dest[index * size : (index + 1) * size], _codes(space, values))
