"""Small behaviours the mutation audit found untested (each assertion kills a surviving mutant)."""

import numpy as np
import pytest

from osmckp_env.scoring import metrics as M
from osmckp_env.scoring.stats import IntervalConfig, paired_regret_difference


class CharCounter:
    """One token per character: a counter unlike the bundled tokenizer, to see it is the one used."""

    name = "chars"

    def offsets(self, text):
        return [(i, i + 1) for i in range(len(text))]


def _p(i, grade="ok", pred=0, actual=0, pid=None):
    return {
        "position": i,
        "id": pid or f"p{i}",
        "tier": "easy",
        "correct": False,
        "status": "answered",
        "tokens": 1,
        "predicted_level": pred,
        "actual_level": actual,
        "grade_status": grade,
        "rarl": False,
    }


def test_paired_regret_difference_subtracts_b():
    a_given, a_easy = np.array([1.0, 2.0, 1.0]), np.array([2.0, 2.0, 2.0])
    b_given, b_easy = np.array([2.0, 1.0, 2.0]), np.array([2.0, 2.0, 2.0])
    out = paired_regret_difference(a_given, a_easy, b_given, b_easy, IntervalConfig(resamples=50))
    assert out["delta"] == pytest.approx((2 - 4 / 3) / 2 - (2 - 5 / 3) / 2)


def test_counts_and_groups():
    recs = [{"problems": [_p(0, "timeout", pid="x"), _p(1, "timeout", pid="x"), _p(2, "error")]}]
    assert M.grader_failures(recs) == {"timeout": 2, "error": 1, "rejected": 0}
    assert M.grader_failures_by_problem(recs) == {"x": 2, "p2": 1}
    odd = [{"problems": [_p(0, pred=4, actual=1), _p(1, pred=1, actual=4), _p(2, pred=None, actual=1)]}]
    assert sum(map(sum, M.level_confusion(odd))) == 0  # out-of-range and missing levels are not counted
    assert M.level_confusion(odd, n_levels=5)[4][1] == 1
    no_index = [{"problems": [_p(0)]}, {"problems": [_p(0)]}]
    assert len(M._by_exam(no_index)) == 2  # records without an exam index are their own exams


def test_regret_reference_key_lookup_and_messages(tmp_path):
    from osmckp_env.exam.problems import Problem
    from osmckp_env.exam.suites import Exam
    from osmckp_env.scoring.rewards import RegretReference, regret_reference

    assert RegretReference.key(["b", "a"], "512") == ("a|b", 512)
    ref = RegretReference({("a|b", 512): 2.0}, "mine")
    assert regret_reference(ref) is ref and ref.of(["b", "a"], 512) == 2.0
    exams = [Exam(3, (Problem("c", "s", "", "1", "easy"),), 512, "hard")]
    with pytest.raises(ValueError) as e:
        ref.check_covers(exams, "hard-512")
    assert str(e.value).endswith("`osmckp run SPEC --suite hard-512`")
    with pytest.raises(ValueError, match=r"--suite hard-512 --n-exams 9`"):
        ref.check_covers(exams, "hard-512", n_exams=9)


def test_reward_object_passes_its_counter_and_grader():
    from osmckp_env.grading import default_grader
    from osmckp_env.scoring.rewards import ExamReward, exams_from_columns, make_exam_reward

    cols = {"problem_ids": [["a"]], "answers": [["4"]], "tiers": [["easy"]], "budget": [64], "order": ["hard"]}
    text = "\\boxed{4}"
    assert ExamReward("score", counter=CharCounter()).metric("tokens")([""], [text], **cols) == [9.0]
    assert make_exam_reward("tokens", counter=CharCounter())([""], [text], **cols) == [9.0]
    assert ExamReward("tokens")([""], [text], **cols) == [5.0]  # the bundled tokenizer
    g = default_grader()
    r = ExamReward("score", grader=g)
    assert r.grader is g and make_exam_reward("score", grader=g).grader is g
    assert r.__getstate__()["grader"] is None
    base = r.records([text], **cols)
    for changed in ({"order": ["easy"]}, {"budget": [9]}, {"tiers": [["hard"]]}):
        base = r.records([text], **cols)
        assert r.records([text], **{**cols, **changed}) is not base  # a changed column is a new batch
        base = r.records([text], **cols)
    with pytest.raises(ValueError):
        exams_from_columns([["a"], ["b"]], [["1"]], [["easy"], ["easy"]], [64, 64])


