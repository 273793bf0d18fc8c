"""reward="regret" in the sim: score minus the exact oracle's expected score for the exam."""

import gymnasium as gym
import numpy as np
import pytest

import osmckp_env  # noqa: F401
from osmckp_env.sim.env import SimEnv, regret_step_reward
from osmckp_env.sim.leaderboard import sim_leaderboard
from osmckp_env.sim.oracle import action_caps, solve_exam
from osmckp_env.sim.policies import make_policy


def _mean_return(env, policy, episodes, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for ep in range(episodes):
        _, info = env.reset(seed=seed * 100_000 + ep)
        total, done = 0.0, False
        while not done:
            _, r, done, _, info = env.step(policy.act(info, rng))
            total += r
        assert info["reference_source"] == "oracle"
        out.append(total)
    return float(np.mean(out)), float(np.std(out) / np.sqrt(len(out)))


@pytest.mark.parametrize("shaping", ["sparse", "potential"])
def test_mean_regret_reward_is_minus_the_oracle_regret(tmp_path, shaping):
    tables = sim_leaderboard(tmp_path, settings=("medium-512",), n_exams=12, progress=False, plots=False)
    regret = dict(zip(tables["medium-512"]["policy"], tables["medium-512"]["oracle_regret"]))
    env = gym.make("OSMCKP-Sim-v0", suite="medium-512", n_exams=12, reward="regret", regret_shaping=shaping)
    for name in ("oracle", "greedy-knapsack", "always-attempt"):
        mean, se = _mean_return(env.unwrapped, make_policy(name), 1500)
        assert abs(mean - (-regret[name])) < 4 * se + 1e-9, (name, mean, -regret[name], se)
    assert regret["always-attempt"] > 0.3  # the test can tell policies apart


def test_sparse_pays_at_the_end_and_potential_along_the_way_with_the_same_return():
    kw = dict(suite="hard-1024", n_exams=5, reward="regret")
    sparse, shaped = SimEnv(**kw, regret_shaping="sparse"), SimEnv(**kw, regret_shaping="potential")
    for seed in range(20):
        _, i1 = sparse.reset(seed=seed)
        shaped.reset(seed=seed)
        r1, r2, done = [], [], False
        for a in (3, 1, 2):
            o1, a1, done, _, info = sparse.step(a)
            r2.append(shaped.step(a)[1])
            r1.append(a1)
            if done:
                break
        assert all(r == 0.0 for r in r1[:-1])
        assert sum(r1) == pytest.approx(sum(r2)) == pytest.approx(info["score"] - info["reference"])


def test_potential_shaping_keeps_the_optimal_policy_on_the_dp():
    env = SimEnv("medium-512", n_exams=3)
    for exam in env.suites[0].exams:
        view = env.view_of(exam)
        value, pi, V = solve_exam(view.atoms, view.budget, view.bins, "score")
        caps = action_caps(view.bins)
        n, B = exam.n_problems, view.budget
        W = np.zeros((n + 1, B + 1))  # optimal shaped value-to-go, from the env's own step reward
        for k in range(n - 1, -1, -1):
            for b in range(B + 1):
                q = []
                for a in range(len(caps)):
                    if a == 0:
                        t_out = [(0, 0.0, 1.0)]
                    else:
                        c = b if caps[a] is None else min(caps[a], b)
                        t_out = []
                        for L, p, w in zip(view.atoms[k].lengths, view.atoms[k].p_correct, view.atoms[k].weights):
                            t = int(L) if L <= c else c
                            pc = float(p) if L <= c else 0.0
                            t_out += [(t, 1.0, w * pc), (t, 0.0, w * (1 - pc))]
                    total = 0.0
                    for t, gain, w in t_out:
                        if w == 0:
                            continue
                        done = k + 1 == n or b - t <= 0
                        r = regret_step_reward(V, k, b, b - t, gain, done, 0.0, "potential")
                        total += w * (r + (0.0 if done else W[k + 1, b - t]))
                    q.append(total)
                q = np.array(q)
                W[k, b] = q.max()
                # the shaped optimum is the oracle's action (ties aside) and is worth exactly 0
                assert q[pi[k, b]] == pytest.approx(q.max(), abs=1e-9)
        assert np.allclose(W[:n], 0.0, atol=1e-9)
    with pytest.raises(ValueError, match="regret_shaping"):
        SimEnv(reward="regret", regret_shaping="dense")
