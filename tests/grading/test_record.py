import pytest
from conftest import completion, make_exam
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osmckp_env.exam.levels import LevelBins
from osmckp_env.exam.tokenization import default_counter
from osmckp_env.grading.record import score_completion, score_completions


def test_all_correct_with_levels(exam, grader):
    r = score_completion(exam, completion(["4", "0.5", "70"], levels=[0, 0, 0]), grader=grader)
    assert r["score"] == 3 and r["rarl_reward"] == 3
    assert [p["actual_level"] for p in r["problems"]] == [0, 0, 0]
    assert r["tokenizer"] == "qwen2.5" and not r["budget_exhausted"]


def test_skip_and_wrong(exam, grader):
    r = score_completion(exam, completion(["4", "NA", "71"], levels=[0, 3, 0]), grader=grader)
    assert [p["correct"] for p in r["problems"]] == [True, False, False]
    assert r["problems"][1]["status"] == "skipped" and r["problems"][1]["actual_level"] == 3
    assert r["score"] == 1


def test_level_mismatch_loses_rarl_only(exam, grader):
    r = score_completion(exam, completion(["4", "1/2", "70"], levels=[1, 0, 0]), grader=grader)
    assert r["score"] == 3 and r["rarl_reward"] == 2


def test_a_right_exam_with_math_in_its_headers_scores_full(exam, grader):
    text = (
        "### Problem 1: Apples\nThe answer is \\boxed{4}.\n"
        "### Problem 2: Halving $x$\nThe answer is \\boxed{0.5}.\n"
        "**Problem 3 (the $n+2$ one):** \\boxed{70}"
    )
    r = score_completion(exam, text, grader=grader)
    assert [p["status"] for p in r["problems"]] == ["answered"] * 3
    assert r["score"] == 3


def test_budget_cut_loses_later_answers(grader):
    exam = make_exam(budget=60)
    text = completion(["4", "0.5", "70"], filler="word " * 20)
    r = score_completion(exam, text, grader=grader)
    assert r["truncated"] and r["budget_exhausted"]
    assert r["completion_tokens"] == 60 and r["raw_completion_tokens"] > 60
    assert r["problems"][0]["correct"] and r["problems"][2]["status"] == "unreached"


def test_tokens_per_problem_add_up(exam, grader):
    text = completion(["4", "0.5", "70"], filler="think " * 30)
    r = score_completion(exam, text, grader=grader)
    assert sum(p["tokens"] for p in r["problems"]) == default_counter().count(text)


def test_level_bins_configurable(exam, grader):
    r = score_completion(
        exam,
        completion(["4", "0.5", "70"], levels=[0, 0, 0], filler="x " * 40),
        grader=grader,
        bins=LevelBins(edges=(20, 40)),
    )
    assert all(p["actual_level"] == 2 for p in r["problems"])


def test_batch(grader):
    exams = [make_exam(index=i) for i in range(3)]
    texts = [completion(["4", "0.5", "70"]), completion(["5", "0.5", "70"]), ""]
    assert [r["score"] for r in score_completions(exams, texts, grader=grader)] == [3, 2, 0]


def test_repeated_header_does_not_double_count_tokens(exam, grader):
    text = (
        "### Problem 1\n" + "start " * 40 + "\n### Problem 2\n" + "two " * 30 + "\\boxed{0.5}\n"
        "### Problem 1\n" + "back to one " * 5 + "\\boxed{4}\n### Problem 3\n\\boxed{70}\n"
    )
    r = score_completion(exam, text, grader=grader)
    tokens = [p["tokens"] for p in r["problems"]]
    assert r["score"] == 3
    assert r["preamble_tokens"] + sum(tokens) == r["completion_tokens"] == default_counter().count(text)
    # problem 2's text is counted once, for problem 2 only
    two = default_counter().count("### Problem 2\n" + "two " * 30 + "\\boxed{0.5}\n")
    assert abs(tokens[1] - two) <= 1 and tokens[0] < r["completion_tokens"] - two


