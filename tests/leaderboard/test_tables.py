from osmckp_env.exam.suites import get_suite
from osmckp_env.leaderboard import build_leaderboard
from osmckp_env.runner.run import run_suite
from osmckp_env.runner.spec import AgentSpec


def test_leaderboard_from_recorded_results(tmp_path, grader):
    for name, reply, agent in (("gold", "gold", "mft"), ("skipper", "skip-all", "direct")):
        spec = AgentSpec(
            name=name,
            agent=agent,
            backend="scripted",
            backend_args={"reply": reply},
            counter="qwen2.5",
            description=f"{name} pipeline check",
        )
        for s in ("medium-512", "hard-1024"):
            run_suite(spec, get_suite(s, n_exams=4), tmp_path / "runs" / name / s, grader=grader, progress=False)
    (tmp_path / "runs" / "broken").mkdir()
    (tmp_path / "runs" / "broken" / "results.json").write_text("{truncated")
    reported = tmp_path / "reported.yaml"
    reported.write_text("note: nothing reported\nresults: []\n")
    out = build_leaderboard(tmp_path / "runs", tmp_path / "lb", reported=reported)
    assert set(out["settings"]) == {"medium-512", "hard-1024"}
    df = out["settings"]["medium-512"]
    assert list(df["agent"]) == ["gold", "skipper"] and list(df["score"]) == [3.0, 0.0]
    readme = (tmp_path / "lb" / "README.md").read_text()
    assert "Reported in the paper (not measured here)" in readme and "nothing reported" in readme
    assert readme.index("Medium-512") < readme.index("Hard-1024")  # settings in the paper's order
    assert len(out["skipped"]) == 1 and "broken" in out["skipped"][0]
    assert list(df["description"]) == ["gold pipeline check", "skipper pipeline check"]
    assert df["level_accuracy"].iloc[0] == 1.0  # the gold script tags Level-0 and uses < 256 tokens
    for f in (
        "medium-512.csv",
        "hard-1024.md",
        "score_regret.png",
        "position_accuracy.png",
        "token_lengths.png",
        "level_confusion.png",
    ):
        assert (tmp_path / "lb" / f).stat().st_size > 0
