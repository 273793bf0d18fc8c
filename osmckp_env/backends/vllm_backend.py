"""Offline vLLM (extra ``vllm``): ``LLM.generate`` with ``SamplingParams(max_tokens=...)``. GPU only."""

from __future__ import annotations

from osmckp_env.backends.base import CHATML_TEMPLATE, Completion, Messages, Sampling, check_max_tokens, peft_adapter
from osmckp_env.exam.tokenization import HFTokenCounter


class VLLMBackend:
    """Args: ``model`` (path or hub id) and any ``vllm.LLM`` keyword (``tensor_parallel_size``...).

    A PEFT adapter folder (``adapter_config.json``) is served as a LoRA on its base model
    (``base_model`` overrides the base the adapter names; ``max_lora_rank`` defaults to its rank).
    """

    def __init__(self, model: str, base_model: str | None = None, **llm_kwargs) -> None:
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

    def generate(self, prompts: list[Messages], *, max_tokens, sampling: Sampling | None = None) -> list[Completion]:
        sampling = sampling or Sampling()
        caps = check_max_tokens(max_tokens, len(prompts))
        texts = [self.tokenizer.apply_chat_template(m, tokenize=False, add_generation_prompt=True) for m in prompts]
        params = [
            self._vllm.SamplingParams(
                max_tokens=c, temperature=sampling.temperature, top_p=sampling.top_p, seed=sampling.seed
            )
            for c in caps
        ]
        outs = self.llm.generate(texts, params, lora_request=self._lora)
        return [
            Completion(
                o.outputs[0].text,
                len(o.outputs[0].token_ids),
                "length" if o.outputs[0].finish_reason == "length" else "stop",
            )
            for o in outs
        ]
