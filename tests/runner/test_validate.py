"""`osmckp validate` re-derives a run from the suite it actually used and from its records."""

from osmckp_env.cli import main
from osmckp_env.exam.suites import Exam, Suite, SuiteConfig, get_suite

GOLD_SPEC = "name: gold\nagent: direct\nbackend: scripted\nbackend_args: {reply: gold}\ncounter: qwen2.5\n"


def _hand_picked(path):
    """A suite file of hand-picked exams (Medium-512's exams 5, 9 and 12): not what its config
    (the first three exams of medium-512) builds."""
    picked = [get_suite("medium-512")[i] for i in (5, 9, 12)]
    exams = tuple(Exam(k, e.problems, e.budget, e.order) for k, e in enumerate(picked))
    return Suite("picked", SuiteConfig(order="medium", budget=512, n_exams=3), exams).to_jsonl(path)


def test_a_clean_run_of_a_custom_suite_file_validates_from_that_file(tmp_path, capsys):
    spec = tmp_path / "gold.yaml"
    spec.write_text(GOLD_SPEC)
    suite_file = _hand_picked(tmp_path / "picked.jsonl")
    runs = tmp_path / "runs"
    argv = ["run", str(spec), "--suite", str(suite_file), "--budgets", "256", "512", "--out", str(runs), "--quiet"]
    assert main(argv) == 0
    results = sorted((runs / "gold").glob("*/results.json"))
    assert [p.parent.name for p in results] == ["picked", "picked-b256"]
    capsys.readouterr()
    for res in results:
        assert main(["validate", str(res)]) == 0, capsys.readouterr().out
        assert "consistent" in capsys.readouterr().out
    # a budget-swept run of the file also re-runs from its results (the file read under its budget)
    assert main(["run", str(results[1]), "--quiet"]) == 0
    # the suite file gone: the suite is the one recorded in the run (its records hash to it)
    suite_file.unlink()
    for res in results:
        assert main(["validate", str(res), "--no-regrade"]) == 0, capsys.readouterr().out
        assert "consistent" in capsys.readouterr().out


def test_a_custom_suite_run_whose_records_are_not_its_suite_is_a_disagreement(tmp_path, capsys):
    import json

    spec = tmp_path / "gold.yaml"
    spec.write_text(GOLD_SPEC)
    suite_file = _hand_picked(tmp_path / "picked.jsonl")
    assert main(["run", str(spec), "--suite", str(suite_file), "--out", str(tmp_path / "runs"), "--quiet"]) == 0
    res = tmp_path / "runs" / "gold" / "picked" / "results.json"
    suite_file.unlink()
    doc = json.loads(res.read_text())
    doc["suite"]["hash"] = "0" * 16  # the results file claims another suite than its records hold
    res.write_text(json.dumps(doc))
    capsys.readouterr()
    assert main(["validate", str(res), "--no-regrade"]) == 1
    assert "suite hash 0000000000000000 does not match" in capsys.readouterr().out
