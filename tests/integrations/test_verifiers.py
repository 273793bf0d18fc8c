"""The verifiers environment: verifiers' own evaluation (its Python API and the vf-eval command)
against the fake OpenAI server reports, through the kit's ExamReward, the Score and Regret that
`osmckp run` reports on the same completions. Needs verifiers (its own environment in CI)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

vf = pytest.importorskip("verifiers")

from conftest import replayed_run  # noqa: E402
from verifiers.types import ClientConfig  # noqa: E402
from verifiers.utils.env_utils import load_environment as vf_load_environment  # noqa: E402

from osmckp_env.backends.scripted import gold_reply, skip_reply  # noqa: E402
from osmckp_env.exam.prompts import exam_messages  # noqa: E402
from osmckp_env.exam.suites import get_suite  # noqa: E402
from osmckp_env.integrations.verifiers_env import load_environment, suite_metrics  # noqa: E402
from osmckp_env.scoring.rewards import ExamReward  # noqa: E402
from osmckp_env.testing.fake_openai_server import FakeOpenAIServer  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
ENV_DIR = REPO / "environments" / "osmckp_verifiers"


def scripted(reply):
    """A fake-server reply from an osmckp script (``reply(messages, cap)``): the server joins the
    request's messages, the user's exam prompt last."""
    return lambda prompt, cap: reply([{"role": "user", "content": prompt}], cap)


def exam_reward(env):
    """The rubric's reward (verifiers groups the env's rubric with its own turn-count monitor)."""
    (reward,) = [f for r in getattr(env.rubric, "rubrics", [env.rubric]) for f in r.funcs if isinstance(f, ExamReward)]
    return reward


def evaluate(env, reply, **kw):
    os.environ.setdefault("OSMCKP_FAKE_KEY", "none")
    with FakeOpenAIServer(scripted(reply)) as srv:
        client = ClientConfig(api_base_url=srv.base_url, api_key_var="OSMCKP_FAKE_KEY")
        out = env.evaluate_sync(client=client, model="m", **kw)
        return out, list(srv.bodies)


def test_verifiers_finds_the_environment_by_name_and_gold_answers_score_3_with_regret_0(monkeypatch):
    monkeypatch.syspath_prepend(str(ENV_DIR))  # what `pip install -e environments/osmckp_verifiers` makes importable
    env = vf_load_environment("osmckp-verifiers", suite="hard-512", n_exams=3)
    assert isinstance(env, vf.SingleTurnEnv) and exam_reward(env).kind == "score"
    out, bodies = evaluate(env, gold_reply)
    assert [o["reward"] for o in out["outputs"]] == [3.0] * 6
    m = suite_metrics(out)
    assert m["score"] == 3.0 and m["score_easy"] == 3.0 and m["regret"] == 0.0
    assert [m["regret_ci_low"], m["regret_ci_high"]] == [0.0, 0.0]
    # each exam in its given order, then in easy order, with the direct agent's prompt, capped at the budget
    given = get_suite("hard-512", n_exams=3)
    expected = [exam_messages(e) for i in range(3) for e in (given[i], given.with_order("easy")[i])]
    assert sorted(json.dumps(b["messages"]) for b in bodies) == sorted(map(json.dumps, expected))
    assert {b.get("max_completion_tokens") or b.get("max_tokens") for b in bodies} == {512}


def test_a_procedural_suite_scores_gold_through_its_pools_verifier_column():
    pytest.importorskip("reasoning_gym")
    env = load_environment(suite="rg-chain_sum-hard-256", n_exams=2)
    # Suite.to_dataset()'s column, which ExamReward hands to the grader: reasoning-gym's score_answer
    assert all(v for row in env.get_eval_dataset() for v in row["info"]["verifiers"])
    out, _ = evaluate(env, gold_reply)
    assert [o["reward"] for o in out["outputs"]] == [3.0] * 4
    m = suite_metrics(out)
    assert m["score"] == 3.0 and m["regret"] == 0.0


def test_skipping_everything_scores_0_and_no_sampling_argument_lifts_the_budget():
    env = load_environment(suite="medium-1024", n_exams=2)
    for sampling in ({"max_tokens": None}, {"max_tokens": 4096}, {"max_completion_tokens": 9000}):
        out, bodies = evaluate(env, skip_reply, sampling_args=sampling)
        assert {b.get("max_completion_tokens") or b.get("max_tokens") for b in bodies} == {1024}, sampling
    out, bodies = evaluate(env, skip_reply, sampling_args={"max_tokens": 100})  # a lower cap is the caller's
    assert {b.get("max_completion_tokens") or b.get("max_tokens") for b in bodies} == {100}
    assert [o["reward"] for o in out["outputs"]] == [0.0] * 4
    m = suite_metrics(out)
    assert m["score"] == 0.0 and m["skip_rate"] == 1.0 and m["regret"] == 0.0


def test_completions_of_an_osmckp_run_give_exactly_its_score_regret_and_intervals(tmp_path, grader):
    res, by_prompt = replayed_run(tmp_path, grader)
    lines = list(by_prompt.values())

    def replay(messages, cap):
        return next(r["completion"] for p, r in by_prompt.items() if messages[-1]["content"].endswith(p))

    # the regret reward against the run itself: each exam's score minus its easy-order score
    env = load_environment(
        suite="hard-512", n_exams=12, reward="regret", regret_reference=str(tmp_path / "run" / "results.json")
    )
    out, _ = evaluate(env, replay)
    m, want = suite_metrics(out), res["metrics"]
    assert m["score"] == pytest.approx(want["score"]) and m["regret"] == pytest.approx(want["regret"])
    assert m["score_easy"] == pytest.approx(want["score_easy"])
    for name in ("score", "regret", "score_easy", "skip_rate", "tokens_per_problem"):
        assert [m[f"{name}_ci_low"], m[f"{name}_ci_high"]] == pytest.approx(want["intervals"][name]["ci"]), name
    easy_score = {r["exam_index"]: r["score"] for r in lines if r["order"] == "easy"}
    for o in out["outputs"]:
        rec = next(r for r in lines if r["order"] == o["info"]["order"] and r["exam_index"] == o["info"]["exam_index"])
        assert o["reward"] == rec["score"] - easy_score[rec["exam_index"]]
        assert o["metrics"]["score"] == rec["score"]


def test_the_rarl_reward_asks_for_levels_and_training_rows_can_leave_the_easy_order_out():
    env = load_environment(suite="train-medium-1024", n_exams=4, reward="rarl", easy=False, level_edges=[128, 256])
    rows = env.get_eval_dataset()
    assert len(rows) == 4 and {r["info"]["order"] for r in rows} == {"medium"}
    assert "<predicted_level>" in rows[0]["prompt"][-1]["content"] and "128" in rows[0]["prompt"][-1]["content"]
    assert exam_reward(env).kind == "rarl" and exam_reward(env).bins.edges == (128, 256)


@pytest.mark.slow
def test_the_vf_eval_command_runs_the_environment_by_name(tmp_path):
    """`vf-eval osmckp-verifiers ...` as the README writes it, then suite_metrics on what it saved."""
    with FakeOpenAIServer(scripted(gold_reply)) as srv:
        path = os.pathsep.join([str(ENV_DIR), str(REPO), os.environ.get("PYTHONPATH", "")])
        env = {**os.environ, "OSMCKP_FAKE_KEY": "none", "PYTHONPATH": path}
        cmd = [sys.executable, "-m", "verifiers.scripts.eval", "osmckp-verifiers", "-a",
               '{"suite": "hard-512", "n_exams": 2}', "-n", "4", "-m", "m", "-b", srv.base_url,
               "-k", "OSMCKP_FAKE_KEY", "-s", "-d", "--disable-env-server", "-o", str(tmp_path)]  # fmt: skip
        run = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
        bodies = list(srv.bodies)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    assert "reward: avg - 3.000" in run.stdout
    assert {b.get("max_completion_tokens") or b.get("max_tokens") for b in bodies} == {512}  # no -t: the budget
    (results,) = tmp_path.rglob("results.jsonl")
    m = suite_metrics(results.parent)
    assert m["score"] == 3.0 and m["regret"] == 0.0


def test_reasoning_the_server_returns_is_charged_to_the_budget():
    """A reasoning parser's `reasoning_content` is joined back as <think> and charged: 480 tokens
    of it leave too little of the 512 for all three gold answers."""
    env = load_environment(suite="hard-512", n_exams=1, easy=False)
    out, _ = evaluate(env, lambda m, cap: {"content": gold_reply(m, cap), "reasoning_content": "hmm " * 480})
    (o,) = out["outputs"]
    assert o["metrics"]["tokens"] == 512 and o["reward"] < 3
