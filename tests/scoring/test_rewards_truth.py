"""The reward table, the reward object's columns and the record's fields against their definitions."""

import pytest

from osmckp_env.exam.suites import Exam
from osmckp_env.grading.record import RECORD_VERSION, exam_record, problem_record, unreached_record
from osmckp_env.scoring.rewards import (
    LOG_TERMS,
    REWARD_KINDS,
    completion_text,
    exams_from_columns,
    reference_score,
    regret_reference_of,
    reward_table,
)


def _p(correct, status, pred, actual, tokens=10):
    return {
        "correct": correct,
        "status": status,
        "predicted_level": pred,
        "actual_level": actual,
        "rarl": correct and pred == actual,
        "tokens": tokens,
    }


def test_reward_table_entries():
    rec = {
        "problems": [
            _p(True, "answered", 0, 0),
            _p(True, "answered", 1, 2),
            _p(False, "skipped", 3, 3),
            _p(False, "unreached", None, None, 0),
        ],
        "completion_tokens": 77,
    }
    t = reward_table(rec, reference=1.5)
    assert t == {"score": 2.0, "rarl": 1.0, "regret": 0.5, "skip_rate": 0.25, "tokens": 77.0, "level_accuracy": 2 / 3}
    assert set(t) == set(REWARD_KINDS) | set(LOG_TERMS)
    assert reward_table(rec)["regret"] is None
    no_levels = {"problems": [_p(False, "answered", None, 0, 7), _p(True, "answered", None, 0, 5)]}
    t2 = reward_table(no_levels)
    assert t2["level_accuracy"] is None and t2["tokens"] == 12.0 and t2["score"] == 1.0 and t2["rarl"] == 0.0
    assert reward_table({"problems": []}) == {
        "score": 0.0,
        "rarl": 0.0,
        "regret": None,
        "skip_rate": 0.0,
        "tokens": 0.0,
        "level_accuracy": None,
    }
    assert reference_score(None, rec) is None and regret_reference_of("score", "anything") is None


def test_completion_text_forms():
    assert completion_text("abc") == "abc"
    assert completion_text([{"role": "assistant", "content": "a"}, {"content": "b"}, "junk"]) == "ab"
    assert completion_text([{"role": "assistant"}]) == ""
    assert completion_text({"content": "x"}) == "x" and completion_text({}) == ""
    with pytest.raises(TypeError, match="str or a list of chat messages"):
        completion_text(3)


def test_exams_from_columns_is_the_inverse_of_to_dataset():
    from osmckp_env.exam.suites import Suite, get_suite

    s = get_suite("hard-512", n_exams=3)
    ds = s.to_dataset()
    exams = exams_from_columns(ds["problem_ids"], ds["answers"], ds["tiers"], ds["budget"], ds["problems"], ds["order"])
    assert [[(p.id, p.answer, p.tier, p.problem) for p in e.problems] for e in exams] == [
        [(p.id, p.answer, p.tier, p.problem) for p in e.problems] for e in s.exams
    ]
    assert [(e.index, e.budget, e.order) for e in exams] == [(i, 512, "hard") for i in range(3)]
    bare = exams_from_columns([["gsm8k-x"]], [["4"]], [["easy"]], [64])
    assert bare[0] == Exam(0, bare[0].problems, 64, "medium") and bare[0].problems[0].problem == ""
    assert bare[0].problems[0].source == "gsm8k"
    assert Suite.from_dataset(ds, s.name).hash == s.hash
    with pytest.raises(ValueError, match="columns disagree"):
        Exam.from_columns(["a", "b"], ["1"], ["easy", "easy"], 64)


