"""MFT supervised stage: TRL ``SFTTrainer`` on the rejection-sampled chat dataset (full or LoRA)."""

from __future__ import annotations

import json
from pathlib import Path

from osmckp_env.training.config import SFTRunConfig


def _require():
    try:
        import trl  # noqa: F401
    except ImportError as e:
        raise ImportError("training needs TRL, transformers, torch and peft: pip install 'osmckp[train]'") from e


def load_model_and_tokenizer(name_or_path: str, bf16: bool = False):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from osmckp_env.backends.base import CHATML_TEMPLATE

    tok = AutoTokenizer.from_pretrained(name_or_path)
    if not getattr(tok, "chat_template", None):
        tok.chat_template = CHATML_TEMPLATE
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    model = AutoModelForCausalLM.from_pretrained(name_or_path, dtype=torch.bfloat16 if bf16 else torch.float32)
    return model, tok


def lora_config(r: int, alpha: int):
    from peft import LoraConfig

    return LoraConfig(r=r, lora_alpha=alpha, lora_dropout=0.0, target_modules="all-linear", task_type="CAUSAL_LM")


def train_mft(cfg: SFTRunConfig, *, dataset=None, callbacks=None) -> dict:
    """Fine-tune ``cfg.model`` on the MFT dataset; writes the checkpoint and ``osmckp_train.json``."""
    _require()
    import datasets
    import torch
    from trl import SFTConfig, SFTTrainer

    ds = dataset if dataset is not None else datasets.load_from_disk(cfg.dataset)
    ds = ds.select_columns(["messages"])
    model, tok = load_model_and_tokenizer(cfg.model, cfg.bf16)
    args = SFTConfig(
        output_dir=cfg.output_dir,
        learning_rate=cfg.learning_rate,
        num_train_epochs=cfg.num_train_epochs,
        max_steps=cfg.max_steps,
        per_device_train_batch_size=cfg.per_device_train_batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation_steps,
        max_length=cfg.max_length,
        gradient_checkpointing=cfg.gradient_checkpointing,
        bf16=cfg.bf16,
        seed=cfg.seed,
        logging_steps=cfg.logging_steps,
        save_steps=cfg.save_steps,
        report_to="none",
        use_cpu=not torch.cuda.is_available(),
        assistant_only_loss=False,
        completion_only_loss=None,
    )
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=ds,
        processing_class=tok,
        peft_config=lora_config(cfg.lora_r, cfg.lora_alpha) if cfg.lora_r > 0 else None,
        callbacks=callbacks,
    )
    return train_and_save(
        trainer, tok, cfg, "mft", dataset_fingerprint=getattr(ds, "_fingerprint", None), n_examples=len(ds)
    )


def train_and_save(trainer, tok, cfg, stage: str, **meta_extra) -> dict:
    """Train, save a plain checkpoint (LoRA merged) with its tokenizer, and ``osmckp_train.json``."""
    result = trainer.train()
    out = Path(cfg.output_dir)
    model_out = trainer.model.merge_and_unload() if getattr(cfg, "lora_r", 0) > 0 else trainer.model
    model_out.save_pretrained(out)
    tok.save_pretrained(out)
    meta = {
        "stage": stage,
        "config": cfg.to_dict(),
        "config_hash": cfg.config_hash,
        **meta_extra,
        "train_loss": result.training_loss,
        "log_history": trainer.state.log_history,
    }
    (out / "osmckp_train.json").write_text(json.dumps(meta, indent=1, default=str))
    return meta
