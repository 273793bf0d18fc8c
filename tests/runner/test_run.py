import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import long_solver_wrong_on_aime

from osmckp_env.exam.suites import get_suite
from osmckp_env.results.io import read_records
from osmckp_env.runner.run import run_spec, run_suite
from osmckp_env.runner.spec import AgentSpec
from osmckp_env.runner.validate import validate_results

GOLD = AgentSpec(
    name="gold", agent="direct", backend="scripted", backend_args={"reply": "gold"}, counter="qwen2.5", batch_size=4
)


def test_run_writes_records_and_results(tmp_path, grader):
    suite = get_suite("medium-512", n_exams=6)
    res = run_suite(GOLD, suite, tmp_path, grader=grader, progress=False)
    assert res["metrics"]["score"] == 3.0 and res["metrics"]["regret"] == 0.0
    assert res["suite"]["hash"] == suite.hash and res["tokenizer"] == "qwen2.5"
    assert res["config_hash"] and res["osmckp_version"] and res["date"]
    records, _ = read_records(tmp_path / "records.jsonl")
    assert sorted(r["key"] for r in records) == sorted(
        [f"medium:{i}" for i in range(6)] + [f"easy:{i}" for i in range(6)]
    )
    assert validate_results(tmp_path / "results.json", grader=grader) == []


def test_tampered_results_fail_validation(tmp_path, grader):
    run_suite(GOLD, get_suite("hard-512", n_exams=3), tmp_path, grader=grader, progress=False)
    p = tmp_path / "results.json"
    d = json.loads(p.read_text())
    d["metrics"]["score"] = 2.5
    p.write_text(json.dumps(d))
    assert any("metric score" in i for i in validate_results(p, grader=grader))
    lines = (tmp_path / "records.jsonl").read_text().splitlines()
    r = json.loads(lines[1])
    r["completion"] = "### Problem 1\n\\boxed{wrong}"
    lines[1] = json.dumps(r)
    (tmp_path / "records.jsonl").write_text("\n".join(lines) + "\n")
    assert any("re-scoring" in i for i in validate_results(p, grader=grader))


def test_results_of_an_older_suite_version_are_named_as_such(tmp_path, grader):
    run_suite(GOLD, get_suite("medium-512", n_exams=3), tmp_path, grader=grader, progress=False)
    p = tmp_path / "results.json"
    d = json.loads(p.read_text())
    del d["suite"]["config"]["version"]  # as written before suites had a version
    p.write_text(json.dumps(d))
    issues = validate_results(p, grader=grader)
    assert len(issues) == 1 and "suite version 1" in issues[0] and "re-run" in issues[0]
    assert "hash" not in issues[0].split("(")[0]


def test_resume_does_not_rerun(tmp_path, grader):
    suite = get_suite("medium-512", n_exams=8)
    assert run_suite(GOLD, suite, tmp_path, grader=grader, progress=False, max_batches=2) == {}
    calls = []

    class Counting:
        name = "counting"

        def reset(self, seed=None):
            pass

        def solve(self, exams):
            from osmckp_env.agents.prompting import DirectAgent
            from osmckp_env.backends.scripted import ScriptedBackend

            calls.extend(e.index for e in exams)
            return DirectAgent(ScriptedBackend("gold")).solve(exams)

    res = run_suite(GOLD, suite, tmp_path, agent=Counting(), grader=grader, progress=False)
    assert len(calls) == 16 - 8 and res["metrics"]["n_exams"] == 8


def test_a_resume_says_how_many_exams_are_new_and_a_finished_run_says_it_is_complete(tmp_path, grader, capsys):
    suite = get_suite("medium-512", n_exams=8)  # 16 records: 8 exams, given and easy order
    run_suite(GOLD, suite, tmp_path, grader=grader, progress=False, max_batches=3)  # 3 batches of 4
    assert "resuming" not in capsys.readouterr().out  # a fresh run has nothing to resume
    run_suite(GOLD, suite, tmp_path, grader=grader, progress=False)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("[osmckp]")]
    assert lines == [f"[osmckp] {tmp_path}: resuming: 12 of 16 exam records done, 4 new to run"]
    run_suite(GOLD, suite, tmp_path, grader=grader, progress=False)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("[osmckp]")]
    assert lines == [f"[osmckp] {tmp_path}: already complete (16 exam records); nothing new to run"]