def test_record_fields():
    from osmckp_env.exam.levels import LevelBins
    from osmckp_env.exam.problems import Problem
    from osmckp_env.grading.grader import GradeResult

    prob = Problem("a", "gsm8k", "q", "4", "easy")
    bins = LevelBins()
    ok = problem_record(
        0, prob, answer="4", status="answered", predicted_level=1, tokens=300, grade=GradeResult(True), bins=bins
    )
    assert ok == {
        "position": 0,
        "id": "a",
        "tier": "easy",
        "gold": "4",
        "answer": "4",
        "status": "answered",
        "predicted_level": 1,
        "actual_level": 1,
        "tokens": 300,
        "correct": True,
        "rarl": True,
        "grade_status": "ok",
        "grade_detail": "",
    }
    timeout = problem_record(
        0,
        prob,
        answer="4",
        status="answered",
        predicted_level=1,
        tokens=300,
        grade=GradeResult(True, "timeout", "slow"),
        bins=bins,
    )
    assert not timeout["correct"] and not timeout["rarl"] and timeout["grade_detail"] == "slow"
    skipped = problem_record(
        1, prob, answer="NA", status="skipped", predicted_level=3, tokens=4, grade=GradeResult(True), bins=bins
    )
    assert skipped["actual_level"] == 3 and not skipped["correct"]
    u = unreached_record(2, prob, "budget spent")
    assert (u["status"], u["actual_level"], u["tokens"], u["answer"], u["correct"], u["grade_detail"]) == (
        "unreached",
        None,
        0,
        None,
        False,
        "budget spent",
    )
    exam = Exam(5, (prob,), 512, "hard")
    r = exam_record(
        exam,
        [ok],
        budget=512,
        completion_tokens=512,
        raw_completion_tokens=512,
        preamble_tokens=3,
        truncated=False,
        tokenizer="t",
        thinking_tokens=200,
        hidden_reasoning_tokens=50,
        cut_in_thinking=False,
        text_repaired=True,
    )
    assert r == {
        "record_version": RECORD_VERSION,
        "exam_index": 5,
        "order": "hard",
        "budget": 512,
        "problem_ids": ["a"],
        "problems": [ok],
        "completion_tokens": 512,
        "preamble_tokens": 3,
        "raw_completion_tokens": 512,
        "raw_completion_tokens_exact": True,
        "budget_exhausted": True,
        "truncated": False,
        "budget_overrun": False,
        "thinking_tokens": 200,
        "answer_tokens": 312,
        "hidden_reasoning_tokens": 50,
        "cut_in_thinking": False,
        "text_repaired": True,
        "score": 1,
        "rarl_reward": 1,
        "tokenizer": "t",
    }
    over = exam_record(
        exam,
        [u],
        budget=512,
        completion_tokens=511,
        raw_completion_tokens=513,
        preamble_tokens=0,
        truncated=True,
        tokenizer="t",
        raw_exact=False,
    )
    assert over["budget_overrun"] and over["budget_exhausted"] and not over["raw_completion_tokens_exact"]
    assert over["score"] == 0 and over["thinking_tokens"] == 0 and over["answer_tokens"] == 511
    under = exam_record(
        exam,
        [u],
        budget=512,
        completion_tokens=511,
        raw_completion_tokens=511,
        preamble_tokens=0,
        truncated=False,
        tokenizer="t",
    )
    assert not under["budget_exhausted"] and not under["budget_overrun"]


def test_exam_reward_object():
    import pickle

    from osmckp_env.exam.levels import LevelBins
    from osmckp_env.scoring.rewards import ExamReward, make_exam_reward

    cols = {
        "problem_ids": [["a", "b"]],
        "answers": [["4", "7"]],
        "tiers": [["easy", "hard"]],
        "budget": [64],
        "order": ["hard"],
    }
    text = "### Problem 1\n<predicted_level>Level-0</predicted_level>\\boxed{4}\n### Problem 2\n\\boxed{NA}\n"
    r = ExamReward("rarl")
    assert r.__name__ == "osmckp_rarl_reward" and r.kind == "rarl" and r.bins == LevelBins()
    assert r([""], [text], **cols) == [1.0]
    (rec,) = r.records([text], **cols)
    assert rec["order"] == "hard" and rec["budget"] == 64 and rec["problem_ids"] == ["a", "b"]
    assert r.records([text], **cols) is r.records([text], **cols)  # one batch, scored once
    for changed in (
        {"answers": [["5", "7"]]},
        {"budget": [8]},
        {"order": ["easy"]},
        {"tiers": [["hard", "hard"]]},
        {"problem_ids": [["c", "b"]]},
    ):
        again = r.records([text], **{**cols, **changed})
        assert again is not rec
        rec = again
    assert r.metric("skip_rate")([""], [text], **cols) == [0.5]
    assert r.metric("score").__name__ == "score"
    with pytest.raises(ValueError, match="reward kind"):
        ExamReward("speed")
    with pytest.raises(ValueError, match="reward kind"):
        r.metric("speed")
    with pytest.raises(ValueError, match="regret_reference"):
        r.metric("regret")
    tight = ExamReward("score", bins=LevelBins(edges=(2, 4)))
    assert tight.metric("level_accuracy")([""], [text], **cols) == [0.0]  # Level-0 claimed, Level-2 used
    assert r.metric("level_accuracy")([""], [text], **cols) == [1.0]
    state = r.__getstate__()
    assert state["grader"] is None and state["_key"] is None and state["_records"] == []
    back = pickle.loads(pickle.dumps(r))
    assert back.kind == "rarl" and back._records == [] and back([""], [text], **cols) == [1.0]
    m = make_exam_reward("score", bins=LevelBins(edges=(2, 4)))
    assert isinstance(m, ExamReward) and m.kind == "score" and m.bins.edges == (2, 4)
    off = ExamReward("score", think_markers=None)
    thought = "<think>\n" + text + "</think>\n"
    assert off([""], [thought], **cols) == [1.0] and ExamReward("score")([""], [thought], **cols) == [0.0]
