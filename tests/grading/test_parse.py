from hypothesis import given, settings
from hypothesis import strategies as st

from osmckp_env.grading.parse import parse_completion, parse_single, preamble_end


def test_three_headers():
    text = (
        "### Problem 1\n<predicted_level>Level-0</predicted_level> easy \\boxed{4}\n"
        "### Problem 2\n<predicted_level>Level-3</predicted_level> \\boxed{NA}\n"
        "### Problem 3\nLong reasoning without an end"
    )
    p = parse_completion(text, 3)
    assert [x.status for x in p] == ["answered", "skipped", "missing"]
    assert [x.answer for x in p] == ["4", "NA", None]
    assert [x.predicted_level for x in p] == [0, 3, None]
    assert p[0].spans[-1][1] == p[1].spans[0][0]


def test_missing_header_is_missing():
    p = parse_completion("### Problem 1\n\\boxed{1}\n### Problem 3\n\\boxed{3}", 3)
    assert [x.answer for x in p] == ["1", None, "3"]
    assert p[1].status == "missing" and p[1].spans == ()


def test_problems_after_the_end_are_unreached_not_missing():
    p = parse_completion("### Problem 1\nlong reasoning cut by the bud", 3)
    assert [x.status for x in p] == ["missing", "unreached", "unreached"]
    assert p[0].reached and not p[1].reached


def test_repeated_header_continues_its_problem_and_owns_only_its_own_text():
    text = "### Problem 1\nA\n### Problem 2\nB \\boxed{2}\n### Problem 1\nC \\boxed{1}\n### Problem 3\nD"
    p = parse_completion(text, 3)
    assert [x.answer for x in p] == ["1", "2", None]
    assert [text[s:e] for s, e in p[0].spans] == ["### Problem 1\nA\n", "### Problem 1\nC \\boxed{1}\n"]
    assert [text[s:e] for s, e in p[1].spans] == ["### Problem 2\nB \\boxed{2}\n"]
    pieces = sorted(span for x in p for span in x.spans)
    assert pieces[0][0] == 0 and pieces[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:]))


def test_a_reasoning_line_that_mentions_a_problem_is_not_a_header():
    text = "### Problem 1\nProblem 2 is similar, but first: \\boxed{1}\n### Problem 2\n\\boxed{2}"
    p = parse_completion(text, 2)
    assert [x.answer for x in p] == ["1", "2"]
    text = "### Problem 1\nProblem 2: the answer here is \\boxed{7}\n### Problem 2\n\\boxed{2}"
    assert [x.answer for x in parse_completion(text, 2)] == ["7", "2"]


def test_header_forms_with_titles_and_markers():
    forms = [
        "### Problem 2",
        "## Problem 2: Counting apples",
        "**Problem 2.**",
        "**Problem 2:** Geometry",
        "Problem 2 - a short title",
        "### Problem 2 of 3",
        "__Problem 2__",
        "### Problem 2 (continued)",
        "### Problem 2 <predicted_level>Level-1</predicted_level>",
    ]
    for form in forms:
        p = parse_completion(f"### Problem 1\n\\boxed{{1}}\n{form}\n\\boxed{{2}}", 2)
        assert [x.answer for x in p] == ["1", "2"], form
    for not_header in ["Problem 2 is like problem 1.", "In Problem 2 we", "Problem 2: so $x=3$ and"]:
        p = parse_completion(f"### Problem 1\n\\boxed{{1}}\n{not_header}\n\\boxed{{2}}", 2)
        assert p[1].status == "unreached", not_header


def test_duplicate_header_continues_problem():
    text = "### Problem 1\nfirst try \\boxed{5}\n### Problem 1\nactually \\boxed{6}\n### Problem 2\n\\boxed{7}"
    p = parse_completion(text, 2)
    assert [x.answer for x in p] == ["6", "7"]


def test_header_variants_and_out_of_range():
    text = "**Problem 1**\n\\boxed{1}\nProblem 2:\n\\boxed{2}\n### Problem 9\n\\boxed{9}"
    p = parse_completion(text, 2)
    # problem 9 is out of range, so its box belongs to problem 2's segment and wins
    assert [x.answer for x in p] == ["1", "9"]


