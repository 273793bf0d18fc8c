import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import osmckp_env  # noqa: F401
from osmckp_env.exam.suites import get_suite
from osmckp_env.sim.env import SimEnv
from osmckp_env.sim.leaderboard import sim_leaderboard
from osmckp_env.sim.policies import POLICIES, Oracle, make_policy


def test_check_env_clean():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(gym.make("OSMCKP-Sim-v0").unwrapped)
    assert [str(w.message) for w in caught] == []


def _rollout(env, seed, actions):
    obs, _ = env.reset(seed=seed)
    out = [obs]
    for a in actions:
        obs, r, term, trunc, info = env.step(a)
        out.append((obs, r, info["tokens"]))
        if term:
            break
    return out


def test_determinism():
    a = _rollout(SimEnv("hard-512"), 3, [3, 3, 3])
    b = _rollout(SimEnv("hard-512"), 3, [3, 3, 3])
    assert np.array_equal(a[0], b[0]) and [x[1:] for x in a[1:]] == [x[1:] for x in b[1:]]


def test_budget_is_hard_limit():
    env = SimEnv("hard-512")
    for seed in range(50):
        env.reset(seed=seed)
        spent, done = 0, False
        while not done:
            _, _, done, _, info = env.step(env.action_space.n - 1)
            spent += info["tokens"]
        assert spent <= 512


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_vector_env_matches_single(mode):
    n = 3
    venv = gym.make_vec("OSMCKP-Sim-v0", num_envs=n, vectorization_mode=mode, suite="medium-512")
    obs, _ = venv.reset(seed=[10, 11, 12])
    singles = [gym.make("OSMCKP-Sim-v0", suite="medium-512") for _ in range(n)]
    sobs = [e.reset(seed=s)[0] for e, s in zip(singles, [10, 11, 12])]
    assert np.allclose(obs, np.stack(sobs))
    actions = np.array([3, 1, 0])
    vobs, vr, vterm, _, _ = venv.step(actions)
    for i, e in enumerate(singles):
        o, r, t, _, _ = e.step(int(actions[i]))
        assert np.allclose(vobs[i], o) and vr[i] == r and vterm[i] == t
    venv.close()


@pytest.mark.parametrize("action,err", [("1", TypeError), (1.5, TypeError), (9, ValueError), (-1, ValueError)])
def test_bad_actions(action, err):
    env = SimEnv()
    env.reset(seed=0)
    with pytest.raises(err, match="0 = skip"):
        env.step(action)


def test_oracle_at_least_every_reference_policy():
    env = SimEnv(get_suite("medium-512", n_exams=30))
    oracle = Oracle()
    for e in env.suites[0].exams:
        view = env.view_of(e)
        best = oracle.expected(view)
        for name in POLICIES:
            assert make_policy(name).expected(view) <= best + 1e-9


def test_level_noise_changes_predictions_only():
    clean, noisy = SimEnv(level_noise=0.0), SimEnv(level_noise=1.0)
    changed = 0
    for seed in range(40):
        o1, i1 = clean.reset(seed=seed)
        o2, i2 = noisy.reset(seed=seed)
        v1, v2 = i1["view"], i2["view"]
        assert i1["exam_index"] == i2["exam_index"] and all(
            np.array_equal(a.lengths, b.lengths) and np.array_equal(a.p_correct, b.p_correct)
            for a, b in zip(v1.atoms, v2.atoms)
        )
        changed += v1.predicted_levels != v2.predicted_levels
        # every feature but the predicted-level one-hot is the same
        np.testing.assert_array_equal(o1[:8], o2[:8])
        # and the same actions draw the same outcomes
        for a in (3, 1, 2):
            s1, s2 = clean.step(a), noisy.step(a)
            assert (s1[1], s1[2], s1[4]["tokens"]) == (s2[1], s2[2], s2[4]["tokens"])
            if s1[2]:
                break
    assert changed >= 20  # with noise 1.0 each prediction is redrawn uniformly over 4 levels


