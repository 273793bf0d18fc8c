"""The one reward table: every reward kind, computed from a scored exam record in one place.

``reward_table(record, reference)`` gives each kind the envs can pay (``score``, ``rarl``,
``regret`` = score minus the exam's reference score) and the
zero-weight terms RL logs (``skip_rate``, ``tokens``, ``level_accuracy``). ``OSMCKP-v0(reward=...)``,
the sequential env, and the one reward object for training, ``ExamReward`` (TRL, RARL's trainer
with its logging views, verl's ``compute_score``), all read it. TRL-shaped functions are
``fn(prompts, completions, **columns) -> list[float]``, with the columns of ``Suite.to_dataset()``
(``problem_ids``, ``problems``, ``answers``, ``tiers``, ``verifiers``, ``budget``, ``order``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from osmckp_env.exam.levels import LevelBins
from osmckp_env.exam.suites import Exam, exam_identity
from osmckp_env.exam.tokenization import TokenCounter
from osmckp_env.grading import Grader
from osmckp_env.grading.parse import THINK_MARKERS
from osmckp_env.grading.record import score_completions, with_both_levels
from osmckp_env.results.io import load_results, results_records

REWARD_KINDS = ("score", "rarl", "regret")  # what an env can pay
LOG_TERMS = ("skip_rate", "tokens", "level_accuracy")  # logged alongside, never trained on


def reward_table(record, reference: float | None = None) -> dict[str, float | None]:
    """Every reward kind and logging term of one scored exam (or of the problems scored so far,
    as the sequential env pays them step by step).

    - ``score``: correct answers; ``rarl``: correct answers whose predicted level equals the
      level of the tokens used (the paper's RARL reward);
    - ``regret``: ``score - reference``, the exam's score minus what was achievable for *this*
      exam (``reference``: its easy-order score from a reference run, or the sim oracle's
      expected score); ``None`` without a reference;
    - ``skip_rate``: share of problems skipped; ``tokens``: completion tokens counted by the env;
    - ``level_accuracy``: share of problems with a predicted and an actual level that match
      (``None`` if no problem has both).
    """
    ps = record["problems"]
    levels = with_both_levels(ps)
    score = float(sum(p["correct"] for p in ps))
    return {
        "score": score,
        "rarl": float(sum(p["rarl"] for p in ps)),
        "regret": None if reference is None else score - float(reference),
        "skip_rate": sum(p["status"] == "skipped" for p in ps) / len(ps) if ps else 0.0,
        "tokens": float(record.get("completion_tokens", sum(p["tokens"] for p in ps))),
        "level_accuracy": sum(p["predicted_level"] == p["actual_level"] for p in levels) / len(levels)
        if levels
        else None,
    }


class RegretReference:
    """Each exam's reference score for ``reward="regret"``: its easy-order score in a reference run.

    Read from a results file (``osmckp run SPEC --suite ...``); an exam is found by its content
    (its problem ids, in any order) and budget, not by its index, so any results file whose suite
    holds the same exams serves (a Hard run's easy records serve Medium too). With ``samples: k``
    the reference is the mean over the exam's samples (as the run's own ``score_easy``). An exam
    whose easy-order call failed in the reference run (``failed``) has no reference: an error is
    never a score of 0; it is refused with the command that completes the run.
    """

    def __init__(
        self,
        scores: dict[tuple[str, int], float],
        source: str,
        failed: Iterable[tuple[str, int]] = (),
        results_path: str | Path | None = None,
    ) -> None:
        self.scores = scores
        self.source = source
        self.failed = frozenset(failed)
        self.results_path = results_path

    @staticmethod
    def key(problem_ids, budget: int) -> tuple[str, int]:
        return exam_identity(problem_ids), int(budget)

    @classmethod
    def from_results(cls, path) -> RegretReference:
        path = Path(path)
        res = load_results(path)
        records, _ = results_records(path, res)
        easy = [r for r in records if r["order"] == "easy"]
        if not easy:
            raise ValueError(
                f"regret_reference {path}: holds no easy-order records; a results file of `osmckp run` has them"
            )
        samples: dict[tuple[str, int], list[float]] = {}
        failed = set()
        for r in easy:
            k = cls.key(r["problem_ids"], r["budget"])
            if r.get("error"):
                failed.add(k)
            else:
                samples.setdefault(k, []).append(float(r["score"]))
        scores = {k: sum(v) / len(v) for k, v in samples.items() if k not in failed}
        source = f"results {path} (config {res['config_hash']}, easy suite {res.get('easy_suite_hash')})"
        return cls(scores, source, failed, path)

    def _failed_message(self, what: str) -> str:
        run = self.results_path or "<its results.json>"
        return (
            f"regret_reference {self.source}: no reference for {what}: the easy-order call failed in the backend "
            f"in that run (an error, not a score of 0). Complete the reference run with "
            f"`osmckp run {run} --retry-errors`"
        )

    def of(self, problem_ids, budget: int) -> float:
        """The reference score of the exam with these problems and budget (``KeyError`` if absent,
        ``ValueError`` if its call failed in the reference run)."""
        k = self.key(problem_ids, budget)
        if k in self.failed:
            raise ValueError(self._failed_message(f"the exam of problems {k[0]} under budget {k[1]}"))
        return self.scores[k]

    def check_covers(self, exams, suite_name: str, n_exams: int | None = None) -> None:
        """Refuse (ValueError) a reference that lacks any of ``exams`` or whose easy-order call of
        any failed; the message names the ``osmckp run`` command that makes or completes one
        (``n_exams``: the suite's first exams)."""
        keys = [(e, self.key([p.id for p in e.problems], e.budget)) for e in exams]
        failed = [e for e, k in keys if k in self.failed]
        if failed:
            raise ValueError(
                self._failed_message(
                    f"{len(failed)} of {len(exams)} exams of suite {suite_name!r} "
                    f"(e.g. exam {failed[0].index}, budget {failed[0].budget})"
                )
            )
        missing = [e for e, k in keys if k not in self.scores]
        if missing:
            n = f" --n-exams {n_exams}" if n_exams else ""
            raise ValueError(
                f"regret_reference {self.source}: {len(missing)} of {len(exams)} exams of suite {suite_name!r} "
                f"(e.g. exam {missing[0].index}, budget {missing[0].budget}) have no easy-order record in it; it was "
                f"run on other exams. Make a reference on these: `osmckp run SPEC --suite {suite_name}{n}`"
            )


def regret_reference(ref) -> RegretReference:
    """A ``RegretReference`` from itself or a results-file path."""
    if ref is None:
        raise ValueError(
            "reward='regret' needs regret_reference=path/to/results.json: the results file of a run on the same "
            "exams, whose easy-order records give each exam's reference score; make one with "
            "`osmckp run SPEC --suite SUITE` (any agent: the regret reward is relative to that run)"
        )
    return ref if isinstance(ref, RegretReference) else RegretReference.from_results(ref)


def completion_text(completion) -> str:
    """Text of a completion given as a str or as chat messages (TRL conversational format)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list):
        return "".join(m.get("content", "") for m in completion if isinstance(m, dict))
    if isinstance(completion, dict):
        return str(completion.get("content", ""))
    raise TypeError(f"completion must be a str or a list of chat messages, got {type(completion).__name__}")


def exams_from_columns(problem_ids, answers, tiers, budget, problems=None, order=None, verifiers=None) -> list[Exam]:
    """Rebuild the exams of a batch from dataset columns (``Exam.from_columns`` row by row;
    ``verifiers``: each problem's pool verifier, absent where all are graded by math-verify)."""
    return [
        Exam.from_columns(
            ids,
            golds,
            ts,
            budget[i],
            order[i] if order is not None else "medium",
            i,
            None if problems is None else problems[i],
            None if verifiers is None else verifiers[i],
        )
        for i, (ids, golds, ts) in enumerate(zip(problem_ids, answers, tiers, strict=True))
    ]


class ExamReward:
    """The one reward object for TRL, verl and the envs: ``reward(prompts, completions, **columns)
    -> list[float]`` with the columns ``Suite.to_dataset()`` writes (``problem_ids``, ``answers``,
    ``tiers``, ``budget``, optionally ``order``, ``problems`` and ``verifiers``: a procedural pool's
    problems are graded by their own verifier).

    A batch is scored once (the one record builder, the one reward table) and remembered under its
    *content* (completions and exam columns), never its object identity, so ``metric(name)`` views
    that TRL calls on the same batch share one scoring, and a new batch is never served an old
    one's rewards. Picklable (TRL's multi-process reward paths, verl's Ray workers): the grader
    and the cached batch stay behind and are made afresh where it is unpickled.

    Example:
        >>> reward = ExamReward("score")
        >>> reward(prompts=[""], completions=["### Problem 1\\n\\\\boxed{4}"], problem_ids=[["x"]],
        ...        answers=[["4"]], tiers=[["easy"]], budget=[64])
        [1.0]
    """

    def __init__(
        self,
        kind: str = "rarl",
        *,
        counter: TokenCounter | None = None,
        bins: LevelBins | None = None,
        regret_reference=None,
        grader: Grader | None = None,
        think_markers=THINK_MARKERS,
    ) -> None:
        if kind not in REWARD_KINDS + LOG_TERMS:
            raise ValueError(f"reward kind must be one of {REWARD_KINDS + LOG_TERMS}, got {kind!r}")
        self.kind = kind
        self.counter = counter
        self.bins = bins or LevelBins()
        # loaded whenever given (another kind's reward still serves its ``metric("regret")`` view);
        # required, with the message that says how to make one, for kind "regret"
        needed = kind == "regret" or regret_reference is not None
        self.reference = regret_reference_of("regret", regret_reference) if needed else None
        self.grader = grader
        self.think_markers = think_markers
        self.__name__ = f"osmckp_{kind}_reward"
        self._key = None
        self._records: list = []

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.update(grader=None, _key=None, _records=[])
        return state

    def records(
        self, completions, *, problem_ids, answers, tiers, budget, order=None, problems=None, verifiers=None, **_
    ) -> list:
        """The exam records of a batch, scored once per distinct batch content."""
        texts = [completion_text(c) for c in completions]
        key = (
            tuple(texts),
            tuple(tuple(x) for x in problem_ids),
            tuple(tuple(x) for x in answers),
            tuple(tuple(x) for x in tiers),
            tuple(int(b) for b in budget),
            None if order is None else tuple(order),
            None if verifiers is None else tuple(tuple(x) for x in verifiers),
        )
        if key != self._key:
            exams = exams_from_columns(problem_ids, answers, tiers, budget, problems, order, verifiers)
            self._records = score_completions(
                exams,
                texts,
                counter=self.counter,
                bins=self.bins,
                grader=self.grader,
                think_markers=self.think_markers,
            )
            self._key = key
        return self._records

    def rewards(self, metric: str, completions, **columns) -> list[float | None]:
        """One reward-table entry per completion of the batch."""
        return [
            reward_table(r, reference_score(self.reference, r))[metric] for r in self.records(completions, **columns)
        ]

    def __call__(self, prompts, completions, **columns) -> list[float | None]:
        return self.rewards(self.kind, completions, **columns)

    def metric(self, name: str) -> RewardView:
        """A reward function for another entry of the table that shares this object's batch
        scoring (TRL's zero-weight logging rewards)."""
        return RewardView(self, name)


class RewardView:
    """``ExamReward`` read at another reward-table entry (shares its scored batch); picklable."""

    def __init__(self, reward: ExamReward, metric: str) -> None:
        if metric not in REWARD_KINDS + LOG_TERMS:
            raise ValueError(f"reward kind must be one of {REWARD_KINDS + LOG_TERMS}, got {metric!r}")
        if metric == "regret" and reward.reference is None:
            raise ValueError("the regret entry needs the ExamReward built with regret_reference=...")
        self.reward, self.metric = reward, metric
        self.__name__ = metric

    def __call__(self, prompts, completions, **columns) -> list[float | None]:
        return self.reward.rewards(self.metric, completions, **columns)


def make_exam_reward(
    kind: str = "rarl",
    *,
    counter: TokenCounter | None = None,
    bins: LevelBins | None = None,
    grader: Grader | None = None,
    regret_reference=None,
) -> ExamReward:
    """A reward function for ``trl.GRPOTrainer``: ``ExamReward(kind, ...)`` (kept for existing code)."""
    return ExamReward(kind, counter=counter, bins=bins, grader=grader, regret_reference=regret_reference)


def regret_reference_of(kind: str, ref) -> RegretReference | None:
    """The reference a reward kind needs: a ``RegretReference`` for ``regret``, else ``None``."""
    return regret_reference(ref) if kind == "regret" else None


def reference_score(ref: RegretReference | None, record) -> float | None:
    """The reference score of a scored exam, or ``None`` without a reference."""
    return None if ref is None else ref.of(record["problem_ids"], record["budget"])
