"""osmckp as an Inspect AI task (needs ``inspect-ai``, the ``inspect`` extra).

``osmckp(suite=...)`` is the task: any suite ``osmckp run`` takes (``medium-512``, ``hard-1024``,
any ``medium-<B>`` / ``hard-<B>``, a suite ``.jsonl`` file), one sample per exam. The solver asks
the model for the exam in its given order and, with the same generation settings, in easy order
(Regret's reference, as the lm-eval task does), each with the prompt of our ``direct`` agent and
``max_tokens`` = the exam budget. The scorer scores both as ``OSMCKP-v0`` does, whatever the
provider returned: the env's token count and budget cut, the parser, the grader, the record
builder; reasoning the provider returned is joined back as ``<think>`` and charged, reasoning it
only reported (``usage.reasoning_tokens``) is charged as hidden reasoning before the text. The
metric is ``osmckp run``'s summary of those records (``scoring.metrics.headline``): Score,
Score_easy, Regret, skip rate, tokens per problem, each with its 95% bootstrap interval.

    inspect eval osmckp_env/integrations/inspect_task.py@osmckp -T suite=hard-512 --model hf/PATH
"""

from __future__ import annotations

import anyio
from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import (
    ChatMessageSystem,
    ChatMessageUser,
    ContentReasoning,
    GenerateConfig,
    ModelOutput,
    get_model,
)
from inspect_ai.scorer import Metric, SampleScore, Score, Target, metric, scorer
from inspect_ai.solver import Generate, TaskState, solver

from osmckp_env.backends.base import hidden_reasoning, join_reasoning
from osmckp_env.backends.model_files import load_counter
from osmckp_env.exam.levels import LevelBins
from osmckp_env.exam.prompts import exam_messages
from osmckp_env.exam.suites import resolve_suite
from osmckp_env.grading import default_grader
from osmckp_env.grading.parse import THINK_MARKERS
from osmckp_env.grading.record import score_completions
from osmckp_env.scoring.metrics import headline

EASY = "osmckp_easy_order"  # the easy-order generation's action, in the sample's store


def messages(exam) -> list:
    """The ``direct`` agent's prompt of an exam as Inspect chat messages."""
    (system, user) = exam_messages(exam)
    return [ChatMessageSystem(content=system["content"]), ChatMessageUser(content=user["content"])]


def output_action(output: ModelOutput) -> dict:
    """A provider's reply as the env's action (``envs.spaces.read_action``): returned reasoning joined
    back in think markers (charged, never read for answers), reasoning only reported charged as
    ``hidden_reasoning_tokens``; the rules the openai backend applies (``join_reasoning``,
    ``hidden_reasoning``)."""
    content = output.message.content if output.choices else ""
    blocks = [c for c in content if isinstance(c, ContentReasoning)] if isinstance(content, list) else []
    shown = "\n".join(c.reasoning for c in blocks if not c.redacted and c.reasoning) or None
    cut = output.stop_reason in ("max_tokens", "model_length")
    text = join_reasoning(shown, output.completion, THINK_MARKERS, cut=cut)
    reported = output.usage.reasoning_tokens if output.usage is not None else None
    return {"text": text, "hidden_reasoning_tokens": hidden_reasoning(reported, shown, text, THINK_MARKERS)}


@solver
def both_orders(easy):
    """The exam in its given order (the sample's messages) and in easy order, each capped at its budget."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        exam = easy[state.metadata["position"]]
        state = await generate(state, tool_calls="none", max_tokens=exam.budget)
        out = await get_model().generate(messages(exam), config=GenerateConfig(max_tokens=exam.budget))
        state.store.set(EASY, output_action(out))
        return state

    return solve


@metric(scores="unreduced")  # every epoch is a sample of the exam, as `samples: k` in osmckp run
def osmckp_summary() -> Metric:
    """Score, Regret and the rest of ``osmckp run``'s headline numbers over the scored exams."""

    def compute(scores: list[SampleScore]) -> dict:
        given = [s.score.metadata["given"] for s in scores]
        easy = [s.score.metadata["easy"] for s in scores]
        return {k: v for k, v in headline(given, easy).items() if v is not None and not isinstance(v, bool)}

    return compute


@scorer(metrics=[osmckp_summary()])
def exam_scorer(suite, easy, counter=None, bins: LevelBins | None = None):
    """Both orders' completions of an exam scored by the env's path; the sample's value is its Score.
    ``bins``: the env's default, ``LevelBins.for_budget`` of the suite's budget."""
    bins = bins or LevelBins.for_budget(suite.config.budget)

    async def score(state: TaskState, target: Target) -> Score:
        i = state.metadata["position"]
        acts = [output_action(state.output), state.store.get(EASY)]

        def records():  # the grader's workers are processes: any thread may wait on them
            texts, hidden = [a["text"] for a in acts], [a["hidden_reasoning_tokens"] for a in acts]
            exams = [suite[i], easy[i]]
            return score_completions(
                exams, texts, counter=counter, bins=bins, grader=default_grader(), hidden_tokens=hidden
            )

        given, easy_rec = await anyio.to_thread.run_sync(records)
        answers = ", ".join(str(p["answer"]) for p in given["problems"])
        return Score(value=float(given["score"]), answer=answers, metadata={"given": given, "easy": easy_rec})

    return score


@task
def osmckp(suite: str = "medium-512", n_exams: int | None = None, budget: int | None = None, counter: str = "qwen2.5"):
    """One osmckp suite as an Inspect task (``-T suite=hard-512 -T n_exams=50 -T budget=2048``).

    Args:
        suite: a suite name or ``.jsonl`` file in a given order (an easy-order suite has no Regret).
        n_exams: the suite's first exams only (Inspect's ``--limit`` does the same).
        budget: the suite under another budget.
        counter: who counts tokens for the budget: ``qwen2.5`` (bundled) or the model's tokenizer
            (a folder, ``tokenizer.json``, ``.gguf`` or ``pkg:PACKAGE/FILE``).

    Example:
        >>> t = osmckp(suite="hard-512", n_exams=2)  # then inspect_ai.eval(t, model="openai-api/local/...")
        >>> t.name, len(t.dataset), t.dataset[0].input[-1].text.startswith("Total token budget for this exam: 512")
        ('osmckp_hard_512', 2, True)
    """
    given = resolve_suite(suite, budget=budget, n_exams=n_exams)
    if given.config.order == "easy":
        raise ValueError(f"{given.name}: an easy-order suite has no Regret; give a medium-<B> or hard-<B> suite")
    easy = given.with_order("easy")
    samples = [
        Sample(
            input=messages(e),
            target=[p.answer for p in e.problems],
            id=e.index,
            metadata={"position": i, "exam_index": e.index, "problem_ids": [p.id for p in e.problems]},
        )
        for i, e in enumerate(given.exams)
    ]
    return Task(
        dataset=MemoryDataset(samples, name=given.name),
        solver=both_orders(easy),
        scorer=exam_scorer(given, easy, load_counter(counter)),
        name=f"osmckp_{given.name.replace('-', '_')}",
        metadata={"suite": given.name, "suite_hash": given.hash, "easy_suite_hash": easy.hash, "counter": counter},
    )