def test_unreached_problems_have_no_level_and_are_counted_apart(grader):
    from osmckp_env.scoring import metrics

    exam = make_exam(budget=40)
    text = "### Problem 1\n<predicted_level>Level-0</predicted_level>\n" + "word " * 100
    r = score_completion(exam, text, grader=grader)
    assert [p["status"] for p in r["problems"]] == ["missing", "unreached", "unreached"]
    assert [p["actual_level"] for p in r["problems"]] == [0, None, None]
    assert [p["tokens"] for p in r["problems"]] == [40, 0, 0]
    r2 = score_completion(make_exam(), completion(["4", "NA", "70"], levels=[0, 3, 1]), grader=grader)
    recs = [r, r2]
    s = metrics.summarize(recs)
    assert s["unreached_rate"] == pytest.approx(2 / 6) and s["missing_rate"] == pytest.approx(1 / 6)
    # 4 problems carry both levels: r's first (0/0) and r2's three (0/0, 3/3, 1/0)
    assert sum(map(sum, metrics.level_confusion(recs))) == 4
    assert s["level_accuracy"] == pytest.approx(3 / 4)


_HEADERS = st.sampled_from(
    [
        "### Problem {k}",
        "Problem {k}:",
        "**Problem {k}**",
        "## Problem {k}: a title",
        "Problem {k} is like that",
        "### Problem {k} of 3",
        "### Problem 9",
        "Problem {k}. \\boxed{{3}}",
    ]
)
_FILLER = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


_BOXES = st.sampled_from(["", "\\boxed{4}", "\\boxed{NA}", "\\boxed{\\frac{1}{"])


@given(
    pieces=st.lists(st.tuples(_HEADERS, st.integers(1, 4), _FILLER, _BOXES), max_size=8),
    preamble=_FILLER,
    budget=st.integers(1, 120),
)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_per_problem_tokens_partition_the_counted_completion(pieces, preamble, budget):
    from osmckp_env.exam.tokenization import truncate
    from osmckp_env.grading.parse import parse_completion, preamble_end

    text = preamble + "".join(f"\n{h.format(k=k)}\n{f} {box}\n" for h, k, f, box in pieces)
    counter = default_counter()
    cut = truncate(text, budget, counter)
    parsed = parse_completion(cut.text, 3)
    tokens = [sum(cut.tokens_in(s, e) for s, e in p.spans) for p in parsed]
    pre = cut.tokens_in(-1, preamble_end(parsed, len(cut.text)))
    assert pre + sum(tokens) == min(cut.n_tokens, budget)
    for p in parsed:  # spans are disjoint and ordered
        assert all(a[1] <= b[0] for a, b in zip(p.spans, p.spans[1:]))


def test_segment_levels_are_the_levels_the_env_gives_back():
    from osmckp_env.exam.levels import LevelBins
    from osmckp_env.exam.tokenization import default_counter
    from osmckp_env.grading.record import segment_levels

    c, bins = default_counter(), LevelBins(edges=(12, 30))
    p1 = "### Problem 1\n\\boxed{1}\n"  # a few tokens: Level-0
    p2 = "### Problem 2\n" + "word " * 15 + "\\boxed{2}\n"  # between 10 and 20
    p3 = "### Problem 3\n\\boxed{NA}\n"
    text = p1 + p2 + p3
    n = [len(c.offsets(p)) for p in (p1, p2, p3)]
    assert n[0] < 12 <= n[1] < 30
    assert segment_levels(text, 3, 10_000, c, bins) == [0, 1, 3]
    assert segment_levels(p1, 3, 10_000, c, bins) == [0, None, None]  # unreached: no level
    assert segment_levels("<think>\n" + text + "</think>\n" + p1, 3, 10_000, c, bins) == [0, None, None]
    assert segment_levels("<think>\n" + text, 3, 10_000, c, bins, think_markers=None) == [0, 1, 3]


def test_run_fields_tie_a_record_to_its_run():
    from osmckp_env.grading.record import with_run_fields

    rec = {"order": "hard", "exam_index": 7, "score": 2}
    kw = dict(
        config_hash="c",
        suite="s",
        suite_hash="h",
        completion="t",
        calls=[{"x": 1}],
        plan=None,
        error=None,
        timings={"agent_s": 1.0},
    )
    one = with_run_fields(rec, **kw)
    assert one == {
        "key": "hard:7",
        "config_hash": "c",
        "suite": "s",
        "suite_hash": "h",
        "completion": "t",
        "calls": [{"x": 1}],
        "plan": None,
        "error": None,
        "order": "hard",
        "exam_index": 7,
        "score": 2,
        "timings": {"agent_s": 1.0},
    }
    assert list(one)[0] == "key" and list(one)[-1] == "timings"
    two = with_run_fields(rec, sample=3, **kw)
    assert two["key"] == "hard:7:3" and two["sample"] == 3
    assert with_run_fields(rec, sample=0, **kw)["key"] == "hard:7:0"
    assert "request_hash" not in one  # a record of before 0.5 has none: never reused
    assert with_run_fields(rec, request_hash="r1", **kw)["request_hash"] == "r1"


