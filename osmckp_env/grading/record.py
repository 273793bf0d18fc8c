"""The exam record: its typed shape and the one place it is built. A completion becomes a
record here: truncate at the budget, parse, grade, count per-problem tokens and levels.

This is the single scoring path shared by the exam and sequential envs, the runner, ``validate``,
the replay backend, MFT data and the RL rewards (``osmckp_env.scoring.rewards`` turns a record
into rewards; ``osmckp_env.scoring.metrics`` turns many into suite metrics).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import NotRequired, TypedDict

from osmckp_env.exam.levels import SKIP_LEVEL, LevelBins
from osmckp_env.exam.tokenization import TokenCounter, Truncation, default_counter, repair_text, truncate
from osmckp_env.grading import Grader, default_grader, parse_completion
from osmckp_env.grading.grader import GradeResult
from osmckp_env.grading.parse import (
    THINK_MARKERS,
    ParsedProblem,
    ThinkSplit,
    header_marks,
    preamble_end,
    split_thinking,
)

# 2: per-problem tokens partition the completion; `unreached` status, null levels
# 3: thinking is charged and never parsed (think markers, hidden reasoning); repaired text flagged
# 4: the backend's own count of generated tokens is charged (a cap hit is an exhausted budget); a problem
#    after the last one written is `not_attempted` when the model stopped with budget left
RECORD_VERSION = 4

# A problem's status in a record: the parser's (``answered``, ``skipped``, ``missing``, ``unreached``),
# and ``not_attempted``: no segment, none after it, and the model stopped with budget left (the
# parser's ``unreached`` is kept for problems the budget ended before).
RECORD_STATUSES = ("answered", "skipped", "missing", "unreached", "not_attempted")


class ProblemRecord(TypedDict):
    """One problem of a scored exam."""

    position: int
    id: str
    tier: str
    gold: str
    answer: str | None
    status: str  # answered | skipped | missing | unreached | not_attempted
    predicted_level: int | None
    actual_level: int | None  # None: nothing was written for it (unreached)
    tokens: int
    correct: bool
    rarl: bool  # correct AND predicted level == actual level
    grade_status: str  # ok | rejected | timeout | error
    grade_detail: str
    verifier: NotRequired[str]  # a pool's verifier (``Problem.verifier``), absent for math-verify; since 0.5
    credit: NotRequired[float]  # that verifier's score in [0, 1]; only 1.0 is correct (partial credit not counted)


class ExamRecord(TypedDict):
    """One scored exam. The runner adds the fields marked ``NotRequired`` (``with_run_fields``)."""

    record_version: int
    exam_index: int
    order: str
    budget: int
    problem_ids: list[str]
    problems: list[ProblemRecord]
    completion_tokens: int
    preamble_tokens: int
    raw_completion_tokens: int  # before the cut; a lower bound when raw_completion_tokens_exact is False
    raw_completion_tokens_exact: bool
    budget_exhausted: bool
    truncated: bool
    budget_overrun: bool
    thinking_tokens: int  # thinking charged (visible thinking plus hidden reasoning), within the budget
    answer_tokens: int  # completion_tokens - thinking_tokens: the preamble and the problems' segments
    hidden_reasoning_tokens: int  # reasoning the server reported but did not return, charged first
    cut_in_thinking: bool  # the completion ended inside its thinking (the budget ran out there): no answer
    n_headers: NotRequired[int]  # valid `Problem k` header lines in the answer section (format report)
    generated_tokens: NotRequired[int]  # the backend's own count of the text, charged instead of a re-count
    text_repaired: bool  # invalid code points (lone surrogates, NUL) were replaced before scoring
    score: int
    rarl_reward: int
    tokenizer: str
    key: NotRequired[str]  # "<order>:<exam_index>" (":<sample>" with samples: k)
    sample: NotRequired[int]
    config_hash: NotRequired[str]
    request_hash: NotRequired[str]  # what the generation was asked for (reuse matches it), since 0.5
    suite: NotRequired[str]
    suite_hash: NotRequired[str]
    completion: NotRequired[str]
    calls: NotRequired[list[dict]]
    plan: NotRequired[dict | None]
    error: NotRequired[str | None]
    timings: NotRequired[dict]


def actual_level(status: str, tokens: int, bins: LevelBins) -> int | None:
    """The level a problem's real cost falls in; a skip is Level-3 by definition.

    ``None`` for a problem the completion never wrote anything for (``unreached``,
    ``not_attempted``, or ``missing`` with no segment): there is no cost to measure, and it is not
    a Level-0 problem.
    """
    if status == "skipped":
        return SKIP_LEVEL
    if status in ("unreached", "not_attempted") or (status == "missing" and tokens == 0):
        return None
    return bins.level_of(tokens)


def score_completions(
    exams,
    texts,
    *,
    counter: TokenCounter | None = None,
    bins: LevelBins | None = None,
    grader: Grader | None = None,
    think_markers=THINK_MARKERS,
    hidden_tokens=None,
    generated_tokens=None,
) -> list[ExamRecord]:
    """Grade many exam completions at once (answers graded in parallel), each under its exam's
    budget. ``think_markers`` sets the thinking rule (``None``:
    off). ``hidden_tokens`` gives each completion's hidden reasoning (tokens a server reported but
    did not return), charged before its text. ``generated_tokens`` gives, where known, how many
    tokens the backend generated for each text in ``counter``'s tokenization (``None`` entries:
    unknown); see ``cut_and_parse``. Returns one record per exam: per-problem answers, levels,
    tokens, grades, plus totals.
    """
    counter = counter or default_counter()
    bins = bins or LevelBins()
    grader = grader or default_grader()
    pending = []
    for i, (exam, text) in enumerate(zip(exams, texts, strict=True)):
        if not isinstance(text, str):
            raise TypeError(f"completion for exam {exam.index} must be str, got {type(text).__name__}")
        hidden = 0 if hidden_tokens is None else hidden_tokens[i]
        generated = None if generated_tokens is None else generated_tokens[i]
        view = cut_and_parse(
            text,
            exam.n_problems,
            exam.budget,
            counter,
            think_markers=think_markers,
            hidden_tokens=hidden,
            generated_tokens=generated,
        )
        futures = [
            submit(grader, pp.answer if pp.status == "answered" else None, prob)
            for pp, prob in zip(view.parsed, exam.problems)
        ]
        pending.append((exam, view, futures))
    return [_record(exam, view, [f.result() for f in futs], counter, bins) for exam, view, futs in pending]


def submit(grader, answer: str | None, problem):
    """``grader.submit`` for one problem's answer: against its gold, with its pool's verifier when it
    has one (a grader that knows only math-verify, ``submit(pred, gold)``, still serves the bundled pools)."""
    verifier = getattr(problem, "verifier", "")
    return grader.submit(answer, problem.answer, verifier) if verifier else grader.submit(answer, problem.answer)


def apportion(parts: list[int], total: int) -> list[int]:
    """Non-negative integer ``parts`` rescaled to add up to ``total`` (largest remainder, ties to the
    later part): how a backend's own token count is shared over the pieces of a text that the env's
    re-count split. Parts that are all zero give everything to the last one."""
    have = sum(parts)
    if have == total:
        return list(parts)
    if have == 0:
        return [0] * (len(parts) - 1) + [total]
    exact = [p * total / have for p in parts]
    out = [int(x) for x in exact]
    order = sorted(range(len(parts)), key=lambda i: (exact[i] - out[i], i), reverse=True)
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


@dataclass(frozen=True)
class EnvView:
    """The env's view of a completion before grading: the repaired text cut at what the budget
    leaves after hidden reasoning, its thinking split off, its answer section parsed.

    Token accounting partitions the charged tokens: ``preamble_tokens + thinking_tokens +
    sum(problem_tokens) == completion_tokens``. With ``generated`` (the backend's own count of the
    text, in the counter's tokenization) that count is what the visible text costs: decoding and
    re-encoding is not round-trip stable, and a completion the backend stopped at its cap has
    used the budget even when its text re-counts shorter. The re-count then only says how the
    cost is shared over the text's pieces (``apportion``).
    """

    cut: Truncation
    parsed: list[ParsedProblem]
    split: ThinkSplit
    budget: int
    hidden: int  # hidden reasoning tokens as reported (may exceed the budget)
    repaired: bool
    generated: int | None = None  # the backend's count of the visible text, if known

    @property
    def hidden_charged(self) -> int:
        return min(self.hidden, self.budget)

    @property
    def visible_raw(self) -> int:
        """Tokens of the visible text before any cut: the backend's count when known."""
        return self.cut.n_tokens if self.generated is None else self.generated

    @property
    def visible_tokens(self) -> int:
        """Tokens of the visible text charged within the budget."""
        return min(self.visible_raw, self.budget - self.hidden_charged)

    @property
    def completion_tokens(self) -> int:
        return self.visible_tokens + self.hidden_charged

    @property
    def raw_completion_tokens(self) -> int:
        return self.visible_raw + self.hidden

    @property
    def truncated(self) -> bool:
        return self.cut.truncated or self.hidden > self.budget or self.visible_raw > self.visible_tokens

    @cached_property
    def _pieces(self) -> list[int]:
        """Charged tokens of (visible thinking, preamble, problem 1, ..., problem n)."""
        n = len(self.cut.text)
        thinking = self.cut.tokens_in(-1, self.split.answer_start) + self.cut.tokens_in(self.split.answer_end, n)
        preamble = self.cut.tokens_in(self.split.answer_start, preamble_end(self.parsed, self.split.answer_end))
        problems = [sum(self.cut.tokens_in(s, e) for s, e in pp.spans) for pp in self.parsed]
        pieces = [thinking, preamble, *problems]
        return pieces if self.generated is None else apportion(pieces, self.visible_tokens)

    @property
    def thinking_tokens(self) -> int:
        return self._pieces[0] + self.hidden_charged

    @property
    def preamble_tokens(self) -> int:
        return self._pieces[1]

    @property
    def problem_tokens(self) -> list[int]:
        """Tokens of each problem's segment pieces (header and level tag included)."""
        return self._pieces[2:]

    @property
    def exhausted(self) -> bool:
        """The budget ran out: the text was cut, or what was generated (with hidden reasoning) used it all."""
        return self.truncated or self.raw_completion_tokens >= self.budget

    @property
    def cut_in_thinking(self) -> bool:
        """The completion ended inside its thinking: hidden reasoning took the whole budget, or the
        kept text ends in an open think block (cut there by the env or by the server's cap)."""
        return self.hidden >= self.budget > 0 or self.split.ends_in_thinking


def cut_and_parse(
    text: str,
    n_problems: int,
    budget: int,
    counter: TokenCounter,
    *,
    think_markers=THINK_MARKERS,
    hidden_tokens=0,
    generated_tokens: int | None = None,
) -> EnvView:
    """The env's view of a completion before grading (``EnvView``).

    ``generated_tokens``: the backend's own count of ``text`` (token ids it generated, in
    ``counter``'s tokenization), which wins over a re-count of the decoded text. Within the budget
    the text is kept whole; over it, the text is cut where the same share of its re-counted tokens
    ends (``budget * recount / generated``)."""
    if not isinstance(hidden_tokens, int) or isinstance(hidden_tokens, bool) or hidden_tokens < 0:
        raise ValueError(f"hidden_tokens must be a non-negative int, got {hidden_tokens!r}")
    if generated_tokens is not None and (
        not isinstance(generated_tokens, int) or isinstance(generated_tokens, bool) or generated_tokens < 0
    ):
        raise ValueError(f"generated_tokens must be None or a non-negative int, got {generated_tokens!r}")
    room = max(0, budget - hidden_tokens)
    cut = truncate(text, room, counter)  # counts a repaired copy of what it reads
    if generated_tokens is not None and generated_tokens != cut.n_tokens:
        if generated_tokens <= room:  # the backend stayed within the budget: keep all it generated
            cut = truncate(text, max(cut.n_tokens, room), counter)
        else:  # over it: cut at the same share of the re-count
            cut = truncate(text, (room * cut.n_tokens) // generated_tokens, counter)
    kept, repaired = repair_text(cut.text)  # only the kept text is scored: repair (and flag) just that
    if repaired:
        cut = replace(cut, text=kept)
    split = split_thinking(cut.text, think_markers)
    parsed = parse_completion(cut.text, n_problems, think_markers)
    return EnvView(cut, parsed, split, budget, hidden_tokens, repaired, generated_tokens)


def segment_levels(
    text: str, n_problems: int, budget: int, counter: TokenCounter, bins: LevelBins, think_markers=THINK_MARKERS
) -> list:
    """The actual level the env gives each problem of ``text`` (no grading): what MFT labels must equal."""
    view = cut_and_parse(text, n_problems, budget, counter, think_markers=think_markers)
    return [actual_level(pp.status, n, bins) for pp, n in zip(view.parsed, view.problem_tokens)]


def score_completion(
    exam, text: str, *, hidden_tokens: int = 0, generated_tokens: int | None = None, **kwargs
) -> ExamRecord:
    """Grade one exam completion (``hidden_tokens``: its hidden reasoning; ``generated_tokens``: the
    backend's own count of ``text``, if known); see ``score_completions``."""
    return score_completions(
        [exam], [text], hidden_tokens=[hidden_tokens], generated_tokens=[generated_tokens], **kwargs
    )[0]


def problem_record(
    position: int,
    problem,
    *,
    answer: str | None,
    status: str,
    predicted_level: int | None,
    tokens: int,
    grade,
    bins: LevelBins,
) -> ProblemRecord:
    """A problem's record: its actual level from the tokens it used, correct only if answered
    and graded right, ``rarl`` only if also its predicted level was right. A problem graded by a
    pool's verifier also records it (``verifier``) and the credit it gave (``credit``)."""
    lvl = actual_level(status, tokens, bins)
    correct = bool(grade.correct) and status == "answered" and grade.status == "ok"
    pool = {} if not getattr(problem, "verifier", "") else {"verifier": problem.verifier}
    if getattr(grade, "credit", None) is not None:
        pool["credit"] = grade.credit
    return {
        "position": position,
        "id": problem.id,
        "tier": problem.tier,
        "gold": problem.answer,
        "answer": answer,
        "status": status,
        "predicted_level": predicted_level,
        "actual_level": lvl,
        "tokens": tokens,
        "correct": correct,
        "rarl": correct and predicted_level == lvl,
        "grade_status": grade.status,
        "grade_detail": grade.detail,
        **pool,
    }


def unreached_record(position: int, problem, detail: str = "") -> ProblemRecord:
    """A problem the completion never reached: no answer, no level, no tokens."""

    return problem_record(
        position,
        problem,
        answer=None,
        status="unreached",
        predicted_level=None,
        tokens=0,
        grade=GradeResult(False, "ok", detail),
        bins=LevelBins(),
    )


def exam_record(
    exam,
    problems: list[ProblemRecord],
    *,
    budget: int,
    completion_tokens: int,
    raw_completion_tokens: int,
    preamble_tokens: int,
    truncated: bool,
    tokenizer: str,
    raw_exact: bool = True,
    thinking_tokens: int = 0,
    hidden_reasoning_tokens: int = 0,
    cut_in_thinking: bool = False,
    text_repaired: bool = False,
    n_headers: int | None = None,
    generated_tokens: int | None = None,
) -> ExamRecord:
    """An exam's record from its problems' records and the completion's token counts."""
    return {
        "record_version": RECORD_VERSION,
        "exam_index": exam.index,
        "order": exam.order,
        "budget": budget,
        "problem_ids": [p.id for p in exam.problems],
        "problems": problems,
        "completion_tokens": completion_tokens,
        "preamble_tokens": preamble_tokens,
        "raw_completion_tokens": raw_completion_tokens,
        "raw_completion_tokens_exact": raw_exact,
        "budget_exhausted": truncated or raw_completion_tokens >= budget,
        "truncated": truncated,
        "budget_overrun": raw_completion_tokens > budget,
        "thinking_tokens": thinking_tokens,
        "answer_tokens": completion_tokens - thinking_tokens,
        "hidden_reasoning_tokens": hidden_reasoning_tokens,
        "cut_in_thinking": cut_in_thinking,
        "text_repaired": text_repaired,
        **({} if n_headers is None else {"n_headers": n_headers}),
        **({} if generated_tokens is None else {"generated_tokens": generated_tokens}),
        "score": sum(p["correct"] for p in problems),
        "rarl_reward": sum(p["rarl"] for p in problems),
        "tokenizer": tokenizer,
    }


def record_key(order: str, index: int, sample: int | None = None) -> str:
    """A runner record's key: ``order:index``, with ``:sample`` when a spec draws several samples
    (``sample`` is ``None`` for a single-sample spec)."""
    return f"{order}:{index}" if sample is None else f"{order}:{index}:{sample}"


def with_both_levels(problems) -> list:
    """The problems that carry a predicted and an actual level (an unreached problem has no actual
    level; one without a tag, no predicted level): what level accuracy is measured on."""
    return [p for p in problems if p["predicted_level"] is not None and p.get("actual_level") is not None]


class SequentialExam:
    """The record of an exam posed one problem per step (``OSMCKP-Seq-v0``), built as the steps
    come: each answer is cut at the budget left, its thinking charged and split off, parsed as a
    one-problem completion and graded; ``record()`` is the finished exam's ``ExamRecord``.

    A problem's cost is everything its step generated minus its thinking (counted apart); an
    empty reply leaves the posed problem ``missing`` (it was posed), and the problems never posed
    because the budget ran out are ``unreached``. No preamble exists in this mode. A step's hidden
    reasoning (tokens a server charged but did not return) is charged before its text, by the
    same ``cut_and_parse`` as a whole-exam completion's.
    """

    def __init__(self, exam, *, counter: TokenCounter, bins: LevelBins, grader=None, think_markers=THINK_MARKERS):
        self.exam, self.counter, self.bins, self.think_markers = exam, counter, bins, think_markers
        self.grader = grader
        self.problems: list[ProblemRecord] = []
        self.tokens_used = 0
        self.raw_tokens = 0  # before the cuts: more than the budget means the agent overran it
        self.raw_exact = True
        self.thinking = 0
        self.hidden = 0
        self.cut_in_thinking = False
        self.repaired = False

    @property
    def position(self) -> int:
        return len(self.problems)

    @property
    def remaining(self) -> int:
        return self.exam.budget - self.tokens_used

    @property
    def done(self) -> bool:
        return self.position >= self.exam.n_problems or self.remaining <= 0

    def answer(self, text: str, hidden_tokens: int = 0, generated_tokens: int | None = None) -> ProblemRecord:
        """Score the reply to the problem now posed, under the budget left (``hidden_tokens``: its
        hidden reasoning, charged first; ``generated_tokens``: the backend's own count of ``text``);
        returns its record."""
        if self.done:
            raise RuntimeError("the exam is over: every problem was posed or the budget is spent")
        pos = self.position
        problem = self.exam.problems[pos]
        view = cut_and_parse(
            text,
            1,
            self.remaining,
            self.counter,
            think_markers=self.think_markers,
            hidden_tokens=hidden_tokens,
            generated_tokens=generated_tokens,
        )
        (pp,) = view.parsed
        grade = submit(self.grader or default_grader(), pp.answer if pp.status == "answered" else None, problem)
        used = view.completion_tokens
        prob = problem_record(
            pos,
            problem,
            answer=pp.answer,
            status="missing" if pp.status == "unreached" else pp.status,
            predicted_level=pp.predicted_level,
            tokens=used - view.thinking_tokens,
            grade=grade.result(),
            bins=self.bins,
        )
        self.problems.append(prob)
        self.tokens_used += used
        self.raw_tokens += view.raw_completion_tokens
        self.raw_exact = self.raw_exact and view.cut.n_tokens_exact
        self.thinking += view.thinking_tokens
        self.hidden += view.hidden
        self.cut_in_thinking = self.cut_in_thinking or view.cut_in_thinking
        self.repaired = self.repaired or view.repaired
        return prob

    def record(self) -> ExamRecord:
        """The finished exam's record (problems not posed are unreached: "budget spent")."""
        n = self.position
        unreached = [unreached_record(k, self.exam.problems[k], "budget spent") for k in range(n, self.exam.n_problems)]
        return exam_record(
            self.exam,
            self.problems + unreached,
            budget=self.exam.budget,
            completion_tokens=self.tokens_used,
            raw_completion_tokens=self.raw_tokens,
            preamble_tokens=0,
            truncated=self.raw_tokens > self.tokens_used,
            tokenizer=self.counter.name,
            raw_exact=self.raw_exact,
            thinking_tokens=self.thinking,
            hidden_reasoning_tokens=self.hidden,
            cut_in_thinking=self.cut_in_thinking,
            text_repaired=self.repaired,
        )


def with_run_fields(
    record: ExamRecord,
    *,
    config_hash: str,
    suite: str,
    suite_hash: str,
    completion: str,
    calls: list[dict],
    plan: dict | None,
    error: str | None,
    timings: dict,
    sample: int | None = None,
    request_hash: str | None = None,
) -> ExamRecord:
    """The runner's record: the scored exam plus what ties it to its run (key, hashes) and how
    it was produced (completion, model calls, plan, error, timings). ``sample`` numbers the
    samples of a spec with ``samples: k`` (key ``order:index:sample``); ``request_hash`` is the
    hash of what the generation was asked for (the runner's ``request_hash``: what reuse matches)."""
    return {
        "key": record_key(record["order"], record["exam_index"], sample),
        **({} if sample is None else {"sample": sample}),
        "config_hash": config_hash,
        **({} if request_hash is None else {"request_hash": request_hash}),
        "suite": suite,
        "suite_hash": suite_hash,
        "completion": completion,
        "calls": calls,
        "plan": plan,
        "error": error,
        **record,
        "timings": timings,
    }


def record_status(parsed_status: str, exhausted: bool) -> str:
    """A problem's record status: the parser's, except that a problem the completion never reached
    is ``unreached`` only when the budget ran out first; when the model stopped with budget left it
    is ``not_attempted``."""
    if parsed_status == "unreached" and not exhausted:
        return "not_attempted"
    return parsed_status


def _record(exam, view: EnvView, grades, counter, bins) -> ExamRecord:
    exhausted = view.exhausted
    problems = [
        problem_record(
            pos,
            prob,
            answer=pp.answer,
            status=record_status(pp.status, exhausted),
            predicted_level=pp.predicted_level,
            tokens=tokens,
            grade=g,
            bins=bins,
        )
        for pos, (pp, prob, g, tokens) in enumerate(zip(view.parsed, exam.problems, grades, view.problem_tokens))
    ]
    return exam_record(
        exam,
        problems,
        budget=view.budget,
        completion_tokens=view.completion_tokens,
        raw_completion_tokens=view.raw_completion_tokens,
        preamble_tokens=view.preamble_tokens,
        truncated=view.truncated,
        tokenizer=counter.name,
        raw_exact=view.cut.n_tokens_exact,
        thinking_tokens=view.thinking_tokens,
        hidden_reasoning_tokens=view.hidden,
        cut_in_thinking=view.cut_in_thinking,
        text_repaired=view.repaired,
        n_headers=len(header_marks(view.cut.text[view.split.answer_start : view.split.answer_end], exam.n_problems)),
        generated_tokens=view.generated,
    )
