"""Counting over a growing prefix gives what counting the whole completion gives."""

import numpy as np
import pytest

from osmckp_env.exam import tokenization
from osmckp_env.exam.tokenization import default_counter, truncate_prefix

PIECES = [
    "### Problem 1\n",
    "### Problem 2\n",
    "Problem 3:\n",
    "### Prob",
    "\\boxed{4}",
    "\\boxed{\\frac{1}{",
    "\\boxed{NA}",
    "<predicted_level>Level-1</predicted_level>\n",
    "word ",
    "reasoning about the apples. ",
    "  \n\n   ",
    "\t",
    "$x^2+y^2=z^2$ ",
    "é",
    "日本語のテキスト",
    "🙂",
    "👩‍👩‍👧",
    "e\u0301",
    "\u200d",
    "1234567890",
    "x" * 300,
    " " * 120,
    "\n" * 40,
]


def _texts(n, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        k = int(rng.integers(1, 400))
        parts = [PIECES[int(i)] for i in rng.integers(0, len(PIECES), k)]
        text = "".join(parts)
        cut = int(rng.integers(0, len(text) + 1))  # ends anywhere: mid-token, mid-header, mid-grapheme
        yield text[:cut], int(rng.choice([0, 1, 7, 64, 256, 512, 1024]))


def test_prefix_counting_matches_whole_counting_on_thousands_of_completions():
    c = default_counter()
    n_cut = 0
    for text, budget in _texts(3000):
        offs = c.offsets(text)  # the reference: every token of the whole text, cut by hand
        kept = offs[:budget]
        want_text = text if len(offs) <= budget else text[: kept[-1][1]] if kept else ""
        fast = truncate_prefix(text, budget, c)
        assert (fast.text, fast.token_ends, fast.truncated) == (
            want_text,
            tuple(e for _, e in kept),
            len(offs) > budget,
        )
        assert fast.n_tokens == len(offs) if fast.n_tokens_exact else budget < fast.n_tokens <= len(offs)
        n_cut += fast.truncated
    assert n_cut > 300  # many were cut at the budget


def test_records_are_the_same_through_either_path(monkeypatch, grader):
    from osmckp_env.exam.suites import get_suite
    from osmckp_env.grading.record import score_completions

    exams = list(get_suite("medium-512", n_exams=1).exams) * 400
    texts = [t for t, _ in _texts(400, seed=1)]
    whole = score_completions(exams, texts, grader=grader)
    monkeypatch.setattr(tokenization, "EXACT_CHARS", 0)  # every completion through the prefix path
    fast = score_completions(exams, texts, grader=grader)
    skip = {"raw_completion_tokens", "raw_completion_tokens_exact"}
    for a, b in zip(whole, fast):
        assert {k: v for k, v in a.items() if k not in skip} == {k: v for k, v in b.items() if k not in skip}
        assert b["raw_completion_tokens"] <= a["raw_completion_tokens"]
        assert b["raw_completion_tokens_exact"] or b["raw_completion_tokens"] > b["budget"]


def test_a_runaway_completion_is_cut_without_counting_all_of_it():
    c = default_counter()
    big = "### Problem 1\n" + "x y z " * 2_000_000
    cut = tokenization.truncate(big, 1024, c)
    assert cut.truncated and len(cut.token_ends) == 1024 and not cut.n_tokens_exact
    assert cut.n_tokens < 20_000  # only a prefix was counted
    with pytest.raises(ValueError):
        tokenization.truncate("x", -1, c)
