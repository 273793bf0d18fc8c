import warnings

import gymnasium as gym
import numpy as np
import pytest
from conftest import completion
from gymnasium.utils.env_checker import check_env

import osmckp_env  # noqa: F401  (registers the ids)


@pytest.mark.parametrize("env_id", ["OSMCKP-v0", "OSMCKP-Seq-v0"])
def test_check_env_no_warnings(env_id):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(gym.make(env_id, suite="medium-512", n_exams=8).unwrapped, skip_render_check=True)
    assert [str(w.message) for w in caught] == []


def test_both_spellings():
    a = gym.make("osmckp_env:OSMCKP-v0", suite="hard-512")
    b = gym.make("OSMCKP-v0", suite="hard-512")
    oa, _ = a.reset(seed=1)
    ob, _ = b.reset(seed=1)
    assert oa["prompt"] == ob["prompt"] and int(oa["remaining_budget"]) == 512


def test_observation_is_member_with_unicode():
    env = gym.make("OSMCKP-v0")
    for seed in range(20):
        obs, _ = env.reset(seed=seed)
        assert env.observation_space.contains(obs)
    assert env.action_space.contains("π ≈ 3.14 \\boxed{中}")


def test_scripted_episode_scores(grader):
    env = gym.make("OSMCKP-v0", suite="medium-1024", grader=grader)
    obs, info = env.reset(options={"exam_index": 7})
    probs = env.unwrapped._exam.problems
    answers = [p.answer for p in probs]
    answers[1] = "NA"
    _, r, term, trunc, info = env.step(completion(answers))
    assert (r, term, trunc) == (2.0, True, False)
    assert info["record"]["problems"][1]["status"] == "skipped"
    assert info["suite_hash"] == env.unwrapped.suite.hash
    with pytest.raises(RuntimeError, match="reset"):
        env.step("again")


def test_rarl_reward_and_budget_override(grader):
    env = gym.make("OSMCKP-v0", suite="hard-512", reward="rarl", budget=2048, grader=grader)
    obs, _ = env.reset(seed=0)
    assert int(obs["remaining_budget"]) == 2048
    probs = env.unwrapped._exam.problems
    _, r, *_ = env.step(completion([p.answer for p in probs], levels=[0, 1, 0]))
    assert r == 2.0


def test_sequential_mode(grader):
    env = gym.make("OSMCKP-Seq-v0", suite="easy-512", grader=grader)
    obs, _ = env.reset(options={"exam_index": 3})
    probs = env.unwrapped._exam.problems
    total = 0.0
    for k, p in enumerate(probs):
        assert obs["position"] == k and "Remaining token budget" in obs["prompt"]
        obs, r, term, trunc, info = env.step(f"short \\boxed{{{p.answer if k != 2 else 'NA'}}}")
        total += r
    assert term and total == 2.0
    rec = info["record"]
    assert [p["status"] for p in rec["problems"]] == ["answered", "answered", "skipped"]
    assert rec["completion_tokens"] == sum(p["tokens"] for p in rec["problems"])


def test_sequential_budget_runs_out(grader):
    env = gym.make("OSMCKP-Seq-v0", suite="easy-512", budget=30, grader=grader)
    env.reset(seed=0)
    _, r, term, _, info = env.step("blah " * 100)
    assert term and r == 0.0
    probs = info["record"]["problems"]
    assert [p["status"] for p in probs] == ["missing", "unreached", "unreached"]
    # the bins follow the budget (LevelBins.for_budget(30): edges 7 and 15): all 30 tokens are Level-2
    assert [p["actual_level"] for p in probs] == [2, None, None]


@pytest.mark.parametrize("action", [b"bytes", 3, None, ["list"]])
def test_wrong_action_type(action):
    env = gym.make("OSMCKP-v0")
    env.reset(seed=0)
    with pytest.raises(TypeError, match="completion text as a str"):
        env.step(action)


