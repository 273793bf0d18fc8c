"""Training configs the TRL way: help on every field, CLI flags generated from the dataclasses,
TRL's options passed through as one mapping that TRL validates, old flat configs still loading."""

import argparse
import dataclasses
import warnings

import pytest

from osmckp_env.training.cli import add_command, add_config_flags, config_overrides
from osmckp_env.training.config import GRPO_DEFAULTS, MFTConfig, MFTDataConfig, RARLConfig, SFTRunConfig

CONFIGS = (MFTDataConfig, MFTConfig, RARLConfig)


@pytest.mark.parametrize("cls", CONFIGS)
def test_every_field_has_help(cls):
    missing = [f.name for f in dataclasses.fields(cls) if not f.metadata.get("help")]
    assert missing == []


def _parser():
    p = argparse.ArgumentParser(prog="osmckp")
    add_command(p.add_subparsers(dest="cmd"))
    return p


@pytest.mark.parametrize("cmd,cls", [("mft-data", MFTDataConfig), ("mft", MFTConfig), ("rarl", RARLConfig)])
def test_every_field_is_a_flag_whose_help_shows_the_default(cmd, cls, capsys):
    with pytest.raises(SystemExit):
        _parser().parse_args(["train", cmd, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for f in dataclasses.fields(cls):
        assert f"--{f.name.replace('_', '-')}" in text
    assert "(default: " in text
    if cls is RARLConfig:
        assert "(default: 1024)" in text and "(default: medium hard)" in text and "loss_type=dr_grpo" in text


def test_flags_override_the_file_and_add_to_its_trl_mapping(tmp_path):
    (tmp_path / "r.yaml").write_text("model: m\nbudget: 512\ngrpo:\n  learning_rate: 3.0e-6\n  max_steps: 50\n")
    args = _parser().parse_args(
        ["train", "rarl", "--config", str(tmp_path / "r.yaml"), "--out", "o", "--level-edges", "100", "300"]
        + ["--grpo", "max_steps=7", "use_vllm=true", "--reward", "score"]
    )
    cfg = RARLConfig.load(args.config, **config_overrides(args, RARLConfig))
    assert cfg.output_dir == "o" and cfg.budget == 512 and cfg.level_edges == (100, 300) and cfg.reward == "score"
    assert cfg.grpo == {"learning_rate": 3e-6, "max_steps": 7, "use_vllm": True}
    assert cfg.trl_options["loss_type"] == "dr_grpo" and cfg.trl_options["max_steps"] == 7


def test_a_flag_not_given_leaves_the_file_value():
    p = argparse.ArgumentParser()
    add_config_flags(p, MFTDataConfig)
    assert config_overrides(p.parse_args([]), MFTDataConfig) == {}
    assert config_overrides(p.parse_args(["--k", "2", "--tiers", "easy"]), MFTDataConfig) == {
        "k": 2,
        "tiers": ["easy"],
    }


def test_a_malformed_key_value_is_a_usage_error(capsys):
    with pytest.raises(SystemExit):
        _parser().parse_args(["train", "rarl", "--grpo", "max_steps"])
    assert "KEY=VALUE" in capsys.readouterr().err


def test_a_flat_config_of_earlier_versions_still_loads_into_the_mapping(tmp_path):
    (tmp_path / "old.yaml").write_text(
        "model: m\nnum_generations: 4\nper_device_train_batch_size: 4\nlearning_rate: 2.0e-6\n"
        "extra:\n  warmup_steps: 3\n"
    )
    with pytest.warns(DeprecationWarning, match="grpo"):
        old = RARLConfig.load(tmp_path / "old.yaml")
    new = RARLConfig(
        model="m",
        grpo={"num_generations": 4, "per_device_train_batch_size": 4, "learning_rate": 2e-6, "warmup_steps": 3},
    )
    assert old == new and old.config_hash == new.config_hash
    with pytest.warns(DeprecationWarning):
        assert SFTRunConfig(model="m", max_length=99).sft == {"max_length": 99}


def test_the_hash_is_of_what_trl_gets_not_how_it_was_spelled():
    plain = RARLConfig(model="m")
    spelled = RARLConfig(model="m", grpo={"num_generations": GRPO_DEFAULTS["num_generations"]})
    changed = RARLConfig(model="m", grpo={"learning_rate": 5e-6})
    assert plain.config_hash == spelled.config_hash != changed.config_hash
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        RARLConfig(model="m", grpo={"beta": 0.04})  # the new form warns about nothing


def test_a_trl_option_osmckp_sets_is_refused():
    with pytest.raises(ValueError, match="budget"):
        RARLConfig(model="m", grpo={"max_completion_length": 64})
    with pytest.raises(ValueError, match="completion only"):
        MFTConfig(model="m", sft={"completion_only_loss": False})


def test_trl_validates_the_mapping_with_a_did_you_mean():
    pytest.importorskip("trl")
    from osmckp_env.training.rarl import grpo_args, train_rarl
    from osmckp_env.training.sft import sft_args

    args = grpo_args(RARLConfig(model="m", budget=96, grpo={"warmup_steps": 5, "beta": 0.04}), [1.0])
    assert args.warmup_steps == 5 and args.beta == 0.04 and args.max_completion_length == 96
    assert args.loss_type == "dr_grpo" and args.learning_rate == GRPO_DEFAULTS["learning_rate"]
    with pytest.raises(ValueError, match=r"learning_rat .*did you mean learning_rate"):
        train_rarl(RARLConfig(model="no/such/model", grpo={"learning_rat": 1e-6}))  # refused before the load
    with pytest.raises(ValueError, match="not an option of TRL's SFTConfig"):
        sft_args(MFTConfig(model="m", sft={"num_generations": 2}))
    sft = sft_args(MFTConfig(model="m", seed=3, sft={"max_length": 77}))
    assert sft.max_length == 77 and sft.completion_only_loss and sft.seed == sft.data_seed == 3


def test_checkpointing_is_passed_under_its_transformers_5_name_without_a_warning():
    pytest.importorskip("trl")
    from osmckp_env.training.rarl import grpo_args
    from osmckp_env.training.sft import sft_args

    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        on = sft_args(MFTConfig(model="m", sft={"gradient_checkpointing": True}))
        off = grpo_args(RARLConfig(model="m", grpo={"activation_checkpointing": False}), [1.0])
        default = sft_args(MFTConfig(model="m"))
    assert on.activation_checkpointing is True and on.gradient_checkpointing is True
    assert off.activation_checkpointing is False and off.gradient_checkpointing is False
    assert default.activation_checkpointing is True  # TRL's default, as before


def test_numbers_that_yaml_reads_as_text_reach_trl_as_numbers(tmp_path):
    # PyYAML (YAML 1.1) reads 1e-6 without a dot as a string; TRL would fail only after a model loaded
    (tmp_path / "r.yaml").write_text("model: m\ngrpo:\n  learning_rate: 1e-6\n  max_steps: 20\n  report_to: none\n")
    cfg = RARLConfig.load(tmp_path / "r.yaml")
    assert cfg.grpo == {"learning_rate": 1e-6, "max_steps": 20, "report_to": "none"}
    args = _parser().parse_args(["train", "rarl", "--model", "m", "--grpo", "learning_rate=2e-5", "beta=.04"])
    cfg = RARLConfig.load(None, **config_overrides(args, RARLConfig))
    assert cfg.grpo == {"learning_rate": 2e-5, "beta": 0.04} and isinstance(cfg.grpo["learning_rate"], float)
    assert MFTConfig(model="m", sft={"num_train_epochs": "3", "optim": "adamw_torch"}).sft == {
        "num_train_epochs": 3,
        "optim": "adamw_torch",
    }


def test_train_rarl_runs_from_the_generated_flags(tmp_path, tiny_checkpoint, capsys):
    pytest.importorskip("trl")
    import json

    from osmckp_env.cli import main

    argv = ["train", "rarl", "--model", str(tiny_checkpoint), "--budget", "48", "--n-exams", "4", "--out",
            str(tmp_path / "rl"), "--grpo", "max_steps=1", "num_generations=2", "per_device_train_batch_size=2",
            "learning_rate=1e-4", "save_steps=100"]  # fmt: skip
    assert main(argv) == 0
    meta = json.loads((tmp_path / "rl" / "osmckp_train.json").read_text())
    assert meta["global_step"] == 1 and meta["config"]["grpo"]["learning_rate"] == 1e-4
    assert meta["config"]["budget"] == 48 and "wrote" in capsys.readouterr().out
