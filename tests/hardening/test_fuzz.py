"""Property-based tests: any input gives a parse or a graded 0 (or a counted failure), never a hang or crash."""

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osmckp_env.exam.levels import parse_level_tag
from osmckp_env.grading import Grader, find_boxed, parse_completion, parse_single
from osmckp_env.grading.record import score_completion

LATEX_BITS = st.sampled_from(
    [
        "\\boxed{",
        "\\fbox{",
        "{",
        "}",
        "\\frac{1}{2}",
        "^",
        "_",
        "\\sqrt{",
        "9^{9^{9}}",
        "### Problem 1\n",
        "### Problem 2\n",
        "Problem 3:",
        "<predicted_level>Level-1</predicted_level>",
        "\\boxed{NA}",
        "\\x00",
        "\x00",
        "\\",
        "$",
        "\\left(",
        "\\right)",
        "1" * 50,
        "π",
        "🙂",
        "\n",
    ]
)
TEXT = st.lists(st.one_of(LATEX_BITS, st.text(max_size=20)), max_size=60).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT, st.integers(1, 6))
def test_parser_total_on_any_text(text, n):
    out = parse_completion(text, n)
    assert len(out) == n
    for p in out:
        assert p.status in {"answered", "skipped", "missing", "unreached"}
        assert (p.answer is None) == (p.status in ("missing", "unreached"))
        assert all(0 <= s <= e <= len(text) for s, e in p.spans)
    parse_single(text)
    parse_level_tag(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_find_boxed_contents_are_balanced(text):
    for start, end, content in find_boxed(text):
        assert text[start:end].endswith("}")
        assert content == content.strip()


def test_big_inputs_are_linear():
    t = time.perf_counter()
    parse_completion("\\boxed{1}" * 20000 + "{" * 100000, 3)
    parse_completion("x" * 1_000_000, 3)
    parse_completion("### Problem 1\n" * 50000, 3)
    assert time.perf_counter() - t < 30


ADVERSARIAL = st.one_of(
    st.integers(1, 12).map(lambda d: "9^{" * d + "9" + "}" * d),
    st.integers(1, 200).map(lambda d: "\\frac{1}{" * d + "2" + "}" * d),
    st.integers(1, 400).map(lambda d: "(" * d + "1" + ")" * d),
    st.integers(10, 5000).map(lambda n: "9" * n),
    st.integers(1, 50).map(lambda n: "\\sqrt{" * n + "2" + "}" * n),
    st.text(max_size=300),
    st.just("\x00\x00"),
    st.just(""),
    st.just("}{"),
    st.just("\\"),
    st.just("1e999999999"),
    st.just("10^{10^{10^{10}}}!"),
    st.just("\\begin{pmatrix}" + "1&" * 300 + "1\\end{pmatrix}"),
)


@pytest.fixture(scope="module")
def fuzz_grader():
    g = Grader(n_workers=2, timeout_s=1, hard_timeout_s=3)
    yield g
    g.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ADVERSARIAL, st.sampled_from(["18", "\\frac{1}{2}", "\\left( 3, \\frac{\\pi}{2} \\right)"]))
def test_grader_bounded_on_adversarial_answers(fuzz_grader, pred, gold):
    t = time.perf_counter()
    res = fuzz_grader.grade(pred, gold)
    elapsed = time.perf_counter() - t
    assert res.status in {"ok", "rejected", "timeout", "error"}
    assert elapsed < fuzz_grader.hard_timeout_s + 10  # + one worker restart
    if res.status != "ok":
        assert res.correct is False


def test_failures_are_counted_per_problem_not_hidden(grader):
    from conftest import make_exam

    slow = Grader(n_workers=1, timeout_s=30, hard_timeout_s=1.0)
    try:
        exam = make_exam(answers=("4", "5", "6"))
        text = (
            "### Problem 1\n\\boxed{4}\n### Problem 2\n\\boxed{\\left(9^{9999}\\right)^{9999}}\n"
            "### Problem 3\n\\boxed{7}"
        )
        rec = score_completion(exam, text, grader=slow)
    finally:
        slow.close()
    statuses = [p["grade_status"] for p in rec["problems"]]
    assert statuses[0] == "ok" and statuses[1] == "timeout" and statuses[2] == "ok"
    from osmckp_env.scoring.metrics import grader_failures, grader_failures_by_problem

    assert sum(grader_failures([rec]).values()) == 1
    assert grader_failures_by_problem([rec]) == {"p1": 1}
