"""Offline vLLM (extra ``vllm``): ``LLM.generate`` with ``SamplingParams(max_tokens=...)``. GPU only."""

from __future__ import annotations

from osmckp_env.backends.base import CHATML_TEMPLATE, Completion, Messages, Sampling, check_max_tokens
from osmckp_env.tokenization import HFTokenCounter


class VLLMBackend:
    """Args: ``model`` (path or hub id) and any ``vllm.LLM`` keyword (``tensor_parallel_size``...)."""

    def __init__(self, model: str, **llm_kwargs) -> None:
        try:
            import vllm
        except ImportError as e:
            raise ImportError("the vllm backend needs vLLM on a CUDA machine: pip install 'osmckp[vllm]'") from e
        self._vllm = vllm
        self.llm = vllm.LLM(model=model, **llm_kwargs)
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
        outs = self.llm.generate(texts, params)
        return [
            Completion(
                o.outputs[0].text,
                len(o.outputs[0].token_ids),
                "length" if o.outputs[0].finish_reason == "length" else "stop",
            )
            for o in outs
        ]
