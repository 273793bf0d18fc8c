"""Each distinct generation is paid for once: Medium and Hard share their easy order (the same
problem triples), within one `osmckp run` and across runs into the same --out root; the records
and metrics are those of generating everything; sampled runs are never reused."""

import json
from dataclasses import replace

import pytest

from osmckp_env.exam.suites import Suite, get_suite
from osmckp_env.runner.run import run_spec
from osmckp_env.runner.spec import AgentSpec
from osmckp_env.runner.validate import validate_results
from osmckp_env.testing.fake_openai_server import FakeOpenAIServer

pytest.importorskip("openai")

RUN_FIELDS = {"shared_from", "timings", "key", "suite", "suite_hash", "config_hash", "calls"}


def reply(prompt, cap):
    # a deterministic reply that depends on the prompt (so a wrong reuse would show)
    return f"### Problem 1\n\\boxed{{{len(prompt) % 7}}}\n### Problem 2\n\\boxed{{NA}}\n### Problem 3\n\\boxed{{3}}\n"


def _spec(srv, **kw):
    return AgentSpec(name="api", agent="direct", backend="openai", model="m", counter="qwen2.5", batch_size=16,
                     backend_args={"base_url": srv.base_url, "api_key": "sk-test", "max_retries": 1}, **kw)  # fmt: skip


def _records(res):
    path = res["_path"].replace("results.json", "records.jsonl")
    lines = [json.loads(x) for x in open(path).read().splitlines()[1:]]
    return {(r["order"], r["exam_index"]): {k: v for k, v in r.items() if k not in RUN_FIELDS} for r in lines}


def test_one_invocation_sends_each_easy_order_exam_once_with_the_same_numbers(tmp_path, grader):
    with FakeOpenAIServer(reply) as srv:
        shared = run_spec(_spec(srv), ["medium-512", "hard-512"], tmp_path / "shared", n_exams=50, progress=False)
        assert srv.requests == 150  # 50 Medium + 50 Hard + 50 easy, not 200
    with FakeOpenAIServer(reply) as srv:  # today's cost: each suite alone
        alone = [
            run_spec(_spec(srv), [s], tmp_path / s, n_exams=50, progress=False)[0] for s in ("medium-512", "hard-512")
        ]
        assert srv.requests == 200
    for a, b in zip(shared, alone):
        assert a["metrics"] == b["metrics"] and a["metrics_easy"] == b["metrics_easy"]
        assert _records(a) == _records(b)
    assert [r["reused_records"] for r in shared] == [0, 50] and shared[1]["reused_from"] == [
        "../medium-512-n50/records.jsonl"
    ]
    hard = shared[1]["_path"]
    recs = [json.loads(x) for x in open(hard.replace("results.json", "records.jsonl")).read().splitlines()[1:]]
    assert sum(1 for r in recs if r.get("shared_from")) == 50 and len(recs) == 100  # each file holds all its records
    assert validate_results(hard, grader=grader) == []


def test_a_later_run_into_the_same_root_reuses_and_validate_checks_the_copy(tmp_path, grader):
    with FakeOpenAIServer(reply) as srv:
        run_spec(_spec(srv), ["medium-512"], tmp_path, n_exams=10, progress=False)
        (hard,) = run_spec(_spec(srv), ["hard-512"], tmp_path, n_exams=10, progress=False)
        assert srv.requests == 30 and hard["reused_records"] == 10
    # a tampered source: the reused copy no longer matches it
    src = tmp_path / "api" / "medium-512-n10" / "records.jsonl"
    lines = src.read_text().splitlines()
    first_easy = next(i for i, x in enumerate(lines) if '"order": "easy"' in x)
    d = json.loads(lines[first_easy])
    d["completion"] += " edited"
    lines[first_easy] = json.dumps(d)
    src.write_text("\n".join(lines) + "\n")
    issues = validate_results(hard["_path"], grader=grader)
    assert any("does not match" in i for i in issues)