@pytest.mark.parametrize(
    "kwargs,err,match",
    [
        ({"suite": "medum-512"}, KeyError, "Did you mean"),
        ({"budget": 0}, ValueError, "budget"),
        ({"reward": "accuracy"}, ValueError, "reward"),
        ({"mode": "batch"}, ValueError, "mode"),
        ({"suite": 3}, TypeError, "suite"),
    ],
)
def test_bad_kwargs(kwargs, err, match):
    with pytest.raises(err, match=match):
        gym.make("OSMCKP-v0", **kwargs)


def test_seeding_is_deterministic():
    env = gym.make("OSMCKP-v0")
    a = [env.reset(seed=s)[1]["exam_index"] for s in (5, 5, 6)]
    assert a[0] == a[1]
    idx = env.reset(seed=5)[1]["exam_index"]
    assert idx == a[0]
    assert isinstance(env.reset()[0]["remaining_budget"], np.ndarray)


def test_render_transcript(grader):
    env = gym.make("OSMCKP-v0", render_mode="ansi", grader=grader)
    env.reset(seed=0)
    env.step("### Problem 1\n\\boxed{1}")
    out = env.render()
    assert "=== exam" in out and "[P1" in out and "[P3" in out


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_vector_text_env(mode):
    venv = gym.make_vec("OSMCKP-v0", num_envs=2, vectorization_mode=mode, suite="easy-512")
    obs, _ = venv.reset(seed=[1, 2])
    assert len(obs["prompt"]) == 2 and list(obs["remaining_budget"]) == [512, 512]
    _, r, term, _, _ = venv.step(("\\boxed{NA}", "### Problem 1\n\\boxed{NA}"))
    assert list(r) == [0.0, 0.0] and all(term)
    venv.close()


def test_async_prompts_equal_single_env_with_unicode():
    single = gym.make("OSMCKP-v0", suite="medium-1024")
    seeds = [0, 5]
    expected = [single.reset(seed=s)[0]["prompt"] for s in seeds]
    assert any(ord(c) > 127 for c in "".join(expected))  # real problems carry unicode / LaTeX
    venv = gym.make_vec("OSMCKP-v0", num_envs=2, vectorization_mode="async", suite="medium-1024")
    obs, _ = venv.reset(seed=seeds)
    assert list(obs["prompt"]) == expected
    venv.close()


def test_unicode_text_flatten_roundtrip():
    from gymnasium.spaces.utils import flatten, flatten_space, unflatten

    from osmckp_env.envs.spaces import UnicodeText

    space = UnicodeText(50)
    x = "π ≈ \\frac{22}{7} 🙂 中"
    flat = flatten(space, x)
    assert flat.shape == (50,) and flatten_space(space).contains(flat)
    assert unflatten(space, flat) == x and unflatten(space, flatten(space, "")) == ""


def test_sequential_overrun_is_recorded(grader):
    env = gym.make("OSMCKP-Seq-v0", suite="easy-512", grader=grader)
    env.reset(seed=0)
    _, _, term, _, info = env.step("word " * 300)  # 300 of 512 tokens: no overrun
    assert not term and not info["problem"]["status"] == "skipped"
    _, _, term, _, info = env.step("word " * 400)  # more than what is left: cut, and the episode ends
    assert term and info["record"]["budget_overrun"]


def test_step_scores_broken_text_and_charges_thinking():
    import gymnasium as gym

    env = gym.make("OSMCKP-v0", suite="medium-512", n_exams=2)
    obs, info = env.reset(seed=0, options={"exam_index": 0})
    exam = env.unwrapped.suite[0]
    answers = "".join(f"### Problem {k + 1}\n\\boxed{{{p.answer}}}\n" for k, p in enumerate(exam.problems))
    _, reward, *_, info = env.step("ok \ud800\x00\n" + answers)
    assert reward == 3.0 and info["record"]["text_repaired"]
    env.reset(options={"exam_index": 0})
    _, reward, *_, info = env.step("<think>\n" + answers + "more " * 600 + "</think>\n" + answers)
    assert reward == 0.0 and info["record"]["cut_in_thinking"]
    raw = gym.make("OSMCKP-v0", suite="medium-512", n_exams=2, think_markers=None)
    raw.reset(options={"exam_index": 0})
    assert raw.step("<think>\n" + answers + "more " * 600)[1] == 3.0


