import pytest

from osmckp_env.backends import Sampling, make_backend

pytest.importorskip("transformers")

PROMPTS = [[{"role": "user", "content": "What is 2+2?"}], [{"role": "user", "content": "A longer question " * 5}]]


@pytest.fixture(scope="module")
def backend(tiny_checkpoint):
    return make_backend("transformers", model=str(tiny_checkpoint), device="cpu", batch_size=2)


def test_loads_by_path_and_caps_tokens(backend):
    out = backend.generate(PROMPTS, max_tokens=[3, 9], sampling=Sampling())
    for c, cap in zip(out, [3, 9]):
        assert 0 < c.n_tokens <= cap
        # shorter than the cap only when the model ended the text itself
        assert c.n_tokens == cap or c.finish_reason == "stop"
    assert backend.counter.name


def test_greedy_is_deterministic_and_batch_invariant(backend):
    a = backend.generate(PROMPTS, max_tokens=6, sampling=Sampling())
    b = backend.generate(PROMPTS[:1], max_tokens=6, sampling=Sampling())
    assert a[0].text == b[0].text  # left padding does not change a greedy continuation


def test_sampling_seeded(backend):
    s = Sampling(temperature=1.0, seed=7)
    assert [c.text for c in backend.generate(PROMPTS, max_tokens=8, sampling=s)] == [
        c.text for c in backend.generate(PROMPTS, max_tokens=8, sampling=s)
    ]


def test_rejects_bad_cap(backend):
    with pytest.raises(ValueError, match="max_tokens"):
        backend.generate(PROMPTS, max_tokens=0, sampling=Sampling())
