"""The native vector sim: picked by make_vec, Gymnasium 1.x semantics, same distribution as single envs."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import osmckp_env  # noqa: F401
from osmckp_env.sim.env import SimEnv
from osmckp_env.sim.vector import SimVectorEnv


def test_make_vec_picks_the_native_vector_env_with_vector_semantics():
    v = gym.make_vec("OSMCKP-Sim-v0", num_envs=16, suite="hard-512", n_exams=20)
    assert isinstance(v, SimVectorEnv) and v.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    obs, info = v.reset(seed=0)
    assert obs.shape == (16, 12) and v.observation_space.contains(obs)
    assert v.single_action_space == gym.spaces.Discrete(4) and v.action_space.shape == (16,)
    done_before = np.zeros(16, dtype=bool)
    for _ in range(10):
        obs, r, term, trunc, info = v.step(np.full(16, 3))
        assert obs.shape == (16, 12) and r.shape == (16,) and not trunc.any()
        assert set(info) >= {"tokens", "_tokens", "exam_index", "_exam_index"}
        # next-step autoreset: an env that ended gets reward 0 and a fresh exam at its next step
        assert (r[done_before] == 0).all() and (info["position"][done_before] == 0).all()
        done_before = term
    with pytest.raises(ValueError, match="actions must be in"):
        v.step(np.full(16, 9))


def _stats_single(kw, policy, episodes, seed=0):
    env = SimEnv(**kw)
    rng = np.random.default_rng(seed)
    scores, tokens = [], []
    for ep in range(episodes):
        env.reset(seed=seed + ep)
        total = toks = 0.0
        done = False
        while not done:
            _, r, done, _, info = env.step(policy(rng))
            total += r
            toks += info["tokens"]
        scores.append(total)
        tokens.append(toks)
    return np.array(scores), np.array(tokens)


def _stats_vector(kw, policy, episodes, n=64, seed=0):
    v = SimVectorEnv(num_envs=n, **kw)
    rng = np.random.default_rng(seed + 1)
    v.reset(seed=seed)
    scores, tokens = [], []
    run_s, run_t = np.zeros(n), np.zeros(n)
    while len(scores) < episodes:
        _, r, term, _, info = v.step(np.array([policy(rng) for _ in range(n)]))
        run_s += r
        run_t += info["tokens"]
        for i in np.flatnonzero(term):
            scores.append(run_s[i])
            tokens.append(run_t[i])
        run_s[term], run_t[term] = 0.0, 0.0
    return np.array(scores[:episodes]), np.array(tokens[:episodes])


@pytest.mark.parametrize("reward", ["score", "rarl"])
def test_vector_and_single_envs_draw_the_same_outcomes(reward):
    kw = dict(suite="medium-1024", n_exams=50, reward=reward, level_noise=0.2)
    for policy in (lambda rng: 3, lambda rng: int(rng.integers(4))):
        s1, t1 = _stats_single(kw, policy, 3000)
        s2, t2 = _stats_vector(kw, policy, 3000)
        se = np.sqrt(s1.var() / len(s1) + s2.var() / len(s2))
        assert abs(s1.mean() - s2.mean()) < 4 * se
        se_t = np.sqrt(t1.var() / len(t1) + t2.var() / len(t2))
        assert abs(t1.mean() - t2.mean()) < 4 * se_t


def test_vector_regret_reward_matches_the_single_env_in_expectation():
    kw = dict(suite="hard-512", n_exams=10, reward="regret", regret_shaping="potential")
    s1, _ = _stats_single(kw, lambda rng: 3, 2000)
    s2, _ = _stats_vector(kw, lambda rng: 3, 2000)
    se = np.sqrt(s1.var() / len(s1) + s2.var() / len(s2))
    assert abs(s1.mean() - s2.mean()) < 4 * se and s1.mean() < 0


def test_reset_options_pick_the_exam_as_the_single_env_does():
    import gymnasium as gym

    venv = gym.make_vec("OSMCKP-Sim-v0", num_envs=3, suite=["medium-512", "hard-512"], n_exams=5)
    single = gym.make("OSMCKP-Sim-v0", suite=["medium-512", "hard-512"], n_exams=5).unwrapped
    obs, _ = venv.reset(seed=1, options={"suite_index": 1, "exam_index": [0, 2, 4]})
    for i, k in enumerate((0, 2, 4)):
        o, _ = single.reset(seed=1, options={"suite_index": 1, "exam_index": k})
        # the static features of the first problem (tiers, MATH level, budget share) are that exam's
        np.testing.assert_allclose(obs[i][:8], o[:8])
    assert (venv.unwrapped._index[venv.unwrapped._exam] == [0, 2, 4]).all()
    assert (venv.unwrapped._suite_of[venv.unwrapped._exam] == 1).all()
    obs2, _ = venv.reset(options={"exam_index": 3})  # the suite is drawn, the index is kept
    assert (venv.unwrapped._index[venv.unwrapped._exam] == 3).all()
    with pytest.raises(ValueError, match="unknown option"):
        venv.reset(options={"exam": 1})
    with pytest.raises(ValueError, match="exam_index"):
        venv.reset(options={"suite_index": 0, "exam_index": 5})
    with pytest.raises(ValueError, match="3 ints"):
        venv.reset(options={"suite_index": [0, 1]})