def test_headerless_fallback_assigns_boxes_in_order():
    p = parse_completion("a \\boxed{1} b \\boxed{2}", 3)
    assert [x.answer for x in p] == ["1", "2", None]
    assert [x.status for x in p] == ["answered", "answered", "unreached"]
    p = parse_completion("a \\boxed{1} b \\boxed{2} and now problem three is hard", 3)
    assert [x.status for x in p] == ["answered", "answered", "missing"]


def test_text_cut_mid_box():
    p = parse_completion("### Problem 1\n\\boxed{12}\n### Problem 2\n\\boxed{\\frac{1}{", 2)
    assert p[1].status == "missing"


def test_parse_single_last_box():
    assert parse_single("x \\boxed{1} y \\boxed{2}").answer == "2"
    assert parse_single("<predicted_level>Level-2</predicted_level> \\boxed{NA}").status == "skipped"


def test_rejects_bad_input():
    import pytest

    with pytest.raises(ValueError):
        parse_completion("x", 0)
    with pytest.raises(TypeError):
        parse_completion(b"x", 1)


def test_the_first_level_tag_of_a_problem_wins_over_a_repeated_header():
    text = (
        "### Problem 1\n<predicted_level>Level-0</predicted_level>\nstart\n"
        "### Problem 2\n<predicted_level>Level-2</predicted_level>\n\\boxed{5}\n"
        "### Problem 1\n<predicted_level>Level-1</predicted_level>\n\\boxed{4}\n"
    )
    p = parse_completion(text, 2)
    assert [x.predicted_level for x in p] == [0, 2]
    assert p[0].answer == "4"  # its last complete box wins


def test_split_thinking_positions():
    from osmckp_env.grading.parse import ThinkSplit, split_thinking

    assert split_thinking("abc") == ThinkSplit(0, 3, False)
    assert split_thinking("<think>x</think>ans") == ThinkSplit(16, 19, False)
    assert split_thinking("x</think>ans") == ThinkSplit(9, 12, False)
    assert split_thinking("<think>abc") == ThinkSplit(0, 0, True)
    assert split_thinking("a</think>b<think>c") == ThinkSplit(9, 10, True)
    assert split_thinking("<think>a</think>b</think>c") == ThinkSplit(25, 26, False)  # the last close counts
    assert split_thinking("<think>abc", None) == ThinkSplit(0, 10, False)
    assert split_thinking("[r]x[/r]y", ("[r]", "[/r]")) == ThinkSplit(8, 9, False)
    assert split_thinking("") == ThinkSplit(0, 0, False)


def test_headerless_completions_take_one_box_per_problem_in_order():
    def view(text):
        return [(x.answer, x.status, x.spans) for x in parse_completion(text, 3)]

    assert view("\\boxed{1} then \\boxed{2}") == [
        ("1", "answered", ((0, 9),)),
        ("2", "answered", ((9, 24),)),
        (None, "unreached", ()),
    ]
    # text after the last box is the next problem's unfinished attempt
    assert view("\\boxed{1} then \\boxed{2} and more")[2] == (None, "missing", ((24, 33),))
    # trailing whitespace stays with the last answered problem
    assert view("\\boxed{1}  \n ") == [("1", "answered", ((0, 13),)), (None, "unreached", ()), (None, "unreached", ())]
    assert view("no boxes at all") == [(None, "missing", ((0, 15),)), (None, "unreached", ()), (None, "unreached", ())]
    assert view("") == [(None, "unreached", ())] * 3
    assert [x[0] for x in view("\\boxed{1}, \\boxed{NA} x \\boxed{3}")] == ["1", "NA", "3"]
    assert [x[1] for x in view("\\boxed{1}, \\boxed{NA} x \\boxed{3}")] == ["answered", "skipped", "answered"]


def test_a_repeated_header_keeps_the_last_answer_of_any_piece():
    text = "### Problem 1\n\\boxed{3}\n### Problem 2\n\\boxed{5}\n### Problem 1\nrechecking, no box\n"
    p = parse_completion(text, 2)
    assert (p[0].answer, p[0].status, len(p[0].spans)) == ("3", "answered", 2)
    text2 = "### Problem 1\nthinking\n### Problem 2\n\\boxed{5}\n### Problem 1\n\\boxed{4}\n"
    assert parse_completion(text2, 2)[0].answer == "4"
    none = parse_completion("### Problem 1\nhmm\n### Problem 1\nstill\n", 2)
    assert none[0].status == "missing" and none[0].answer is None and none[1].status == "unreached"


