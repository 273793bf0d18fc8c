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


def test_counter_wraps_both_tokenizer_kinds_and_counts_like_them():
    import pytest

    from osmckp_env.exam.tokenization import HFTokenCounter, bundled_tokenizer, default_counter

    raw = bundled_tokenizer()
    c = HFTokenCounter(raw, "mine")
    text = "### Problem 1\nThe answer is \\boxed{42}. 漢字 é"
    ids = raw.encode(text, add_special_tokens=False)
    assert c.name == "mine" and repr(c) == "HFTokenCounter('mine')"
    assert c.count(text) == len(ids.ids) and c.offsets(text) == list(ids.offsets)
    assert c.count_batch([text, "", "a b"]) == [len(ids.ids), 0, len(raw.encode("a b").ids)]
    assert default_counter().name == "qwen2.5" and default_counter() is default_counter()

    class FastLike:  # a transformers fast tokenizer exposes its tokenizers.Tokenizer as backend_tokenizer
        backend_tokenizer = raw

    assert HFTokenCounter(FastLike(), "fast").count(text) == len(ids.ids)
    with pytest.raises(TypeError, match="fast transformers tokenizer"):
        HFTokenCounter(object(), "slow")


def test_truncation_fields_at_and_around_the_budget():
    from osmckp_env.exam.tokenization import default_counter, truncate

    c = default_counter()
    text = "one two three four five six"
    offs = c.offsets(text)
    for budget in range(0, len(offs) + 2):
        cut = truncate(text, budget, c)
        kept = offs[:budget]
        assert cut.n_tokens == len(offs) and cut.n_tokens_exact
        assert cut.truncated == (len(offs) > budget)
        assert cut.text == (text if len(offs) <= budget else text[: kept[-1][1]] if kept else "")
        assert cut.token_ends == tuple(e for _, e in kept)
        assert cut.tokens_in(-1, len(cut.text)) == min(budget, len(offs))
        assert cut.tokens_in(0, 0) == 0


def test_the_exact_count_limit_and_the_lower_bound_flag():
    from osmckp_env.exam import tokenization as T

    c = T.default_counter()
    text = ("word " * (T.EXACT_CHARS // 5 + 10))[: T.EXACT_CHARS]
    assert len(text) == T.EXACT_CHARS
    at_limit = T.truncate(text, 50, c)
    assert at_limit.n_tokens_exact is True and at_limit.n_tokens == len(c.offsets(text))
    longer = T.truncate(text + "word", 50, c)
    assert longer.n_tokens_exact is False and 50 < longer.n_tokens <= len(c.offsets(text + "word"))
    assert longer.truncated is True and longer.token_ends == tuple(e for _, e in c.offsets(text)[:50])


def test_safe_offsets_index_the_text_itself_when_it_holds_invalid_code_points():
    from osmckp_env.exam.tokenization import default_counter, safe_offsets

    text = "ab\ud800cd"  # a lone surrogate, as a broken server may send
    offs = safe_offsets(default_counter(), text)
    assert offs[-1][1] == len(text)
    assert offs == default_counter().offsets("ab\ufffdcd")
