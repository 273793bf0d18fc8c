"""Reasoning models against a real socket: every reply shape scores what the charging rule says."""

import json

import pytest

from osmckp_env.backends import Sampling, make_backend
from osmckp_env.backends.scripted import gold_reply
from osmckp_env.runner.run import run_spec
from osmckp_env.runner.spec import AgentSpec
from osmckp_env.testing.fake_openai_server import FakeOpenAIServer

pytest.importorskip("openai")

N = 3  # exams per run (x2 orders)
LONG = "hmm " * 3000  # far more thinking than a 512 budget


def gold(prompt):
    return gold_reply([{"role": "user", "content": prompt}], 10_000)


def _run(srv, tmp_path, name="m", spec_fields=None, **backend_args):
    spec = AgentSpec(
        **(spec_fields or {}),
        name=name,
        agent="direct",
        backend="openai",
        model="served",
        backend_args={
            "base_url": srv.base_url,
            "api_key": "sk-test",
            "max_retries": 0,
            "timeout_s": 10,
            **backend_args,
        },
    )
    (res,) = run_spec(spec, ["medium-512"], tmp_path, n_exams=N, progress=False)
    recs = [json.loads(line) for line in open(tmp_path / name / f"medium-512-n{N}" / "records.jsonl")][1:]
    return res, recs


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_split_off_thinking_past_the_budget_leaves_no_answer(tmp_path, field):
    with FakeOpenAIServer(lambda p, cap: {field: LONG, "content": gold(p)}) as srv:
        res, recs = _run(srv, tmp_path)
    assert res["metrics"]["score"] == 0.0  # before: thinking dropped, Score 3.000
    assert all(r["cut_in_thinking"] and r["thinking_tokens"] == r["completion_tokens"] == 512 for r in recs)
    assert all(r["completion"].startswith("<think>\nhmm") for r in recs)
    assert res["metrics"]["cut_in_thinking_rate"] == 1.0


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_split_off_short_thinking_is_graded_and_charged(tmp_path, field):
    with FakeOpenAIServer(lambda p, cap: {field: "short " * 30, "content": gold(p)}) as srv:
        res, recs = _run(srv, tmp_path)
    assert res["metrics"]["score"] == 3.0
    assert all(r["thinking_tokens"] >= 30 and not r["cut_in_thinking"] for r in recs)
    assert res["metrics"]["thinking_tokens"] >= 30
    assert all(r["completion_tokens"] == r["thinking_tokens"] + r["answer_tokens"] for r in recs)


def test_inline_think_with_drafts_cut_inside_the_thinking_scores_zero(tmp_path):
    with FakeOpenAIServer(lambda p, cap: {"content": "<think>\n" + gold(p) + LONG + "</think>\n\n" + gold(p)}) as srv:
        res, recs = _run(srv, tmp_path)
    assert res["metrics"]["score"] == 0.0  # before: the drafts were graded, Score 3.000
    assert all(p["status"] == "unreached" for r in recs for p in r["problems"])


def test_openai_reasoning_model_from_a_plain_spec(tmp_path):
    # HTTP 400 for max_tokens and for temperature; hidden reasoning only in usage
    with FakeOpenAIServer(
        lambda p, cap: {"reasoning_tokens": 60, "content": gold(p)}, reject=("max_tokens", "temperature")
    ) as srv:
        res, recs = _run(srv, tmp_path)
        # requests in flight when the server first refused may be refused too; every one that was
        # answered (one per record) asked with max_completion_tokens and no temperature
        answered = [b for b in srv.bodies if "max_tokens" not in b and "temperature" not in b]
        assert len(answered) == len(recs) and all("max_completion_tokens" in b for b in answered)
    assert res["backend_errors"] == 0 and res["metrics"]["score"] == 3.0
    assert res["backend_notes"]["max_tokens_param"]["used"] == "max_completion_tokens"
    assert "temperature" in res["backend_notes"]["dropped_params"]
    assert all(r["hidden_reasoning_tokens"] == 60 and r["thinking_tokens"] == 60 for r in recs)


def test_hidden_reasoning_past_the_budget_leaves_no_answer(tmp_path):
    with FakeOpenAIServer(lambda p, cap: {"reasoning_tokens": 3000, "content": gold(p)}) as srv:
        res, recs = _run(srv, tmp_path, max_tokens_param="max_completion_tokens")
        assert all("max_completion_tokens" in b and "max_tokens" not in b for b in srv.bodies)
    assert res["metrics"]["score"] == 0.0
    assert all(r["cut_in_thinking"] and r["hidden_reasoning_tokens"] == 512 for r in recs)


def test_usage_beyond_the_returned_text_is_charged_as_hidden(tmp_path):
    with FakeOpenAIServer(lambda p, cap: {"content": gold(p), "completion_tokens": 600}) as srv:
        res, recs = _run(srv, tmp_path)
    assert res["metrics"]["score"] == 0.0
    assert all(r["hidden_reasoning_tokens"] > 400 for r in recs)
    with FakeOpenAIServer(lambda p, cap: {"content": gold(p)}) as srv:  # word counts: below our count
        res, recs = _run(srv, tmp_path, name="honest")
    assert res["metrics"]["score"] == 3.0 and all(r["hidden_reasoning_tokens"] == 0 for r in recs)