def _tok(text):
    return len(default_counter().offsets(text))


def test_sequential_exam_builds_the_record_step_by_step(grader):
    from osmckp_env.grading.record import SequentialExam

    exam = make_exam(budget=200)
    seq = SequentialExam(exam, counter=default_counter(), bins=LevelBins(), grader=grader)
    assert (seq.position, seq.remaining, seq.done) == (0, 200, False)
    first = "<think>\nsome thought\n</think>\n<predicted_level>Level-0</predicted_level> \\boxed{4}"
    p1 = seq.answer(first)
    thinking = seq.thinking  # charged, and kept out of the problem's own tokens
    assert 5 < thinking < _tok(first)
    assert p1["correct"] and p1["status"] == "answered" and p1["predicted_level"] == 0 and p1["rarl"]
    assert p1["tokens"] == _tok(first) - thinking and seq.remaining == 200 - _tok(first)
    p2 = seq.answer("")  # an empty reply to a posed problem: missing, not unreached
    assert p2["status"] == "missing" and p2["tokens"] == 0 and seq.position == 2
    long = "word " * 400 + "\\boxed{70}"  # runs past what is left: cut, the answer lost
    p3 = seq.answer(long)
    assert not p3["correct"] and seq.remaining == 0 and seq.done
    rec = seq.record()
    assert [p["status"] for p in rec["problems"]] == ["answered", "missing", "missing"]
    assert rec["completion_tokens"] == 200 and rec["thinking_tokens"] == thinking
    assert rec["truncated"] and rec["budget_exhausted"] and rec["preamble_tokens"] == 0
    assert rec["raw_completion_tokens"] == _tok(first) + _tok(long) and rec["score"] == 1
    assert rec["answer_tokens"] == 200 - thinking
    with pytest.raises(RuntimeError, match="over"):
        seq.answer("\\boxed{1}")


def test_sequential_exam_marks_the_problems_never_posed_unreached(grader):
    from osmckp_env.grading.record import SequentialExam

    exam = make_exam(budget=20)
    seq = SequentialExam(exam, counter=default_counter(), bins=LevelBins(), grader=grader)
    seq.answer("word " * 50)
    assert seq.done and seq.position == 1
    rec = seq.record()
    assert [p["status"] for p in rec["problems"]] == ["missing", "unreached", "unreached"]
    assert rec["problems"][1]["grade_detail"] == "budget spent" and rec["problems"][2]["actual_level"] is None
    assert not rec["cut_in_thinking"] and not rec["text_repaired"] and rec["raw_completion_tokens_exact"]
    full = SequentialExam(make_exam(budget=500), counter=default_counter(), bins=LevelBins(), grader=grader)
    for a in ("4", "1/2", "70"):
        full.answer(f"\\boxed{{{a}}}")
    r = full.record()
    assert full.done and full.remaining > 0 and r["score"] == 3 and not r["truncated"] and not r["budget_exhausted"]


def test_record_key_and_both_levels():
    from osmckp_env.grading.record import record_key, with_both_levels

    assert (
        record_key("hard", 7) == "hard:7"
        and record_key("easy", 0, 2) == "easy:0:2"
        and record_key("easy", 3, 0) == "easy:3:0"
    )
    ps = [
        {"predicted_level": 0, "actual_level": 0},
        {"predicted_level": None, "actual_level": 1},
        {"predicted_level": 2, "actual_level": None},
        {"predicted_level": 1},
    ]
    assert with_both_levels(ps) == ps[:1]


class CharCounter:
    """One token per character: counts that differ from the bundled tokenizer's."""

    name = "chars"

    def offsets(self, text):
        return [(i, i + 1) for i in range(len(text))]


