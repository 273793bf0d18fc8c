"""The Inspect AI task: Inspect's own eval(), with its mock model scripted, its hf provider on the tiny
model and its OpenAI-compatible provider on the fake server, reports the Score and Regret that
`osmckp run` reports on the same completions. Needs inspect-ai (its own environment in CI)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

inspect_ai = pytest.importorskip("inspect_ai")
pytestmark = pytest.mark.filterwarnings(
    "ignore:The 'initial' parameter is deprecated:DeprecationWarning"
)  # Inspect's own

from conftest import replayed_run  # noqa: E402
from inspect_ai.log import read_eval_log  # noqa: E402
from inspect_ai.model import ContentReasoning, ContentText, ModelOutput, ModelUsage, get_model  # noqa: E402

from osmckp_env.backends.scripted import gold_reply, skip_reply  # noqa: E402
from osmckp_env.exam.prompts import exam_messages  # noqa: E402
from osmckp_env.exam.suites import get_suite  # noqa: E402
from osmckp_env.grading.record import score_completion  # noqa: E402
from osmckp_env.integrations.inspect_task import osmckp  # noqa: E402
from osmckp_env.testing.fake_openai_server import FakeOpenAIServer  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
TASK_FILE = REPO / "osmckp_env" / "integrations" / "inspect_task.py"


class Scripted:
    """Inspect's mock model answering with ``reply(messages, max_tokens)``: a str, or a ModelOutput."""

    def __init__(self, reply):
        self.reply, self.seen = reply, []

    def __call__(self, input, tools, tool_choice, config):
        msgs = [{"role": m.role, "content": m.text} for m in input]
        self.seen.append((msgs, config.max_tokens))
        out = self.reply(msgs, config.max_tokens)
        if isinstance(out, str):
            out = ModelOutput.from_content("mockllm/model", out)
        out.usage = out.usage or ModelUsage(output_tokens=1)  # the mock would count with tiktoken (a download)
        return out

    def model(self):
        return get_model("mockllm/model", custom_outputs=self, memoize=False)


def evaluate(task, model, tmp_path, **kw):
    (log,) = inspect_ai.eval(task, model=model, log_dir=str(tmp_path / "logs"), display="none", **kw)
    assert log.status == "success", log.error
    return {k: m.value for k, m in log.results.scores[0].metrics.items()}, log


@pytest.mark.parametrize("suite", ["hard-512", "arith-medium-128"])  # bundled, procedural
def test_gold_answers_score_n_problems_with_regret_0(tmp_path, suite):
    out, _ = evaluate(osmckp(suite=suite, n_exams=3), Scripted(gold_reply).model(), tmp_path)
    assert out["score"] == 3.0 and out["score_easy"] == 3.0 and out["regret"] == 0.0
    assert [out["score_ci_low"], out["score_ci_high"], out["regret_ci_low"], out["regret_ci_high"]] == [3, 3, 0, 0]


def test_skipping_everything_scores_0_in_every_epoch(tmp_path):
    out, log = evaluate(osmckp(suite="medium-1024", n_exams=2), Scripted(skip_reply).model(), tmp_path, epochs=2)
    assert out["score"] == 0.0 and out["skip_rate"] == 1.0 and out["regret"] == 0.0
    assert [s.scores["exam_scorer"].value for s in log.samples] == [0.0] * 4


def test_each_sample_asks_for_the_direct_agents_prompt_in_both_orders_capped_at_the_budget(tmp_path):
    model = Scripted(gold_reply)
    evaluate(osmckp(suite="medium-512", n_exams=2), model.model(), tmp_path)
    given = get_suite("medium-512", n_exams=2)
    expected = [exam_messages(e) for i in range(2) for e in (given[i], given.with_order("easy")[i])]
    assert sorted(json.dumps(m) for m, _ in model.seen) == sorted(json.dumps(m) for m in expected)
    assert {cap for _, cap in model.seen} == {512}


def test_completions_of_an_osmckp_run_give_exactly_its_score_regret_and_intervals(tmp_path, grader):
    res, records = replayed_run(tmp_path, grader)
    by_prompt = {p: r["completion"] for p, r in records.items()}

    out, _ = evaluate(
        osmckp(suite="hard-512", n_exams=12), Scripted(lambda m, cap: by_prompt[m[-1]["content"]]).model(), tmp_path
    )
    m = res["metrics"]
    assert out["score"] == pytest.approx(m["score"]) and out["regret"] == pytest.approx(m["regret"])
    assert out["score_easy"] == pytest.approx(m["score_easy"])
    for name in ("score", "regret", "score_easy", "skip_rate", "tokens_per_problem"):
        assert [out[f"{name}_ci_low"], out[f"{name}_ci_high"]] == pytest.approx(m["intervals"][name]["ci"]), name
    assert out["skip_rate"] == pytest.approx(m["skip_rate"])
    assert out["tokens_per_problem"] == pytest.approx(m["tokens_per_problem"])


