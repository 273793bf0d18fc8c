"""A text space for real problem and completion text (any unicode, LaTeX included)."""

from __future__ import annotations

import multiprocessing as mp
import string
from collections.abc import Mapping, Sequence
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


ACTION_KEYS = ("text", "hidden_reasoning_tokens")


def read_action(action: Any) -> tuple[str, int]:
    """(completion text, hidden reasoning tokens) of an exam env's action.

    An action is the completion as a ``str``, or a mapping ``{"text": str,
    "hidden_reasoning_tokens": int}`` for a model whose server charged reasoning it did not
    return (OpenAI's o-series: ``usage.completion_tokens_details.reasoning_tokens``); the env
    charges those tokens before the text, as the runner does. Raises ``TypeError``/``ValueError``
    saying what was wrong.
    """
    if isinstance(action, str):
        text, hidden = action, 0
    elif isinstance(action, Mapping):
        unknown = sorted(map(repr, set(action) - set(ACTION_KEYS)))
        if unknown or "text" not in action:
            what = f"unknown key(s) {', '.join(unknown)}" if unknown else "no 'text'"
            raise ValueError(
                f"an action mapping takes the keys {list(ACTION_KEYS)} ('text' required), got {what}: "
                'e.g. {"text": completion, "hidden_reasoning_tokens": 120}'
            )
        text, hidden = action["text"], action.get("hidden_reasoning_tokens", 0)
        if not isinstance(text, str):
            raise TypeError(f"action['text'] must be the completion as a str, got {type(text).__name__}")
        if isinstance(hidden, np.integer):
            hidden = int(hidden)
        if not isinstance(hidden, int) or isinstance(hidden, bool) or hidden < 0:
            raise ValueError(
                f"action['hidden_reasoning_tokens'] must be a non-negative int (tokens the server charged "
                f"but did not return; 0 if none), got {hidden!r}"
            )
    else:
        hint = (
            " (decode bytes with .decode('utf-8', errors='replace'): invalid bytes become U+FFFD)"
            if isinstance(action, (bytes, bytearray))
            else ""
        )
        raise TypeError(
            "action must be the completion text as a str, or a mapping "
            f'{{"text": str, "hidden_reasoning_tokens": int}}, got {type(action).__name__}{hint}'
        )
    return text, hidden


class CompletionText(UnicodeText):
    """The exam envs' action space: a completion ``str`` (as ``UnicodeText``) or a mapping
    ``{"text": str, "hidden_reasoning_tokens": int >= 0}`` (see ``read_action``). ``sample()``
    draws plain strings. Vector envs batch it as a ``Tuple`` of these, so a batch of actions is a
    tuple whose entries may each be a str or a mapping."""

    def contains(self, x: Any) -> bool:
        try:
            text, _ = read_action(x)
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