def test_record_helpers():
    from osmckp_env.exam.levels import LevelBins
    from osmckp_env.exam.problems import Problem
    from osmckp_env.exam.suites import Exam
    from osmckp_env.exam.tokenization import repair_text
    from osmckp_env.grading.parse import ParsedProblem, parse_single, split_thinking
    from osmckp_env.grading.record import actual_level, score_completion, segment_levels, unreached_record

    b = LevelBins()
    assert actual_level("missing", 0, b) is None and actual_level("missing", 1, b) == 0
    assert actual_level("answered", 0, b) == 0 and actual_level("skipped", 0, b) == 3
    assert unreached_record(2, Problem("a", "s", "", "1", "easy"))["position"] == 2
    assert repair_text("a\ud800") == ("a\ufffd", True)
    assert ParsedProblem(1, "2", "answered", None, ((0, 3),)).to_dict() == {
        "index": 1,
        "answer": "2",
        "status": "answered",
        "predicted_level": None,
        "spans": ((0, 3),),
    }
    assert parse_single("\\boxed{1}", index=2).index == 2
    assert parse_single("<think>\\boxed{1}", think_markers=None).answer == "1"
    assert split_thinking("</think>ans").answer_start == 8
    assert split_thinking("a</think>b<think>c<think>d").answer_end == 10

    exam = Exam(0, (Problem("a", "s", "", "4", "easy"),), 5, "medium")
    assert score_completion(exam, "\\boxed{4}", counter=CharCounter())["completion_tokens"] == 5
    assert segment_levels("\\boxed{4}" * 100, 1, 10_000, CharCounter(), LevelBins()) == [2]


def test_level_bins_conversions_and_small_values():
    from osmckp_env.exam.levels import LevelBins

    b = LevelBins(edges=(1, 2), typical_costs=[1.0, 2, 3])
    assert b.edges == (1, 2) and b.typical_costs == (1, 2, 3) and isinstance(b.typical_costs, tuple)


def test_a_box_ending_in_an_escaped_brace_is_unclosed():
    from osmckp_env.grading.extract import find_boxed

    assert find_boxed("\\boxed{\\}") == []
    assert find_boxed("\\boxed{a\\}}") == [(0, 11, "a\\}")]


def test_defaults():
    from osmckp_env.exam.problems import Problem
    from osmckp_env.exam.suites import Exam
    from osmckp_env.grading.record import exam_record, unreached_record
    from osmckp_env.scoring.rewards import ExamReward, make_exam_reward

    assert ExamReward().kind == "rarl" and make_exam_reward().kind == "rarl"
    u = unreached_record(0, Problem("a", "s", "", "1", "easy"))
    assert u["grade_detail"] == "" and u["grade_status"] == "ok" and u["predicted_level"] is None
    r = exam_record(
        Exam(0, (), 10, "easy"),
        [],
        budget=10,
        completion_tokens=3,
        raw_completion_tokens=3,
        preamble_tokens=0,
        truncated=False,
        tokenizer="t",
    )
    assert (
        r["raw_completion_tokens_exact"],
        r["thinking_tokens"],
        r["hidden_reasoning_tokens"],
        r["cut_in_thinking"],
        r["text_repaired"],
        r["answer_tokens"],
    ) == (True, 0, 0, False, False, 3)


def test_the_regret_reward_needs_its_reference():
    from osmckp_env.scoring.rewards import ExamReward

    with pytest.raises(ValueError, match="regret_reference"):
        ExamReward("regret")
    assert ExamReward("score").reference is None
