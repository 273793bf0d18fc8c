import json

import numpy as np
import pytest

from osmckp_env.exam.problems import Problem
from osmckp_env.sim.calibrate import calibrate
from osmckp_env.sim.profiles import Atoms, Profile, get_profile, synthetic_profile


def test_synthetic_profile_is_labeled_and_stable():
    a, b = synthetic_profile(), synthetic_profile()
    assert a.synthetic and "SYNTHETIC" in a.label and a.hash == b.hash
    assert get_profile("synthetic-v0").hash == a.hash


def test_lookup_specificity():
    p = synthetic_profile()
    assert p.atoms_for(Problem("x", "s", "", "1", "medium", 5)) is p.keys["medium/L5"]
    assert p.atoms_for(Problem("x", "s", "", "1", "medium", None)) is p.keys["medium"]
    assert p.atoms_for(Problem("x", "s", "", "1", "hard")) is p.keys["hard"]


def test_save_load_roundtrip_and_tamper(tmp_path):
    p = synthetic_profile()
    path = p.save(tmp_path / "p.json")
    assert Profile.load(path).hash == p.hash
    d = json.loads(path.read_text())
    d["keys"]["easy"]["p_correct"][0] = 0.01
    path.write_text(json.dumps(d))
    with pytest.raises(ValueError, match="edited"):
        Profile.load(path)


@pytest.mark.parametrize(
    "bad,match",
    [
        ({"lengths": [0], "p_correct": [0.5]}, ">= 1"),
        ({"lengths": [10], "p_correct": [1.5]}, r"\[0, 1\]"),
        ({"lengths": [10, 20], "p_correct": [0.5]}, "equally long"),
        ({"lengths": "x"}, "numeric"),
    ],
)
def test_schema_validation(bad, match):
    with pytest.raises(ValueError, match=match):
        Atoms.from_dict(bad, "k")


def test_missing_tier_rejected():
    d = synthetic_profile().to_dict()
    del d["keys"]["hard"]
    with pytest.raises(ValueError, match="hard"):
        Profile.from_dict(d)


def test_calibration_roundtrip_on_hand_made_records():
    def prob(pid, tier, status, tokens, correct):
        return {"id": pid, "tier": tier, "status": status, "tokens": tokens, "correct": correct}

    records = [
        {
            "budget": 512,
            "budget_exhausted": False,
            "problems": [
                prob("g1", "easy", "answered", 100, True),
                prob("m1", "medium", "answered", 300, False),
                prob("a1", "hard", "skipped", 5, False),
            ],
        },
        {
            "budget": 512,
            "budget_exhausted": True,
            "problems": [
                prob("g1", "easy", "answered", 140, True),
                prob("m1", "medium", "answered", 250, True),
                prob("a1", "hard", "missing", 120, False),
            ],
        },
    ]
    p = calibrate(records, "toy", level_of={"m1": 3})
    assert not p.synthetic
    assert sorted(p.keys["g1"].lengths.tolist()) == [100, 140] and p.keys["g1"].p_correct.tolist() == [1.0, 1.0]
    assert p.keys["a1"].lengths.tolist() == [513]  # censored: cut under any cap up to the budget
    assert "medium/L3" in p.keys and len(p.keys["medium"].lengths) == 2
    tokens, pc = p.keys["m1"].outcome(260)
    assert sorted(zip(tokens.tolist(), pc.tolist())) == [(250, 1.0), (260, 0.0)]
    assert Profile.from_dict(p.to_dict()).hash == p.hash


def test_atoms_sampling_matches_weights():
    a = Atoms(np.array([1, 2, 3]), np.zeros(3), np.array([0.2, 0.3, 0.5]))
    rng = np.random.default_rng(0)
    counts = np.bincount([a.sample(rng.random()) for _ in range(20000)], minlength=3) / 20000
    assert np.allclose(counts, [0.2, 0.3, 0.5], atol=0.02)


def test_calibrate_cli_from_a_real_run(tmp_path, grader):
    from osmckp_env.cli import main
    from osmckp_env.exam.suites import get_suite
    from osmckp_env.runner.run import run_suite
    from osmckp_env.runner.spec import AgentSpec
    from osmckp_env.sim.env import SimEnv

    spec = AgentSpec(name="g", agent="direct", backend="scripted", backend_args={"reply": "gold"}, counter="qwen2.5")
    run_suite(spec, get_suite("medium-512", n_exams=5), tmp_path / "run", grader=grader, progress=False)
    assert main(["sim", "calibrate", str(tmp_path / "run" / "records.jsonl"), "--out", str(tmp_path / "p.json")]) == 0
    prof = Profile.load(tmp_path / "p.json")
    assert not prof.synthetic and all(a.p_correct.min() == 1.0 for a in prof.keys.values())
    env = SimEnv("medium-512", profile=str(tmp_path / "p.json"))
    env.reset(seed=0)
    _, r, *_ = env.step(env.action_space.n - 1)
    # the calibrated profile is the one in use: the gold script is always right in a few tokens,
    # where the bundled synthetic profile is often wrong
    assert env.profile.name == prof.name and not env.profile.synthetic
    assert r == 1.0
