"""MFT (SFT) on the tiny local model: completion-only loss, no truncation, resume, reproducibility."""

import math

import pytest

pytest.importorskip("trl")

from conftest import count_steps, scripted_sampler, stop_at, tiny_sft_config  # noqa: E402

from osmckp_env.training.config import MFTDataConfig  # noqa: E402
from osmckp_env.training.mft_data import make_mft_data  # noqa: E402
from osmckp_env.training.sft import build_sft_trainer, train_mft  # noqa: E402


@pytest.fixture
def mft_data(tmp_path, grader):
    cfg = MFTDataConfig(spec="x.yaml", out_dir=str(tmp_path / "d"), k=2, limit_per_tier=4, max_tokens=400)
    make_mft_data(cfg, scripted_sampler(), grader=grader, progress=False)
    return tmp_path


@pytest.mark.parametrize("lora_r", [0, 4])
def test_loss_is_on_the_completion_tokens_only(mft_data, tiny_checkpoint, lora_r):
    trainer, tok, info = build_sft_trainer(tiny_sft_config(tiny_checkpoint, mft_data, "m", lora_r=lora_r))
    import datasets

    raw = datasets.load_from_disk(str(mft_data / "d" / "dataset"))
    assert info["n_examples"] == len(raw) == len(trainer.train_dataset)
    for row, done in zip(raw, trainer.train_dataset):
        prompt = tok.apply_chat_template(row["prompt"], add_generation_prompt=True, tokenize=True, return_dict=True)
        full = tok.apply_chat_template(row["prompt"] + row["completion"], tokenize=True, return_dict=True)
        n_completion = len(full["input_ids"]) - len(prompt["input_ids"])
        labelled = sum(x != -100 for x in done["labels"])
        assert labelled == n_completion < len(done["input_ids"])


def test_too_long_examples_are_dropped_not_truncated(mft_data, tiny_checkpoint):
    full, tok, _ = build_sft_trainer(tiny_sft_config(tiny_checkpoint, mft_data, "m"))
    lengths = sorted(len(r["input_ids"]) for r in full.train_dataset)
    cut = lengths[len(lengths) // 2]  # about half the examples are longer than this
    trainer, _, info = build_sft_trainer(tiny_sft_config(tiny_checkpoint, mft_data, "m", max_length=cut))
    assert info["n_dropped_too_long"] == sum(n > cut for n in lengths) > 0
    # what is kept is whole: every kept sequence ends with the end-of-turn of its completion
    assert all(len(r["input_ids"]) <= cut for r in trainer.train_dataset)
    kept = sorted(len(r["input_ids"]) for r in trainer.train_dataset)
    assert kept == [n for n in lengths if n <= cut]


def _losses(meta):
    return {h["step"]: h["loss"] for h in meta["log_history"] if "loss" in h}


def test_resume_continues_to_the_same_step_with_the_same_data_order(mft_data, tiny_checkpoint):
    kw = dict(max_steps=4, save_steps=2, per_device_train_batch_size=1)
    full = train_mft(tiny_sft_config(tiny_checkpoint, mft_data, "full", **kw))
    first = train_mft(tiny_sft_config(tiny_checkpoint, mft_data, "cut", **kw), callbacks=[stop_at(2)])
    assert first["global_step"] == 2 and (mft_data / "cut" / "checkpoint-2").is_dir()
    steps = count_steps()
    resumed = train_mft(tiny_sft_config(tiny_checkpoint, mft_data, "cut", resume="auto", **kw), callbacks=[steps])
    assert resumed["resumed_from"].endswith("checkpoint-2") and steps.n == 2  # only steps 3 and 4 were run
    assert resumed["global_step"] == full["global_step"] == 4
    a, b = _losses(full), _losses(resumed)
    # steps 3 and 4 see the same batches from the same weights: the same losses
    assert set(b) >= {3, 4} and all(math.isclose(a[s], b[s], rel_tol=1e-4) for s in (3, 4))


def test_same_config_and_seed_give_the_same_first_loss(mft_data, tiny_checkpoint):
    one = train_mft(tiny_sft_config(tiny_checkpoint, mft_data, "r1", max_steps=1))
    two = train_mft(tiny_sft_config(tiny_checkpoint, mft_data, "r2", max_steps=1))
    assert _losses(one)[1] == _losses(two)[1]
    assert one["config_hash"] != "" and one["n_examples"] == two["n_examples"]


def test_training_resolves_gguf_and_packaged_models_as_the_backend_does(tmp_path):
    """``load_model_and_tokenizer`` takes a spec's model string (a ``.gguf`` path or ``pkg:``) through
    ``locate_model``: a wrong one is refused with the backend's own message, not a hub lookup."""
    from osmckp_env.training.sft import load_model_and_tokenizer

    with pytest.raises(FileNotFoundError, match="m.gguf' does not exist"):
        load_model_and_tokenizer(str(tmp_path / "m.gguf"))
    with pytest.raises(FileNotFoundError, match="no installed package 'nopkg_xyz'"):
        load_model_and_tokenizer("pkg:nopkg_xyz/m.gguf")