def test_sequential_step_charges_thinking_but_not_to_the_level():
    import gymnasium as gym

    env = gym.make("OSMCKP-Seq-v0", suite="medium-512", n_exams=1)
    env.reset(options={"exam_index": 0})
    exam = env.unwrapped.suite[0]
    thought = "<think>\n" + "hmm " * 300 + "\n</think>\n"
    obs, reward, term, _, info = env.step(thought + f"\\boxed{{{exam.problems[0].answer}}}")
    prob = info["problem"]
    assert reward == 1.0 and prob["tokens"] < 20 and prob["actual_level"] == 0
    assert int(obs["remaining_budget"]) < 512 - 300  # the thinking was charged
    obs, *_ = env.step("\ud800 \\boxed{NA}")
    _, _, term, _, info = env.step("\\boxed{NA}")
    assert term and info["record"]["thinking_tokens"] > 300 and info["record"]["text_repaired"]
    assert (
        info["record"]["preamble_tokens"]
        + info["record"]["thinking_tokens"]
        + sum(p["tokens"] for p in info["record"]["problems"])
        == info["record"]["completion_tokens"]
    )


# -- hidden reasoning in actions: {"text": ..., "hidden_reasoning_tokens": n} ----------------------


def _tokens(env, text):
    from osmckp_env.exam.tokenization import safe_offsets

    return len(safe_offsets(env.unwrapped.counter, text))


