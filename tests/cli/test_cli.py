"""The command line as a new user meets it: defaults in --help, one line on Ctrl-C, clear errors
for missing folders and files, and names that do not collide."""

import json

import pytest

from osmckp_env.cli import main


@pytest.mark.parametrize(
    "argv,shown",
    [
        (["sim", "train-ppo", "--help"], ["(default: 150000)", "(default: synthetic-v0)", "ppo-<profile>-seed<seed>"]),
        (["leaderboard", "--help"], ["(default: runs)", "(default: runs/leaderboards)"]),
        (["train", "mft-data", "--help"], ["(default: 4)", "(default: runs/mft-data)"]),
        (["bench", "--help"], ["(default: 256 512 1024 2048)", "(default: runs/leaderboards)"]),
        (["sim", "leaderboard", "--help"], ["(default: 256 512 1024 2048)"]),
        (["run", "--help"], ["--n-exams"]),
        (["validate", "--help"], ["4 a valid spec whose backend's extra is not installed on this machine"]),
    ],
)
def test_help_shows_the_defaults(argv, shown, capsys):
    with pytest.raises(SystemExit):
        main(argv)
    text = " ".join(capsys.readouterr().out.split())
    for s in shown:
        assert s in text
    assert "(default: None)" not in text


def test_sim_help_describes_what_it_runs(capsys):
    with pytest.raises(SystemExit):
        main(["sim", "--help"])
    assert "512/1024" not in capsys.readouterr().out


def test_ctrl_c_ends_with_one_line_saying_how_to_resume(monkeypatch, capsys):
    from osmckp_env import cli

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "run_spec", interrupted)
    assert main(["run", "baselines/skip-all.yaml", "--suite", "hard-512", "--n-exams", "2", "--quiet"]) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "interrupted" in err[0] and "run the same command again to resume" in err[0]


