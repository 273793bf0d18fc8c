"""Faults and trust: flaky servers, secrets, budget overruns, bad CLI input."""

import json
import subprocess
import sys

import pytest

from osmckp_env.backends.scripted import ScriptedBackend
from osmckp_env.cli import main
from osmckp_env.exam.suites import get_suite
from osmckp_env.results.io import read_records
from osmckp_env.runner.run import run_suite
from osmckp_env.runner.spec import AgentSpec
from osmckp_env.testing.fake_openai_server import FakeOpenAIServer

SECRET = "sk-test-THIS-MUST-NOT-LEAK-123"


def _openai_spec(srv, **backend_args):
    pytest.importorskip("openai")
    return AgentSpec(
        name="api",
        agent="direct",
        backend="openai",
        model="m",
        counter="qwen2.5",
        batch_size=4,
        backend_args={
            "base_url": srv.base_url,
            "api_key": SECRET,
            "max_retries": 1,
            "timeout_s": 2,
            "backoff_s": 0.01,
            "concurrency": 2,
            **backend_args,
        },
    )


def test_flaky_server_gives_up_on_one_exam_and_completes_the_rest(tmp_path, grader):
    # every request of the first exam fails (2 tries each: the client's retry); later ones succeed
    with FakeOpenAIServer(lambda p, cap: "### Problem 1\n\\boxed{1}", faults=[500, 500]) as srv:
        spec = _openai_spec(srv, concurrency=1)
        res = run_suite(spec, get_suite("medium-512", n_exams=3), tmp_path, grader=grader, progress=False)
        records, _ = read_records(tmp_path / "records.jsonl")
        assert len(records) == 6 and res["backend_errors"] == 1
        failed = [r for r in records if r["error"]]
        assert len(failed) == 1 and ("500" in failed[0]["error"] or "Internal" in failed[0]["error"])
        # --retry-errors re-runs only that exam
        run_suite(spec, get_suite("medium-512", n_exams=3), tmp_path, grader=grader, progress=False, retry_errors=True)
        records, _ = read_records(tmp_path / "records.jsonl")
        assert len(records) == 6 and not any(r["error"] for r in records)
        assert srv.requests == 2 + 5 + 1


def test_no_secret_lands_anywhere(tmp_path, grader, capsys):
    with FakeOpenAIServer(lambda p, cap: "\\boxed{NA}", faults=[500, 500]) as srv:
        run_suite(
            _openai_spec(srv),
            get_suite("hard-512", n_exams=2),
            tmp_path / "runs" / "api" / "hard-512",
            grader=grader,
            progress=False,
        )
    from osmckp_env.leaderboard import build_leaderboard

    build_leaderboard(tmp_path / "runs", tmp_path / "lb", plots=False)
    captured = capsys.readouterr()
    assert SECRET not in captured.out + captured.err
    for f in tmp_path.rglob("*"):
        if f.is_file():
            assert SECRET.encode() not in f.read_bytes(), f


def test_backend_overrun_is_cut_and_recorded(grader):
    from osmckp_env.agents.prompting import DirectAgent
    from osmckp_env.grading.record import score_completions

    exams = get_suite("medium-512", n_exams=2).exams
    agent = DirectAgent(ScriptedBackend(lambda m, cap: "### Problem 1\n" + "word " * 2000 + "\\boxed{1}", overrun=True))
    outs = agent.solve(exams)
    recs = score_completions(exams, [o.text for o in outs], grader=grader)
    for r in recs:
        assert r["budget_overrun"] and r["truncated"] and r["completion_tokens"] == 512
        assert r["problems"][0]["status"] == "missing"  # the box after the budget never counts


@pytest.mark.parametrize(
    "argv,match",
    [
        (["run", "baselines/gold-oracle.yaml", "--suite", "medum-512"], "Did you mean"),
        (["run", "nope.yaml"], "does not exist"),
        (["validate", "tests/does-not-exist/results.json"], "not a readable results file"),
        (["suites", "--export", "hard-512", "--n-exams", "0"], "n_exams"),
    ],
)
def test_cli_errors_are_one_clear_line(argv, match, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err


def test_cli_spec_validation_message(tmp_path, capsys):
    (tmp_path / "s.yaml").write_text("name: x\nagent: direct\nbackend: transformers\n")
    assert main(["validate", str(tmp_path / "s.yaml")]) == 2
    assert "'model' is required" in capsys.readouterr().err


def test_second_run_on_same_folder_refuses(tmp_path):
    from osmckp_env.results.io import RecordWriter

    spec = tmp_path / "s.yaml"
    spec.write_text("name: gold\nagent: direct\nbackend: scripted\nbackend_args: {reply: gold}\ncounter: qwen2.5\n")
    folder = tmp_path / "runs" / "gold" / "easy-512-n2"
    with RecordWriter(folder, {"config_hash": "whatever"}):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "osmckp_env.cli",
                "run",
                str(spec),
                "--suite",
                "easy-512",
                "--n-exams",
                "2",
                "--out",
                str(tmp_path / "runs"),
                "--quiet",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 2 and "being written by another run" in proc.stderr


def test_foreign_config_refused_then_overwrite(tmp_path, grader):
    spec = AgentSpec(name="g", agent="direct", backend="scripted", backend_args={"reply": "gold"}, counter="qwen2.5")
    suite = get_suite("easy-512", n_exams=2)
    run_suite(spec, suite, tmp_path, grader=grader, progress=False)
    other = AgentSpec(
        name="g", agent="direct", backend="scripted", backend_args={"reply": "skip-all"}, counter="qwen2.5"
    )
    from osmckp_env.results.io import ConfigMismatch

    with pytest.raises(ConfigMismatch):
        run_suite(other, suite, tmp_path, grader=grader, progress=False)
    res = run_suite(other, suite, tmp_path, grader=grader, progress=False, overwrite=True)
    assert res["metrics"]["score"] == 0.0
    assert json.loads((tmp_path / "results.json").read_text())["config_hash"] == res["config_hash"]
