"""A tiny Qwen2-architecture model with random weights and a BPE tokenizer trained on the fly.

Exercises the same code paths as a real Qwen2.5 checkpoint (chat template, left padding,
generate, SFT/GRPO) in seconds on a CPU, with no download.
"""

from __future__ import annotations

from pathlib import Path

from osmckp_env.backends.base import CHATML_TEMPLATE
from osmckp_env.exam.problems import load_pool

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def train_tiny_tokenizer(vocab_size: int = 600, texts: list[str] | None = None):
    """A byte-level BPE ``PreTrainedTokenizerFast`` trained on bundled problem text."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    if texts is None:
        texts = [p.problem + " " + p.answer for tier in ("easy", "medium") for p in load_pool("eval", tier)[:300]]
        texts += ["### Problem 1 <predicted_level>Level-0</predicted_level> \\boxed{NA} \\boxed{42}"] * 20
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=SPECIALS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(texts, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    fast.chat_template = CHATML_TEMPLATE
    return fast


def build_tiny_model(tokenizer, *, hidden_size: int = 32, layers: int = 2, seed: int = 0):
    """A ``Qwen2ForCausalLM`` with random weights sized for ``tokenizer``."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    cfg = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
        tie_word_embeddings=True,
    )
    return Qwen2ForCausalLM(cfg)


def save_tiny_checkpoint(path: str | Path, **kwargs) -> Path:
    """Write a tiny model + tokenizer folder loadable with ``from_pretrained(path)``."""
    path = Path(path)
    tok = train_tiny_tokenizer()
    model = build_tiny_model(tok, **kwargs)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path
