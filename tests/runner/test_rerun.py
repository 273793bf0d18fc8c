"""A results file re-runs exactly its own run; one spec has one config hash everywhere; the CLI
says where it wrote and checks specs before any model loads."""

import json

import pytest

from osmckp_env.cli import EXIT_NOT_INSTALLED, main
from osmckp_env.results.io import read_records
from osmckp_env.runner.spec import AgentSpec, load_spec

GOLD_SPEC = "name: gold\nagent: direct\nbackend: scripted\nbackend_args: {reply: gold}\ncounter: qwen2.5\n"


def test_a_results_file_reruns_its_own_suite_count_and_folder(tmp_path, capsys):
    spec = tmp_path / "gold.yaml"
    spec.write_text(GOLD_SPEC)
    assert (
        main(["run", str(spec), "--suite", "hard-512", "--n-exams", "3", "--out", str(tmp_path / "runs"), "--quiet"])
        == 0
    )
    out = capsys.readouterr().out
    res_path = tmp_path / "runs" / "gold" / "hard-512-n3" / "results.json"
    assert str(res_path) in out and "Score 3.000" in out and "(trial)" in out
    first = json.loads(res_path.read_text())
    assert first["suite"]["trial"] is True and first["suite"]["n_exams"] == 3
    # delete one record: the re-run must resume that same run, not start a full medium-1024
    rec = res_path.parent / "records.jsonl"
    lines = rec.read_text().splitlines()
    rec.write_text("\n".join(lines[:-1]) + "\n")
    assert main(["run", str(res_path), "--quiet"]) == 0
    again = json.loads(res_path.read_text())
    assert again["suite"] == first["suite"] and again["config_hash"] == first["config_hash"]
    assert len(read_records(rec)[0]) == 6
    assert sorted(p.name for p in (tmp_path / "runs" / "gold").iterdir()) == ["hard-512-n3"]
    assert main(["run", str(res_path), "--suite", "medium-1024"]) == 2
    assert "re-runs exactly its own run" in capsys.readouterr().err


def test_a_suite_file_run_reruns_from_its_results(tmp_path, capsys):
    from osmckp_env.exam.suites import SuiteConfig, build_suite

    build_suite(SuiteConfig(n_problems=2, tiers=("easy", "hard"), order="hard", n_exams=3), name="duo").to_jsonl(
        tmp_path / "duo.jsonl"
    )
    spec = tmp_path / "gold.yaml"
    spec.write_text(GOLD_SPEC)
    assert (
        main(["run", str(spec), "--suite", str(tmp_path / "duo.jsonl"), "--out", str(tmp_path / "r"), "--quiet"]) == 0
    )
    res = tmp_path / "r" / "gold" / "duo" / "results.json"
    assert main(["run", str(res), "--quiet"]) == 0
    assert "Score 2.000" in capsys.readouterr().out


def test_api_key_env_is_a_name_not_a_secret_and_the_config_hash_is_one(tmp_path, grader, monkeypatch):
    from osmckp_env.exam.suites import get_suite
    from osmckp_env.leaderboard import build_leaderboard
    from osmckp_env.runner.run import run_suite

    spec = AgentSpec(
        name="keyed",
        agent="direct",
        backend="scripted",
        counter="qwen2.5",
        backend_args={
            "reply": "gold",
            "api_key_env": "MY_KEY",
            "max_tokens_hint": 5,
            "api_key": "sk-secret",
            "default_headers": {"Authorization": "Bearer x"},
        },
    )
    d = spec.to_dict()
    assert d["backend_args"]["api_key_env"] == "MY_KEY" and d["backend_args"]["max_tokens_hint"] == 5
    assert "sk-secret" not in json.dumps(d) and "Bearer x" not in json.dumps(d)
    pytest.importorskip("openai")
    from osmckp_env.testing.fake_openai_server import FakeOpenAIServer

    monkeypatch.setenv("MY_KEY", "sk-from-the-environment")
    with FakeOpenAIServer(lambda p, cap: "### Problem 1\n\\boxed{1}") as srv:
        plain = AgentSpec(
            name="keyed",
            agent="direct",
            backend="openai",
            model="m",
            counter="qwen2.5",
            backend_args={"base_url": srv.base_url, "api_key_env": "MY_KEY"},
        )
        res = run_suite(
            plain, get_suite("hard-512", n_exams=2), tmp_path / "runs" / "keyed", grader=grader, progress=False
        )
    header = json.loads((tmp_path / "runs" / "keyed" / "records.jsonl").read_text().splitlines()[0])
    reloaded = load_spec(tmp_path / "runs" / "keyed" / "results.json")
    board = build_leaderboard(tmp_path / "runs", tmp_path / "lb", plots=False)
    rows = board["settings"]["hard-512"]
    assert header["config_hash"] == res["config_hash"] == rows["config_hash"].iloc[0]
    assert reloaded.config_hash == plain.config_hash  # the same spec, re-read from the results file


def test_validate_finds_what_would_fail_at_run_time(tmp_path, capsys, monkeypatch):
    bad_agent = tmp_path / "a.yaml"
    bad_agent.write_text("name: a\nagent: no_such_pkg.mod:Agent\nbackend: scripted\n")
    assert main(["validate", str(bad_agent)]) == 1
    assert "no_such_pkg" in capsys.readouterr().out
    missing_ckpt = tmp_path / "c.yaml"
    missing_ckpt.write_text(f"name: c\nagent: mft\nbackend: transformers\nmodel: {tmp_path}/runs/mft\n")
    assert main(["validate", str(missing_ckpt)]) == 1
    assert "does not exist" in capsys.readouterr().out
    from osmckp_env import backends

    monkeypatch.setitem(backends.BACKEND_NEEDS, "openai", (("no_such_openai_module",), 'pip install "osmckp[openai]"'))
    extra = tmp_path / "o.yaml"
    extra.write_text("name: o\nagent: direct\nbackend: openai\nmodel: m\n")
    # a valid spec whose backend's extra is missing here: valid, with a warning and its own exit status
    assert main(["validate", str(extra)]) == EXIT_NOT_INSTALLED == 4
    out, err = capsys.readouterr()
    assert "valid spec 'o'" in out and 'pip install "osmckp[openai]"' in err and "WARNING" in err
    assert main(["run", str(extra), "--out", str(tmp_path / "runs"), "--quiet"]) == 2  # run cannot, and says why
    assert 'pip install "osmckp[openai]"' in capsys.readouterr().err and not (tmp_path / "runs").exists()
    for name in (".", "..", ".hidden"):
        bad = tmp_path / "n.yaml"
        bad.write_text(f"name: '{name}'\nagent: direct\nbackend: scripted\n")
        assert main(["validate", str(bad)]) == 2
        assert "may not start with '.'" in capsys.readouterr().err


def test_version(capsys):
    import osmckp_env

    with pytest.raises(SystemExit):
        main(["--version"])
    assert osmckp_env.__version__ in capsys.readouterr().out
