"""MFT data -> SFT -> GRPO -> mft agent, on the tiny local model (CPU, no download)."""

import math

import pytest
import torch

pytest.importorskip("trl")

from conftest import scripted_sampler, tiny_sft_config  # noqa: E402

from osmckp_env.agents import make_agent  # noqa: E402
from osmckp_env.backends import make_backend  # noqa: E402
from osmckp_env.exam.suites import get_suite  # noqa: E402
from osmckp_env.grading.record import score_completions  # noqa: E402
from osmckp_env.training.config import MFTDataConfig, RARLConfig, SFTRunConfig  # noqa: E402
from osmckp_env.training.mft_data import make_mft_data  # noqa: E402
from osmckp_env.training.rarl import train_rarl  # noqa: E402
from osmckp_env.training.sft import train_mft  # noqa: E402


def _params(path):
    from transformers import AutoModelForCausalLM

    return {k: v.clone() for k, v in AutoModelForCausalLM.from_pretrained(path).state_dict().items()}


def test_mft_data_labels_and_resume(tmp_path, grader):
    cfg = MFTDataConfig(
        spec="unused.yaml", out_dir=str(tmp_path / "d"), k=2, limit_per_tier=3, n_exam_examples=2, max_tokens=400
    )
    st = make_mft_data(cfg, scripted_sampler(), grader=grader, progress=False)
    assert st["solve_rate"] == {"easy": 1.0, "medium": 0.0, "hard": 0.0}
    assert st["level_histogram"]["easy"] == {"Level-0": 3}  # shortest correct sample, < 256 tokens
    assert st["level_histogram"]["hard"] == {"Level-3": 3}
    import datasets

    ds = datasets.load_from_disk(str(tmp_path / "d" / "dataset"))
    assert len(ds) == 9 + 2
    target = ds[0]["messages"][-1]["content"]
    assert target.startswith("<predicted_level>Level-")
    skip = [r for r in ds if r["tier"] == "hard"][0]["messages"][-1]["content"]
    assert skip == "<predicted_level>Level-3</predicted_level>\n\\boxed{NA}"
    again = scripted_sampler()
    make_mft_data(cfg, again, grader=grader, progress=False)
    assert again.calls == 0  # resumed: nothing re-sampled


def test_sft_then_grpo_then_agent(tmp_path, tiny_checkpoint, grader):
    cfg = MFTDataConfig(spec="unused.yaml", out_dir=str(tmp_path / "d"), k=2, limit_per_tier=4, max_tokens=400)
    make_mft_data(cfg, scripted_sampler(), grader=grader, progress=False)
    before = _params(tiny_checkpoint)

    sft = train_mft(tiny_sft_config(tiny_checkpoint, tmp_path, "mft", max_steps=3))
    losses = [h["loss"] for h in sft["log_history"] if "loss" in h]
    assert losses and all(math.isfinite(x) for x in losses)
    after_sft = _params(tmp_path / "mft")
    assert any(not torch.equal(before[k], after_sft[k]) for k in before)

    def shorter_is_better(prompts, completions, **kw):
        return [-len(c[0]["content"] if isinstance(c, list) else c) / 100 for c in completions]

    rl = train_rarl(
        RARLConfig(
            model=str(tmp_path / "mft"),
            output_dir=str(tmp_path / "rarl"),
            budget=48,
            n_exams=8,
            grpo=dict(
                num_generations=4, per_device_train_batch_size=4, max_steps=2, learning_rate=1e-2, save_steps=1000
            ),
        ),
        grader=grader,
        extra_rewards=[(shorter_is_better, 1.0)],
    )
    logs = [h for h in rl["log_history"] if "loss" in h]
    assert logs and all(math.isfinite(h["loss"]) for h in logs)
    assert all("rewards/rarl/mean" in h and "rewards/level_accuracy/mean" in h for h in logs)
    after_rl = _params(tmp_path / "rarl")
    assert any(not torch.equal(after_sft[k], after_rl[k]) for k in after_sft)
    assert (tmp_path / "rarl" / "osmckp_train.json").exists()

    backend = make_backend("transformers", model=str(tmp_path / "rarl"), device="cpu")
    agent = make_agent("mft", backend)
    exams = get_suite("medium-512", n_exams=1).exams
    out = agent.solve(exams)
    rec = score_completions(exams, [out[0].text], counter=backend.counter, grader=grader)[0]
    n = len(backend.tokenizer(out[0].text, add_special_tokens=False)["input_ids"])
    assert rec["completion_tokens"] == min(n, 512) and len(rec["problems"]) == 3


def test_lora_sft_merges_into_plain_checkpoint(tmp_path, tiny_checkpoint, grader):
    cfg = MFTDataConfig(
        spec="unused.yaml", out_dir=str(tmp_path / "d"), k=1, limit_per_tier=2, temperature=0.7, max_tokens=300
    )
    make_mft_data(cfg, scripted_sampler(), grader=grader, progress=False)
    meta = train_mft(tiny_sft_config(tiny_checkpoint, tmp_path, "lora", lora_r=4, max_steps=2))
    assert math.isfinite(meta["train_loss"])
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tmp_path / "lora")
    assert not any("lora" in k for k in model.state_dict())


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"model": ""}, "model is required"),
        ({"model": "m", "grpo": {"num_generations": 1}}, "num_generations"),
        ({"model": "m", "grpo": {"per_device_train_batch_size": 3, "num_generations": 2}}, "divisible"),
        ({"model": "m", "grpo": {"max_completion_length": 99}}, "budget"),
        ({"model": "m", "grpo": {"seed": 1}}, "top level"),
        ({"model": "m", "grpo": ["num_generations"]}, "mapping"),
        ({"model": "m", "reward": "accuracy"}, "reward"),
        ({"model": "m", "reward": "regret"}, "regret_reference"),
    ],
)
def test_rarl_config_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RARLConfig(**kwargs)


def test_config_yaml_unknown_field(tmp_path):
    (tmp_path / "c.yaml").write_text("model: m\nlearnin_rate: 0.1\n")
    with pytest.raises(ValueError, match="learnin_rate"):
        SFTRunConfig.load(tmp_path / "c.yaml")
