"""osmckp as an lm-evaluation-harness task (needs ``lm_eval``, the ``lmeval`` extra).

``OSMCKPTask`` is what the configs ``osmckp export lm-eval`` writes point to (``class: !function``).
A doc is one exam; it asks for two generations, the exam in its given order and in easy order
(so ``--limit N`` keeps exams paired and Regret defined), with the prompt of our ``direct`` agent
(the system prompt and ``exam_user_prompt``, through the model's chat template when lm-eval
applies one). ``max_gen_toks`` is the exam budget and nothing stops generation early.

``process_results`` scores each completion as ``OSMCKP-v0`` does (the env's token count, the
budget cut, the parser, the grader, the record builder) and the task reports:

- ``score``: correct answers per exam in the given order (lm-eval's mean, with its stderr);
- ``regret``: (S_easy - S) / S_easy over the docs evaluated, from the paired easy-order
  generations; lm-eval has no stderr for it (it shows N/A): ``regret_ci_low`` / ``regret_ci_high``
  are our paired bootstrap interval (95%, the same as ``osmckp run``'s results);
- ``score_easy``, ``skip_rate`` (skipped problems' share) and ``tokens_per_problem`` (the env's count).
"""

from __future__ import annotations

from lm_eval.api.instance import Instance
from lm_eval.api.metrics import mean
from lm_eval.api.task import ConfigurableTask

from osmckp_env.backends.model_files import load_counter
from osmckp_env.exam.levels import LevelBins
from osmckp_env.exam.prompts import SYSTEM_PROMPT, exam_user_prompt
from osmckp_env.exam.suites import resolve_suite
from osmckp_env.grading import default_grader
from osmckp_env.grading.record import score_completions
from osmckp_env.scoring.metrics import intervals, regret, score

_REGRET: dict[tuple, tuple] = {}  # the last docs' Regret and interval, by their per-exam scores


def _regret(items) -> tuple[float, float | None, float | None]:
    """Regret and our paired bootstrap interval over the docs' (given record, easy record) pairs,
    as ``osmckp run`` computes them. lm-eval aggregates each metric on its own; the three Regret
    metrics share one computation, found again by the pairs' content (exam, both scores)."""
    key = tuple((g["exam_index"], g["score"], e["score"]) for g, e in items)
    if key not in _REGRET:
        given, easy = [g for g, _ in items], [e for _, e in items]
        lo, hi = intervals(given, easy)["regret"]["ci"]
        _REGRET.clear()
        _REGRET[key] = (float(regret(score(given), score(easy))), lo, hi)
    return _REGRET[key]


def regret_aggregate(items) -> float:
    return _regret(items)[0]


def regret_ci_low(items) -> float:
    return _regret(items)[1]


def regret_ci_high(items) -> float:
    return _regret(items)[2]


# every metric the task reports: its lm-eval aggregation and whether higher is better
METRICS = {
    "score": (mean, True),
    "score_easy": (mean, True),
    "skip_rate": (mean, False),
    "tokens_per_problem": (mean, False),
    "regret": (regret_aggregate, False),
    "regret_ci_low": (regret_ci_low, False),
    "regret_ci_high": (regret_ci_high, False),
}


class OSMCKPTask(ConfigurableTask):
    """One osmckp suite (``metadata.suite``: ``medium-512``, ``hard-1024``, ...) as an lm-eval task."""

    VERSION = 1

    def __init__(self, config: dict | None = None) -> None:
        config = dict(config or {})
        meta = dict(config.get("metadata") or {})
        self.suite = resolve_suite(meta.get("suite", "medium-512"))
        if self.suite.config.order == "easy":
            raise ValueError(f"{self.suite.name}: an easy-order suite has no Regret; export medium-<B> or hard-<B>")
        self.easy = self.suite.with_order("easy")
        budget = self.suite.config.budget
        self.bins = LevelBins.for_budget(budget)  # as the env's default
        self.counter = load_counter(meta.get("counter"))  # the budget's counter
        super().__init__(
            config={
                "task": config.get("task") or f"osmckp_{self.suite.name.replace('-', '_')}",
                "output_type": "generate_until",
                "test_split": "test",
                "description": SYSTEM_PROMPT,
                "doc_to_text": "prompt",
                "doc_to_target": "answers",
                "num_fewshot": 0,
                # the budget is the cap; no stop string could cut an answer short (only the model's EOS)
                "generation_kwargs": {"until": [], "max_gen_toks": budget, "do_sample": False, "temperature": 0.0},
                "metadata": {**meta, "version": self.VERSION, "suite": self.suite.name, "suite_hash": self.suite.hash},
            }
        )

    # -- data ------------------------------------------------------------------------------
    def download(self, dataset_kwargs=None, **kwargs) -> None:
        import datasets

        rows = [
            {
                "exam_index": e.index,
                "suite": self.suite.name,
                "budget": e.budget,
                "problem_ids": [p.id for p in e.problems],
                "answers": [p.answer for p in e.problems],
                "prompt": exam_user_prompt(e),
                "prompt_easy": exam_user_prompt(self.easy[i]),
            }
            for i, e in enumerate(self.suite.exams)
        ]
        self.dataset = datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})

    def has_training_docs(self) -> bool:
        return False

    def has_validation_docs(self) -> bool:
        return False

    # -- requests: the given order and the easy order of each exam ----------------------------
    def fewshot_context(self, doc, num_fewshot, **kwargs):
        self._context_kwargs = kwargs  # the easy-order prompt is built the same way (chat template...)
        return super().fewshot_context(doc, num_fewshot, **kwargs)

    def construct_requests(self, doc, ctx, **kwargs) -> list[Instance]:
        chat = kwargs.pop("apply_chat_template", False)
        kwargs.pop("chat_template", None)
        if chat:  # lm-eval renders [system, user] through the model's chat template, as our agent sends them
            contexts = [ctx, super().fewshot_context({**doc, "prompt": doc["prompt_easy"]}, 0, **self._context_kwargs)]
        else:  # plain text: lm-eval would glue the system prompt to the exam with no separator
            extra = self._context_kwargs.get("system_instruction")
            head = (f"{extra}\n\n" if extra else "") + SYSTEM_PROMPT
            contexts = [f"{head}\n\n{doc['prompt']}", f"{head}\n\n{doc['prompt_easy']}"]
        gen = dict(self.config.generation_kwargs)
        return [
            Instance(request_type="generate_until", doc=doc, arguments=(c, dict(gen)), idx=i, **kwargs)
            for i, c in enumerate(contexts)
        ]

    # -- scoring: the env's path ------------------------------------------------------------------
    def process_results(self, doc, results) -> dict:
        i = int(doc["exam_index"])
        given, easy = score_completions(
            [self.suite[i], self.easy[i]],
            [str(r) for r in results],
            counter=self.counter,
            bins=self.bins,
            grader=default_grader(),
        )
        n = len(given["problems"])
        return {
            "score": float(given["score"]),
            "score_easy": float(easy["score"]),
            "regret": (given, easy),
            "regret_ci_low": (given, easy),
            "regret_ci_high": (given, easy),
            "skip_rate": sum(p["status"] == "skipped" for p in given["problems"]) / n,
            "tokens_per_problem": sum(p["tokens"] for p in given["problems"]) / n,
        }

    def aggregation(self) -> dict:
        return {name: agg for name, (agg, _) in METRICS.items()}

    def higher_is_better(self) -> dict:
        return {name: higher for name, (_, higher) in METRICS.items()}
