"""The one reward table: every kind varies with the exam, and the env, the TRL reward function
and the RARL trainer's scorer give the same numbers for the same completions."""

import doctest

import gymnasium as gym
import pytest
from conftest import completion

import osmckp_env  # noqa: F401
from osmckp_env.exam.suites import get_suite
from osmckp_env.scoring import rewards
from osmckp_env.scoring.rewards import make_exam_reward, reward_table


def test_docstring_examples_run():
    assert doctest.testmod(rewards).failed == 0


def _texts(suite):
    e = suite[0]
    gold = [p.answer for p in e.problems]
    return [
        completion(gold, levels=[0, 0, 0]),  # all right, levels right: score 3, rarl 3
        completion(gold, levels=[1, 0, 2]),  # all right, one level right: score 3, rarl 1
        completion([gold[0], "NA", "0"], levels=[0, 3, 0]),  # one right, one skipped, one wrong
        "",  # nothing: every problem unreached
    ]


def test_every_kind_varies_across_exams(grader):
    suite = get_suite("medium-1024", n_exams=1)
    from osmckp_env.grading.record import score_completions

    recs = score_completions([suite[0]] * 4, _texts(suite), grader=grader)
    table = [reward_table(r) for r in recs]
    assert [t["score"] for t in table] == [3.0, 3.0, 1.0, 0.0]
    assert [t["rarl"] for t in table] == [3.0, 1.0, 1.0, 0.0]
    assert [t["skip_rate"] for t in table] == [0.0, 0.0, pytest.approx(1 / 3), 0.0]
    assert table[0]["level_accuracy"] == 1.0 and table[1]["level_accuracy"] == pytest.approx(1 / 3)
    assert table[3]["level_accuracy"] is None and table[3]["tokens"] == 0.0
    assert len({t["tokens"] for t in table}) > 1


@pytest.mark.parametrize("kind", ["score", "rarl"])
def test_env_trl_function_and_trainer_scorer_agree(kind, grader):
    suite = get_suite("medium-1024", n_exams=1)
    texts = _texts(suite)
    env = gym.make("OSMCKP-v0", suite=suite, reward=kind, grader=grader)
    from_env = []
    for t in texts:
        env.reset(options={"exam_index": 0})
        from_env.append(env.step(t)[1])
    cols = suite.to_dataset()[:1]
    batch = {k: cols[k] * len(texts) for k in ("problem_ids", "answers", "tiers", "budget", "order")}
    from_fn = make_exam_reward(kind, grader=grader)([""] * len(texts), texts, **batch)
    pytest.importorskip("transformers")
    from osmckp_env.exam.tokenization import default_counter
    from osmckp_env.training.rarl import ExamRewards

    scorer = ExamRewards(counter=default_counter(), bins=env.unwrapped.bins, grader=grader)
    from_trainer = scorer.function(kind)([""] * len(texts), texts, **batch)
    assert from_env == from_fn == from_trainer
    assert len(set(from_env)) > 1


def test_exam_reward_grades_a_pool_problem_with_its_verifier_and_the_grader_given():
    """The verifiers column reaches the grader: math-verify reads a word as a product of symbols (it
    calls 'scrub' equal to 'burcs'), reasoning-gym's score_answer does not. The grader given is used."""
    pytest.importorskip("reasoning_gym")
    from osmckp_env.exam.suites import get_suite
    from osmckp_env.grading import Grader
    from osmckp_env.scoring.rewards import ExamReward

    cols = get_suite("rg-spell_backward-medium-256", n_exams=1).to_dataset()[:1]
    gold, reversed_ = ("".join(f"### Problem {k}\n\\boxed{{{a if not rev else a[::-1]}}}\n" for k, a in
                       enumerate(cols["answers"][0], 1)) for rev in (False, True))  # fmt: skip

    class CountingGrader(Grader):
        calls = 0

        def submit(self, *args):
            CountingGrader.calls += 1
            return super().submit(*args)

    g = CountingGrader(n_workers=1, timeout_s=10, hard_timeout_s=60)
    try:
        reward = ExamReward("score", grader=g)
        assert reward(None, [gold, reversed_], **{k: cols[k] * 2 for k in cols}) == [3.0, 0.0]
        assert CountingGrader.calls == 6
        without = {k: cols[k] * 2 for k in cols if k != "verifiers"}  # math-verify alone: fooled
        assert reward(None, [gold, reversed_], **without) == [3.0, 3.0]  # the same object: its cache keys on verifiers
    finally:
        g.close()