SLOW_AGENT = """
import time
from osmckp_env.agents.prompting import DirectAgent
from osmckp_env.backends.scripted import ScriptedBackend

class SlowGold:
    name = "slow-gold"
    def __init__(self, backend, **kw):
        self.inner = DirectAgent(ScriptedBackend("gold"))
    def reset(self, seed=None):
        pass
    def solve(self, exams):
        time.sleep(0.15)
        return self.inner.solve(exams)
"""


@pytest.mark.slow
def test_kill_minus_nine_then_resume_equals_clean_run(tmp_path, grader):
    (tmp_path / "slow_agent.py").write_text(SLOW_AGENT)
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: slow\nagent: slow_agent:SlowGold\nbackend: scripted\ncounter: qwen2.5\nbatch_size: 2\n")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    cmd = [
        sys.executable,
        "-m",
        "osmckp_env.cli",
        "run",
        str(spec),
        "--suite",
        "medium-512",
        "--n-exams",
        "12",
        "--out",
        str(tmp_path / "runs"),
        "--quiet",
    ]
    rec_file = tmp_path / "runs" / "slow" / "medium-512-n12" / "records.jsonl"
    # kill points: after N records (mid-run), and after seeded random delays (any phase: start-up,
    # agent, grading, fsync)
    rng = random.Random(1234)
    kill_points = [("records", 3), ("delay", rng.uniform(0.3, 2.5)), ("records", 11), ("delay", rng.uniform(0.3, 2.5))]
    for kind, at in kill_points:
        proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        start, deadline = time.time(), time.time() + 60
        while time.time() < deadline and proc.poll() is None:
            n = len(read_records(rec_file)[0]) if rec_file.exists() else 0
            if (kind == "records" and n >= at) or (kind == "delay" and time.time() - start >= at):
                break
            time.sleep(0.01)
        with contextlib.suppress(ProcessLookupError):  # the run may have ended on its own first
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    records, report = read_records(rec_file)
    keys = [r["key"] for r in records]
    assert len(keys) == len(set(keys)) == 24 and report["bad_lines"] == 0
    clean = run_spec(
        AgentSpec(name="slow", agent="direct", backend="scripted", backend_args={"reply": "gold"}, counter="qwen2.5"),
        ["medium-512"],
        tmp_path / "clean",
        n_exams=12,
        progress=False,
    )[0]
    resumed = json.loads((rec_file.parent / "results.json").read_text())
    assert resumed["metrics"] == clean["metrics"]
    by_key = {r["key"]: r["score"] for r in records}
    clean_recs, _ = read_records(Path(tmp_path / "clean" / "slow" / "medium-512-n12" / "records.jsonl"))
    assert by_key == {r["key"]: r["score"] for r in clean_recs}


def test_replay_rescores_a_past_run_without_a_model(tmp_path, grader):
    suite = get_suite("hard-512", n_exams=4)
    first = run_suite(GOLD, suite, tmp_path / "a", grader=grader, progress=False)
    replay = AgentSpec(name="replayed", agent="direct", backend="replay", model=str(tmp_path / "a"), counter="qwen2.5")
    again = run_suite(replay, suite, tmp_path / "b", grader=grader, progress=False)
    assert again["metrics"] == first["metrics"]
    a, _ = read_records(tmp_path / "a" / "records.jsonl")
    b, _ = read_records(tmp_path / "b" / "records.jsonl")
    assert [r["completion"] for r in a] == [r["completion"] for r in b]


def test_results_file_alone_reruns_and_custom_suite_file(tmp_path):
    from osmckp_env.cli import main
    from osmckp_env.exam.suites import SuiteConfig, build_suite

    suite = build_suite(SuiteConfig(n_problems=5, budget=2048, n_exams=3, order="hard"), name="five-2048")
    suite.to_jsonl(tmp_path / "five.jsonl")
    spec = tmp_path / "s.yaml"
    spec.write_text("name: g\nagent: direct\nbackend: scripted\nbackend_args: {reply: gold}\ncounter: qwen2.5\n")
    assert (
        main(["run", str(spec), "--suite", str(tmp_path / "five.jsonl"), "--out", str(tmp_path / "a"), "--quiet"]) == 0
    )
    res_path = tmp_path / "a" / "g" / "five-2048" / "results.json"
    res = json.loads(res_path.read_text())
    assert res["metrics"]["score"] == 5.0 and res["suite"]["hash"] == suite.hash
    (res_path.parent / "records.jsonl").unlink()  # lost: the results file alone re-runs it, in place
    assert main(["run", str(res_path), "--quiet"]) == 0
    again = json.loads(res_path.read_text())
    assert again["config_hash"] == res["config_hash"] and again["metrics"] == res["metrics"]
    assert again["suite"]["hash"] == suite.hash


