"""Requests spread over server replicas: least in flight first, an unreachable replica taken out
for a while, nothing lost or duplicated, requests and errors per replica recorded without secrets."""

import socket
import threading

import pytest

from osmckp_env.backends import Sampling, make_backend
from osmckp_env.backends.replicas import ReplicaPool, public_url
from osmckp_env.testing.fake_openai_server import FakeOpenAIServer

pytest.importorskip("openai")


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_the_pool_picks_the_least_busy_replica_and_rests_a_dead_one():
    clock = Clock()
    pool = ReplicaPool(["http://a/v1", "http://b/v1", "http://c/v1"], cooldown_s=10, clock=clock)
    first = [pool.acquire() for _ in range(3)]
    assert sorted(first) == [0, 1, 2]  # one each before any gets a second
    pool.release(1, error="refused", down=True)
    assert [pool.acquire() for _ in range(2)] == [0, 2]  # the dead one is skipped
    for i in (0, 2, 0, 2):
        pool.release(i)
    picks = {pool.acquire() for _ in range(4)}
    assert 1 not in picks  # taken out
    clock.t = 11.0
    assert pool.any_up() and 1 in {pool.acquire() for _ in range(3)}  # back after its cooldown
    stats = pool.stats()
    assert stats[1]["errors"] == 1 and stats[1]["taken_out"] == 1 and sum(s["requests"] for s in stats) == 12


def test_when_every_replica_is_out_the_first_to_return_is_tried():
    clock = Clock()
    pool = ReplicaPool(["http://a", "http://b"], cooldown_s=10, clock=clock)
    i = pool.acquire()
    pool.release(i, error="x", down=True)
    clock.t = 2.0
    j = pool.acquire()
    pool.release(j, error="x", down=True)
    assert pool.acquire() == i and not pool.any_up()


def test_urls_are_recorded_without_credentials():
    assert public_url("http://user:secret@h:8000/v1?key=abc") == "http://h:8000/v1"
    pool = ReplicaPool(["https://u:p@api.example.com/v1"])
    assert pool.stats()[0]["url"] == "https://api.example.com/v1"


def _dead_url() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there: connections are refused
    return f"http://127.0.0.1:{port}/v1"


def test_three_replicas_one_dead_lose_nothing(tmp_path, grader):
    from osmckp_env.exam.suites import get_suite
    from osmckp_env.runner.run import run_suite
    from osmckp_env.runner.spec import AgentSpec

    seen, lock = [], threading.Lock()

    def reply(prompt, cap):
        with lock:
            seen.append(prompt)
        return "\\boxed{NA}"

    with FakeOpenAIServer(reply) as a, FakeOpenAIServer(reply) as b:
        urls = [a.base_url, _dead_url(), b.base_url]
        spec = AgentSpec(name="dp", agent="direct", backend="openai", model="m", counter="qwen2.5", batch_size=8,
                         backend_args={"base_url": urls, "api_key": "sk-secret", "concurrency": 4, "max_retries": 3,
                                       "timeout_s": 5, "backoff_s": 0.01})  # fmt: skip
        res = run_suite(spec, get_suite("hard-512", n_exams=10), tmp_path / "r", grader=grader, progress=False)
        assert res["backend_errors"] == 0 and res["complete"] and res["n_records"] == 20
        assert len(seen) == 20 == a.requests + b.requests  # every prompt answered once
        assert a.requests > 0 and b.requests > 0  # spread over both live replicas
    stats = {s["url"]: s for s in res["backend_notes"]["replicas"]}
    dead = stats[urls[1]]
    assert dead["errors"] >= 1 and dead["taken_out"] >= 1 and dead["requests"] == dead["errors"]
    assert stats[a.base_url]["requests"] == a.requests and stats[b.base_url]["requests"] == b.requests
    assert "sk-secret" not in (tmp_path / "r" / "results.json").read_text()


def test_one_url_keeps_the_clients_own_retries():
    with FakeOpenAIServer(lambda p, cap: "ok", faults=[500, 500]) as srv:
        be = make_backend("openai", model="m", base_url=srv.base_url, api_key="k", max_retries=3, timeout_s=5)
        (c,) = be.generate([[{"role": "user", "content": "q"}]], max_tokens=5, sampling=Sampling())
    assert c.text == "ok" and "replicas" not in be.notes and len(be.clients) == 1
