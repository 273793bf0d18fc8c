import pytest
from conftest import gold_or_level_reply

from osmckp_env.agents import AGENTS, Agent, make_agent
from osmckp_env.backends import make_backend
from osmckp_env.backends.scripted import ScriptedBackend
from osmckp_env.exam.suites import get_suite
from osmckp_env.grading.record import score_completions

EXAMS = get_suite("medium-512", n_exams=3).exams


@pytest.mark.parametrize("kind", sorted(AGENTS))
def test_every_agent_end_to_end_on_tiny_model(kind, tiny_checkpoint, grader):
    backend = make_backend("transformers", model=str(tiny_checkpoint), device="cpu", batch_size=4)
    agent = make_agent(kind, backend)
    assert isinstance(agent, Agent)
    outs = agent.solve(EXAMS)
    assert len(outs) == 3 and all(isinstance(o.text, str) and o.calls for o in outs)
    for o, e in zip(outs, EXAMS):
        assert sum(c["n_tokens"] for c in o.calls if c["purpose"] == "solve") <= e.budget
    recs = score_completions(EXAMS, [o.text for o in outs], counter=backend.counter, grader=grader)
    for r, o, e in zip(recs, outs, EXAMS):
        # the env's count is the tokenizer's own count of the text, cut at the budget
        assert r["completion_tokens"] == min(
            len(backend.tokenizer(o.text, add_special_tokens=False)["input_ids"]), e.budget
        )
        assert r["score"] == sum(p["correct"] for p in r["problems"]) and len(r["problems"]) == e.n_problems


@pytest.mark.parametrize("kind", sorted(AGENTS))
def test_agents_with_gold_script_score_what_they_attempt(kind, grader):
    agent = make_agent(kind, ScriptedBackend(gold_or_level_reply()))
    outs = agent.solve(EXAMS)
    recs = score_completions(EXAMS, [o.text for o in outs], grader=grader)
    if kind == "greedy-knapsack":
        # hard problems are predicted Level-3 and skipped; easy (128) + medium (384) fit in 512
        assert all(r["score"] == 2 for r in recs)
        assert all(
            o.plan["chosen"] == sorted(k for k, p in enumerate(e.problems) if p.tier != "hard")
            for o, e in zip(outs, EXAMS)
        )
    else:
        assert all(r["score"] == 3 for r in recs)


def test_prompt_variants_differ():
    b = ScriptedBackend()
    texts = {
        k: make_agent(k, b).messages(EXAMS[0])[-1]["content"]
        for k in ("direct", "plan-and-solve", "least-to-most", "mft")
    }
    assert len(set(texts.values())) == 4
    assert "<predicted_level>" in texts["mft"] and "<predicted_level>" not in texts["direct"]
    assert "512 tokens" in texts["direct"] and "\\boxed{NA}" in texts["direct"]