def test_transformers_spec_through_the_runner(tmp_path, tiny_checkpoint, grader):
    spec = AgentSpec(
        name="tiny",
        agent="mft",
        backend="transformers",
        model=str(tiny_checkpoint),
        backend_args={"device": "cpu", "batch_size": 4},
        batch_size=4,
    )
    res = run_suite(spec, get_suite("easy-512", n_exams=2), tmp_path, grader=grader, progress=False)
    assert res["tokenizer"] == str(tiny_checkpoint) and res["metrics"]["n_exams"] == 2
    records, _ = read_records(tmp_path / "records.jsonl")
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_checkpoint)
    for r in records:  # counted by the model's own tokenizer, independently of the env's counter
        n = len(tok(r["completion"], add_special_tokens=False)["input_ids"])
        assert r["completion_tokens"] == min(n, 512) and r["truncated"] == (n > 512)
    assert validate_results(tmp_path / "results.json", grader=grader) == []


def test_order_changes_the_score_and_regret_is_measured(tmp_path, grader):
    from osmckp_env.agents import make_agent
    from osmckp_env.backends.scripted import ScriptedBackend

    spec = AgentSpec(name="long", agent="direct", backend="scripted", counter="qwen2.5")
    agent = make_agent("direct", ScriptedBackend(long_solver_wrong_on_aime))
    res = run_suite(spec, get_suite("hard-512", n_exams=5), tmp_path, agent=agent, grader=grader, progress=False)
    m = res["metrics"]
    # easy order: GSM8K and MATH answered right, AIME cut -> 2; hard order: AIME wrong, GSM8K right, MATH cut -> 1
    assert m["score_easy"] == 2.0 and m["score"] == 1.0
    assert m["regret"] == pytest.approx(0.5)
    assert m["unreached_rate"] == 0.0 and m["missing_rate"] == pytest.approx(1 / 3)
    assert validate_results(tmp_path / "results.json", grader=grader) == []


def test_a_spec_whose_backend_cannot_be_built_leaves_nothing_behind(tmp_path):
    from osmckp_env.runner.run import run_spec

    bad = AgentSpec(name="x", agent="direct", backend="scripted", backend_args={"reply": "no-such-script"})
    with pytest.raises(ValueError, match="no-such-script"):  # refused by the checks `validate` makes
        run_spec(bad, ["medium-512"], tmp_path, n_exams=1, progress=False)
    assert not (tmp_path / "x").exists()
    good = AgentSpec(name="x", agent="direct", backend="scripted", backend_args={"reply": "skip-all"})
    (res,) = run_spec(good, ["medium-512"], tmp_path, n_exams=1, progress=False)
    assert res["metrics"]["n_exams"] == 1  # the corrected spec is not refused by a leftover header


def test_a_run_refused_before_its_first_record_leaves_no_folder(tmp_path, grader):
    spec = AgentSpec(name="x", agent="direct", backend="scripted", backend_args={"reply": "gold"})
    out = tmp_path / "out"

    def no_gpu():
        raise RuntimeError("no GPU here")

    class FailsAtOnce:
        name = "fails"

        def reset(self, seed=None):
            pass

        def solve(self, exams):
            raise RuntimeError("CUDA out of memory")

    one = get_suite("medium-512", n_exams=1)
    for how in ({"agent_factory": no_gpu}, {"agent": FailsAtOnce()}):
        with pytest.raises(RuntimeError):
            run_suite(spec, one, out / "x" / "medium-512", grader=grader, progress=False, **how)
        assert not out.exists()  # neither OUT/x/medium-512 nor OUT/x nor OUT
    # folders that held records before are kept: a sibling run's, and a resumed run's own
    run_suite(spec, get_suite("hard-512", n_exams=2), out / "x" / "hard-512", grader=grader, progress=False)
    with pytest.raises(RuntimeError):
        run_suite(spec, one, out / "x" / "medium-512", grader=grader, progress=False, agent_factory=no_gpu)
    assert sorted(p.name for p in (out / "x").iterdir()) == ["hard-512"]
    rec = out / "x" / "hard-512" / "records.jsonl"
    rec.write_text("\n".join(rec.read_text().splitlines()[:-1]) + "\n")  # one record short: a resume
    with pytest.raises(RuntimeError):
        run_suite(
            spec, get_suite("hard-512", n_exams=2), rec.parent, grader=grader, progress=False, agent_factory=no_gpu
        )
    assert len(read_records(rec)[0]) == 3 and (rec.parent / "results.json").is_file()