def test_budget_sweeps_share_each_budgets_easy_order(tmp_path):
    with FakeOpenAIServer(reply) as srv:
        res = run_spec(_spec(srv), ["medium-512", "hard-512"], tmp_path, n_exams=5, budgets=[256, 512], progress=False)
        assert srv.requests == 2 * (5 + 5 + 5)
    assert [r["reused_records"] for r in res] == [0, 0, 5, 5]


def test_sampled_runs_are_never_reused(tmp_path):
    with FakeOpenAIServer(reply) as srv:
        res = run_spec(_spec(srv, temperature=0.7), ["medium-512", "hard-512"], tmp_path, n_exams=5, progress=False)
        assert srv.requests == 20 and [r["reused_records"] for r in res] == [0, 0]


def test_another_spec_is_never_reused(tmp_path):
    with FakeOpenAIServer(reply) as srv:
        run_spec(_spec(srv), ["medium-512"], tmp_path, n_exams=5, progress=False)
        other = _spec(srv, agent_args={})  # the same name, another request: top_p changes it
        other = AgentSpec(**{**other.to_dict(redact=False), "top_p": 0.9})
        (hard,) = run_spec(other, ["hard-512"], tmp_path, n_exams=5, progress=False)
        assert hard["reused_records"] == 0 and srv.requests == 20


def _corrected(suite, pid, **change):
    """``suite`` after a data fix of problem ``pid`` that keeps its id (a corrected gold or text)."""
    fix = lambda p: replace(p, **change) if p.id == pid else p  # noqa: E731
    exams = tuple(replace(e, problems=tuple(fix(p) for p in e.problems)) for e in suite.exams)
    return Suite(suite.name, suite.config, exams)


@pytest.mark.parametrize("change", [{"answer": "3"}, {"problem": "A corrected statement: what is 1 + 2?"}])
def test_a_problem_corrected_under_the_same_id_is_generated_again(tmp_path, change):
    # a Medium run before a data fix, a Hard run after it: the same problem ids in the same easy order
    old = get_suite("medium-512", n_exams=5)
    pid = old.with_order("easy").exams[0].problems[2].id  # the reply answers 3 to the third problem
    new = _corrected(get_suite("hard-512", n_exams=5), pid, **change)
    assert [e.key for e in new.exams] == [e.key for e in old.exams]
    old.to_jsonl(tmp_path / "old.jsonl")
    new.to_jsonl(tmp_path / "new.jsonl")
    fixed = sum(any(p.id == pid for p in e.problems) for e in old.exams)
    with FakeOpenAIServer(reply) as srv:
        run_spec(_spec(srv), [str(tmp_path / "old.jsonl")], tmp_path / "root", progress=False)
        (after,) = run_spec(_spec(srv), [str(tmp_path / "new.jsonl")], tmp_path / "root", progress=False)
        # the easy-order exams that hold the corrected problem are asked again (before: every one reused,
        # graded against the old gold or answered from the old statement)
        assert srv.requests == 10 + 5 + fixed and after["reused_records"] == 5 - fixed
    with FakeOpenAIServer(reply) as srv:
        (fresh,) = run_spec(_spec(srv), [str(tmp_path / "new.jsonl")], tmp_path / "fresh", progress=False)
    assert after["metrics"] == fresh["metrics"] and after["metrics_easy"] == fresh["metrics_easy"]
    assert _records(after) == _records(fresh)


def test_records_of_another_osmckp_version_are_never_reused(tmp_path, monkeypatch):
    import osmckp_env

    with FakeOpenAIServer(reply) as srv:
        run_spec(_spec(srv), ["medium-512"], tmp_path, n_exams=5, progress=False)
        monkeypatch.setattr(osmckp_env, "__version__", "9.9.9")  # its agents may build other prompts
        (hard,) = run_spec(_spec(srv), ["hard-512"], tmp_path, n_exams=5, progress=False)
        assert hard["reused_records"] == 0 and srv.requests == 20
