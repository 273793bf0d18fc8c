"""Backends: chat prompts -> capped completions. Heavy ones are imported only when chosen."""

from __future__ import annotations

import importlib

from osmckp_env.backends.base import Backend, Completion, Sampling, prompt_hash
from osmckp_env.exam._lookup import lookup

BACKENDS = {
    "scripted": "osmckp_env.backends.scripted:ScriptedBackend",
    "transformers": "osmckp_env.backends.transformers_backend:TransformersBackend",
    "openai": "osmckp_env.backends.openai_backend:OpenAIBackend",
    "vllm": "osmckp_env.backends.vllm_backend:VLLMBackend",
    "replay": "osmckp_env.backends.replay:ReplayBackend",
}


def backend_class(kind: str):
    """The class registered under ``kind`` (imported lazily)."""
    target = lookup(BACKENDS, kind, kind="backend")
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def make_backend(kind: str, **kwargs) -> Backend:
    return backend_class(kind)(**kwargs)


__all__ = ["BACKENDS", "Backend", "Completion", "Sampling", "backend_class", "make_backend", "prompt_hash"]
