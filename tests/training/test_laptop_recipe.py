"""benchmarks/recipes/laptop/run.py: every stage of the laptop demo on two exams with two training
steps (the tiny local model stands in for SmolLM2), the results JSON it commits, resuming, and
the GPU profile's commands (the same driver, no code changes)."""

import importlib.util
import json
from pathlib import Path

import pytest

pytest.importorskip("trl")
pytest.importorskip("matplotlib")

from osmckp_env.training.config import MFTConfig, MFTDataConfig, RARLConfig  # noqa: E402
from osmckp_env.training.rarl import ExamRewards, grpo_args  # noqa: E402

LAPTOP = Path(__file__).resolve().parents[2] / "benchmarks" / "recipes" / "laptop"
METRIC_KEYS = {"score", "regret", "skip_rate", "level_accuracy", "tokens_per_problem"}


def _driver():
    spec = importlib.util.spec_from_file_location("laptop_run", LAPTOP / "run.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_every_stage_on_two_exams_with_two_steps_then_resume_skips_them(tmp_path, tiny_checkpoint, capsys):
    run = _driver()
    out = tmp_path / "laptop"
    assert run.main(["--quick", "--model", str(tiny_checkpoint), "--out", str(out)]) == 0
    doc = json.loads((out / "report" / "results.json").read_text())
    assert list(doc["models"]) == ["base", "mft", "mft+rarl"]
    for m in doc["models"].values():
        (suite,) = m["suites"].values()  # the laptop profile evaluates one held-out suite
        assert suite["n_exams"] == 2
        assert METRIC_KEYS <= set(suite)
        for key in METRIC_KEYS:
            assert set(suite[key]) == {"value", "ci95"} and len(suite[key]["ci95"]) == 2
        assert (out / suite["results_file"]).is_file()
    res = json.loads((out / doc["models"]["mft"]["suites"].popitem()[1]["results_file"]).read_text())
    assert res["spec"]["agent"] == "mft" and res["spec"]["level_edges"] == [32, 64]
    assert res["suite"]["config"]["seed"] == 1 and res["suite"]["config"]["split"] == "eval"
    curve = json.loads((out / "report" / "learning_curve.json").read_text())
    assert [h["step"] for h in curve] == [1, 2] and all("rewards/rarl/mean" in h for h in curve)
    assert doc["rarl_reward_variance"]["logged_steps"] == 2
    for name in ("figure.png", "figure.pdf", "figure-1col.png", "figure-1col.pdf"):  # the paper's two widths
        assert (out / "report" / name).stat().st_size > 0
    from PIL import Image

    assert Image.open(out / "report" / "figure.png").size[0] > Image.open(out / "report" / "figure-1col.png").size[0]
    assert "95%" in (out / "report" / "figure.caption.md").read_text()
    assert set(json.loads((out / "stages.json").read_text())) >= {"eval-base", "mft-data", "mft", "rarl", "eval-rarl"}
    capsys.readouterr()
    # resumable: a second run finds every stage complete and only rewrites the report
    assert run.main(["--quick", "--model", str(tiny_checkpoint), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for stage in ("suites", "eval-base", "mft-data", "mft", "rarl", "eval-mft", "eval-rarl"):
        assert f"{stage}: complete, skipped" in printed


def test_the_held_out_exams_are_a_fresh_seed_of_the_training_pool(tmp_path):
    run = _driver()
    rec = run.Recipe(run.load_profile(LAPTOP / "laptop.yaml", quick=False, model=None, n_exams=None), tmp_path)
    (cmd,) = rec.commands("suites")
    assert cmd[:3] == ["suites", "--export", "arith-medium-128"] and cmd[cmd.index("--seed") + 1] == "1"
    data = MFTDataConfig.load(rec.mft_data_config())
    rarl = RARLConfig.load(rec.rarl_config())
    assert data.pool == rarl.pool == "arith" and data.level_edges == rarl.level_edges == (32, 64)
    assert data.exam_budgets == (rarl.budget,) == (128,)
    spec = json.loads(json.dumps(__import__("yaml").safe_load(rec.spec("mft").read_text())))
    assert spec["agent"] == "mft" and spec["level_edges"] == [32, 64] and spec["model"] == str(tmp_path / "mft")


def test_the_gpu_profile_is_the_same_driver_on_the_papers_suites(tmp_path, capsys):
    run = _driver()
    assert run.main(["--scale", "gpu", "--dry-run", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "--suite medium-1024 hard-1024 --n-exams 500" in printed
    assert "osmckp suites" not in printed  # seed 0: the named suites themselves
    rec = run.Recipe(run.load_profile(LAPTOP / "gpu.yaml", quick=False, model="/ckpt/qwen", n_exams=None), tmp_path)
    assert MFTConfig.load(rec.mft_config()).model == "/ckpt/qwen"
    cfg = RARLConfig.load(rec.rarl_config())
    grpo = grpo_args(cfg, [1.0] + [0.0] * (len(ExamRewards.METRICS) - 1))
    assert grpo.loss_type == "dr_grpo" and grpo.max_completion_length == 1024 and cfg.pool is None
    assert MFTDataConfig.load(rec.mft_data_config()).exam_budgets == (1024,)


def test_the_committed_results_are_what_the_readme_and_table_say():
    """The committed run (benchmarks/recipes/laptop/results/): its table is the report's own table of
    its results.json, and the README quotes that table row for row; every model has >= 200 exams."""
    run = _driver()
    doc = json.loads((LAPTOP / "results" / "results.json").read_text())
    table = (LAPTOP / "results" / "table.md").read_text()
    assert run.markdown_table(doc) == table
    assert list(doc["models"]) == ["base", "mft", "mft+rarl"]
    for model in doc["models"].values():
        assert all(s["n_exams"] >= 200 for s in model["suites"].values())
    readme = (LAPTOP.parents[2] / "README.md").read_text()
    (suite,) = {s for m in doc["models"].values() for s in m["suites"]}
    for row in table.splitlines()[2:]:
        assert row.replace(suite, "arith-medium-128, seed 1") in readme


def test_the_committed_evaluations_validate_and_show_what_the_readme_says(capsys):
    """Each committed evaluation re-derives consistent (records, metrics, grades) and its records
    hold the behaviour the README describes: MFT skips problem 1 of every exam in both orders and
    MFT+RARL attempts nearly every problem of the given order."""
    from osmckp_env.cli import main

    runs = {p.parent.parent.name: p for p in sorted((LAPTOP / "results" / "eval").glob("*/*/results.json"))}
    assert set(runs) == {"base", "mft", "mft-rarl"}
    for path in runs.values():
        assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out.count("consistent") == 3

    def records(name):
        lines = (runs[name].parent / "records.jsonl").read_text().splitlines()
        return [r for r in map(json.loads, lines) if "problems" in r]

    mft = records("mft")
    assert len(mft) == 400 and all(r["problems"][0]["status"] == "skipped" for r in mft)
    rarl = [p for r in records("mft-rarl") if r["order"] == "medium" for p in r["problems"]]  # the given order
    assert len(rarl) == 600 and sum(p["status"] == "skipped" for p in rarl) / len(rarl) < 0.01