def test_exam_action_with_hidden_reasoning_is_charged_before_the_text(grader):
    env = gym.make("OSMCKP-v0", suite="medium-512", grader=grader)
    env.reset(options={"exam_index": 0})
    text = completion([p.answer for p in env.unwrapped._exam.problems])
    n = _tokens(env, text)
    assert n < 200
    _, r, *_, info = env.step({"text": text, "hidden_reasoning_tokens": 60})
    rec = info["record"]
    assert r == 3.0 and rec["hidden_reasoning_tokens"] == rec["thinking_tokens"] == 60
    assert rec["completion_tokens"] == n + 60 and rec["answer_tokens"] == n
    env.reset(options={"exam_index": 0})
    # an o-series model that thought 3,000 hidden tokens under a 512 budget has no room to answer
    _, r, *_, info = env.step({"text": text, "hidden_reasoning_tokens": 3000})
    rec = info["record"]
    assert r == 0.0 and rec["cut_in_thinking"] and rec["completion_tokens"] == rec["thinking_tokens"] == 512
    assert all(p["status"] == "unreached" for p in rec["problems"])
    env.reset(options={"exam_index": 0})  # what is left after the hidden tokens cuts the text
    _, r, *_, info = env.step({"text": text, "hidden_reasoning_tokens": 512 - n // 2})
    assert r < 3.0 and info["record"]["truncated"] and info["record"]["completion_tokens"] == 512


def test_sequential_action_with_hidden_reasoning_is_charged(grader):
    env = gym.make("OSMCKP-Seq-v0", suite="easy-512", grader=grader)
    env.reset(options={"exam_index": 3})
    probs = env.unwrapped._exam.problems
    text = f"short \\boxed{{{probs[0].answer}}}"
    n = _tokens(env, text)
    obs, r, term, _, info = env.step({"text": text, "hidden_reasoning_tokens": 100})
    assert r == 1.0 and not term
    assert int(obs["remaining_budget"]) == 512 - 100 - n and info["problem"]["tokens"] == n
    _, r, term, _, info = env.step({"text": f"\\boxed{{{probs[1].answer}}}", "hidden_reasoning_tokens": 1000})
    rec = info["record"]
    assert r == 0.0 and term and rec["cut_in_thinking"]
    assert rec["hidden_reasoning_tokens"] == 1100 and rec["completion_tokens"] == 512
    assert rec["thinking_tokens"] == 512 - n
    assert [p["status"] for p in rec["problems"]] == ["answered", "missing", "unreached"]


@pytest.mark.parametrize(
    "action,err,match",
    [
        ({"text": "x", "hidden_tokens": 3}, ValueError, "unknown key.*'hidden_tokens'"),
        ({"hidden_reasoning_tokens": 3}, ValueError, "no 'text'"),
        ({"text": "x", "hidden_reasoning_tokens": -1}, ValueError, "non-negative int"),
        ({"text": "x", "hidden_reasoning_tokens": 2.5}, ValueError, "non-negative int"),
        ({"text": "x", "hidden_reasoning_tokens": True}, ValueError, "non-negative int"),
        ({"text": b"x"}, TypeError, r"action\['text'\] must be"),
    ],
)
@pytest.mark.parametrize("env_id", ["OSMCKP-v0", "OSMCKP-Seq-v0"])
def test_bad_action_mapping_is_refused(env_id, action, err, match):
    env = gym.make(env_id, suite="easy-512")
    env.reset(seed=0)
    with pytest.raises(err, match=match):
        env.step(action)
    assert not env.action_space.contains(action)


def test_action_space_holds_both_action_forms():
    space = gym.make("OSMCKP-v0").action_space
    assert space.contains("\\boxed{1}") and space.contains({"text": "π", "hidden_reasoning_tokens": np.int64(3)})
    assert space.contains({"text": "π"}) and not space.contains({"text": "\ud800"})
    assert space.contains(space.sample())


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_vector_env_takes_mixed_actions_with_hidden_reasoning(mode, grader):
    venv = gym.make_vec("OSMCKP-v0", num_envs=2, vectorization_mode=mode, suite="easy-512")
    venv.reset(seed=[1, 2])
    skip = "### Problem 1\n\\boxed{NA}"
    _, r, term, _, info = venv.step((skip, {"text": skip, "hidden_reasoning_tokens": 3000}))
    assert list(r) == [0.0, 0.0] and all(term)
    rec = info["record"]  # vector infos: one array per field
    assert list(rec["hidden_reasoning_tokens"]) == [0, 3000] and list(rec["cut_in_thinking"]) == [False, True]
    venv.close()


def test_an_action_may_carry_the_backends_own_token_count():
    """A model that generated the whole budget is charged the budget, whatever the re-count of
    its decoded text says (the runner's rule, through the env)."""
    import gymnasium as gym

    from osmckp_env.exam.tokenization import default_counter

    env = gym.make("OSMCKP-v0", suite="medium-512", n_exams=1)
    env.reset(seed=0)
    text = "### Problem 1\nLet me think. " * 5
    assert len(default_counter().offsets(text)) < 512
    _, _, _, _, info = env.step({"text": text, "generated_tokens": 512})
    rec = info["record"]
    assert rec["budget_exhausted"] and rec["completion_tokens"] == 512
    assert [p["status"] for p in rec["problems"]][1:] == ["unreached", "unreached"]
    env.reset(seed=0)
    _, _, _, _, info = env.step(text)
    assert not info["record"]["budget_exhausted"]
    assert [p["status"] for p in info["record"]["problems"]][1:] == ["not_attempted", "not_attempted"]
    env.reset(seed=0)
    with pytest.raises(ValueError, match="generated_tokens"):
        env.step({"text": text, "generated_tokens": -3})


def test_the_envs_level_bins_follow_the_suites_budget():
    from osmckp_env.exam.levels import LevelBins

    assert gym.make("OSMCKP-v0", suite="medium-512", n_exams=1).unwrapped.bins == LevelBins()  # the paper's
    small = gym.make("OSMCKP-v0", suite="arith-medium-128", n_exams=1).unwrapped.bins
    assert small.edges == (32, 64)  # not (256, 512), which would put every answer in Level-0
    assert gym.make("OSMCKP-v0", suite="medium-512", n_exams=1, level_bins=(10, 20)).unwrapped.bins.edges == (10, 20)
