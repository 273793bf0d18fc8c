"""Procedural suites end to end: gym.make, osmckp run with the scripted gold backend (it scores N on
every procedural suite), validate, the leaderboard, the verl export and RARL's exams and reward."""

from __future__ import annotations

import json

import gymnasium as gym
import pytest

import osmckp_env  # noqa: F401  (registers the envs)
from osmckp_env.backends.scripted import gold_reply
from osmckp_env.cli import main
from osmckp_env.exam.suites import SuiteConfig, build_suite
from osmckp_env.runner.validate import validate_results

GOLD = "baselines/gold-oracle.yaml"


def _run(tmp_path, suite: str, n: int | None = 3) -> dict:
    args = ["run", GOLD, "--suite", suite, "--out", str(tmp_path), "--quiet"]
    assert main(args + (["--n-exams", str(n)] if n else [])) == 0
    name = suite if not suite.endswith(".jsonl") else build_suite_name(suite)
    path = tmp_path / "gold-oracle" / (f"{name}-n{n}" if n else name) / "results.json"
    return json.loads(path.read_text()) | {"_path": str(path)}


def build_suite_name(path: str) -> str:
    from osmckp_env.exam.suites import Suite

    return Suite.from_jsonl(path).name


@pytest.mark.parametrize("suite", ["arith-medium-128", "rg-chain_sum-hard-256"])
def test_gym_make_takes_a_procedural_suite(suite, grader):
    if suite.startswith("rg-"):
        pytest.importorskip("reasoning_gym")
    env = gym.make("OSMCKP-v0", suite=suite, n_exams=2, grader=grader)
    obs, info = env.reset(seed=0)
    _, reward, terminated, _, info = env.step(gold_reply(info["messages"], 10_000))
    assert reward == 3.0 and terminated and info["suite"] == suite
    assert all(p["correct"] for p in info["record"]["problems"])


def test_osmckp_run_scores_n_on_arith_and_the_results_record_pool_knobs_and_seed(tmp_path):
    res = _run(tmp_path, "arith-hard-128")
    assert res["metrics"]["score"] == 3.0 and res["metrics"]["regret"] == 0.0
    cfg = res["suite"]["config"]
    assert cfg["seed"] == 0 and cfg["pool"]["kind"] == "arith" and cfg["pool"]["hard"]["digits"] == 3
    assert validate_results(res["_path"]) == []
    five = build_suite(SuiteConfig(pool="arith", n_problems=5, budget=256, n_exams=2, seed=3))
    five.to_jsonl(tmp_path / "five.jsonl")
    res5 = _run(tmp_path, str(tmp_path / "five.jsonl"), n=None)
    assert res5["metrics"]["score"] == 5.0 and res5["suite"]["name"].startswith("custom-arith-5p-medium-256-")
    assert validate_results(res5["_path"]) == []


def test_osmckp_run_scores_n_on_a_reasoning_gym_suite_and_validate_regrades_it(tmp_path):
    pytest.importorskip("reasoning_gym")
    res = _run(tmp_path, "rg-chain_sum-medium-128")
    assert res["metrics"]["score"] == 3.0 and res["metrics"]["regret"] == 0.0
    assert res["suite"]["config"]["pool"]["tier_knobs"]["hard"]["max_terms"] == 4
    assert res["suite"]["config"]["pool"]["reasoning_gym"]
    records = [json.loads(line) for line in open(res["_path"].replace("results.json", "records.jsonl"))][1:]
    problems = [p for r in records for p in r["problems"]]
    assert all(p["verifier"] and p["credit"] == 1.0 for p in problems)
    assert validate_results(res["_path"]) == []  # re-graded in the workers from the records alone


def test_the_leaderboard_ranks_a_procedural_suite(tmp_path):
    pytest.importorskip("pandas")
    from osmckp_env.leaderboard import build_leaderboard

    suite = build_suite(SuiteConfig(pool="arith", budget=128, n_exams=3))
    assert suite.name == "arith-medium-128"  # the named suite's first exams
    suite.to_jsonl(tmp_path / "arith.jsonl")
    runs = tmp_path / "runs"
    _run(runs, str(tmp_path / "arith.jsonl"), n=None)
    tables = build_leaderboard(runs, tmp_path / "lb", plots=False)["settings"]
    assert tables["arith-medium-128"]["score"].iloc[0] == 3.0


def test_the_verl_export_and_its_reward_take_a_pool(tmp_path):
    pd = pytest.importorskip("pandas")
    from osmckp_env.training.verl import compute_score

    args = ["export", "verl", "--pool", "arith", "--budget", "128", "--n-exams", "2", "--out", str(tmp_path)]
    assert main(args) == 0
    df = pd.read_parquet(tmp_path / "train.parquet")
    assert sorted(set(df["extra_info"].map(lambda x: x["suite"]))) == ["train-arith-hard-128", "train-arith-medium-128"]
    row = df.iloc[0]
    text = gold_reply([{"role": "user", "content": row["prompt"][1]["content"]}], 128)
    out = compute_score("osmckp", text, row["reward_model"]["ground_truth"], row["extra_info"], reward="score")
    assert out["score"] == 3.0


def test_rarl_draws_its_exams_from_a_pool_and_its_reward_grades_them(grader):
    from osmckp_env.exam.prompts import exam_messages
    from osmckp_env.scoring.rewards import ExamReward
    from osmckp_env.training.config import RARLConfig
    from osmckp_env.training.rarl import rarl_suites

    cfg = RARLConfig(model="m", pool="arith", budget=128, n_exams=4, level_edges=(32, 64))
    suites = rarl_suites(cfg)
    assert [s.name for s in suites] == ["train-arith-medium-128", "train-arith-hard-128"]
    assert suites[0][0].key == suites[1][0].key and suites[0][0].problems[0].id.startswith("arith-")
    ds = suites[1].to_dataset()
    texts = [gold_reply(exam_messages(e), 128) for e in suites[1]]
    columns = {k: ds[k] for k in ("problem_ids", "answers", "tiers", "verifiers", "budget", "order")}
    assert ExamReward("score", grader=grader)(prompts=[""] * len(texts), completions=texts, **columns) == [3.0, 3.0]
    assert "pool" not in RARLConfig(model="m").to_dict()  # the bundled pools: config hashes as before
    with pytest.raises(ValueError, match="RARLConfig.pool"):
        RARLConfig(model="m", pool="arithmetic")


def test_mft_data_samples_a_pool(tmp_path, grader):
    datasets = pytest.importorskip("datasets")
    from osmckp_env.backends.scripted import ScriptedBackend
    from osmckp_env.training.config import MFTDataConfig
    from osmckp_env.training.mft_data import make_mft_data

    cfg = MFTDataConfig(
        spec="x.yaml", out_dir=str(tmp_path), pool="arith", k=1, temperature=0.0, limit_per_tier=2, level_edges=(32, 64)
    )
    make_mft_data(cfg, ScriptedBackend("gold"), grader=grader, progress=False)
    ds = datasets.load_from_disk(str(tmp_path / "dataset"))
    assert len(ds) == 6 and all(r["problem_id"].startswith("arith-") and "-train-" in r["problem_id"] for r in ds)
    assert all(r["level"] == 0 and r["solution"] for r in ds)  # every problem solved, in a few tokens
    assert "pool" not in MFTDataConfig(spec="x.yaml").to_dict()