def test_greedy_knapsack_plans_once_and_greedy_replan_replans():
    from osmckp_env.exam.knapsack import greedy_by_levels
    from osmckp_env.sim.env import ExamView

    env = SimEnv(get_suite("medium-1024", n_exams=1))
    base = env.view_of(env.suites[0].exams[0])
    view = ExamView(base.exam, base.atoms, (1, 1, 1), 1024, base.bins)  # 3 x 384: the plan keeps two
    assert greedy_by_levels([1, 1, 1], 1024, base.bins) == [0, 1]
    once, replan = make_policy("greedy-knapsack"), make_policy("greedy-replan")
    # the third problem is outside the one-shot plan whatever is left when it comes...
    assert once.decide(view, 2, 600) == 0 and once.decide(view, 2, 1024) == 0
    # ...while re-planning on the 600 tokens actually left attempts it
    assert replan.decide(view, 2, 600) != 0
    # a planned problem keeps the typical cost of the planned problems after it in reserve
    caps = [256, 512, None]
    a = once.decide(view, 0, 1024)
    assert a != 0 and (caps[a - 1] or 1024) <= 1024 - 384
    assert {"greedy-knapsack", "greedy-replan"} <= set(POLICIES)


def test_sim_leaderboard_small(tmp_path):
    tables = sim_leaderboard(tmp_path, settings=("medium-512", "hard-512"), n_exams=20, progress=False)
    df = tables["hard-512"]
    by = dict(zip(df["policy"], df["expected_score"]))
    assert max(by.values()) == pytest.approx(by["oracle"])
    assert by["greedy-knapsack"] > by["always-attempt"]
    assert (df["oracle_regret"] >= -1e-9).all()
    text = (tmp_path / "README.md").read_text()
    assert "SYNTHETIC" in text and "not model results" in text


def test_sim_leaderboard_rarl_oracle_is_the_rarl_optimum(tmp_path):
    tables = sim_leaderboard(
        tmp_path, settings=("medium-1024",), n_exams=15, reward="rarl", progress=False, plots=False
    )
    df = tables["medium-1024"]
    by = dict(zip(df["policy"], df["expected_score"]))
    assert by["oracle"] == pytest.approx(df["oracle_score"].iloc[0])
    assert all(v <= by["oracle"] + 1e-9 for v in by.values())


def test_another_profile_gets_its_own_folder_labels_and_no_foreign_ppo_curve(tmp_path):
    from osmckp_env.sim.leaderboard import default_out_dir
    from osmckp_env.sim.profiles import synthetic_profile

    custom = synthetic_profile()
    custom = type(custom)("my-profile", custom.keys, False, "calibrated elsewhere", {})
    path = custom.save(tmp_path / "my-profile.json")
    assert default_out_dir("synthetic-v0") == default_out_dir("synthetic-v0", "runs/leaderboards/sim")
    out = default_out_dir(path, tmp_path / "sim")
    assert out == tmp_path / "sim" / "my-profile"
    tables = sim_leaderboard(out, profile=path, settings=("hard-512",), n_exams=6, progress=False)
    assert "ppo[synthetic-v0]" in set(tables["hard-512"]["policy"])  # trained on another profile: says so
    assert not (out / "ppo_learning_curve.png").exists()
    assert "my-profile" in (out / "hard-512.md").read_text() and "SYNTHETIC" not in (out / "hard-512.md").read_text()


def test_tables_are_built_once_per_look_not_once_per_exam():
    # with a per-problem profile every exam has its own atoms; a policy that sees only tiers,
    # levels and the budget must not rebuild its decision table for each of them
    from osmckp_env.sim.policies import GreedyReplan

    calls = {"n": 0}

    class Counting(GreedyReplan):
        def decide(self, view, k, b):
            calls["n"] += 1
            return super().decide(view, k, b)

    env = SimEnv(get_suite("medium-512", n_exams=40))
    pol = Counting()
    looks = set()
    for e in env.suites[0].exams:
        view = env.view_of(e)
        pol.table(view)
        looks.add(pol.table_key(view))
    assert calls["n"] == len(looks) * 3 * 513 < 40 * 3 * 513
