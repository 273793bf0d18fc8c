"""`osmckp compare` refuses incomplete runs (naming what is missing) and warns on a self-comparison."""

import json

from conftest import long_solver_wrong_on_aime

from osmckp_env.agents import make_agent
from osmckp_env.backends.scripted import ScriptedBackend, gold_reply
from osmckp_env.cli import main
from osmckp_env.exam.suites import get_suite
from osmckp_env.runner.compare import compare_results, missing_records
from osmckp_env.runner.run import run_suite
from osmckp_env.runner.spec import AgentSpec
from osmckp_env.scoring.stats import IntervalConfig


def _run(tmp_path, name, reply, grader, n=6):
    spec = AgentSpec(name=name, agent="direct", backend="scripted", counter="qwen2.5")
    out = tmp_path / name / "hard-512"
    run_suite(spec, get_suite("hard-512", n_exams=n), out, agent=make_agent("direct", ScriptedBackend(reply)),
              grader=grader, progress=False)  # fmt: skip
    return out / "results.json"


def _drop_line(results_path, key):
    path = results_path.parent / "records.jsonl"
    lines = path.read_text().splitlines()
    kept = [ln for ln in lines if json.loads(ln).get("key") != key]
    assert len(kept) == len(lines) - 1
    path.write_text("\n".join(kept) + "\n")


def test_an_incomplete_run_is_refused_naming_what_is_missing(tmp_path, grader, capsys):
    a = _run(tmp_path, "gold", gold_reply, grader)
    b = _run(tmp_path, "long", long_solver_wrong_on_aime, grader)
    assert compare_results(a, b, IntervalConfig(resamples=200))["regret"]  # complete: both metrics
    _drop_line(b, "easy:3")  # the ΔRegret line used to vanish silently
    assert main(["compare", str(a), str(b), "--resamples", "200"]) == 2
    err = capsys.readouterr().err
    assert "not a complete run" in err and "easy:3" in err and "--retry-errors" in err
    _drop_line(a, "hard:0")
    assert main(["compare", str(a), str(b)]) == 2
    assert "hard:0" in capsys.readouterr().err


def test_missing_records_counts_failed_calls_and_every_sample():
    res = {"suite": {"order": "medium", "n_exams": 2}, "metrics": {"n_samples": 2}}
    recs = [{"key": f"{o}:{i}:{j}"} for o in ("medium", "easy") for i in range(2) for j in range(2)]
    assert missing_records(res, recs) == []
    recs[0]["error"] = "connection refused"
    assert missing_records(res, recs) == ["medium:0:0"]
    assert missing_records(res, recs[2:]) == ["medium:0:0", "medium:0:1"]


def test_comparing_a_run_with_itself_warns(tmp_path, grader, capsys):
    a = _run(tmp_path, "gold", gold_reply, grader)
    assert main(["compare", str(a), str(a.parent), "--resamples", "200"]) == 0
    assert "compared with itself" in capsys.readouterr().err
    copy = tmp_path / "copy"
    copy.mkdir()
    for f in a.parent.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    assert compare_results(a, copy / "results.json", IntervalConfig(resamples=200))["warnings"]
