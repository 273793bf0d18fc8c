"""reward="regret" in OSMCKP-v0 and OSMCKP-Seq-v0: score minus the exam's easy-order score in a
reference run, and the same numbers through the TRL reward function."""

import json

import gymnasium as gym
import pytest
from conftest import long_solver_wrong_on_aime

import osmckp_env  # noqa: F401
from osmckp_env.agents import make_agent
from osmckp_env.backends.scripted import ScriptedBackend, gold_reply
from osmckp_env.exam.suites import get_suite
from osmckp_env.runner.run import run_suite
from osmckp_env.runner.spec import AgentSpec
from osmckp_env.scoring.rewards import make_exam_reward

N = 5


@pytest.fixture(scope="module")
def reference(tmp_path_factory, grader):
    out = tmp_path_factory.mktemp("ref")
    spec = AgentSpec(name="long", agent="direct", backend="scripted", counter="qwen2.5")
    agent = make_agent("direct", ScriptedBackend(long_solver_wrong_on_aime))
    res = run_suite(spec, get_suite("hard-512", n_exams=N), out, agent=agent, grader=grader, progress=False)
    return out / "results.json", res["metrics"]


def _completions(suite):
    agent = make_agent("direct", ScriptedBackend(long_solver_wrong_on_aime))
    return [o.text for o in agent.solve(list(suite.exams))]


def test_per_exam_rewards_sum_to_the_score_gap_times_exams(reference, grader):
    path, metrics = reference
    suite = get_suite("hard-512", n_exams=N)
    env = gym.make("OSMCKP-v0", suite="hard-512", n_exams=N, reward="regret", regret_reference=path, grader=grader)
    rewards = []
    for i, text in enumerate(_completions(suite)):
        env.reset(options={"exam_index": i})
        _, r, _, _, info = env.step(text)
        assert info["reference"] == 2.0 and r == info["score"] - info["reference"]
        assert str(path) in info["reference_source"]
        rewards.append(r)
    assert sum(rewards) == pytest.approx((metrics["score"] - metrics["score_easy"]) * N) == -N
    # the suite-level Regret is the normalised counterpart: mean reward = -Regret * Score_easy
    assert sum(rewards) / N == pytest.approx(-metrics["regret"] * metrics["score_easy"])
    # the TRL reward function gives the same numbers for the same completions
    cols = suite.to_dataset()
    fn = make_exam_reward("regret", regret_reference=path, grader=grader)
    batch = {k: cols[k] for k in ("problem_ids", "answers", "tiers", "budget", "order")}
    assert fn([""] * N, _completions(suite), **batch) == rewards


def test_the_sequential_env_pays_regret_at_the_end(reference, grader):
    path, _ = reference
    env = gym.make("OSMCKP-Seq-v0", suite="hard-512", n_exams=N, reward="regret", regret_reference=path, grader=grader)
    obs, _ = env.reset(options={"exam_index": 0})
    rewards, done = [], False
    while not done:
        obs, r, done, _, info = env.step(gold_reply([{"role": "user", "content": obs["prompt"]}], 100))
        rewards.append(r)
    assert rewards[:-1] == [0.0] * (len(rewards) - 1)
    assert rewards[-1] == info["score"] - info["reference"] == 3.0 - 2.0


def test_a_reference_is_found_by_exam_content_and_other_suites_are_refused(reference, grader):
    path, _ = reference
    # Medium holds the same exams in other orders: its references are the same easy-order scores
    env = gym.make("OSMCKP-v0", suite="medium-512", n_exams=N, reward="regret", regret_reference=path, grader=grader)
    env.reset(options={"exam_index": 0})
    assert env.step("")[-1]["reference"] == 2.0
    for other in (
        dict(suite="medium-1024", n_exams=N),
        dict(suite="hard-512", n_exams=N + 1),
        dict(suite="hard-512", n_exams=N, suite_seed=1),
    ):
        with pytest.raises(ValueError, match="no easy-order record.*osmckp run"):
            gym.make("OSMCKP-v0", reward="regret", regret_reference=path, **other)
    with pytest.raises(ValueError, match="needs regret_reference"):
        gym.make("OSMCKP-v0", reward="regret")