def test_a_missing_runs_folder_is_an_error(tmp_path, capsys):
    assert main(["leaderboard", "--runs", str(tmp_path / "nope"), "--out", str(tmp_path / "lb")]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert not (tmp_path / "lb").exists()


def test_calibrate_on_a_missing_file_says_so(tmp_path, capsys):
    assert main(["sim", "calibrate", str(tmp_path / "records.jsonl")]) == 2
    assert "no such records file" in capsys.readouterr().err


def test_calibrated_profiles_are_named_after_agent_and_suite(tmp_path, grader):
    from osmckp_env.exam.suites import get_suite
    from osmckp_env.runner.run import run_suite
    from osmckp_env.runner.spec import AgentSpec
    from osmckp_env.sim.calibrate import calibrate_file

    names = set()
    for agent in ("alpha", "beta"):
        spec = AgentSpec(name=agent, agent="mft", backend="scripted", backend_args={"reply": "gold"})
        out = tmp_path / "runs" / agent / "medium-512"
        run_suite(spec, get_suite("medium-512", n_exams=3), out, grader=grader, progress=False)
        names.add(calibrate_file(out).name)
    assert names == {"calibrated-alpha-medium-512", "calibrated-beta-medium-512"}


def test_bytes_for_an_action_get_a_hint_that_works():
    import gymnasium as gym

    import osmckp_env  # noqa: F401

    env = gym.make("OSMCKP-v0", suite="medium-512", n_exams=1)
    env.reset(seed=0)
    raw = b"\\boxed{1} \xff"
    with pytest.raises(TypeError, match="errors='replace'") as e:
        env.step(raw)
    hint = str(e.value).split("decode bytes with ")[1].split(":")[0]
    assert eval("raw" + hint)  # the suggested call decodes bytes that are not UTF-8


def test_build_suite_is_importable_from_the_exam_package():
    from osmckp_env.exam import SuiteConfig, build_suite

    assert len(build_suite(SuiteConfig(n_exams=2))) == 2


def test_a_trained_ppo_is_named_after_its_profile_and_joins_the_sim_leaderboard(tmp_path, monkeypatch, capsys):
    pytest.importorskip("stable_baselines3")
    monkeypatch.chdir(tmp_path)
    assert main(["sim", "train-ppo", "--timesteps", "512", "--seed", "3", "--quiet"]) == 0
    model = tmp_path / "runs" / "ppo" / "ppo-synthetic-v0-seed3.zip"
    assert model.is_file() and "--ppo" in capsys.readouterr().out
    argv = ["sim", "leaderboard", "--ppo", str(model), "--n-exams", "3", "--budgets", "512", "--quiet"]
    assert main(argv) == 0
    out = tmp_path / "runs" / "leaderboards" / "sim" / "quick-look-with-ppo-synthetic-v0-seed3-n3-b512"
    doc = json.loads((out / "results.json").read_text())
    assert "ppo-synthetic-v0-seed3" in {row["policy"] for row in doc["tables"]["hard-512"]}
    assert main(["sim", "leaderboard", "--ppo", str(tmp_path / "missing.zip"), "--quiet"]) == 2
    assert "train one with" in capsys.readouterr().err


@pytest.mark.parametrize(
    "body,bad",
    [
        ("backend: openai\nmodel: m\nbackend_args: {concurrency: lots}\n", "concurrency must be a positive int"),
        ("backend: scripted\nbackend_args: {reply: gld}\n", "unknown script 'gld'"),
    ],
)
def test_validate_refuses_what_run_refuses_and_the_refused_run_leaves_no_folder(tmp_path, capsys, body, bad):
    spec = tmp_path / "s.yaml"
    spec.write_text(f"name: s\nagent: direct\n{body}")
    assert main(["validate", str(spec)]) == 1
    assert bad in capsys.readouterr().out
    runs = tmp_path / "runs"
    assert main(["run", str(spec), "--suite", "hard-512", "--n-exams", "1", "--out", str(runs), "--quiet"]) == 2
    assert bad in capsys.readouterr().err
    assert not runs.exists()


BINARY = bytes(range(128, 256)) * 2  # not UTF-8: what a user gets by pointing at the wrong file


@pytest.mark.parametrize(
    "argv,name,content",
    [
        (["validate", "{f}"], "spec.yaml", BINARY),
        (["run", "{f}", "--suite", "hard-512", "--n-exams", "1"], "spec.yaml", BINARY),
        (["run", "baselines/skip-all.yaml", "--suite", "{f}", "--n-exams", "1"], "suite.jsonl", b"garbage\n"),
        (["run", "baselines/skip-all.yaml", "--suite", "{f}", "--n-exams", "1"], "suite.jsonl", BINARY),
        (["run", "baselines/skip-all.yaml", "--suite", "{f}", "--n-exams", "1"], "suite.jsonl", b'{"a": 1}\n'),
        (["run", "baselines/skip-all.yaml", "--suite", "{f}", "--n-exams", "1"], "suite.jsonl", None),
        (["sim", "leaderboard", "--profile", "{f}", "--n-exams", "1", "--budgets", "512"], "p.json", BINARY),
        (["train", "mft-data", "--config", "{f}"], "c.yaml", BINARY),
        (["validate", "{f}"], "results.json", BINARY),
        (["leaderboard", "--runs", ".", "--reported", "{f}", "--no-plots"], "reported.yaml", BINARY),
    ],
    ids=[
        "binary-spec-validate",
        "binary-spec-run",
        "suite-not-json",
        "binary-suite",
        "suite-without-header",
        "missing-suite",
        "binary-profile",
        "binary-train-config",
        "binary-results",
        "binary-reported",
    ],
)
def test_an_unreadable_input_file_is_named_in_the_error(tmp_path, capsys, argv, name, content):
    f = tmp_path / name
    if content is not None:
        f.write_bytes(content)
    out = tmp_path / "out"
    argv = [a.replace("{f}", str(f)) for a in argv]
    if argv[0] in ("run", "sim", "leaderboard"):
        argv += ["--out", str(out)] + (["--quiet"] if argv[0] != "leaderboard" else [])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert str(f) in err, err
    assert "codec" not in err and "Errno" not in err and "Expecting value: line 1 column 1" not in err
    assert "give " in err  # and what to give instead
    assert not out.exists()


def test_budgets_0_is_the_suites_own_budget_in_every_command(tmp_path, capsys):
    runs = tmp_path / "runs"
    argv = ["run", "baselines/skip-all.yaml", "--suite", "hard-512", "--n-exams", "1", "--quiet", "--out", str(runs)]
    assert main([*argv, "--budgets", "0"]) == 0
    assert sorted(p.name for p in (runs / "skip-all").iterdir()) == ["hard-512-n1"]
    assert main([*argv, "--budgets", "0", "2048"]) == 0
    assert sorted(p.name for p in (runs / "skip-all").iterdir()) == ["hard-2048-n1", "hard-512-n1"]
    sim = tmp_path / "sim"
    argv = ["sim", "leaderboard", "--n-exams", "1", "--quiet", "--out", str(sim), "--budgets", "0", "2048"]
    assert main(argv) == 0
    doc = json.loads((sim / "results.json").read_text())
    assert set(doc["tables"]) == {"medium-512", "medium-1024", "hard-512", "hard-1024", "medium-2048", "hard-2048"}
    for cmd in (["run", "baselines/skip-all.yaml"], ["sim", "leaderboard"], ["bench"]):
        with pytest.raises(SystemExit):
            main([*cmd, "--help"])
        assert "0 stands for" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("cmd", [["sim", "leaderboard"], ["bench"], ["run", "baselines/skip-all.yaml"]])
def test_a_negative_budget_is_refused_and_leaves_no_folder(tmp_path, capsys, cmd):
    out = tmp_path / "out"
    assert main([*cmd, "--budgets", "-1", "--n-exams", "1", "--quiet", "--out", str(out)]) == 2
    assert "--budgets -1" in capsys.readouterr().err
    assert not out.exists()


def _unreachable_spec(tmp_path):
    """An openai spec whose server is not there (port 9, discard: refused at once), credentials in its URL."""
    spec = tmp_path / "down.yaml"
    spec.write_text(
        "name: down\nagent: direct\nbackend: openai\nmodel: m\nbackend_args: {base_url: "
        '"http://someone:hunter2@127.0.0.1:9/v1", api_key: sk-secret, max_retries: 0, timeout_s: 2}\n'
    )
    return spec


def test_a_run_whose_every_backend_call_failed_prints_no_score(tmp_path, capsys):
    pytest.importorskip("openai")
    argv = ["run", str(_unreachable_spec(tmp_path)), "--suite", "hard-512", "--n-exams", "1", "--quiet"]
    assert main([*argv, "--out", str(tmp_path / "runs")]) == 3
    out, err = capsys.readouterr()
    assert "Score nan" not in out and "nan" not in out and "no Score" in out
    assert "every backend call failed" in out
    assert "the Score above" not in err and "2 of 2 exam records failed" in err


def test_the_first_backend_error_names_the_server_without_its_credentials(tmp_path, capsys):
    pytest.importorskip("openai")
    argv = ["run", str(_unreachable_spec(tmp_path)), "--suite", "hard-512", "--n-exams", "1", "--quiet"]
    assert main([*argv, "--out", str(tmp_path / "runs")]) == 3
    first = capsys.readouterr().err.split("First error: ")[1].splitlines()[0]
    assert "http://127.0.0.1:9/v1" in first
    assert "hunter2" not in first and "someone" not in first and "sk-secret" not in first


def test_the_sim_leaderboard_names_its_best_policy_against_the_oracle(tmp_path, capsys):
    out = tmp_path / "sim"
    assert main(["sim", "leaderboard", "--n-exams", "2", "--budgets", "512", "--quiet", "--out", str(out)]) == 0
    lines = {ln.split(":")[0]: ln for ln in capsys.readouterr().out.splitlines() if ln.startswith(("medium", "hard"))}
    doc = json.loads((out / "results.json").read_text())
    for setting, rows in doc["tables"].items():
        policies = [r for r in rows if r["policy"] != "oracle"]
        best = max(policies, key=lambda r: r["expected_score"])
        oracle = next(r for r in rows if r["policy"] == "oracle")["expected_score"]
        line = lines[setting]
        tied = [r["policy"] for r in policies if r["expected_score"] == best["expected_score"]]
        assert "best oracle" not in line and any(f"best policy {p}:" in line for p in tied)
        assert f"{best['expected_score']:.3f}" in line and f"{oracle:.3f}" in line
        assert "the most any policy can score" in line


def _subcommands(parser, path=()):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield (*path, name), child
                yield from _subcommands(child, (*path, name))


def test_every_subcommand_help_opens_with_a_description(capsys):
    from osmckp_env.cli import build_parser

    commands = list(_subcommands(build_parser()))
    assert len(commands) > 10
    for path, _ in commands:
        with pytest.raises(SystemExit):
            main([*path, "--help"])
        text = capsys.readouterr().out
        # the paragraph between the usage and the first argument section
        head = text.split("\n\n")[1]
        assert not head.startswith(("options:", "positional arguments:")), f"osmckp {' '.join(path)} --help: {text}"


def test_a_required_training_field_is_not_shown_as_a_default(capsys):
    with pytest.raises(SystemExit):
        main(["train", "mft-data", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: required)" not in text
    assert "--spec SPEC agent spec file" in text and "(required: give it here or in --config)" in text


def test_no_command_rewrites_the_committed_leaderboards_unless_asked(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    committed = tmp_path / "leaderboards"
    (committed / "sim").mkdir(parents=True)
    (committed / "sim" / "results.json").write_text('{"committed": true}')
    (committed / "README.md").write_text("committed")
    quick = ["--n-exams", "1", "--budgets", "512", "--quiet"]
    assert main(["bench", *quick]) == 0
    assert "--out leaderboards" in capsys.readouterr().out  # says how to refresh the committed copy
    assert main(["sim", "leaderboard", *quick]) == 0
    assert main(["leaderboard", "--no-plots"]) == 0
    files = sorted(str(p.relative_to(committed)) for p in committed.rglob("*"))
    assert files == ["README.md", "sim", "sim/results.json"]
    assert (committed / "README.md").read_text() == "committed"
    assert (committed / "sim" / "results.json").read_text() == '{"committed": true}'
    made = tmp_path / "runs" / "leaderboards"
    assert (made / "README.md").is_file() and (made / "sim" / "quick-look-n1-b512" / "results.json").is_file()
    # asked: the committed copy is refreshed
    assert main(["bench", *quick, "--out", "leaderboards"]) == 0
    assert (committed / "sim" / "quick-look-n1-b512" / "results.json").is_file()