def test_the_budget_is_the_envs_cut_and_reasoning_is_charged_whatever_the_provider_returns(tmp_path, grader):
    exam = get_suite("hard-512", n_exams=1)[0]
    gold = gold_reply(exam_messages(exam), 512)

    def reply(kind):
        def fn(msgs, cap):
            if kind == "long":  # a provider that ignored max_tokens: the env cuts at its own count
                return ModelOutput.from_content("m", "word " * 600 + gold)
            if kind == "hidden":  # o-series: reasoning reported in usage, not returned
                out = ModelOutput.from_content(
                    "m", [ContentReasoning(reasoning="", redacted=True), ContentText(text=gold)]
                )
                out.usage = ModelUsage(output_tokens=520, reasoning_tokens=500)
                return out
            # returned reasoning (Claude's thinking, a reasoning parser's reasoning_content): charged as <think>
            return ModelOutput.from_content("m", [ContentReasoning(reasoning="hmm " * 480), ContentText(text=gold)])

        return fn

    for kind, text, hidden in (
        ("long", "word " * 600 + gold, 0),
        ("hidden", gold, 500),
        ("shown", f"<think>\n{'hmm ' * 480}\n</think>\n\n{gold}", 0),
    ):
        _, log = evaluate(osmckp(suite="hard-512", n_exams=1), Scripted(reply(kind)).model(), tmp_path / kind)
        got = log.samples[0].scores["exam_scorer"].metadata["given"]
        want = score_completion(exam, text, hidden_tokens=hidden, grader=grader)
        assert got == want, kind
        assert got["budget_exhausted"] and got["score"] < 3, kind
    assert got["thinking_tokens"] > 400 and got["hidden_reasoning_tokens"] == 0


def test_an_easy_order_suite_is_refused():
    with pytest.raises(ValueError, match="no Regret"):
        osmckp(suite="easy-512")


@pytest.mark.slow
def test_the_inspect_command_on_an_openai_compatible_server(tmp_path):
    """`inspect eval FILE@osmckp --model openai-api/...`, as the README writes it, against the fake
    server answering gold; its reasoning tokens, reported and not returned, are charged."""

    def reply(prompt, cap):
        return {"content": gold_reply([{"role": "user", "content": prompt}], cap), "reasoning_tokens": 100}

    with FakeOpenAIServer(reply) as srv:
        env = {**os.environ, "LOCAL_BASE_URL": srv.base_url, "LOCAL_API_KEY": "none",
               "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}  # fmt: skip
        cmd = [
            sys.executable,
            "-m",
            "inspect_ai",
            "eval",
            f"{TASK_FILE}@osmckp",
            "-T",
            "suite=hard-512",
            "-T",
            "n_exams=2",
            "--model",
            "openai-api/local/Qwen2.5-1.5B-Instruct",
            "--log-dir",
            str(tmp_path),
            "--display",
            "none",
            "--log-format",
            "json",
            "--max-tokens",
            "4096",
        ]  # fmt: skip  (the exam budget wins over the command line's cap)
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
        assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
        bodies = list(srv.bodies)
    (path,) = tmp_path.glob("*.json")
    log = read_eval_log(str(path))
    out = {k: m.value for k, m in log.results.scores[0].metrics.items()}
    assert out["score"] == 3.0 and out["regret"] == 0.0
    records = [r for s in log.samples for r in s.scores["exam_scorer"].metadata.values()]
    assert [(r["hidden_reasoning_tokens"], r["thinking_tokens"]) for r in records] == [(100, 100)] * 4
    assert len(bodies) == 4 and {b.get("max_tokens") or b.get("max_completion_tokens") for b in bodies} == {512}


@pytest.mark.slow
def test_inspects_hf_provider_runs_a_local_transformers_model(tmp_path, tiny_checkpoint):
    task = osmckp(suite="hard-512", n_exams=1, budget=48, counter=str(tiny_checkpoint))
    out, log = evaluate(task, f"hf/{tiny_checkpoint}", tmp_path, model_args={"device": "cpu"})
    assert {"score", "regret", "regret_ci_low", "tokens_per_problem"} <= set(out)
    assert 0 <= out["score"] <= 3 and out["tokens_per_problem"] > 0
    rec = log.samples[0].scores["exam_scorer"].metadata["given"]
    assert rec["budget"] == 48 and rec["completion_tokens"] <= 48 and rec["tokenizer"] == str(tiny_checkpoint)