def test_custom_agent_entry_point(tmp_path, monkeypatch):
    (tmp_path / "my_agents.py").write_text(
        "from osmckp_env.agents import AgentOutput\n"
        "class Mine:\n"
        "    name = 'mine'\n"
        "    def __init__(self, backend, **kw): self.backend = backend\n"
        "    def reset(self, seed=None): pass\n"
        "    def solve(self, exams): return [AgentOutput('\\\\boxed{NA}') for _ in exams]\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    agent = make_agent("my_agents:Mine", ScriptedBackend())
    assert agent.solve(EXAMS)[0].text == "\\boxed{NA}"
    with pytest.raises(ImportError, match="no attribute"):
        make_agent("my_agents:Nope", ScriptedBackend())


def test_unknown_agent_suggests():
    with pytest.raises(KeyError, match="greedy-knapsack"):
        make_agent("greedy-knapsak", ScriptedBackend())


def test_act_on_gym_observation(grader):
    import gymnasium as gym

    env = gym.make("OSMCKP-Seq-v0", suite="easy-512", grader=grader)
    agent = make_agent("direct", ScriptedBackend(gold_or_level_reply()))
    obs, _ = env.reset(seed=0)
    total, done = 0.0, False
    while not done:
        obs, r, done, _, info = env.step(agent.act(obs))
        total += r
    assert total == 3.0


def test_least_to_most_assesses_the_whole_exam_before_solving(grader):
    from osmckp_env.agents.prompting import parse_skip_list
    from osmckp_env.backends.scripted import gold_reply

    seen = []

    def reply(messages, cap):
        user = messages[-1]["content"]
        seen.append((user, cap))
        if "assess the whole exam" in user:
            return "SKIP: 3"
        return gold_reply(messages, cap)

    agent = make_agent("least-to-most", ScriptedBackend(reply))
    outs = agent.solve(EXAMS)
    assess = [u for u, _ in seen if "assess the whole exam" in u]
    solve = [u for u, _ in seen if "assess the whole exam" not in u]
    assert len(assess) == len(solve) == 3
    # the assessment sees every problem of the exam and its budget
    assert all(p.problem.strip()[:40] in assess[0] for p in EXAMS[0].problems) and "512 tokens" in assess[0]
    assert all(o.plan == {"skip": [2]} for o in outs)
    assert all("skip problems 3" in u for u in solve)
    assert [c["purpose"] for c in outs[0].calls] == ["assess", "solve"]
    assert parse_skip_list("SKIP: none", 3) == [] and parse_skip_list("SKIP: 1, 3, 7", 3) == [0, 2]
    assert parse_skip_list("no verdict", 3) is None


def test_greedy_knapsack_plan_follows_cost_not_tier_order_and_reserves_budget(grader):
    # levels by tier: medium Level-0 (128) is cheaper than easy Level-1 (384); hard Level-2 (768)
    levels = {"easy": 1, "medium": 0, "hard": 2}
    agent = make_agent("greedy-knapsack", ScriptedBackend(gold_or_level_reply(levels)))
    outs = agent.solve(EXAMS)
    for o, e in zip(outs, EXAMS):
        tiers = [p.tier for p in e.problems]
        assert o.plan["levels"] == [levels[t] for t in tiers]
        # 128 + 384 = 512 fits the budget; adding 768 does not
        assert o.plan["chosen"] == sorted(tiers.index(t) for t in ("easy", "medium"))
        solves = [c for c in o.calls if c["purpose"] == "solve"]
        first, second = sorted(o.plan["chosen"])
        # the first planned problem keeps the typical cost of the second in reserve (+24 for headers)
        assert solves[0]["max_tokens"] == 512 - (384 if tiers[second] == "easy" else 128) - 24
        assert solves[1]["max_tokens"] == 512 - solves[0]["n_tokens"] - 24
    recs = score_completions(EXAMS, [o.text for o in outs], grader=grader)
    assert all(r["score"] == 2 for r in recs)


def test_greedy_knapsack_charges_a_solve_calls_thinking_even_with_broken_text():
    def reply(messages, cap):
        if "Estimate" in messages[-1]["content"]:
            return "<predicted_level>Level-0</predicted_level>"
        return "<think>\nbroken \ud800 thought\n</think>\n\\boxed{1}"

    outs = make_agent("greedy-knapsack", ScriptedBackend(reply)).solve(EXAMS[:1])
    assert "<think>" not in outs[0].text and outs[0].text.count("\\boxed{1}") == 3
    assert outs[0].hidden_reasoning_tokens > 0  # each call's thinking is charged to the exam


def test_greedy_knapsack_splits_a_solve_calls_thinking_with_the_specs_markers():
    class Marked(ScriptedBackend):
        think_markers = ("<reasoning>", "</reasoning>")  # what the runner gives a backend from the spec

    def reply(messages, cap):
        if "Estimate" in messages[-1]["content"]:
            return "<predicted_level>Level-0</predicted_level>"
        return "<reasoning>\ndraft \\boxed{7}\n</reasoning>\n\\boxed{1}"

    outs = make_agent("greedy-knapsack", Marked(reply)).solve(EXAMS[:1])
    assert "<reasoning>" not in outs[0].text and "boxed{7}" not in outs[0].text  # before: kept whole
    assert outs[0].text.count("\\boxed{1}") == 3 and outs[0].hidden_reasoning_tokens > 0


def test_act_passes_hidden_reasoning_to_the_env(grader):
    # an o-series model behind the OpenAI API: the reasoning is hidden, only its count is reported
    import gymnasium as gym

    pytest.importorskip("openai")
    from osmckp_env.backends.scripted import gold_reply
    from osmckp_env.testing.fake_openai_server import FakeOpenAIServer

    def reply(prompt, cap):
        return {"reasoning_tokens": 60, "content": gold_reply([{"role": "user", "content": prompt}], cap)}

    env = gym.make("OSMCKP-v0", suite="medium-512", grader=grader)
    with FakeOpenAIServer(reply) as srv:
        backend = make_backend("openai", model="o", base_url=srv.base_url, api_key="k", max_retries=0)
        agent = make_agent("direct", backend)
        obs, _ = env.reset(seed=0)
        action = agent.act(obs)
    assert action["hidden_reasoning_tokens"] == 60 and "\\boxed" in action["text"]
    _, r, _, _, info = env.step(action)
    assert r == 3.0 and info["record"]["hidden_reasoning_tokens"] == info["record"]["thinking_tokens"] == 60
    plain = make_agent("direct", ScriptedBackend("gold")).act(obs)
    assert isinstance(plain, str)  # nothing hidden: the completion text, as before
