from osmckp_env.exam.tokenization import bundled_tokenizer, default_counter, truncate


def test_bundled_qwen_tokenizer_reference_ids():
    tok = bundled_tokenizer()
    assert tok.encode("hello world", add_special_tokens=False).ids == [14990, 1879]
    assert tok.token_to_id("<|im_end|>") == 151645


def test_truncate_keeps_prefix_within_budget():
    c = default_counter()
    text = "word" + " word" * 99
    cut = truncate(text, 10, c)
    assert cut.truncated and cut.n_tokens == 100
    assert text.startswith(cut.text)
    assert c.count(cut.text) <= 10


def test_truncate_noop_under_budget():
    cut = truncate("short", 100)
    assert not cut.truncated and cut.text == "short" and cut.n_tokens == 1


def test_unicode_and_zero_budget():
    cut = truncate("π ≈ 3.14159 🙂 中文", 3)
    assert cut.truncated and len(cut.token_ends) == 3
    assert truncate("abc", 0).text == ""


def test_tokens_in_span():
    cut = truncate("aaa bbb ccc", 100)
    assert cut.tokens_in(0, len("aaa bbb ccc")) == cut.n_tokens
