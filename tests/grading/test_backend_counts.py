"""The backend's own count of generated tokens wins over a re-count of the decoded text, and a
problem after the last one written is `not_attempted` (budget left) or `unreached` (budget spent)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from osmckp_env.exam.tokenization import default_counter
from osmckp_env.grading.record import apportion, cut_and_parse, score_completion
from tests.conftest import completion, make_exam


def test_a_completion_stopped_at_the_cap_is_exhausted_and_charged_the_cap(grader):
    # the real-model case: 512 generated, the decoded text re-counts as fewer tokens
    text = completion(["4"], filler="Let me think about this carefully. " * 6)
    recount = len(default_counter().offsets(text))
    budget = recount + 40
    exam = make_exam(budget=budget)
    plain = score_completion(exam, text, grader=grader)
    assert plain["completion_tokens"] == recount and not plain["budget_exhausted"]
    rec = score_completion(exam, text, grader=grader, generated_tokens=budget)
    assert rec["budget_exhausted"] and not rec["truncated"]
    assert rec["completion_tokens"] == budget == rec["raw_completion_tokens"]
    # per-problem tokens still partition what was charged
    assert rec["preamble_tokens"] + rec["thinking_tokens"] + sum(p["tokens"] for p in rec["problems"]) == budget
    assert rec["problems"][0]["tokens"] == budget  # all of it was problem 1's text
    assert rec["problems"][0]["correct"]
    assert [p["status"] for p in rec["problems"]] == ["answered", "unreached", "unreached"]


def test_levels_follow_the_backend_count(grader):
    text = completion(["4"], filler="word " * 200)
    recount = len(default_counter().offsets(text))
    assert recount < 256 + 40
    exam = make_exam(budget=512)
    assert score_completion(exam, text, grader=grader)["problems"][0]["actual_level"] == (0 if recount < 256 else 1)
    rec = score_completion(exam, text, grader=grader, generated_tokens=512)
    assert rec["problems"][0]["actual_level"] == 2  # 512 tokens generated: Level-2


def test_a_backend_count_below_the_recount_keeps_the_whole_text(grader):
    text = completion(["4", "\\frac{1}{2}"])
    recount = len(default_counter().offsets(text))
    exam = make_exam(budget=recount - 2)
    assert score_completion(exam, text, grader=grader)["problems"][1]["status"] == "missing"  # the env cut it
    rec = score_completion(exam, text, grader=grader, generated_tokens=recount - 3)  # within the budget
    assert rec["score"] == 2 and not rec["truncated"] and rec["completion_tokens"] == recount - 3


def test_a_backend_that_overran_the_budget_is_cut_at_the_same_share():
    text = "x " * 100
    view = cut_and_parse(text, 3, 50, default_counter(), generated_tokens=200)
    assert view.truncated and view.completion_tokens == 50
    assert abs(len(view.cut.text) - len(text) * 50 / 200) <= 4


def test_generated_tokens_must_be_a_count():
    import pytest

    with pytest.raises(ValueError, match="generated_tokens"):
        cut_and_parse("x", 1, 10, default_counter(), generated_tokens=-1)


@given(st.lists(st.integers(0, 500), min_size=1, max_size=8), st.integers(0, 3000))
def test_apportion_adds_up_and_keeps_the_order(parts, total):
    out = apportion(parts, total)
    assert sum(out) == total and all(x >= 0 for x in out)
    if sum(parts):
        for a, b, x, y in zip(parts, parts[1:], out, out[1:]):
            if a < b:
                assert x <= y + 1
        assert all(abs(x - p * total / sum(parts)) < 1 for p, x in zip(parts, out))


def test_stopped_early_is_not_attempted_and_spent_budget_is_unreached(grader):
    text = completion(["4"])
    exam = make_exam(budget=256)
    rec = score_completion(exam, text, grader=grader)
    assert [p["status"] for p in rec["problems"]] == ["answered", "not_attempted", "not_attempted"]
    assert all(p["actual_level"] is None for p in rec["problems"][1:])
    long = completion(["4"], filler="step " * 300)
    rec = score_completion(exam, long, grader=grader)
    assert rec["budget_exhausted"]
    assert [p["status"] for p in rec["problems"]] == ["missing", "unreached", "unreached"]


def test_metrics_keep_the_two_rates_apart(grader):
    from osmckp_env.scoring.metrics import summarize

    exam = make_exam(budget=256)
    short = score_completion(exam, completion(["4"]), grader=grader)
    long = score_completion(exam, completion(["4"], filler="step " * 300), grader=grader)
    m = summarize([short, long])
    assert m["not_attempted_rate"] == 2 / 6 and m["unreached_rate"] == 2 / 6


def test_apportion_exact_shares():
    assert apportion([1, 1], 3) == [1, 2]  # a tie goes to the later part (where the text was cut)
    assert apportion([1, 2, 3], 3) == [0, 1, 2]
    assert apportion([2, 1], 6) == [4, 2]
    assert apportion([0, 0, 0], 5) == [0, 0, 5]
    assert apportion([3, 4], 7) == [3, 4]
    assert apportion([5, 5], 0) == [0, 0]


class CharCounter:
    """One token per character: a tokenization far from the bundled one, so that a count made with
    the wrong counter shows."""

    name = "chars"

    def offsets(self, text):
        return [(i, i + 1) for i in range(len(text))]


def test_a_completion_that_fills_the_budget_exactly_is_kept_whole():
    view = cut_and_parse("abcdefghij", 1, 10, CharCounter())  # no hidden reasoning by default
    assert view.cut.text == "abcdefghij" and not view.truncated and view.completion_tokens == 10


def test_generated_tokens_is_a_non_negative_int():
    import pytest

    for bad in (1.5, True, "3"):
        with pytest.raises(ValueError, match="generated_tokens"):
            cut_and_parse("x", 1, 10, CharCounter(), generated_tokens=bad)
    assert cut_and_parse("", 1, 10, CharCounter(), generated_tokens=0).completion_tokens == 0


def test_the_backend_count_rules_recount_with_the_counter_given():
    text = "abcdefghijklmnopqrst"  # 20 tokens for this counter, far fewer for the bundled one
    within = cut_and_parse(text, 1, 30, CharCounter(), generated_tokens=18)
    assert within.cut.text == text and within.cut.n_tokens == 20 and within.completion_tokens == 18
    over = cut_and_parse(text, 1, 5, CharCounter(), generated_tokens=40)  # cut at 5 * 20 // 40 = 2 tokens
    assert over.cut.text == "ab" and over.truncated and over.completion_tokens == 5


def test_records_carry_the_backend_count_and_the_raw_counts_exactness(grader):
    from osmckp_env.exam.tokenization import EXACT_CHARS

    exam = make_exam(budget=256)
    text = completion(["4"])
    assert "generated_tokens" not in score_completion(exam, text, grader=grader)
    assert score_completion(exam, text, grader=grader, generated_tokens=200)["generated_tokens"] == 200
    runaway = score_completion(exam, text + "word " * (EXACT_CHARS // 4), grader=grader)
    assert runaway["raw_completion_tokens_exact"] is False and runaway["budget_exhausted"]


def test_a_step_of_a_sequential_exam_is_charged_the_backend_count(grader):
    from osmckp_env.exam.levels import LevelBins
    from osmckp_env.grading.record import SequentialExam

    exam = make_exam(budget=300)
    seq = SequentialExam(exam, counter=default_counter(), bins=LevelBins(), grader=grader)
    rec = seq.answer("The answer is \\boxed{4}.", generated_tokens=120)
    assert rec["tokens"] == 120 and seq.remaining == 180 and rec["correct"]


def test_apportion_gives_the_largest_remainder_not_the_largest_part():
    assert apportion([5, 3], 10) == [6, 4]  # exact shares 6.25 and 3.75
