import pytest

from osmckp_env.backends import Sampling, make_backend, prompt_hash
from osmckp_env.backends.scripted import ScriptedBackend
from osmckp_env.exam.prompts import exam_messages
from osmckp_env.exam.suites import get_suite


def test_scripted_caps_tokens():
    b = ScriptedBackend(lambda m, cap: "word " * 100)
    c = b.generate([[{"role": "user", "content": "x"}]], max_tokens=10)[0]
    assert c.n_tokens == 10 and c.finish_reason == "length"


def test_gold_script_answers_bundled_problems():
    e = get_suite("hard-1024")[3]
    text = ScriptedBackend("gold").generate([exam_messages(e)], max_tokens=1024)[0].text
    for p in e.problems:
        assert f"\\boxed{{{p.answer}}}" in text


def test_unknown_script():
    with pytest.raises(KeyError, match="skip-all"):
        ScriptedBackend("skip-al")


def test_replay_roundtrip(tmp_path):
    import json

    msgs = [{"role": "user", "content": "hello"}]
    rec = {
        "key": "medium:0",
        "config_hash": "x",
        "exam_index": 0,
        "order": "medium",
        "problems": [],
        "score": 0,
        "calls": [{"prompt_hash": prompt_hash(msgs), "text": "\\boxed{5}", "n_tokens": 4, "finish_reason": "stop"}],
    }
    p = tmp_path / "records.jsonl"
    p.write_text(json.dumps({"osmckp_records": 1, "config_hash": "x"}) + "\n" + json.dumps(rec) + "\n")
    b = make_backend("replay", path=str(tmp_path))
    assert b.generate([msgs], max_tokens=100, sampling=Sampling())[0].text == "\\boxed{5}"
    with pytest.raises(KeyError, match="not recorded"):
        b.generate([[{"role": "user", "content": "other"}]], max_tokens=5, sampling=Sampling())


def test_unknown_backend_suggests():
    with pytest.raises(KeyError, match="openai"):
        make_backend("opena")


def test_skip_all_skips_every_problem(tmp_path, grader):
    from pathlib import Path

    from osmckp_env.exam.suites import get_suite
    from osmckp_env.runner.run import run_suite
    from osmckp_env.runner.spec import load_spec

    spec = load_spec(Path(__file__).resolve().parents[2] / "baselines" / "skip-all.yaml")
    res = run_suite(spec, get_suite("medium-512", n_exams=4), tmp_path / "s", grader=grader, progress=False)
    m = res["metrics"]
    assert m["skip_rate"] == 1.0 and m["unreached_rate"] == 0.0 and m["score"] == 0.0