# A marked line (markdown header or bold markers, then ``Problem k``) is a header whatever its title holds.
_MARKED_TITLES = [
    "### Problem 2: Divisibility by $n+2$",
    "## Problem 2: " + "How many positive integers below one thousand are divisible by seven?",  # > 60 characters
    "**Problem 2 (the $n+2$ one):**",
    "**Problem 2:** Show that $\\frac{a}{b} < 1$",
    "**Problem 2** (geometry)",
    "## Problem 2 is like problem 1",
    "__Problem 2: the $x^2$ case__",
    "###### Problem 2 - \\(\\sqrt{2}\\) and friends",
    "### **Problem 2 of 3:** Counting $k$-subsets",
]


def test_a_marked_header_with_math_or_a_long_title_starts_its_problem():
    for form in _MARKED_TITLES:
        text = f"### Problem 1\nso \\boxed{{1}}\n{form}\nwork \\boxed{{2}}\n### Problem 3\n\\boxed{{3}}\n"
        p = parse_completion(text, 3)
        assert [x.answer for x in p] == ["1", "2", "3"], form
        assert [x.status for x in p] == ["answered"] * 3, form
        assert text[p[1].spans[0][0] :].startswith(form), form


def test_a_box_on_a_header_line_belongs_to_that_header():
    text = "### Problem 1\n\\boxed{4}\n### Problem 2: \\boxed{NA}\n### Problem 3\n\\boxed{7}\n"
    p = parse_completion(text, 3)
    assert [(x.answer, x.status) for x in p] == [("4", "answered"), ("NA", "skipped"), ("7", "answered")]
    # the one-line skip is the last line of the completion, with or without a newline after it
    for tail in ("", "\n"):
        p = parse_completion("### Problem 1\n\\boxed{4}\n**Problem 2:** \\boxed{NA}" + tail, 2)
        assert [(x.answer, x.status) for x in p] == [("4", "answered"), ("NA", "skipped")]
    # a level tag and the answer both on the header line
    line = "### Problem 2: Primes $p$ <predicted_level>Level-3</predicted_level> \\boxed{NA}"
    p = parse_completion("### Problem 1\n<predicted_level>Level-0</predicted_level>\n\\boxed{4}\n" + line, 2)
    assert [(x.answer, x.status, x.predicted_level) for x in p] == [("4", "answered", 0), ("NA", "skipped", 3)]


def test_a_marked_line_with_a_number_outside_the_exam_is_not_a_header():
    for line in ["### Problem 3: $x$", "**Problem 0** (warm-up)", "## Problem 21", "### Problem 1234: \\boxed{9}"]:
        text = f"### Problem 1\n\\boxed{{1}}\n### Problem 2\n{line}\nso \\boxed{{2}}\n"
        p = parse_completion(text, 2)
        assert [x.answer for x in p] == ["1", "2"], line
        assert p[1].spans == ((len("### Problem 1\n\\boxed{1}\n"), len(text)),), line
    # a marked line names the problem right after its markers; a later mention does not count
    p = parse_completion("### Problem 1\n\\boxed{1}\n### Step 2: use Problem 2\n\\boxed{5}\n", 2)
    assert [x.answer for x in p] == ["5", None]


# Property: completions whose headers come in every marked style, with any title (math, boxes, up to
# 120 characters, unicode) and the answer on the header line or a later line.
# free text: any character but those that could end the line or start a box, a tag or math
_FREE = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\n\\{}<$"), max_size=30
)
_MATH = st.sampled_from(["$n+2$", "$x^2 - 1$", "$\\frac{a}{b}$", "$\\sqrt{2}$", "\\(k\\)", "$\\boxed{7}$"])
_TITLE_BOX = st.sampled_from(["\\boxed{NA}", "\\boxed{3}", "\\boxed{\\frac{1}{2}}", "\\fbox{x}"])
_TITLE = st.lists(st.one_of(_FREE, _MATH, _TITLE_BOX), max_size=8).map(" ".join).filter(lambda t: len(t) <= 120)
_ANSWER = st.sampled_from(["4", "NA", "\\frac{1}{2}", "x^2+1", "(1, 2)", "\\text{NA}", "-3"])
_SKIPS = {"NA", "\\text{NA}"}


