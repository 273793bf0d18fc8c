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


# What each backend needs beyond the core install: (module to import, pip line).
BACKEND_NEEDS = {
    "transformers": (("torch", "transformers"), 'pip install "osmckp[hf]"'),
    "openai": (("openai",), 'pip install "osmckp[openai]"'),
    "vllm": (("vllm",), 'pip install "osmckp[vllm]"  (CUDA machines only)'),
}


def check_backend_installed(kind: str) -> None:
    """Raise ``ImportError`` with the ``pip install`` line if the backend's extra is missing
    (checked without importing the heavy packages)."""
    import importlib.util

    mods, pip = BACKEND_NEEDS.get(kind, ((), ""))
    missing = [m for m in mods if importlib.util.find_spec(m) is None]
    if missing:
        raise ImportError(f"backend {kind!r} needs {', '.join(missing)}, which is not installed: {pip}")


def backend_class(kind: str):
    """The class registered under ``kind`` (imported lazily)."""
    target = lookup(BACKENDS, kind, kind="backend")
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def make_backend(kind: str, **kwargs) -> Backend:
    return backend_class(kind)(**kwargs)


__all__ = [
    "BACKENDS",
    "BACKEND_NEEDS",
    "Backend",
    "Completion",
    "Sampling",
    "backend_class",
    "check_backend_installed",
    "make_backend",
    "prompt_hash",
]
