"""A text space for real problem and completion text (any unicode, LaTeX included)."""

from __future__ import annotations

import string
from typing import Any

from gymnasium.spaces import Text

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
        return isinstance(other, UnicodeText) and (self.min_length, self.max_length) == (
            other.min_length,
            other.max_length,
        )
