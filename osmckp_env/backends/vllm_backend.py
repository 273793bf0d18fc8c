"""Offline vLLM (extra ``vllm``): ``LLM.generate`` with ``SamplingParams(max_tokens=...)``. GPU only."""

from __future__ import annotations

from osmckp_env.backends.base import (
    CHATML_TEMPLATE,
    Completion,
    Messages,
    Sampling,
    check_arg_values,
    check_max_tokens,
    is_mapping_or_none,
    is_str,
    keep_marker_decoder,
    opens_thinking,
    optional,
    peft_adapter,
    raise_on,
)
from osmckp_env.exam.tokenization import HFTokenCounter
from osmckp_env.grading.parse import THINK_MARKERS, check_think_markers


class VLLMBackend:
    """Args: ``model`` (path or hub id) and any ``vllm.LLM`` keyword (``tensor_parallel_size``...).

    A PEFT adapter folder (``adapter_config.json``) is served as a LoRA on its base model
    (``base_model`` overrides the base the adapter names; ``max_lora_rank`` defaults to its rank).
    ``chat_template_kwargs`` reach ``apply_chat_template`` (``{enable_thinking: true}``); a prompt
    that opens a think block gets ``<think>\n`` put back in front of its completion, and completions
    are decoded from their token ids keeping the think markers even where the tokenizer marks
    them special. ``think_markers``: the spec's (the runner passes them; ``None``: ``<think>``).
    """

    def __init__(
        self,
        model: str,
        base_model: str | None = None,
        chat_template_kwargs: dict | None = None,
        think_markers=THINK_MARKERS,
        **llm_kwargs,
    ) -> None:
        raise_on(
            VLLMBackend.check_args(
                {"model": model, "base_model": base_model, "chat_template_kwargs": chat_template_kwargs}
            )
        )
        self.think_markers = check_think_markers(think_markers)
        self._markers = self.think_markers or THINK_MARKERS
        self.chat_template_kwargs = dict(chat_template_kwargs or {})
        try:
            import vllm
        except ImportError as e:
            raise ImportError("the vllm backend needs vLLM on a CUDA machine: pip install 'osmckp[vllm]'") from e
        self._vllm = vllm
        base, adapter = peft_adapter(model, base_model)
        self._lora = None
        if adapter is not None:
            import json
            from pathlib import Path

            from vllm.lora.request import LoRARequest

            rank = json.loads((Path(adapter) / "adapter_config.json").read_text()).get("r", 16)
            llm_kwargs = {"enable_lora": True, "max_lora_rank": max(8, int(rank)), **llm_kwargs}
            self._lora = LoRARequest("osmckp-adapter", 1, str(adapter))
        self.llm = vllm.LLM(model=base, **llm_kwargs)
        tok = self.llm.get_tokenizer()
        if not getattr(tok, "chat_template", None):
            tok.chat_template = CHATML_TEMPLATE
        self.tokenizer = tok
        self.name = f"vllm:{model}"
        self.counter = HFTokenCounter(tok, model)
        self.exact_token_counts = True  # n_tokens counts the generated ids: the env charges it
        self._decode = keep_marker_decoder(tok, self._markers)

    @staticmethod
    def check_args(args: dict) -> list[str]:
        """What is wrong with these arguments (those given; ``vllm.LLM``'s own keywords are its
        own to check), found without vLLM: run by ``osmckp validate`` and ``osmckp run`` before any
        model loads."""
        return check_arg_values(
            args,
            {
                "model": (is_str, "a path or hub id"),
                "base_model": (optional(is_str), "a path or hub id"),
                "chat_template_kwargs": (is_mapping_or_none, "a mapping"),
            },
        )

    def generate(self, prompts: list[Messages], *, max_tokens, sampling: Sampling | None = None) -> list[Completion]:
        sampling = sampling or Sampling()
        caps = check_max_tokens(max_tokens, len(prompts))
        texts = [
            self.tokenizer.apply_chat_template(
                m, tokenize=False, add_generation_prompt=True, **self.chat_template_kwargs
            )
            for m in prompts
        ]
        prefix = f"{self._markers[0]}\n"
        n_prefix = len(self.counter.offsets(prefix))
        opened = [opens_thinking(t, self._markers) for t in texts]
        caps = [max(1, c - n_prefix) if o else c for c, o in zip(caps, opened)]
        params = [
            self._vllm.SamplingParams(
                max_tokens=c, temperature=sampling.temperature, top_p=sampling.top_p, seed=sampling.seed
            )
            for c in caps
        ]
        outs = self.llm.generate(texts, params, lora_request=self._lora)
        result = []
        for o, opens in zip(outs, opened):
            g = o.outputs[0]
            ids = list(g.token_ids)
            if ids and g.finish_reason == "stop" and ids[-1] == self.tokenizer.eos_token_id:
                ids = ids[:-1]  # the end-of-sequence token is not text: not charged (as transformers)
            text = self._decode(ids)
            n = len(ids)
            if opens:
                text, n = prefix + text, n + n_prefix
            result.append(Completion(text, n, "length" if g.finish_reason == "length" else "stop"))
        return result
