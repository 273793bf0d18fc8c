"""Results files carry intervals and a citation; repeated sampling; `osmckp compare`."""

import json

import pytest
from conftest import long_solver_wrong_on_aime

from osmckp_env.agents import make_agent
from osmckp_env.backends.scripted import ScriptedBackend
from osmckp_env.cli import main
from osmckp_env.exam.suites import get_suite
from osmckp_env.results.io import read_records
from osmckp_env.runner.run import run_suite
from osmckp_env.runner.spec import AgentSpec
from osmckp_env.runner.validate import validate_results


def _run(tmp_path, name, reply, grader, suite="hard-512", n=8, **spec_kw):
    spec = AgentSpec(name=name, agent="direct", backend="scripted", counter="qwen2.5", **spec_kw)
    agent = make_agent("direct", ScriptedBackend(reply))
    run_suite(spec, get_suite(suite, n_exams=n), tmp_path / name / suite, agent=agent, grader=grader, progress=False)
    return tmp_path / name / suite / "results.json"


def test_results_carry_intervals_a_citation_and_validate_recomputes_them(tmp_path, grader):
    path = _run(tmp_path, "long", long_solver_wrong_on_aime, grader)
    res = json.loads(path.read_text())
    m = res["metrics"]
    iv = m["intervals"]
    assert m["interval_config"]["resamples"] >= 1000 and m["interval_config"]["seed"] == 0
    for key in ("score", "skip_rate", "tokens_per_problem", "rarl_reward", "regret"):
        assert iv[key]["se"] is not None and iv[key]["ci"][0] <= iv[key]["ci"][1]
    assert len(iv["position_accuracy"]) == 3 and set(iv["tier_accuracy"]) == {"easy", "medium", "hard"}
    # every exam scores exactly 1 (and 2 in easy order): no uncertainty to report
    assert iv["score"]["ci"] == [1.0, 1.0] and iv["regret"]["ci"] == [0.5, 0.5]
    c = res["citation"]
    assert c["suite_hash"] == res["suite"]["hash"] and c["samples"] == 1 and c["suite_version"] == 2
    assert "Score 1.000 [1.000, 1.000]" in c["text"] and "Regret 0.500" in c["text"]
    assert validate_results(path, grader=grader) == []
    res["metrics"]["intervals"]["score"]["ci"] = [0.9, 1.1]
    path.write_text(json.dumps(res))
    assert any("intervals" in i for i in validate_results(path, grader=grader, regrade=False))


def test_repeated_sampling_keys_resumes_and_averages_per_exam(tmp_path, grader):
    import itertools

    counter = itertools.count()

    def flaky(messages, cap):  # right on every other call: samples of one exam differ
        from osmckp_env.backends.scripted import gold_reply

        return gold_reply(messages, cap) if next(counter) % 2 else "\\boxed{NA}"

    spec = AgentSpec(
        name="k3", agent="direct", backend="scripted", counter="qwen2.5", samples=3, temperature=0.7, batch_size=4
    )
    suite = get_suite("hard-512", n_exams=4)
    agent = make_agent("direct", ScriptedBackend(flaky))
    assert run_suite(spec, suite, tmp_path, agent=agent, grader=grader, progress=False, max_batches=2) == {}
    res = run_suite(spec, suite, tmp_path, agent=agent, grader=grader, progress=False)
    records, _ = read_records(tmp_path / "records.jsonl")
    assert len(records) == 4 * 2 * 3 and {r["sample"] for r in records} == {0, 1, 2}
    assert sorted(r["key"] for r in records if r["exam_index"] == 0 and r["order"] == "hard") == [
        "hard:0:0",
        "hard:0:1",
        "hard:0:2",
    ]
    given = [r for r in records if r["order"] == "hard"]
    assert res["metrics"]["score"] == pytest.approx(sum(r["score"] for r in given) / len(given))
    assert res["metrics"]["n_samples"] == 3 and res["citation"]["samples"] == 3
    assert validate_results(tmp_path / "results.json", grader=grader) == []
    with pytest.raises(ValueError, match="temperature"):
        AgentSpec(name="k", agent="direct", backend="scripted", samples=2)


def test_compare_two_runs_of_one_suite_and_refuse_two_suites(tmp_path, grader, capsys):
    from osmckp_env.backends.scripted import gold_reply

    a = _run(tmp_path, "gold", gold_reply, grader, n=20)
    b = _run(tmp_path, "long", long_solver_wrong_on_aime, grader, n=20)
    assert main(["compare", str(a), str(b), "--resamples", "500"]) == 0
    out = capsys.readouterr().out
    assert "ΔScore (A − B) = +2.000" in out and "distinguishable from zero" in out and "NOT" not in out
    c = _run(tmp_path, "gold2", gold_reply, grader, suite="medium-512", n=20)
    assert main(["compare", str(a), str(c)]) == 2
    assert "same exams" in capsys.readouterr().err
    assert main(["compare", str(a), str(_run(tmp_path, "gold3", gold_reply, grader, n=20))]) == 0
    assert "NOT distinguishable" in capsys.readouterr().out


def test_an_incomplete_runs_regret_is_over_the_exams_it_has_in_both_orders(tmp_path, grader):
    from osmckp_env.agents.base import AgentOutput
    from osmckp_env.backends.scripted import gold_reply

    class GivenExamZeroFails:
        """Gold on exam 0 (whose given-order call fails), skips everything else."""

        name = "fails"

        def __init__(self):
            self.gold = make_agent("direct", ScriptedBackend(gold_reply))
            self.skip = make_agent("direct", ScriptedBackend("skip-all"))

        def reset(self, seed=None):
            pass

        def solve(self, exams):
            return [
                AgentOutput("", [{"error": "HTTP 500"}])
                if e.index == 0 and e.order != "easy"
                else (self.gold if e.index == 0 else self.skip).solve([e])[0]
                for e in exams
            ]

    spec = AgentSpec(name="fails", agent="direct", backend="scripted", counter="qwen2.5")
    res = run_suite(spec, get_suite("hard-512", n_exams=3), tmp_path, agent=GivenExamZeroFails(), grader=grader,
                    progress=False)  # fmt: skip
    m = res["metrics"]
    assert res["backend_errors"] == 1 and m["n_exams"] == 2 and m["score"] == 0.0
    # exam 0 has no given-order score: it is left out of Regret too (before: S_easy 1.0 over three
    # exams against S 0.0 over two, Regret 1.0 with a 95% interval of [0, 0])
    assert m["score_easy"] == 0.0 and m["regret"] == 0.0 and m["regret_dropped_exams"] == 1
    assert m["intervals"]["regret"]["ci"] == [0.0, 0.0] and res["metrics_easy"]["score"] == 1.0
    assert [i for i in validate_results(tmp_path / "results.json", grader=grader) if "metric" in i] == []