class Future:
    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


class LenientGrader:
    """Calls any submitted answer correct: shows which answers are sent to the grader at all."""

    def __init__(self):
        self.sent = []

    def submit(self, pred, gold):
        from osmckp_env.grading.grader import GradeResult

        self.sent.append(pred)
        return Future(GradeResult(pred is not None, "ok", "lenient"))


def test_sequential_exam_uses_its_own_counter_grader_and_think_rule():
    from osmckp_env.grading.record import SequentialExam

    grader = LenientGrader()
    seq = SequentialExam(
        make_exam(budget=300), counter=CharCounter(), bins=LevelBins(), grader=grader, think_markers=None
    )
    text = "<think>x</think> \\boxed{wrong}"
    p1 = seq.answer(text)
    assert p1["answer"] == "wrong" and p1["correct"]  # graded by the given grader (it accepts anything)
    assert p1["tokens"] == len(text) and seq.remaining == 300 - len(text)  # counted by the given counter
    assert seq.thinking == 0  # think_markers=None: nothing is thinking
    p2 = seq.answer("\\boxed{NA}")  # a skip is never sent to the grader
    assert p2["status"] == "skipped" and not p2["correct"] and grader.sent == ["wrong", None]
    rec = seq.record()
    assert rec["tokenizer"] == "chars" and [p["position"] for p in rec["problems"]] == [0, 1, 2]
    assert rec["problems"][2]["status"] == "unreached"


def test_sequential_exam_carries_the_flags_of_its_steps(grader):
    from osmckp_env.grading.record import SequentialExam

    seq = SequentialExam(make_exam(budget=60), counter=default_counter(), bins=LevelBins(), grader=grader)
    seq.answer("\\boxed{4}")
    clean = SequentialExam(make_exam(budget=600), counter=default_counter(), bins=LevelBins(), grader=grader)
    clean.answer("\\boxed{4}")
    r = clean.record()
    assert r["cut_in_thinking"] is False and r["text_repaired"] is False and r["raw_completion_tokens_exact"] is True
    seq.answer("<think>\n" + "hmm " * 200)  # the budget runs out inside the thinking
    rec = seq.record()
    assert rec["cut_in_thinking"] is True and rec["problems"][1]["status"] == "missing"
    huge = SequentialExam(make_exam(budget=600), counter=default_counter(), bins=LevelBins(), grader=grader)
    huge.answer("\\boxed{4}")
    huge.answer("x " * 150_000)  # past 100k characters the raw count is a flagged lower bound
    assert huge.record()["raw_completion_tokens_exact"] is False
    rep = SequentialExam(make_exam(budget=600), counter=default_counter(), bins=LevelBins(), grader=grader)
    rep.answer("\\boxed{4} \ud800")  # a lone surrogate: the kept text is repaired
    assert rep.record()["text_repaired"] is True


def test_a_sequential_record_before_any_step_has_plain_flags(grader):
    from osmckp_env.grading.record import SequentialExam

    rec = SequentialExam(make_exam(), counter=default_counter(), bins=LevelBins(), grader=grader).record()
    assert rec["cut_in_thinking"] is False and rec["text_repaired"] is False and rec["completion_tokens"] == 0
    assert [p["status"] for p in rec["problems"]] == ["unreached"] * 3


def test_a_problem_without_a_pool_verifier_attribute_is_graded_by_math_verify(grader):
    """Duck-typed problems (no ``verifier`` attribute) and graders that know only ``submit(pred, gold)``
    still work: the record builder asks for a pool verifier only when the problem names one."""
    from types import SimpleNamespace

    from osmckp_env.exam.levels import LevelBins
    from osmckp_env.grading.grader import GradeResult
    from osmckp_env.grading.record import problem_record, submit

    class TwoArgGrader:
        def submit(self, pred, gold):
            return grader.submit(pred, gold)

    prob = SimpleNamespace(id="q1", source="test", tier="easy", level=None, answer="4", statement="2+2?")
    assert submit(TwoArgGrader(), "4", prob).result().correct
    rec = problem_record(0, prob, answer="4", status="answered", predicted_level=None, tokens=10,
                         grade=GradeResult(True), bins=LevelBins())  # fmt: skip
    assert rec["correct"] and "verifier" not in rec and "credit" not in rec
