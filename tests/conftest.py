"""Shared fixtures and helpers, in one place: tiny hand-made problems and exams, one grader per
session, the tiny local model, scripted model replies, and the small training configs."""

from __future__ import annotations

import pytest

from osmckp_env.exam.problems import Problem
from osmckp_env.exam.suites import Exam
from osmckp_env.grading import Grader


@pytest.fixture(scope="session")
def grader():
    # generous bounds: a loaded machine (CI's, or mutation testing's) must not turn a right answer into
    # a timeout; the tests of the bounds themselves build graders of their own
    g = Grader(n_workers=2, timeout_s=10, hard_timeout_s=30)
    yield g
    g.close()


def make_exam(answers=("4", "\\frac{1}{2}", "70"), budget=256, order="easy", index=0) -> Exam:
    tiers = ("easy", "medium", "hard")
    probs = tuple(
        Problem(f"p{k}", "test", f"Question {k}?", a, tiers[k % 3], 3 if tiers[k % 3] == "medium" else None)
        for k, a in enumerate(answers)
    )
    return Exam(index, probs, budget, order)


@pytest.fixture
def exam():
    return make_exam()


def completion(answers, levels=None, filler=""):
    parts = []
    for k, a in enumerate(answers, 1):
        lvl = f"<predicted_level>Level-{levels[k - 1]}</predicted_level>\n" if levels else ""
        parts.append(f"### Problem {k}\n{lvl}{filler}The answer is \\boxed{{{a}}}.\n")
    return "".join(parts)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """A tiny random Qwen2 model + trained tokenizer saved to disk (loaded by path like a real one)."""
    pytest.importorskip("transformers")
    from osmckp_env.testing.tiny_model import save_tiny_checkpoint

    return save_tiny_checkpoint(tmp_path_factory.mktemp("tiny") / "ckpt")


def gold_or_level_reply(levels=None):
    """Scripted model: answers level questions from ``levels`` (by tier), else the gold answers."""
    from osmckp_env.backends.scripted import gold_reply
    from osmckp_env.exam.problems import TIERS, load_pool

    levels = levels or {"easy": 0, "medium": 1, "hard": 3}
    tier_of = {p.problem.strip(): p.tier for t in TIERS for p in load_pool("eval", t)}

    def reply(messages, cap):
        user = messages[-1]["content"]
        if user.startswith("Estimate how many tokens"):
            body = user.split("\n\n", 1)[1].strip()
            return f"<predicted_level>Level-{levels[tier_of[body]]}</predicted_level>"
        return gold_reply(messages, cap)

    return reply


def scripted_sampler():
    """Solves train-pool easy problems (length varies by seed), misses medium, never hard."""
    from osmckp_env.backends.scripted import ScriptedBackend
    from osmckp_env.exam.problems import TIERS, load_pool

    answers = {p.problem.strip(): (p.answer, p.tier) for t in TIERS for p in load_pool("train", t)}
    calls = {"n": 0}

    def reply(messages, cap):
        calls["n"] += 1
        body = messages[-1]["content"].split("\n\n", 1)[1].strip()
        ans, tier = answers[body]
        if tier == "easy":
            return "step " * (5 + 40 * (calls["n"] % 2)) + f"\\boxed{{{ans}}}"
        if tier == "medium":
            return "long " * 300 + "\\boxed{0.123}"
        return "\\boxed{NA}"

    return ScriptedBackend(reply)


def tiny_sft_config(model, tmp_path, out: str, **kw):
    """A few fast SFT steps on the MFT data written to ``tmp_path / "d"``."""
    import dataclasses

    from osmckp_env.training.config import MFTConfig

    own = {f.name for f in dataclasses.fields(MFTConfig)}
    sft = dict(
        per_device_train_batch_size=2,
        gradient_accumulation_steps=1,
        learning_rate=1e-3,
        max_length=1024,
        logging_steps=1,
        save_steps=1000,
    )
    sft.update({k: v for k, v in kw.items() if k not in own})
    base = dict(model=str(model), dataset=str(tmp_path / "d" / "dataset"), output_dir=str(tmp_path / out))
    return MFTConfig(**{**base, **{k: v for k, v in kw.items() if k in own}}, sft=sft)


def stop_at(step: int):
    """A trainer callback that stops training after ``step`` optimizer steps (a simulated interruption)."""
    from transformers import TrainerCallback

    class StopAt(TrainerCallback):
        def on_step_end(self, args, state, control, **kw):
            if state.global_step >= step:
                control.should_training_stop = True
            return control

    return StopAt()


def count_steps():
    """A trainer callback counting the optimizer steps a run actually performs (``.n``)."""
    from transformers import TrainerCallback

    class CountSteps(TrainerCallback):
        n = 0

        def on_step_end(self, args, state, control, **kw):
            type(self).n += 1

    return CountSteps()


def long_solver_wrong_on_aime(messages, cap):
    """A scripted model that spends ~220 tokens per problem and gets every AIME problem wrong:
    under a 512 budget only two problems fit, so the order decides which two are answered."""
    from osmckp_env.backends.scripted import PROMPT_HEADER_RE
    from osmckp_env.exam.problems import TIERS, load_pool

    known = {p.problem.strip(): p for t in TIERS for p in load_pool("eval", t)}
    user = messages[-1]["content"]
    heads = list(PROMPT_HEADER_RE.finditer(user))
    out = []
    for k, m in enumerate(heads):
        end = heads[k + 1].start() if k + 1 < len(heads) else len(user)
        p = known[user[m.end() : end].strip()]
        ans = "0" if p.tier == "hard" else p.answer
        out.append(f"### Problem {k + 1}\n" + "step " * 220 + f"\\boxed{{{ans}}}\n")
    return "".join(out)


@pytest.fixture
def saved_figures(monkeypatch):
    """Every figure saved during the test, by name without extension (``score_regret`` is the
    two-column figure, ``score_regret-1col`` the one-column one): tests read what a figure shows
    (panels, labels, series), not its file size."""
    from osmckp_env.leaderboard import style

    figures = {}
    save = style.save_figure

    def capture(fig, out, name):
        figures[name] = fig
        return save(fig, out, name)

    monkeypatch.setattr(style, "save_figure", capture)
    return figures


def replayed_run(tmp_path, grader, n_exams=12):
    """An ``osmckp run`` of ``long_solver_wrong_on_aime`` on ``hard-512`` (an order-sensitive model: 0 <
    Regret < 1), for the harness tests to replay: its results and each record under the user prompt
    of its exam (given or easy order), the prompt a harness sends."""
    import json

    from osmckp_env.agents import make_agent
    from osmckp_env.backends.scripted import ScriptedBackend
    from osmckp_env.exam.prompts import exam_user_prompt
    from osmckp_env.exam.suites import get_suite
    from osmckp_env.runner.run import run_suite
    from osmckp_env.runner.spec import AgentSpec

    suite = get_suite("hard-512", n_exams=n_exams)
    spec = AgentSpec(name="long", agent="direct", backend="scripted", counter="qwen2.5")
    agent = make_agent("direct", ScriptedBackend(long_solver_wrong_on_aime))
    res = run_suite(spec, suite, tmp_path / "run", agent=agent, grader=grader, progress=False)
    assert 0 < res["metrics"]["regret"] < 1  # the order changes this model's score
    easy = suite.with_order("easy")
    lines = [json.loads(x) for x in (tmp_path / "run" / "records.jsonl").read_text().splitlines()[1:]]
    return res, {exam_user_prompt((easy if r["order"] == "easy" else suite)[r["exam_index"]]): r for r in lines}