@st.composite
def _header(draw, k: int, n: int) -> str:
    """A marked header line for problem ``k`` (no newline), in a random style."""
    word = draw(st.sampled_from(["Problem", "PROBLEM", "problem"]))
    core = f"{word} {k}" + draw(st.sampled_from(["", f" of {n}"]))
    sep = draw(st.sampled_from(["", ":", ".", " -", ")", " \u2014"]))
    title = draw(_TITLE)
    gap = " " if not sep or draw(st.booleans()) else ""
    rest = f"{gap}{title}" if title else ""
    hashes = "#" * draw(st.integers(1, 6)) + draw(st.sampled_from([" ", "", "  "]))
    style = draw(st.sampled_from(["hash", "bold", "bold-in", "bold-all", "under", "hash-bold"]))
    if style == "hash":
        return f"{hashes}{core}{sep}{rest}"
    if style == "bold":  # **Problem k**: title
        return f"**{core}**{sep}{rest}"
    if style == "bold-in":  # **Problem k:** title
        return f"**{core}{sep}**{rest}"
    if style == "bold-all":  # **Problem k: title**
        return f"**{core}{sep}{rest}**"
    if style == "under":
        return f"__{core}__{sep}{rest}"
    return f"{hashes}**{core}{sep}**{rest}"


@st.composite
def _exam_completion(draw):
    """(text, n, pieces): pieces are (k, start, end, answer, level) in text order."""
    n = draw(st.integers(1, 5))
    order = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=8))  # no header: another rule
    text = draw(st.sampled_from(["", "Let me solve these.\n", "Plan: easy ones first.\n\n"]))
    pieces = []
    for k in order:
        start = len(text)
        line = draw(_header(k + 1, n))
        level = draw(st.one_of(st.none(), st.integers(0, 3)))
        tag = "" if level is None else f"<predicted_level>Level-{level}</predicted_level>"
        answer = draw(_ANSWER)
        on_header_line = draw(st.booleans())
        if tag:
            line += f" {tag}"
        body = [f"We note {draw(_FREE)}" for _ in range(draw(st.integers(0, 2)))]
        if draw(st.booleans()):  # a header-like line with a number outside 1..n stays in this segment
            bad = draw(st.one_of(st.just(0), st.integers(n + 1, 999), st.integers(1000, 9999)))
            body.append(f"### Problem {bad}: {draw(_FREE)}")
        if on_header_line:
            line += f" answer: \\boxed{{{answer}}}"
        else:
            body.append(f"The answer is \\boxed{{{answer}}}.")
        text += "\n".join([line, *body]) + draw(st.sampled_from(["\n", "\n\n"]))
        pieces.append((k, start, len(text), answer, level))
    if pieces and draw(st.booleans()):  # the completion may end right after its last line
        text = text.rstrip("\n")
        k, start, _, answer, level = pieces[-1]
        pieces[-1] = (k, start, len(text), answer, level)
    return text, n, pieces


@given(_exam_completion())
@settings(max_examples=300, deadline=None)
def test_marked_headers_with_any_title_own_the_answer_written_under_them(case):
    text, n, pieces = case
    parsed = parse_completion(text, n)
    last_reached = max(k for k, *_ in pieces)
    for p in parsed:
        mine = [x for x in pieces if x[0] == p.index]
        assert p.spans == tuple((s, e) for _, s, e, _, _ in mine)
        if mine:
            answer = mine[-1][3]  # the last piece's answer: every piece ends its problem with a box
            assert (p.answer, p.status) == (answer, "skipped" if answer in _SKIPS else "answered")
            assert p.predicted_level == next((lv for *_, lv in mine if lv is not None), None)
        else:
            assert (p.answer, p.status) == (None, "missing" if p.index < last_reached else "unreached")
    # the preamble and the problems' spans cover the completion exactly, without overlap
    spans = sorted(span for p in parsed for span in p.spans)
    cuts = [0, preamble_end(parsed, len(text))] + [c for s, e in spans for c in (s, e)] + [len(text)]
    assert all(a == b for a, b in zip(cuts[1::2], cuts[2::2]))
    assert cuts[1] == pieces[0][1]
