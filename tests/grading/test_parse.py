from osmckp_env.grading.parse import parse_completion, parse_single


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
    assert p[0].span[1] == p[1].span[0]


def test_missing_header_is_missing():
    p = parse_completion("### Problem 1\n\\boxed{1}\n### Problem 3\n\\boxed{3}", 3)
    assert [x.answer for x in p] == ["1", None, "3"]
    assert p[1].status == "missing"


def test_duplicate_header_continues_problem():
    text = "### Problem 1\nfirst try \\boxed{5}\n### Problem 1\nactually \\boxed{6}\n### Problem 2\n\\boxed{7}"
    p = parse_completion(text, 2)
    assert [x.answer for x in p] == ["6", "7"]


def test_header_variants_and_out_of_range():
    text = "**Problem 1**\n\\boxed{1}\nProblem 2: \\boxed{2}\n### Problem 9\n\\boxed{9}"
    p = parse_completion(text, 2)
    # problem 9 is out of range, so its box belongs to problem 2's segment and wins
    assert [x.answer for x in p] == ["1", "9"]


def test_headerless_fallback_assigns_boxes_in_order():
    p = parse_completion("a \\boxed{1} b \\boxed{2}", 3)
    assert [x.answer for x in p] == ["1", "2", None]
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
