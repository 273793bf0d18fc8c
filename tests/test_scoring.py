from conftest import completion, make_exam

from osmckp_env.levels import LevelBins
from osmckp_env.scoring import score_completion, score_completions
from osmckp_env.tokenization import default_counter


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


def test_budget_cut_loses_later_answers(grader):
    exam = make_exam(budget=60)
    text = completion(["4", "0.5", "70"], filler="word " * 20)
    r = score_completion(exam, text, grader=grader)
    assert r["truncated"] and r["budget_exhausted"]
    assert r["completion_tokens"] == 60 and r["raw_completion_tokens"] > 60
    assert r["problems"][0]["correct"] and r["problems"][2]["status"] == "missing"


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
