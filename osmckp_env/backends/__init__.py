"""Backends: chat prompts -> capped completions. Heavy ones are imported only when chosen."""

from __future__ import annotations

import importlib

from osmckp_env.backends.base import Backend, Completion, Sampling, prompt_hash
from osmckp_env.exam._lookup import lookup, with_suggestion

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


# Backend arguments the runner fills from the spec's own fields (never from ``backend_args``).
SPEC_FIELDS = ("think_markers",)


def check_backend_args(kind: str, args: dict, given: tuple[str, ...] = ()) -> list[str]:
    """What is wrong with ``backend_args`` for backend ``kind``, from the backend's signature (its
    module is imported, its heavy packages are not): unknown names (with a did-you-mean) and
    required arguments missing. ``given`` names arguments the spec fills in (``model``); the
    ``SPEC_FIELDS`` are not backend arguments."""
    import inspect

    cls = backend_class(kind)
    params = {
        n: p for n, p in inspect.signature(cls.__init__).parameters.items() if n != "self" and n not in SPEC_FIELDS
    }
    named = [n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    open_ended = any(p.kind == p.VAR_KEYWORD for p in params.values())
    problems = []
    if not open_ended:
        for k in args:
            if k not in named:
                unknown = with_suggestion(k, named, quote=True)
                problems.append(f"backend {kind!r} has no argument {unknown}; it takes {sorted(named)}")
    for n, p in params.items():
        if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            if n not in args and n not in given:
                problems.append(f"backend {kind!r} needs argument {n!r} (in backend_args or the spec's model)")
    return problems


def make_backend(kind: str, **kwargs) -> Backend:
    return backend_class(kind)(**kwargs)


__all__ = [
    "BACKENDS",
    "BACKEND_NEEDS",
    "Backend",
    "Completion",
    "Sampling",
    "backend_class",
    "check_backend_args",
    "check_backend_installed",
    "make_backend",
    "prompt_hash",
]
