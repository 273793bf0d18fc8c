import pytest

from osmckp_env.backends import Sampling, make_backend
from osmckp_env.testing.fake_openai_server import FakeOpenAIServer

pytest.importorskip("openai")

MSG = [[{"role": "user", "content": "q"}]]


def _backend(server, **kw):
    kw.setdefault("max_retries", 3)
    kw.setdefault("timeout_s", 5)
    return make_backend("openai", model="m", base_url=server.base_url, api_key="sk-test", **kw)


def test_chat_and_usage_tokens():
    with FakeOpenAIServer(lambda p, cap: "one two three four five") as srv:
        out = _backend(srv).generate(MSG * 3, max_tokens=3, sampling=Sampling())
    assert [(c.text, c.n_tokens, c.finish_reason) for c in out] == [("one two three", 3, "length")] * 3


def test_completions_endpoint():
    with FakeOpenAIServer(lambda p, cap: "ok \\boxed{1}") as srv:
        out = _backend(srv, endpoint="completions").generate(MSG, max_tokens=10, sampling=Sampling())
    assert out[0].text == "ok \\boxed{1}" and out[0].finish_reason == "stop"


@pytest.mark.parametrize("fault", [500, 429, "drop", "badjson"])
def test_fails_then_recovers(fault):
    with FakeOpenAIServer(lambda p, cap: "fine", faults=[fault, fault]) as srv:
        out = _backend(srv).generate(MSG, max_tokens=5, sampling=Sampling())
        assert out[0].text == "fine" and out[0].error is None
        assert srv.requests == 3


def test_gives_up_with_error_recorded():
    with FakeOpenAIServer(faults=[500] * 10) as srv:
        out = _backend(srv, max_retries=1).generate(MSG, max_tokens=5, sampling=Sampling())
    assert out[0].finish_reason == "error" and ("500" in out[0].error or "Internal" in out[0].error)


def test_a_timed_out_request_is_never_sent_again_to_the_server_that_may_hold_it():
    # a serial server (transformers serve) still working on a queued request: a re-send made it
    # generate the exam twice (11 requests for 10 exams)
    with FakeOpenAIServer(lambda p, cap: "late", faults=["stall"], stall_s=3) as srv:
        out = _backend(srv, timeout_s=1, max_retries=2).generate(MSG, max_tokens=5, sampling=Sampling())
        assert srv.requests == 1
    assert out[0].finish_reason == "error" and "not re-sent" in out[0].error and "--retry-errors" in out[0].error


def test_a_serial_server_with_a_queue_gets_each_request_once():
    with FakeOpenAIServer(lambda p, cap: p.split()[-1], delay_s=0.3, capacity=1) as srv:
        msgs = [[{"role": "user", "content": f"n {i}"}] for i in range(6)]
        out = _backend(srv, concurrency=6, timeout_s=30).generate(msgs, max_tokens=5, sampling=Sampling())
        assert srv.requests == 6
    assert [c.text for c in out] == [str(i) for i in range(6)]


def test_concurrency_bounded_and_ordered():
    with FakeOpenAIServer(lambda p, cap: p.split()[-1], delay_s=0.05) as srv:
        msgs = [[{"role": "user", "content": f"n {i}"}] for i in range(20)]
        out = _backend(srv, concurrency=5).generate(msgs, max_tokens=5, sampling=Sampling())
    assert [c.text for c in out] == [str(i) for i in range(20)]
