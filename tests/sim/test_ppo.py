import pytest

pytest.importorskip("stable_baselines3")


def test_ppo_smoke_and_reproducible(tmp_path):
    from osmckp_env.sim.ppo import load_ppo, train_ppo

    m1 = train_ppo(tmp_path / "a.zip", timesteps=5120, seed=3, n_envs=2)  # one learning-curve point (at 5,000)
    m2 = train_ppo(tmp_path / "b.zip", timesteps=5120, seed=3, n_envs=2)
    assert m1["learning_curve"] == m2["learning_curve"]
    # each point: steps, the mean episode score of the window, its sd and how many episodes it holds
    assert len(m1["learning_curve"]) == 1
    for steps, mean, sd, n in m1["learning_curve"]:
        assert steps % 5000 < 2 and 0 <= mean <= 3 and sd >= 0 and 0 < n <= m1["learning_curve_window"] == 500
    model = load_ppo(tmp_path / "a.zip")
    import numpy as np

    from osmckp_env.sim.env import SimEnv

    obs, _ = SimEnv().reset(seed=0)
    assert 0 <= int(model.predict(obs, deterministic=True)[0]) < 4
    assert np.isfinite(obs).all()


def test_bundled_ppo_beats_always_attempt():
    from osmckp_env.sim.leaderboard import default_policies, sim_leaderboard
    from osmckp_env.sim.ppo import bundled_ppo_path

    assert bundled_ppo_path() is not None
    pols = [p for p in default_policies() if p.name in ("ppo", "always-attempt", "oracle")]
    assert [p.name for p in pols] == ["always-attempt", "ppo", "oracle"]
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        df = sim_leaderboard(d, settings=("hard-1024",), n_exams=50, policies=pols, progress=False, plots=False)[
            "hard-1024"
        ]
    by = dict(zip(df["policy"], df["expected_score"]))
    assert by["ppo"] > by["always-attempt"] and by["ppo"] <= by["oracle"] + 1e-9


def test_train_ppo_command_runs_as_the_readme_writes_it_with_its_progress_bar(tmp_path, capsys):
    # the README's command, with fewer steps: the progress bar needs tqdm and rich (the sim extra)
    import tomllib
    from pathlib import Path

    from osmckp_env.cli import main

    extra = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    sim = " ".join(extra["project"]["optional-dependencies"]["sim"])
    assert "tqdm" in sim and "rich" in sim
    assert main(["sim", "train-ppo", "--timesteps", "256", "--seed", "0", "--out", str(tmp_path / "p.zip")]) == 0
    assert (tmp_path / "p.zip").exists() and "wrote" in capsys.readouterr().out
    for f in ("p.pdf", "p.png", "p-1col.pdf", "p-1col.png", "p.caption.md"):  # its learning curve
        assert (tmp_path / f).stat().st_size > 0
