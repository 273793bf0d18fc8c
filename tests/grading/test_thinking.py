"""The thinking rule: every token counts, nothing inside the thinking is read."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from osmckp_env.exam.problems import Problem
from osmckp_env.exam.suites import Exam
from osmckp_env.exam.tokenization import default_counter
from osmckp_env.grading.parse import parse_completion, parse_single, split_thinking
from osmckp_env.grading.record import cut_and_parse, score_completion

GOLDS = ("7", "12", "30")
EXAM = Exam(0, tuple(Problem(f"p{i}", f"q{i}", "", g, "easy") for i, g in enumerate(GOLDS)), 512, "medium")
ANSWERS = "".join(f"### Problem {k + 1}\nShort. \\boxed{{{g}}}\n" for k, g in enumerate(GOLDS))
DRAFTS = "".join(
    f"### Problem {k + 1}\n<predicted_level>Level-0</predicted_level> \\boxed{{{g}}}\n" for k, g in enumerate(GOLDS)
)


def _tokens(text):
    return len(default_counter().offsets(text))


def test_short_thinking_is_charged_and_the_answer_graded():
    thinking = "<think>\nLet me think about these. " + "ok " * 40 + "\n</think>\n\n"
    rec = score_completion(EXAM, thinking + ANSWERS)
    plain = score_completion(EXAM, ANSWERS)
    assert rec["score"] == 3 and plain["score"] == 3
    assert rec["thinking_tokens"] == _tokens(thinking) or abs(rec["thinking_tokens"] - _tokens(thinking)) <= 1
    assert rec["completion_tokens"] == _tokens(thinking + ANSWERS)
    assert rec["answer_tokens"] == rec["completion_tokens"] - rec["thinking_tokens"]
    assert not rec["cut_in_thinking"] and plain["thinking_tokens"] == 0


def test_drafts_inside_thinking_are_never_answers():
    # inline thinking with headers, level tags and correct boxed drafts, cut by the budget inside it
    text = "<think>\n" + DRAFTS + "wait, let me re-check " * 400 + "\n</think>\n\n" + ANSWERS
    rec = score_completion(EXAM, text)
    assert rec["truncated"] and rec["cut_in_thinking"]
    assert rec["score"] == 0
    assert [p["status"] for p in rec["problems"]] == ["unreached"] * 3
    assert all(p["predicted_level"] is None for p in rec["problems"])
    assert rec["thinking_tokens"] == rec["completion_tokens"] == 512
    # the same thinking, closed inside the budget: only the answer after it is read
    short = "<think>\n" + DRAFTS.replace("\\boxed{7}", "\\boxed{99}") + "\n</think>\n\n" + ANSWERS
    assert score_completion(EXAM, short)["score"] == 3
    wrong_after = "<think>\n" + DRAFTS + "</think>\n" + ANSWERS.replace("\\boxed{7}", "\\boxed{8}")
    assert score_completion(EXAM, wrong_after)["score"] == 2  # the correct draft for P1 does not count


def test_closing_marker_without_opening_is_thinking_up_to_it():
    # a template that opened the block in the prompt: the completion starts inside the thinking
    text = DRAFTS.replace("\\boxed{30}", "\\boxed{0}") + "hmm\n</think>\n\n" + ANSWERS
    rec = score_completion(EXAM, text)
    assert rec["score"] == 3 and rec["thinking_tokens"] > 0
    cut = score_completion(EXAM, DRAFTS + "hmm " * 600)  # no marker at all: an ordinary completion
    assert cut["score"] == 3


def test_markers_can_be_changed_or_disabled():
    text = "<reasoning>" + DRAFTS + "</reasoning>" + ANSWERS.replace("\\boxed{7}", "\\boxed{8}")
    assert score_completion(EXAM, text, think_markers=("<reasoning>", "</reasoning>"))["score"] == 2
    inline = "<think>\n" + DRAFTS + "and more"  # never closed
    assert score_completion(EXAM, inline)["score"] == 0
    assert score_completion(EXAM, inline, think_markers=None)["score"] == 3
    with pytest.raises(ValueError, match="think_markers"):
        score_completion(EXAM, inline, think_markers=("<t>",))


def test_a_block_reopened_after_the_last_close_runs_to_the_end():
    text = "<think>a</think>\n" + ANSWERS.split("### Problem 3")[0] + "<think>\n### Problem 3\n\\boxed{30}"
    sp = split_thinking(text)
    assert sp.ends_in_thinking and text[sp.answer_end :].startswith("<think>")
    statuses = [p.status for p in parse_completion(text, 3)]
    assert statuses == ["answered", "answered", "unreached"]
    assert parse_single("<think>\\boxed{1}</think> \\boxed{2}").answer == "2"
    assert parse_single("<think>\\boxed{1}").answer is None


def test_hidden_reasoning_is_charged_before_the_answer():
    over = score_completion(EXAM, ANSWERS, hidden_tokens=3000)
    assert over["score"] == 0 and over["cut_in_thinking"] and over["truncated"]
    assert over["completion_tokens"] == 512 and over["thinking_tokens"] == 512
    assert over["hidden_reasoning_tokens"] == 3000 and over["raw_completion_tokens"] == 3000 + _tokens(ANSWERS)
    short = score_completion(EXAM, ANSWERS, hidden_tokens=100)
    assert short["score"] == 3 and short["thinking_tokens"] == 100
    assert short["completion_tokens"] == 100 + _tokens(ANSWERS)
    # hidden reasoning leaves room for only part of the answer: the last problems are cut
    tight = score_completion(EXAM, ANSWERS, hidden_tokens=512 - _tokens(ANSWERS.split("### Problem 3")[0]))
    assert tight["score"] == 2 and tight["completion_tokens"] == 512


def test_exactly_budget_tokens_is_kept_whole_and_exhausts_the_budget():
    text = ANSWERS + "x" * 5000
    counter = default_counter()
    offs = counter.offsets(text)
    exact = text[: offs[99][1]]  # exactly 100 tokens
    assert _tokens(exact) == 100
    exam = Exam(0, EXAM.problems, 100, "medium")
    rec = score_completion(exam, exact)
    assert not rec["truncated"] and rec["budget_exhausted"] and rec["completion_tokens"] == 100
    one_more = text[: offs[100][1]]
    rec2 = score_completion(exam, one_more)
    assert rec2["truncated"] and rec2["budget_exhausted"] and rec2["completion_tokens"] == 100
    under = score_completion(exam, text[: offs[98][1]])
    assert not under["truncated"] and not under["budget_exhausted"]


def test_broken_text_is_scored_with_invalid_code_points_replaced():
    text = ANSWERS.replace("Short.", "Short \ud800 \x00.")
    rec = score_completion(EXAM, text)
    assert rec["score"] == 3 and rec["text_repaired"]
    assert not score_completion(EXAM, ANSWERS)["text_repaired"]


PIECES = st.lists(
    st.sampled_from(
        [
            "### Problem 1\n",
            "### Problem 2\n",
            "### Problem 3\n",
            "\\boxed{7}",
            "\\boxed{NA}",
            "<think>",
            "</think>",
            "<predicted_level>Level-1</predicted_level>",
            "some words ",
            "\n",
            "é漢 ",
            "12+3=15 ",
        ]
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(PIECES, st.integers(0, 80), st.integers(1, 120), st.sampled_from([("<think>", "</think>"), None]))
def test_tokens_partition_the_charged_completion_with_thinking(pieces, hidden, budget, markers):
    text = "".join(pieces)
    view = cut_and_parse(text, 3, budget, default_counter(), think_markers=markers, hidden_tokens=hidden)
    assert view.preamble_tokens + view.thinking_tokens + sum(view.problem_tokens) == view.completion_tokens
    assert view.completion_tokens <= budget
    # nothing inside the thinking is a segment
    a, b = view.split.answer_start, view.split.answer_end
    for p in view.parsed:
        for s, e in p.spans:
            assert a <= s <= e <= b


def test_marker_validation_and_hidden_token_validation():
    from osmckp_env.grading.parse import check_think_markers

    assert check_think_markers(None) is None and check_think_markers(["<t>", "</t>"]) == ("<t>", "</t>")
    for bad in (("", "</t>"), ("<t>", ""), (1, 2), ("a", "a"), "ab", ("a", "b", "c"), ("a", None)):
        with pytest.raises(ValueError, match="think_markers"):
            check_think_markers(bad)
    for bad in (-1, True, 1.5, "3"):
        with pytest.raises(ValueError, match="hidden_tokens"):
            cut_and_parse("x", 1, 10, default_counter(), hidden_tokens=bad)


def test_parsed_problems_after_thinking_keep_their_index_level_and_offsets():
    think = "<think>\n### Problem 2\n\\boxed{9}\n</think>\n"
    body = "### Problem 1\n<predicted_level>Level-1</predicted_level>\n\\boxed{7}\n### Problem 2\nno answer yet\n"
    parsed = parse_completion(think + body, 3)
    assert [p.index for p in parsed] == [0, 1, 2]
    assert [p.status for p in parsed] == ["answered", "missing", "unreached"]
    assert parsed[0].predicted_level == 1 and parsed[0].answer == "7"
    a = len(think)
    assert parsed[0].spans[0][0] == a and (think + body)[parsed[1].spans[0][0] :].startswith("### Problem 2\nno")


def test_score_completions_budgets_and_lengths():
    from osmckp_env.grading.record import score_completions

    text = ANSWERS + "pad " * 50
    import dataclasses

    recs = score_completions([dataclasses.replace(EXAM, budget=512), dataclasses.replace(EXAM, budget=12)], [text] * 2)
    assert recs[0]["budget"] == 512 and recs[1]["budget"] == 12 and recs[1]["completion_tokens"] == 12
    assert recs[0]["score"] == 3 and recs[1]["score"] < 3
    with pytest.raises(ValueError):
        score_completions([EXAM, EXAM], [text])
    with pytest.raises(TypeError, match="must be str"):
        score_completions([EXAM], [b"bytes"])
    skipped = score_completion(EXAM, ANSWERS.replace("\\boxed{7}", "\\boxed{NA}"))
    assert skipped["problems"][0]["status"] == "skipped" and skipped["problems"][0]["grade_detail"] == "no answer"


def test_a_draft_box_in_the_thinking_of_a_single_answer_is_not_its_answer():
    assert parse_single("<think>\\boxed{1}</think> no answer").answer is None
    assert parse_single("<think>\\boxed{1}</think> \\boxed{2}").spans == ((24, 34),)


def test_only_the_counted_and_kept_text_is_repaired():
    long = ANSWERS + "pad " * 40_000  # past the exact-count limit: counted over a prefix
    bad_early = ANSWERS.replace("Short.", "Sh\ud800ort.") + "pad " * 40_000
    bad_late = long + "\ud800"
    assert score_completion(EXAM, bad_early)["text_repaired"] and score_completion(EXAM, bad_early)["score"] == 3
    late = score_completion(EXAM, bad_late)
    assert not late["text_repaired"] and late["score"] == 3  # the broken tail was cut, never scored
    assert late["completion_tokens"] == score_completion(EXAM, long)["completion_tokens"] == 512
    view = cut_and_parse(bad_early, 3, 512, default_counter())
    assert "\ud800" not in view.cut.text and view.repaired


def test_segment_spans_after_a_think_block_are_offsets_into_the_whole_text():
    think = "<think>\nA draft: \\boxed{9}\n</think>\n"
    body = "### Problem 1\n\\boxed{1}\n### Problem 2\n\\boxed{2}\n"
    text = think + body
    parsed = parse_completion(text, 2)
    assert [[text[s:e] for s, e in p.spans] for p in parsed] == [
        ["### Problem 1\n\\boxed{1}\n"],
        ["### Problem 2\n\\boxed{2}\n"],
    ]
    assert parsed[1].spans[-1][1] == len(text)
