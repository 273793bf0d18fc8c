"""The format report: what a run's completions followed of the output protocol, and the warning
when nothing could be graded (a real small model that never boxes scores 0 for that reason)."""

from __future__ import annotations

from osmckp_env.grading.record import score_completions
from osmckp_env.scoring.format_report import PROTOCOL_HINT, format_line, format_report
from osmckp_env.scoring.metrics import REGRET_UNDEFINED, regret_defined, summarize
from tests.conftest import completion, make_exam


def _records(texts, grader):
    exams = [make_exam(index=i) for i in range(len(texts))]
    return score_completions(exams, texts, grader=grader)


def test_rambling_without_headers_or_boxes_is_reported_and_warned(grader):
    recs = _records(["The answer is 4. Then 1/2.", "I think it is seventy."], grader)
    rep = format_report(recs)
    assert rep == {
        "completions": 2,
        "with_headers": 0,
        "with_box": 0,
        "problems": 6,
        "problems_graded": 0,
        "problems_skipped": 0,
        "warning": PROTOCOL_HINT,
    }
    assert format_line(rep) == "format: 0/2 completions with headers, 0/2 with a box, 0/6 problems graded"


def test_a_protocol_following_run_has_no_warning(grader):
    recs = _records([completion(["4", "NA", "70"]), "Problem 1 is \\boxed{4}"], grader)
    rep = format_report(recs)
    assert (rep["with_headers"], rep["with_box"], rep["problems_graded"], rep["problems_skipped"]) == (1, 2, 3, 1)
    assert rep["warning"] is None


def test_regret_with_nothing_scored_in_easy_order_is_not_defined(grader):
    wrong = _records(["\\boxed{1}"], grader)
    m = summarize(wrong, wrong)
    assert m["score_easy"] == 0 and m["regret"] == 0.0  # the documented number stays in the file
    assert m["regret_defined"] is False and not regret_defined(m)
    right = _records([completion(["4", "\\frac{1}{2}", "70"])], grader)
    assert regret_defined(summarize(right, right))
    half = _records([completion(["4"]), "\\boxed{1}"], grader)  # S_easy = 0.5: under one, still defined
    m = summarize(half, half)
    assert m["score_easy"] == 0.5 and m["regret_defined"] is True and regret_defined(m)


def test_the_console_and_the_citation_say_not_defined(tmp_path, capsys):
    from osmckp_env.cli import main

    spec = tmp_path / "skip.yaml"  # skips everything: Score 0 in both orders, 0/0
    spec.write_text("name: skip\nagent: direct\nbackend: scripted\nbackend_args: {reply: skip-all}\n")
    assert main(["run", str(spec), "--suite", "medium-512", "--n-exams", "2", "--out", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr()
    assert f"Regret {REGRET_UNDEFINED}" in out.out and "Regret 0.000" not in out.out
    assert "format: 4/4 completions with headers, 4/4 with a box, 0/12 problems graded" in out.out
    assert "WARNING" not in out.err  # skips are answers: nothing to warn about
    import json

    res = json.loads(next(tmp_path.rglob("results.json")).read_text())
    assert REGRET_UNDEFINED in res["citation"]["text"] and res["format"]["problems_skipped"] == 12


def test_regret_defined_reads_older_results_by_their_easy_score():
    import math

    assert regret_defined({"score_easy": 1.5}) and regret_defined({"score_easy": 0.001})
    assert not regret_defined({"score_easy": 0.0}) and not regret_defined({"score_easy": 0})
    assert not regret_defined({"score_easy": math.nan}) and not regret_defined({"score_easy": None})
    assert not regret_defined({})
    assert not regret_defined({"score_easy": 2.0, "regret_defined": False})  # the flag wins when present
    assert regret_defined({"score_easy": 0.0, "regret_defined": True})
