"""Backends: chat prompts -> capped completions. Heavy ones are imported only when chosen."""

from __future__ import annotations

import importlib

from osmckp_env.backends.base import Backend, Completion, Sampling, prompt_hash
from osmckp_env.exam._lookup import call_problems, lookup

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
    """What is wrong with ``backend_args`` for backend ``kind`` (its module is imported, its heavy
    packages are not): from its signature, unknown names (with a did-you-mean) and required
    arguments missing; from its ``check_args`` (the checks its constructor makes), the values of
    the arguments given (types, ranges, script names, files). ``given`` names arguments the spec
    fills in (``model``); the ``SPEC_FIELDS`` are not backend arguments."""
    cls = backend_class(kind)
    problems = call_problems(
        cls.__init__,
        args,
        given,
        what=f"backend {kind!r}",
        where="in backend_args or the spec's model",
        exclude=SPEC_FIELDS,
    )
    check = getattr(cls, "check_args", None)
    return problems + (list(check(args)) if check else [])


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