def test_the_rarl_trainer_scorer_accepts_the_regret_kind(reference, grader):
    pytest.importorskip("transformers")
    from osmckp_env.exam.tokenization import default_counter
    from osmckp_env.training.rarl import ExamRewards

    path, _ = reference
    suite = get_suite("hard-512", n_exams=N)
    scorer = ExamRewards(counter=default_counter(), grader=grader, regret_reference=path)
    funcs, weights = scorer.functions("regret")
    assert funcs[0].__name__ == "regret" and weights[0] == 1.0 and sum(weights) == 1.0
    cols = suite.to_dataset()
    batch = {k: cols[k] for k in ("problem_ids", "answers", "tiers", "budget", "order")}
    assert funcs[0]([""] * N, _completions(suite), **batch) == [-1.0] * N


def test_verls_compute_score_accepts_the_regret_kind(reference, grader):
    from osmckp_env.training.verl import compute_score, exam_rows

    path, _ = reference
    suite = get_suite("hard-512", n_exams=N)
    rows = exam_rows(suite, reward="regret", regret_reference=path)
    got = [
        compute_score(r["data_source"], t, r["reward_model"]["ground_truth"], r["extra_info"])["score"]
        for r, t in zip(rows, _completions(suite))
    ]
    assert got == [-1.0] * N
    with pytest.raises(ValueError, match="no easy-order record"):
        exam_rows(get_suite("medium-1024", n_exams=N), reward="regret", regret_reference=path)


class _ByExam:
    """Replies per exam: ``pick(exam, seed)`` gives a reply function, or ``None`` for a failed call."""

    name = "by-exam"

    def __init__(self, pick):
        self.pick, self.seed = pick, None

    def reset(self, seed=None):
        self.seed = seed

    def solve(self, exams):
        from osmckp_env.agents.base import AgentOutput

        out = []
        for e in exams:
            reply = self.pick(e, self.seed)
            out.append(
                AgentOutput("", [{"error": "HTTP 500"}])
                if reply is None
                else make_agent("direct", ScriptedBackend(reply)).solve([e])[0]
            )
        return out


def _reference_run(tmp_path, grader, pick, **spec_kw):
    spec = AgentSpec(name="ref", agent="direct", backend="scripted", counter="qwen2.5", **spec_kw)
    run_suite(spec, get_suite("hard-512", n_exams=N), tmp_path, agent=_ByExam(pick), grader=grader, progress=False)
    return tmp_path / "results.json"


def test_an_exam_whose_reference_call_failed_has_no_reference(tmp_path, grader):
    from osmckp_env.training.verl import exam_rows

    # the reference run's easy-order call of exam 0 failed: that is an error, not a reference of 0
    # (before, a gold answer on exam 0 was paid 3 - 0 = +3)
    path = _reference_run(tmp_path, grader, lambda e, _: None if (e.index, e.order) == (0, "easy") else gold_reply)
    for make in (
        lambda: gym.make("OSMCKP-v0", suite="hard-512", n_exams=N, reward="regret", regret_reference=path),
        lambda: gym.make("OSMCKP-Seq-v0", suite="hard-512", n_exams=N, reward="regret", regret_reference=path),
        lambda: exam_rows(get_suite("hard-512", n_exams=N), reward="regret", regret_reference=path),
    ):
        with pytest.raises(ValueError, match=rf"1 of {N} exams .*failed in the backend.*--retry-errors"):
            make()
    suite = get_suite("hard-512", n_exams=N)
    cols = suite.to_dataset()
    batch = {k: cols[k][:1] for k in ("problem_ids", "answers", "tiers", "budget", "order")}
    fn = make_exam_reward("regret", regret_reference=path, grader=grader)
    with pytest.raises(ValueError, match=f"osmckp run {path} --retry-errors"):
        fn([""], _completions(suite)[:1], **batch)
    # the other exams keep their references
    batch = {k: cols[k][1:] for k in ("problem_ids", "answers", "tiers", "budget", "order")}
    assert fn([""] * (N - 1), _completions(suite)[1:], **batch) == [1.0 - 3.0] * (N - 1)


def test_a_sampled_reference_is_the_mean_over_the_exams_samples(tmp_path, grader):
    # sample 0 answers every problem right, sample 1 skips everything: each exam's reference is
    # 1.5, the run's own easy-order score (before, the last sample written won: 0)
    path = _reference_run(
        tmp_path, grader, lambda e, seed: gold_reply if seed == 0 else "skip-all", samples=2, temperature=0.7
    )
    assert json.loads(path.read_text())["metrics_easy"]["score"] == 1.5
    env = gym.make("OSMCKP-v0", suite="hard-512", n_exams=N, reward="regret", regret_reference=path, grader=grader)
    env.reset(options={"exam_index": 2})
    _, r, _, _, info = env.step("")
    assert info["reference"] == 1.5 and r == -1.5
