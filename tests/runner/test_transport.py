"""Transport settings (where the server is, how long to wait) are recorded but are not the run's
identity: a half-finished run resumes against a server that moved; what changes numbers still
refuses."""

import json

import pytest

from osmckp_env.exam.suites import get_suite
from osmckp_env.results.io import ConfigMismatch, read_records
from osmckp_env.runner.run import run_config, run_suite
from osmckp_env.runner.spec import AgentSpec
from osmckp_env.testing.fake_openai_server import FakeOpenAIServer

pytest.importorskip("openai")


def _spec(base_url, **kw):
    args = {"base_url": base_url, "api_key": "sk-test", "timeout_s": 5, "max_retries": 1, "concurrency": 2, **kw}
    return AgentSpec(name="api", agent="direct", backend="openai", model="m", backend_args=args, batch_size=2,
                     counter="qwen2.5")  # fmt: skip


def test_the_hash_covers_what_changes_numbers_not_transport():
    suite = get_suite("hard-512", n_exams=2)
    a = run_config(_spec("http://127.0.0.1:1/v1"), suite)["config_hash"]
    b = run_config(_spec("http://10.0.0.2:9000/v1", timeout_s=60, concurrency=32, api_key_env="K"), suite)
    assert a == b["config_hash"]
    assert run_config(_spec("http://127.0.0.1:1/v1", extra_body={"top_k": 5}), suite)["config_hash"] != a
    assert _spec("x").config_hash == _spec("y", max_retries=9).config_hash


def test_a_run_resumes_against_a_server_that_moved(tmp_path, grader):
    suite = get_suite("hard-512", n_exams=4)
    out = tmp_path / "run"
    with FakeOpenAIServer(lambda p, cap: "\\boxed{NA}") as first:
        assert run_suite(_spec(first.base_url), suite, out, grader=grader, progress=False, max_batches=1) == {}
        sent_before = first.requests
    with FakeOpenAIServer(lambda p, cap: "\\boxed{NA}") as moved:
        res = run_suite(_spec(moved.base_url), suite, out, grader=grader, progress=False)
        assert moved.requests == 2 * len(suite) - sent_before  # only what was left
    assert res["spec"]["backend_args"]["base_url"] == moved.base_url  # recorded, not hashed
    records, _ = read_records(out / "records.jsonl")
    assert len(records) == 8 and len({r["config_hash"] for r in records}) == 1
    with pytest.raises(ConfigMismatch):
        run_suite(_spec(moved.base_url, extra_body={"top_k": 5}), suite, out, grader=grader, progress=False)


def test_a_run_written_under_the_old_hash_rule_still_resumes(tmp_path, grader):
    suite = get_suite("hard-512", n_exams=4)
    out = tmp_path / "run"
    with FakeOpenAIServer() as srv:
        spec = _spec(srv.base_url)
        run_suite(spec, suite, out, grader=grader, progress=False, max_batches=1)
        cfg = run_config(spec, suite)
        path = out / "records.jsonl"
        lines = [json.loads(x) for x in path.read_text().splitlines()]
        old = cfg["legacy_config_hash"]  # what 0.3 wrote: the hash covered base_url
        for d in lines:
            d["config_hash"] = old
        path.write_text("".join(json.dumps(d) + "\n" for d in lines))
        res = run_suite(spec, suite, out, grader=grader, progress=False)
    assert res["metrics"]["n_exams"] == 4 and res["config_hash"] == cfg["config_hash"] != old
    records, _ = read_records(path)
    assert len(records) == 8 and {r["config_hash"] for r in records} == {cfg["config_hash"]}
