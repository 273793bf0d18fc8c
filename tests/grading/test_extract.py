import pytest

from osmckp_env.grading.extract import box_last_number, find_boxed, is_skip, last_boxed


class TestFindBoxed:
    def test_nested_braces(self):
        assert last_boxed(r"so \boxed{\frac{1}{2}} done") == r"\frac{1}{2}"

    def test_fbox_and_spacing(self):
        assert last_boxed(r"\fbox {42}") == "42"

    def test_last_wins(self):
        assert last_boxed(r"\boxed{1} then \boxed{2}") == "2"

    def test_unclosed_box_ignored_but_earlier_kept(self):
        assert last_boxed(r"\boxed{7} and then \boxed{\frac{3}{") == "7"

    def test_unclosed_then_complete(self):
        assert [b[2] for b in find_boxed(r"\boxed{ oops \boxed{5}")] == ["5"]

    def test_escaped_braces(self):
        assert last_boxed(r"\boxed{\{1,2\}}") == r"\{1,2\}"

    def test_none(self):
        assert last_boxed("no answer here") is None
        assert last_boxed("") is None

    def test_thousands_of_boxes_linear(self):
        text = r"\boxed{1}" * 5000
        assert len(find_boxed(text)) == 5000


def test_is_skip_variants():
    for s in ["NA", "na", " N/A ", r"\text{NA}", r"\text{ NA }"]:
        assert is_skip(s), s
    for s in ["0", "NaN", None, "A"]:
        assert not is_skip(s), s


@pytest.mark.parametrize(
    "text,expected",
    [
        ("so \\boxed{1}, \\boxed{-2}", "1, -2"),
        ("\\boxed{1} and \\boxed{-2}.", "1, -2"),
        ("$\\boxed{3}$, $\\boxed{5}$, $\\boxed{7}$", "3, 5, 7"),
        ("\\boxed{3}\\quad\\boxed{5}\\quad\\boxed{7}\n", "3, 5, 7"),
        ("\\(\\boxed{1}\\), \\(\\boxed{2}\\)", "1, 2"),
        # near misses: a draft box, reasoning, then one final box: the final box alone
        ("first \\boxed{3}, then checking again we get \\boxed{5}", "5"),
        ("draft \\boxed{1}. Hmm, recheck. \\boxed{-2}", "-2"),
        ("\\boxed{1}, \\boxed{2} are the roots", "2"),  # text after the boxes: not one answer
        ("x=\\boxed{1} or x=\\boxed{2}", "2"),
        ("\\boxed{1} \\boxed{NA}", "NA"),  # a skip is never joined
        ("\\boxed{42}", "42"),
        ("no box", None),
    ],
)
def test_final_answer_joins_only_a_final_run_of_boxes(text, expected):
    from osmckp_env.grading.extract import final_answer

    assert final_answer(text) == expected


def test_several_boxes_are_one_answer_in_the_env(grader):
    from osmckp_env.exam.problems import Problem
    from osmckp_env.exam.suites import Exam
    from osmckp_env.grading.record import score_completion

    exam = Exam(0, (Problem("a", "q", "", "1,-2", "medium"), Problem("b", "q", "", "3, 5, 7", "medium")), 512, "medium")
    text = "### Problem 1\nroots \\boxed{1}, \\boxed{-2}\n### Problem 2\n\\boxed{3}, \\boxed{5}, \\boxed{7}\n"
    rec = score_completion(exam, text, grader=grader)
    assert [p["answer"] for p in rec["problems"]] == ["1, -2", "3, 5, 7"] and rec["score"] == 2
    draft = "### Problem 1\n\\boxed{1}, wait that is wrong, \\boxed{-2}\n### Problem 2\n\\boxed{7}\n"
    assert score_completion(exam, draft, grader=grader)["score"] == 0


def test_escaped_braces_inside_a_box_do_not_close_it():
    assert find_boxed("\\boxed{\\{1,2\\}}") == [(0, 15, "\\{1,2\\}")]
    assert find_boxed("a \\boxed{x \\} y} b") == [(2, 16, "x \\} y")]
    assert find_boxed("\\boxed{a\\") == []  # a trailing backslash: unclosed
    assert find_boxed("\\boxed{a\\b}") == [(0, 11, "a\\b")]
    assert find_boxed("\\boxed {7} \\fbox{8}") == [(0, 10, "7"), (11, 19, "8")]


@pytest.mark.parametrize(
    "text, boxed",
    [
        ("7 + 5 = 12", "12"),  # the last number, not the first
        ("It is -3.", "-3"),  # its sign
        ("a total of 1,234,567 apples", "1234567"),  # thousands separators dropped from the box
        ("pi is about 3.14", "3.14"),  # decimals kept whole
        ("12 then 1,00", "00"),  # a comma not followed by three digits is no separator
        ("x = 5\n\n  ", "5"),
    ],
)
def test_box_last_number_boxes_the_last_number_on_a_line_of_its_own(text, boxed):
    out = box_last_number(text)
    assert out == text.rstrip() + "\n\\boxed{" + boxed + "}"
    assert last_boxed(out) == boxed


def test_box_last_number_leaves_boxed_and_numberless_text_alone():
    assert box_last_number("so \\boxed{4} and then 5") is None  # a box anywhere: the model answered
    assert box_last_number("\\boxed{NA} 7") is None
    assert box_last_number("no digits here") is None
    assert box_last_number("") is None
