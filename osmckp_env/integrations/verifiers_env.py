"""osmckp as a verifiers environment (needs ``verifiers`` 0.3, the ``verifiers`` extra: 0.4 dropped
this API).

``load_environment(suite=..., reward=...)`` returns a ``vf.SingleTurnEnv`` (``ExamEnv``, which caps
every request at its exam's budget whatever the caller asks) with one row per exam and order: each
exam in its given order, then in easy order (Regret's reference; ``easy=False`` leaves those out,
as training wants), with the prompt of our ``direct`` agent (the ``mft`` prompt, with level tags,
for ``reward="rarl"``). The rubric's reward is the kit's ``ExamReward`` (the object TRL and verl
use: the env's token count and budget cut, the parser, the grader, the reward table), with
zero-weight views of ``score``, ``skip_rate`` and ``tokens`` that share its scoring; a group
score-object provider hands it the exam columns of ``Suite.to_dataset()`` that each row carries in
``info``. ``suite_metrics`` turns an evaluation's rollouts (``env.evaluate_sync(...)``, or the
``results.jsonl`` of ``vf-eval -s``) into ``osmckp run``'s Score, Regret and intervals. The
environment package that ``vf-eval osmckp-verifiers`` finds is ``environments/osmckp_verifiers``
(it re-exports ``load_environment``).
"""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import verifiers as vf

from osmckp_env.backends.base import join_reasoning
from osmckp_env.backends.model_files import load_counter
from osmckp_env.exam.levels import LevelBins
from osmckp_env.exam.prompts import exam_messages
from osmckp_env.exam.suites import resolve_suite
from osmckp_env.grading.parse import THINK_MARKERS
from osmckp_env.scoring.metrics import headline
from osmckp_env.scoring.rewards import ExamReward

LOGGED = ("score", "skip_rate", "tokens")  # zero-weight metrics beside the reward: always a number


def exam_rows(
    suite, *, easy: bool = True, with_levels: bool = False, bins: LevelBins | None = None
) -> datasets.Dataset:
    """verifiers rows (``prompt``, ``answer``, ``info``): exam i in its given order, then (``easy``)
    in easy order; ``info`` holds the exam's columns of ``Suite.to_dataset()`` (what ``ExamReward`` reads)."""
    tables = [(s.exams, s.to_dataset().to_list()) for s in ([suite, suite.with_order("easy")] if easy else [suite])]
    rows = []
    for i in range(len(suite)):
        for exams, table in tables:
            info = {k: v for k, v in table[i].items() if k != "prompt"}
            prompt = exam_messages(exams[i], with_levels=with_levels, bins=bins)
            rows.append({"prompt": prompt, "answer": json.dumps(info["answers"]), "info": info})
    return datasets.Dataset.from_list(rows)


def completion_text(completion) -> str:
    """A rollout's completion as the env's text: the assistant messages' content (objects or, read
    back from a results file, dicts), reasoning the server returned split off (``reasoning_content``)
    joined back in think markers, so it is charged and never read for answers (``join_reasoning``,
    as the openai backend does)."""
    if isinstance(completion, str):
        return completion
    out = []
    for m in completion:
        field = m.get if isinstance(m, dict) else lambda k, m=m: getattr(m, k, None)
        content = field("content")
        out.append(
            join_reasoning(field("reasoning_content"), content if isinstance(content, str) else "", THINK_MARKERS)
        )
    return "".join(out)


def exam_columns(states) -> dict:
    """What ``ExamReward`` is called with besides verifiers' own objects: the group's completions as
    the env's text and the exam columns its rows carry in ``info`` (a group score-object provider)."""
    infos = [s["info"] for s in states]
    columns = {k: [info[k] for info in infos] for k in infos[0]} if infos else {}
    return {"completions": [completion_text(s["completion"]) for s in states], **columns}


def level_bins(level_edges, budget: int) -> LevelBins:
    """The given edges, else the env's default for the budget (``LevelBins.for_budget``)."""
    return LevelBins(edges=tuple(level_edges)) if level_edges else LevelBins.for_budget(int(budget))