def test_a_lone_surrogate_never_crashes_a_run(tmp_path):
    with FakeOpenAIServer(lambda p, cap: gold(p).replace("Short", "Sh\ud800ort\x00")) as srv:
        res, recs = _run(srv, tmp_path)
    assert res["metrics"]["score"] == 3.0 and res["backend_errors"] == 0
    assert all(r["text_repaired"] for r in recs)
    assert all("\ufffd" in r["completion"] for r in recs)


def test_unreachable_server_is_an_error_not_a_zero(tmp_path, capsys):
    from osmckp_env.cli import main

    spec = tmp_path / "s.yaml"
    spec.write_text(
        "name: down\nagent: direct\nbackend: openai\nmodel: m\n"
        "backend_args: {base_url: 'http://127.0.0.1:9/v1', max_retries: 0, timeout_s: 2}\n"
    )
    code = main(
        ["run", str(spec), "--suite", "medium-512", "--n-exams", "2", "--out", str(tmp_path / "runs"), "--quiet"]
    )
    assert code == 3
    err = capsys.readouterr().err
    assert "INCOMPLETE: 4 of 4" in err and "Connection" in err
    results = tmp_path / "runs" / "down" / "medium-512-n2" / "results.json"
    res = json.loads(results.read_text())
    assert res["backend_error_rate"] == 1.0 and res["complete"] is False
    assert res["metrics"]["n_exams"] == 0  # no exam is scored as 0
    assert res["citation"]["text"].startswith("INCOMPLETE") and not res["citation"]["complete"]
    assert main(["validate", str(results)]) == 1
    assert "incomplete: 4 of 4" in capsys.readouterr().out
    from osmckp_env.leaderboard import build_leaderboard

    out = build_leaderboard(tmp_path / "runs", tmp_path / "lb", reported=None, plots=False)
    assert out["settings"] == {} and out["trials"] == {}
    readme = (tmp_path / "lb" / "README.md").read_text()
    assert "Incomplete runs (not ranked)" in readme and "| down | medium-512 | 4 |" in readme


def test_a_typo_in_backend_args_is_refused_before_anything_is_written(tmp_path, capsys):
    from osmckp_env.cli import main

    spec = tmp_path / "s.yaml"
    spec.write_text("name: typo\nagent: direct\nbackend: openai\nmodel: m\nbackend_args: {concurency: 4}\n")
    assert main(["validate", str(spec)]) == 1
    assert "did you mean 'concurrency'" in capsys.readouterr().out
    assert main(["run", str(spec), "--suite", "medium-512", "--out", str(tmp_path / "runs")]) == 2
    assert "did you mean 'concurrency'" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()
    ok = tmp_path / "ok.yaml"
    ok.write_text(
        "name: t\nagent: direct\nbackend: openai\nmodel: m\n"
        "backend_args: {extra_body: {chat_template_kwargs: {enable_thinking: true}}, max_tokens_param: max_tokens}\n"
    )
    assert main(["validate", str(ok)]) == 0


def test_extra_body_and_chat_template_kwargs_reach_the_server():
    with FakeOpenAIServer(lambda p, cap: "\\boxed{1}") as srv:
        b = make_backend(
            "openai",
            model="m",
            base_url=srv.base_url,
            api_key="k",
            extra_body={"reasoning_effort": "low"},
            chat_template_kwargs={"enable_thinking": True},
        )
        b.generate([[{"role": "user", "content": "q"}]], max_tokens=8, sampling=Sampling())
        body = srv.bodies[-1]
    assert body["reasoning_effort"] == "low" and body["chat_template_kwargs"] == {"enable_thinking": True}
    assert body["max_tokens"] == 8


def test_completions_endpoint_renders_with_a_chat_template_that_opens_thinking(tmp_path):
    pytest.importorskip("transformers")
    from osmckp_env.testing.tiny_model import train_tiny_tokenizer

    tok = train_tiny_tokenizer()
    tok.chat_template = (
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% if enable_thinking %}<think>\n"
        "{% else %}<think>\n\n</think>\n\n{% endif %}{% endif %}"
    )
    tok.save_pretrained(tmp_path / "tok")
    with FakeOpenAIServer(lambda p, cap: "draft \\boxed{9}") as srv:
        on = make_backend(
            "openai",
            model="m",
            base_url=srv.base_url,
            api_key="k",
            endpoint="completions",
            tokenizer=str(tmp_path / "tok"),
            chat_template_kwargs={"enable_thinking": True},
        )
        (c,) = on.generate([[{"role": "user", "content": "q"}]], max_tokens=50, sampling=Sampling())
        assert srv.bodies[-1]["prompt"].endswith("<|im_start|>assistant\n<think>\n")
        off = make_backend(
            "openai",
            model="m",
            base_url=srv.base_url,
            api_key="k",
            endpoint="completions",
            tokenizer=str(tmp_path / "tok"),
            chat_template_kwargs={"enable_thinking": False},
        )
        (d,) = off.generate([[{"role": "user", "content": "q"}]], max_tokens=50, sampling=Sampling())
    assert c.text == "<think>\ndraft \\boxed{9}"  # the reply starts inside the thinking: never an answer
    assert d.text == "draft \\boxed{9}"
    assert on.counter.name == str(tmp_path / "tok")


