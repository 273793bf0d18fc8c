import importlib.util

import pytest

from osmckp_env.backends import Sampling, make_backend

HAS_CUDA = False
try:
    import torch

    HAS_CUDA = torch.cuda.is_available()
except ImportError:
    pass


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed")
def test_vllm_missing_gives_install_hint():
    with pytest.raises(ImportError, match=r"osmckp\[vllm\]"):
        make_backend("vllm", model="any")


@pytest.mark.gpu
@pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA device")
def test_transformers_backend_on_cuda(tiny_checkpoint):
    b = make_backend("transformers", model=str(tiny_checkpoint), device="cuda", dtype="bfloat16")
    out = b.generate([[{"role": "user", "content": "hi"}]] * 4, max_tokens=16, sampling=Sampling())
    assert all(c.n_tokens <= 16 for c in out)


@pytest.mark.gpu
@pytest.mark.skipif(not HAS_CUDA or importlib.util.find_spec("vllm") is None, reason="needs CUDA and vLLM")
def test_vllm_backend_caps_tokens(tiny_checkpoint):
    b = make_backend("vllm", model=str(tiny_checkpoint), gpu_memory_utilization=0.3)
    out = b.generate([[{"role": "user", "content": "hi"}]] * 4, max_tokens=[4, 8, 16, 32], sampling=Sampling())
    assert [c.n_tokens <= cap for c, cap in zip(out, [4, 8, 16, 32])] == [True] * 4