class ExamEnv(vf.SingleTurnEnv):
    """``vf.SingleTurnEnv`` whose every request is capped at its exam's budget, whatever the caller's
    sampling arguments say (``vf-eval`` without ``-t`` sends ``max_tokens: None``, which would
    lift the cap): the budget is the benchmark, as every osmckp backend enforces it."""

    async def get_model_response(self, state, prompt, client=None, model=None, tool_defs=None, sampling_args=None):
        args = dict(sampling_args or state["sampling_args"] or {})
        asked = args.pop("max_completion_tokens", None) or args.get("max_tokens")
        budget = int(state["info"]["budget"])
        args["max_tokens"] = min(int(asked), budget) if asked else budget
        return await super().get_model_response(state, prompt, client, model, tool_defs, args)


def load_environment(
    suite: str = "medium-512",
    reward: str = "score",
    n_exams: int | None = None,
    budget: int | None = None,
    easy: bool = True,
    regret_reference: str | None = None,
    counter: str = "qwen2.5",
    level_edges: list[int] | None = None,
    **kwargs,
) -> ExamEnv:
    """An osmckp suite as a single-turn verifiers environment.

    Args:
        suite: a suite name (``medium-512``, ``hard-1024``, ``train-medium-1024``...) or ``.jsonl`` file.
        reward: ``score``, ``rarl`` or ``regret`` (score minus the exam's easy-order score in
            ``regret_reference``, a results.json of ``osmckp run`` on these exams).
        n_exams: the suite's first exams only. budget: the suite under another budget.
        easy: add each exam's easy-order row (Regret needs them; training may leave them out).
        counter: who counts tokens for the budget: ``qwen2.5`` (bundled) or the model's tokenizer.
        level_edges: the level bins of the rarl prompt and reward (default: the env's for the budget).
        **kwargs: passed to ``vf.SingleTurnEnv``.

    Example:
        >>> env = load_environment(suite="hard-512", n_exams=2)  # then env.evaluate_sync(client, model)
        >>> [(row["info"]["exam_index"], row["info"]["order"]) for row in env.get_eval_dataset()]
        [(0, 'hard'), (0, 'easy'), (1, 'hard'), (1, 'easy')]
    """
    s = resolve_suite(suite, budget=budget, n_exams=n_exams)
    bins = level_bins(level_edges, s.config.budget)
    exam_reward = ExamReward(reward, counter=load_counter(counter), bins=bins, regret_reference=regret_reference)
    if exam_reward.reference is not None:
        exam_reward.reference.check_covers(s.exams, s.name, n_exams=len(s))
    views = [exam_reward.metric(m) for m in LOGGED if m != reward]
    rubric = vf.Rubric(funcs=[exam_reward, *views], weights=[1.0] + [0.0] * len(views))
    rubric.add_group_score_object_provider(exam_columns)
    dataset = exam_rows(s, easy=easy and s.config.order != "easy", with_levels=reward == "rarl", bins=bins)
    sampling = {"max_tokens": s.config.budget, **kwargs.pop("sampling_args", {})}
    return ExamEnv(eval_dataset=dataset, rubric=rubric, sampling_args=sampling, **kwargs)


def rollouts(results) -> list[dict]:
    """The rollouts of an evaluation: ``GenerateOutputs``, a list of rollouts, or the folder (or
    ``results.jsonl``) that ``vf-eval --save-results`` wrote."""
    if isinstance(results, (str, Path)):
        path = Path(results)
        path = path / "results.jsonl" if path.is_dir() else path
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return list(results["outputs"] if isinstance(results, dict) else results)


def suite_metrics(results, *, counter: str = "qwen2.5", level_edges: list[int] | None = None) -> dict:
    """``osmckp run``'s headline numbers (``scoring.metrics.headline``: Score, Score_easy, Regret,
    skip rate, tokens per problem, with intervals) of an evaluation of ``load_environment``: its
    completions scored again by ``ExamReward``'s path (failed rollouts left out, as ``osmckp run`` does)."""
    done = [r for r in rollouts(results) if not r.get("error")]
    bins = level_bins(level_edges, done[0]["info"]["budget"] if done else 512)
    scored = ExamReward("score", counter=load_counter(counter), bins=bins).records(**exam_columns(done))
    # a batch's records are numbered by position: put back each exam's own index, which pairs its orders
    records = [{**rec, "exam_index": r["info"]["exam_index"]} for rec, r in zip(scored, done, strict=True)]
    return headline([r for r in records if r["order"] != "easy"], [r for r in records if r["order"] == "easy"])