# -- a chat template that opens <think> in the prompt, served without a reasoning parser --------

R1_TEMPLATE = (  # the DeepSeek-R1 distills' generation prompt: the model's reply starts inside the thinking
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n<think>\n{% endif %}"
)


def _r1_tokenizer(tmp_path):
    pytest.importorskip("transformers")
    from osmckp_env.testing.tiny_model import train_tiny_tokenizer

    tok = train_tiny_tokenizer()
    tok.chat_template = R1_TEMPLATE
    tok.save_pretrained(tmp_path / "r1-tok")
    return str(tmp_path / "r1-tok")


def _drafts_then_answer(p, cap):  # thinking (drafts with answers) that outlasts a 512 budget, then the answer
    return {"content": gold(p) + LONG + "</think>\n\n" + gold(p)}


@pytest.mark.parametrize("told_by", ["tokenizer", "opens_thinking"])
def test_chat_reply_cut_inside_thinking_the_template_opened_leaves_no_answer(tmp_path, told_by):
    args = {"tokenizer": _r1_tokenizer(tmp_path)} if told_by == "tokenizer" else {"opens_thinking": True}
    with FakeOpenAIServer(_drafts_then_answer) as srv:
        res, recs = _run(srv, tmp_path, **args)
        caps = [b["max_tokens"] for b in srv.bodies]
    assert res["metrics"]["score"] == 0.0  # before: the drafts were read as the answer, Score 3.000
    assert all(c < 512 for c in caps)  # the marker put back is taken from the cap
    assert all(r["cut_in_thinking"] and r["completion"].startswith("<think>\n### Problem 1") for r in recs)
    assert all(p["status"] == "unreached" for r in recs for p in r["problems"])
    assert all(r["completion_tokens"] <= 512 for r in recs)


def test_thinking_the_template_opened_is_charged_and_the_answer_after_it_graded(tmp_path):
    tok = _r1_tokenizer(tmp_path)
    with FakeOpenAIServer(lambda p, cap: {"content": "short draft \\boxed{0}\n</think>\n\n" + gold(p)}) as srv:
        res, recs = _run(srv, tmp_path, tokenizer=tok)
    assert res["metrics"]["score"] == 3.0
    assert all(r["thinking_tokens"] > 0 and not r["cut_in_thinking"] for r in recs)
    assert all(r["completion"].startswith("<think>\nshort draft") for r in recs)


def test_a_template_that_opens_thinking_with_a_reasoning_parser_is_joined_once(tmp_path):
    with FakeOpenAIServer(lambda p, cap: {"reasoning_content": "short " * 30, "content": gold(p)}) as srv:
        res, recs = _run(srv, tmp_path, tokenizer=_r1_tokenizer(tmp_path))
    assert res["metrics"]["score"] == 3.0
    assert all(r["completion"].startswith("<think>\nshort") and r["completion"].count("<think>") == 1 for r in recs)


def test_a_template_that_does_not_open_thinking_changes_nothing(tmp_path):
    with FakeOpenAIServer(lambda p, cap: "draft \\boxed{9}") as srv:
        b = make_backend("openai", model="m", base_url=srv.base_url, api_key="k", opens_thinking=False)
        (c,) = b.generate([[{"role": "user", "content": "q"}]], max_tokens=50, sampling=Sampling())
        assert srv.bodies[-1]["max_tokens"] == 50
    assert c.text == "draft \\boxed{9}"
    with pytest.raises(ValueError, match="opens_thinking must be true, false or null"):
        make_backend("openai", model="m", api_key="k", opens_thinking="yes")


def test_split_off_thinking_is_joined_with_the_specs_markers(tmp_path):
    markers = ["<reasoning>", "</reasoning>"]
    with FakeOpenAIServer(lambda p, cap: {"reasoning_content": gold(p) + LONG, "content": gold(p)}) as srv:
        res, recs = _run(srv, tmp_path, spec_fields={"think_markers": markers})
    assert res["metrics"]["score"] == 0.0  # before: joined with <think>, the drafts were graded: Score 3.000
    assert all(r["cut_in_thinking"] and r["completion"].startswith("<reasoning>\n### Problem 1") for r in recs)
    assert "<think>" not in recs[0]["completion"]
    with FakeOpenAIServer(lambda p, cap: {"reasoning_content": "draft \\boxed{0} " * 5, "content": gold(p)}) as srv:
        res, recs = _run(srv, tmp_path, name="short", spec_fields={"think_markers": markers})
    assert res["metrics"]["score"] == 3.0 and all(r["thinking_tokens"] > 5 for r in recs)
    assert all(r["completion"].startswith("<reasoning>\ndraft") and "</reasoning>\n\n" in r["completion"] for r in recs)
