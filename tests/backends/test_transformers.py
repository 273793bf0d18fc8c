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


def test_a_peft_adapter_folder_loads_on_its_base(tiny_checkpoint, tmp_path):
    pytest.importorskip("peft")
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_checkpoint)
    lora = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", task_type="CAUSAL_LM"))
    torch.manual_seed(0)
    with torch.no_grad():
        for name, p in lora.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5)  # a trained adapter: not the identity
    lora.save_pretrained(tmp_path / "checkpoint-2")  # what an intermediate LoRA checkpoint holds
    assert (tmp_path / "checkpoint-2" / "adapter_config.json").exists()
    merged = lora.merge_and_unload()

    from_adapter = make_backend("transformers", model=str(tmp_path / "checkpoint-2"), device="cpu")
    from_merged = make_backend("transformers", model=merged, tokenizer=str(tiny_checkpoint), device="cpu")
    from_base = make_backend("transformers", model=str(tiny_checkpoint), device="cpu")
    texts = [c.text for c in from_adapter.generate(PROMPTS, max_tokens=8, sampling=Sampling())]
    assert texts == [c.text for c in from_merged.generate(PROMPTS, max_tokens=8, sampling=Sampling())]
    assert texts != [c.text for c in from_base.generate(PROMPTS, max_tokens=8, sampling=Sampling())]


QWEN3_STYLE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% if enable_thinking is defined and enable_thinking %}"
    "<think>\n{% else %}<think>\n\n</think>\n\n{% endif %}{% endif %}"
)


def test_a_template_that_opens_thinking_starts_the_completion_inside_it(tiny_checkpoint):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_checkpoint)
    tok.add_special_tokens({"additional_special_tokens": ["<think>", "</think>"]})  # marked special
    tok.chat_template = QWEN3_STYLE
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_checkpoint)
    model.resize_token_embeddings(len(tok))
    on = make_backend(
        "transformers", model=model, tokenizer=tok, device="cpu", chat_template_kwargs={"enable_thinking": True}
    )
    assert on.render(PROMPTS[0]).endswith("<|im_start|>assistant\n<think>\n")
    (c,) = on.generate(PROMPTS[:1], max_tokens=12, sampling=Sampling())
    assert c.text.startswith("<think>\n") and c.n_tokens <= 12
    off = make_backend(
        "transformers", model=model, tokenizer=tok, device="cpu", chat_template_kwargs={"enable_thinking": False}
    )
    assert off.render(PROMPTS[0]).endswith("<think>\n\n</think>\n\n")
    (d,) = off.generate(PROMPTS[:1], max_tokens=12, sampling=Sampling())
    assert not d.text.startswith("<think>")
    # the markers are special tokens here: decoding keeps them, and drops the other specials
    ids = tok.encode("<think>a</think><|im_end|>b", add_special_tokens=False)
    assert on._decode(ids) == "<think>a</think>b"
    assert tok.decode(ids, skip_special_tokens=True) == "ab"  # what plain decoding would have scored


def test_a_template_that_opens_the_specs_own_think_markers(tiny_checkpoint):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_checkpoint)
    tok.add_special_tokens({"additional_special_tokens": ["<reasoning>", "</reasoning>"]})  # marked special
    tok.chat_template = QWEN3_STYLE.replace("think>", "reasoning>")
    model = AutoModelForCausalLM.from_pretrained(tiny_checkpoint)
    model.resize_token_embeddings(len(tok))
    b = make_backend(
        "transformers",
        model=model,
        tokenizer=tok,
        device="cpu",
        chat_template_kwargs={"enable_thinking": True},
        think_markers=("<reasoning>", "</reasoning>"),
    )
    (c,) = b.generate(PROMPTS[:1], max_tokens=12, sampling=Sampling())
    assert c.text.startswith("<reasoning>\n") and c.n_tokens <= 12  # before: no marker, read as the answer
    ids = tok.encode("<reasoning>a</reasoning><|im_end|>b", add_special_tokens=False)
    assert b._decode(ids) == "<reasoning>a</reasoning>b"


def test_chat_template_kwargs_must_be_a_mapping(tiny_checkpoint):
    with pytest.raises(ValueError, match="chat_template_kwargs"):
        make_backend("transformers", model=str(tiny_checkpoint), device="cpu", chat_template_kwargs="yes")
