"""Exam suites: deterministic lists of exams (ordered problems + one token budget).

A suite is a pure function of (pool, split, seed, n_exams, n_problems, tiers, order, budget); its
content hash covers every problem id, answer (and verifier, where it is not math-verify) and
position, so a result file pins its exams. The same seed gives the same problems in every order,
which is what Regret compares. Without a pool, exams draw from the bundled GSM8K / MATH / AIME
pools; with one (``exam.pools``: ``arith``, ``rg-<dataset>``) they are *procedural*: exam ``i``'s
problems are items of the pool made from the seed, so any seed gives new exams.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from dataclasses import replace as dataclass_replace
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from osmckp_env.exam._files import read_input_text
from osmckp_env.exam._lookup import lookup
from osmckp_env.exam.pools import Pool, as_pool, remember
from osmckp_env.exam.problems import SPLITS, TIER_RANK, TIERS, Problem, load_pools
from osmckp_env.exam.prompts import exam_messages

ORDERS = ("medium", "hard", "easy")
SUITE_FORMAT_VERSION = 1  # the layout of suite files
SUITE_FILE_HINT = (
    "give a suite file written by `osmckp suites --export NAME` (or `Suite.to_jsonl`), or a named suite "
    "(`osmckp suites` lists them)"
)
# How suites are built. 1: a Medium exam was any uniform shuffle (1 in 3 equalled the easy or the
# hard order). 2: a Medium exam's order is drawn uniformly from the orders that are neither.
SUITE_VERSION = 2
SUITE_VERSIONS = (1, 2)
PROCEDURAL_N_EXAMS = 500  # exams of a procedural suite when n_exams is not given (as many as the bundled suites)
MAX_REDRAWS = 100  # a procedural exam redraws a problem that repeats one already in it at most this often


@dataclass(frozen=True)
class SuiteConfig:
    """How to build a suite.

    Args:
        order: ``medium`` (shuffled per exam, seeded), ``hard`` (hardest first) or ``easy``
            (easiest first, the Regret reference).
        budget: the exam's total token budget.
        n_exams: number of exams; ``None`` = one per problem of the medium tier (500 for MATH-500).
        n_problems: problems per exam.
        tiers: tier of each slot before ordering; default cycles easy, medium, hard.
        split: ``eval`` (GSM8K test, MATH-500, AIME 2025) or ``train``; for a procedural pool
            the split enters the seed (training and evaluation exams are drawn apart).
        seed: drives problem choice and the medium shuffle.
        version: how the suite is built (``SUITE_VERSION``; enters the hash). Version 1 is kept
            only so that old results files can be re-derived.
        pool: ``None`` (the bundled pools), or a procedural pool (``exam.pools``): an
            ``ArithmeticPool``, a ``ReasoningGymPool``, their dict, or a name (``arith``,
            ``rg-<dataset>``). A procedural suite has ``PROCEDURAL_N_EXAMS`` exams unless
            ``n_exams`` says otherwise, and its first exams are those of any longer one.

    Example:
        >>> suite = build_suite(SuiteConfig(pool="arith", budget=128, n_exams=2, seed=7))
        >>> suite.name.startswith("custom-arith-3p-medium-128-"), sorted(p.tier for p in suite[0].problems)
        (True, ['easy', 'hard', 'medium'])
    """

    order: str = "medium"
    budget: int = 1024
    n_exams: int | None = None
    n_problems: int = 3
    tiers: tuple[str, ...] | None = None
    split: str = "eval"
    seed: int = 0
    version: int = SUITE_VERSION
    pool: Pool | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "pool", as_pool(self.pool))
        if self.version not in SUITE_VERSIONS:
            raise ValueError(
                f"suite version {self.version!r} is not known to this osmckp (knows {SUITE_VERSIONS}); "
                "upgrade osmckp to read it"
            )
        if self.order not in ORDERS:
            raise ValueError(f"order must be one of {ORDERS}, got {self.order!r}")
        if not isinstance(self.budget, int) or isinstance(self.budget, bool) or self.budget <= 0:
            raise ValueError(f"budget must be a positive int (tokens), got {self.budget!r}; e.g. budget=1024")
        if not isinstance(self.n_problems, int) or self.n_problems <= 0:
            raise ValueError(f"n_problems must be a positive int, got {self.n_problems!r}")
        if self.n_exams is not None and (not isinstance(self.n_exams, int) or self.n_exams <= 0):
            raise ValueError(f"n_exams must be a positive int or None, got {self.n_exams!r}")
        if self.split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {self.split!r}")
        if self.tiers is not None:
            tiers = tuple(self.tiers)
            object.__setattr__(self, "tiers", tiers)
            bad = [t for t in tiers if t not in TIER_RANK]
            if bad:
                raise ValueError(f"unknown tiers {bad}; use {TIERS}")
            if len(tiers) != self.n_problems:
                raise ValueError(
                    f"tiers has {len(tiers)} entries but n_problems={self.n_problems}; give one tier per slot"
                )

    @property
    def slot_tiers(self) -> tuple[str, ...]:
        return self.tiers or tuple(TIERS[i % len(TIERS)] for i in range(self.n_problems))

    def replace(self, **changes) -> SuiteConfig:
        return dataclass_replace(self, **changes)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["tiers"] = list(self.slot_tiers)
        if self.pool is None:
            del d["pool"]  # the bundled pools: configs (and their hashes) as before 0.5
        else:
            d["pool"] = self.pool.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> SuiteConfig:
        """Inverse of ``to_dict`` (as stored in suite files and results files)."""
        d = dict(d)
        d["tiers"] = tuple(d["tiers"]) if d.get("tiers") else None
        d.setdefault("version", 1)  # files written before suites had a version
        return cls(**d)


def exam_identity(problem_ids) -> str:
    """An exam's order-independent identity: its problem ids, sorted and joined (an exam and its
    easy-order twin share it). ``Exam.key`` and the regret reference use it."""
    return "|".join(sorted(problem_ids))


@dataclass(frozen=True)
class Exam:
    """One exam: problems in the order they are posed, under one budget."""

    index: int
    problems: tuple[Problem, ...]
    budget: int
    order: str

    @property
    def n_problems(self) -> int:
        return len(self.problems)

    @property
    def key(self) -> str:
        """Order-independent identity of the exam's problem set (pairs an exam with its easy twin)."""
        return exam_identity(p.id for p in self.problems)

    def to_dict(self) -> dict:
        return {
            "index": self.index,
            "budget": self.budget,
            "order": self.order,
            "problems": [p.to_dict() for p in self.problems],
        }

    @classmethod
    def from_columns(
        cls, problem_ids, answers, tiers, budget, order: str = "medium", index: int = 0, problems=None, verifiers=None
    ) -> Exam:
        """The one inverse of ``Suite.to_dataset``: an exam from one row's columns (``problems``,
        the statements, may be left out where only grading is needed; ``verifiers``, each problem's
        ``Problem.verifier``, where every problem is graded by math-verify)."""
        ids, golds, ts = list(problem_ids), list(answers), list(tiers)
        if not (len(ids) == len(golds) == len(ts)):
            raise ValueError(f"exam columns disagree: {len(ids)} problem_ids, {len(golds)} answers, {len(ts)} tiers")
        texts = list(problems) if problems is not None else [""] * len(ids)
        checks = [v or "" for v in verifiers] if verifiers is not None else [""] * len(ids)
        if len(checks) != len(ids):
            raise ValueError(f"exam columns disagree: {len(ids)} problem_ids, {len(checks)} verifiers")
        return cls(
            int(index),
            tuple(
                Problem(pid, pid.split("-")[0], t, g, tier, verifier=v)
                for pid, t, g, tier, v in zip(ids, texts, golds, ts, checks)
            ),
            int(budget),
            str(order or "medium"),
        )

    @classmethod
    def from_dict(cls, d: dict) -> Exam:
        try:
            return cls(
                int(d["index"]), tuple(Problem.from_dict(p) for p in d["problems"]), int(d["budget"]), str(d["order"])
            )
        except KeyError as e:
            raise ValueError(f"exam record lacks field {e}; expected index, budget, order, problems") from None


@dataclass(frozen=True)
class Suite:
    """A named list of exams with a content hash."""

    name: str
    config: SuiteConfig
    exams: tuple[Exam, ...] = field(repr=False)

    def __len__(self) -> int:
        return len(self.exams)

    def __iter__(self):
        return iter(self.exams)

    def __getitem__(self, i: int) -> Exam:
        return self.exams[i]

    @cached_property
    def hash(self) -> str:
        """Content hash (computed once: a suite is immutable)."""
        return suite_hash(self.exams, self.config.version)

    def with_order(self, order: str) -> Suite:
        """The same exams re-ordered (``easy`` gives the Regret reference)."""
        exams = tuple(
            Exam(
                e.index,
                _order_problems(e.problems, order, self.config.seed, e.index, self.config.version),
                e.budget,
                order,
            )
            for e in self.exams
        )
        base = self.name.rsplit("-", 1)
        if self.config.pool is not None and is_named_suite(self.name):
            name = standard_name(self.config.replace(order=order))  # arith-medium-128 -> arith-easy-128
        else:
            name = f"{order}-{base[1]}" if len(base) == 2 and base[0] in ORDERS else f"{self.name}@{order}"
        return Suite(name, self.config.replace(order=order), exams)

    def to_jsonl(self, path: str | Path) -> Path:
        path = Path(path)
        header = {
            "osmckp_suite": SUITE_FORMAT_VERSION,
            "name": self.name,
            "config": self.config.to_dict(),
            "hash": self.hash,
        }
        with path.open("w", encoding="utf-8") as fh:
            fh.write(json.dumps(header, ensure_ascii=False) + "\n")
            for e in self.exams:
                fh.write(json.dumps(e.to_dict(), ensure_ascii=False) + "\n")
        return path

    @classmethod
    def from_jsonl(cls, path: str | Path) -> Suite:
        """Read a suite file (``to_jsonl``); every error names the file (and line) and what to do."""
        hint = SUITE_FILE_HINT
        lines = read_input_text(path, "suite file", hint).splitlines()
        if not lines:
            raise ValueError(f"{path}: empty suite file; {hint}")
        rows = []
        for i, line in enumerate(lines, 1):
            if i > 1 and not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}: line {i} is not JSON ({e.msg}): not an osmckp suite file; {hint}") from None
        header = rows[0]
        if not isinstance(header, dict) or header.get("osmckp_suite") != SUITE_FORMAT_VERSION:
            raise ValueError(f"{path}: not an osmckp suite file (its first line must be the suite header); {hint}")
        try:
            suite = cls(
                header["name"],
                SuiteConfig.from_dict(header["config"]),
                tuple(Exam.from_dict(x) for x in rows[1:]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise ValueError(f"{path}: not a valid osmckp suite file ({e}); {hint}") from None
        if suite.hash != header.get("hash"):
            raise ValueError(
                f"{path}: content hash {suite.hash} != header hash {header.get('hash')}; the file was edited "
                "(export it again with `osmckp suites --export`, or build it with `Suite.to_jsonl`)"
            )
        try:
            if is_named_suite(suite.name) and not is_standard(suite.name, suite.config, suite.exams):
                # written before 0.4 under a standard name it is not: named from its content instead
                suite = cls(suite_name(suite.config, suite.exams), suite.config, suite.exams)
        except ImportError:
            pass  # a pool whose extra is not installed here cannot be rebuilt to compare: the file's name stands
        return suite

    def to_dataset(self):
        """As a ``datasets.Dataset``: one row per exam with ``prompt`` (chat messages), gold answers
        and each problem's verifier (``""``: math-verify)."""
        import datasets

        rows = {
            "exam_index": [],
            "suite": [],
            "suite_hash": [],
            "order": [],
            "budget": [],
            "problem_ids": [],
            "problems": [],
            "answers": [],
            "tiers": [],
            "verifiers": [],
            "prompt": [],
        }
        for e in self.exams:
            rows["exam_index"].append(e.index)
            rows["suite"].append(self.name)
            rows["suite_hash"].append(self.hash)
            rows["order"].append(e.order)
            rows["budget"].append(e.budget)
            rows["problem_ids"].append([p.id for p in e.problems])
            rows["problems"].append([p.problem for p in e.problems])
            rows["answers"].append([p.answer for p in e.problems])
            rows["tiers"].append([p.tier for p in e.problems])
            rows["verifiers"].append([p.verifier for p in e.problems])
            rows["prompt"].append(exam_messages(e))
        return datasets.Dataset.from_dict(rows)

    @classmethod
    def from_dataset(cls, ds, name: str, config: SuiteConfig | None = None) -> Suite:
        """Rebuild a suite from ``to_dataset()`` output (MATH levels are not carried)."""
        exams = [
            Exam.from_columns(
                row["problem_ids"],
                row["answers"],
                row["tiers"],
                row["budget"],
                row["order"],
                row["exam_index"],
                row["problems"],
                row.get("verifiers"),
            )
            for row in ds
        ]
        cfg = config or SuiteConfig(
            order=exams[0].order, budget=exams[0].budget, n_exams=len(exams), n_problems=exams[0].n_problems
        )
        return cls(name, cfg, tuple(exams))


def suite_hash(exams, version: int = SUITE_VERSION) -> str:
    """sha256 (first 16 hex) of the canonical JSON of every exam's ordered problems (id, answer, and
    the verifier where it is not math-verify) and budget, and of the suite version (from version 2
    on; version-1 hashes are unchanged)."""
    content = [[e.budget, [[p.id, p.answer, *([p.verifier] if p.verifier else [])] for p in e.problems]] for e in exams]
    blob = json.dumps(content if version < 2 else {"version": version, "exams": content}, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def exam_set_hash(problem_ids) -> str:
    """sha256 (first 16 hex) of a list of exams' problem ids, each exam's in its order, without
    their budget: the same exams under another budget (a budget sweep, ``--budgets``) share it,
    other exams (a custom suite, another exam count) do not. ``problem_ids``: one list per exam,
    by exam index."""
    blob = json.dumps([list(ids) for ids in problem_ids], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def _n_rank_sequences(ranks) -> int:
    """How many distinct rank sequences the problems can be put in (a multinomial coefficient)."""
    out = math.factorial(len(ranks))
    for r in set(ranks):
        out //= math.factorial(ranks.count(r))
    return out


def _order_problems(problems, order: str, seed: int, index: int, version: int = SUITE_VERSION) -> tuple[Problem, ...]:
    """Easy: easiest first (the Regret reference). Hard: hardest first. Medium: interleaved, i.e.
    drawn uniformly (seeded by suite seed and exam index) from the orders whose tier/level
    sequence is neither the easy nor the hard one (version 1: any shuffle)."""
    easy = tuple(sorted(problems, key=lambda p: p.rank))
    if order == "easy":
        return easy
    if order == "hard":
        return tuple(sorted(problems, key=lambda p: p.rank, reverse=True))
    rng = np.random.default_rng([seed, index, 1])
    if version < 2:
        return tuple(problems[i] for i in rng.permutation(len(problems)))
    excluded = {tuple(p.rank for p in easy), tuple(p.rank for p in reversed(easy))}
    if _n_rank_sequences([p.rank for p in problems]) <= len(excluded):
        raise ValueError(
            f"exam {index}: its {len(problems)} problems have no order that is neither easy nor hard, so it cannot "
            "be a Medium (interleaved) exam; use at least 3 problems of at least 2 tiers, or order='easy'/'hard'"
        )
    while True:  # rejection sampling: uniform over the allowed permutations
        perm = tuple(problems[i] for i in rng.permutation(len(problems)))
        if tuple(p.rank for p in perm) not in excluded:
            return perm


def _draw(pool: tuple[Problem, ...], count: int, rng: np.random.Generator) -> list[Problem]:
    """``count`` problems: each pool problem once per pass, passes shuffled independently."""
    out: list[Problem] = []
    while len(out) < count:
        out.extend(pool[i] for i in rng.permutation(len(pool)))
    return out[:count]


def _procedural_exams(config: SuiteConfig) -> tuple[Exam, ...]:
    """Exams of a procedural pool: slot ``k`` of exam ``i``, of a tier with ``per`` slots per exam,
    holds the pool's item ``i * per + j`` of that tier (``j``: the slot's rank among them), so exam
    ``i`` is made from the seed and ``i`` alone. An item that repeats a problem already in the exam
    is redrawn (``attempt``)."""
    pool, slots = config.pool, config.slot_tiers
    per = Counter(slots)
    exams = []
    for i in range(config.n_exams or PROCEDURAL_N_EXAMS):
        taken: Counter = Counter()
        statements: set[str] = set()
        slotted = []
        for tier in slots:
            index = i * per[tier] + taken[tier]
            taken[tier] += 1
            for attempt in range(MAX_REDRAWS):
                p = pool.problem(tier, index, seed=config.seed, split=config.split, attempt=attempt)
                if p.problem not in statements:
                    break
            else:
                raise ValueError(
                    f"pool {pool.name}: {MAX_REDRAWS} draws of a {tier!r} problem for exam {i} all repeat one already "
                    "in it; its knobs allow too few distinct problems for this many per exam (widen them)"
                )
            statements.add(p.problem)
            remember(p)
            slotted.append(p)
        ordered = _order_problems(tuple(slotted), config.order, config.seed, i, config.version)
        exams.append(Exam(i, ordered, config.budget, config.order))
    return tuple(exams)


def build_suite(config: SuiteConfig, name: str | None = None) -> Suite:
    """Build the suite ``config`` describes. Problems never repeat inside one exam."""
    if config.pool is not None:
        exams = _procedural_exams(config)
        return Suite(name or suite_name(config, exams), config, exams)
    pools = load_pools(config.split)
    slots = config.slot_tiers
    n_exams = config.n_exams or len(pools["medium"])
    need = {t: slots.count(t) * n_exams for t in set(slots)}
    for tier in set(slots):
        if slots.count(tier) > len(pools[tier]):
            raise ValueError(
                f"an exam needs {slots.count(tier)} distinct {tier!r} problems but the {config.split} pool has "
                f"only {len(pools[tier])}; lower n_problems or change tiers"
            )
    drawn = {}
    for tier in sorted(need):
        rng = np.random.default_rng([config.seed, TIER_RANK[tier]])
        drawn[tier] = _draw(pools[tier], need[tier], rng)
    exams = []
    for i in range(n_exams):
        blocks = {}
        for tier, total in need.items():
            k = total // n_exams
            block = drawn[tier][i * k : (i + 1) * k]
            if len({p.id for p in block}) < k:
                # a pass boundary of a small pool repeated a problem: redraw this block
                rng = np.random.default_rng([config.seed, TIER_RANK[tier], i])
                block = [pools[tier][j] for j in rng.choice(len(pools[tier]), size=k, replace=False)]
            blocks[tier] = list(block)
        slotted = tuple(blocks[t].pop(0) for t in slots)
        ordered = _order_problems(slotted, config.order, config.seed, i, config.version)
        exams.append(Exam(i, ordered, config.budget, config.order))
    exams = tuple(exams)
    return Suite(name or suite_name(config, exams), config, exams)


def suite_stem(config: SuiteConfig) -> str:
    """A named suite's name without its budget: ``medium``, ``train-hard``, ``arith-medium``,
    ``rg-chain_sum-easy`` (a budget sweep's family)."""
    pool = f"{config.pool.name}-" if config.pool is not None else ""
    return ("train-" if config.split == "train" else "") + pool + config.order


def standard_name(config: SuiteConfig) -> str:
    """The name a config's suite has if it is a named one: ``medium-512``, ``train-hard-1024``,
    ``arith-medium-128``, ``rg-chain_sum-hard-256``."""
    return f"{suite_stem(config)}-{config.budget}"


def is_standard(name: str, config: SuiteConfig, exams) -> bool:
    """True if ``exams`` are the named suite ``name`` (all of it, or its first exams) as the package
    builds it: the name is then the suite's own. A suite file that carries a standard name but
    other exams (a custom suite written before 0.4) is not."""
    if not is_named_suite(name):
        return False
    standard = named_suite_config(name)
    if {**config.to_dict(), "n_exams": None} != {**standard.to_dict(), "n_exams": None}:
        return False
    if standard.pool is not None:  # random access: the standard suite's first exams, built alone
        if not 0 < len(exams) <= PROCEDURAL_N_EXAMS:
            return False
        full = get_suite(name, n_exams=len(exams))
    else:
        full = get_suite(name)
    return 0 < len(exams) <= len(full) and suite_hash(exams, config.version) == suite_hash(
        full.exams[: len(exams)], config.version
    )


def suite_name(config: SuiteConfig, exams) -> str:
    """The name a built suite gets: the standard name (``medium-512``, ``train-hard-1024``) when it is
    a standard suite or its first exams; else one made from what it is,
    ``custom-<n>p-<order>-<budget>-<hash8>`` (``custom-<pool>-<n>p-...`` for a procedural pool: another
    seed, other knobs, other tiers), so that a custom suite never runs, resumes or ranks under a
    standard suite's name."""
    name = standard_name(config)
    if is_standard(name, config, exams):
        return name
    pool = f"{config.pool.name}-" if config.pool is not None else ""
    return f"custom-{pool}{config.n_problems}p-{config.order}-{config.budget}-{suite_hash(exams, config.version)[:8]}"


NAMED_SUITES: dict[str, SuiteConfig] = {
    f"{order}-{budget}": SuiteConfig(order=order, budget=budget) for order in ORDERS for budget in (512, 1024)
}
MAIN_SETTINGS = ("medium-1024", "medium-512", "hard-1024", "hard-512")
SWEEP_BUDGETS = (256, 512, 1024, 2048)  # the default budget sweep (`osmckp bench`, `osmckp sim leaderboard`)
_ANY_BUDGET_RE = re.compile(r"^(?:(train|eval)-)?(medium|hard|easy)-([1-9][0-9]{0,8})$")
# procedural suites by name: arith-<order>-<B>, rg-<dataset>-<order>-<B> (train- for the training split)
_POOL_SUITE_RE = re.compile(r"^(?:(train|eval)-)?(arith|rg-[a-z0-9_]+)-(medium|hard|easy)-([1-9][0-9]{0,8})$")
PROCEDURAL_EXAMPLES = ("arith-medium-128", "arith-hard-128", "arith-easy-128")  # listed by `osmckp suites`


def parse_budgets(budgets) -> list[int | None] | None:
    """A ``--budgets`` list as every command reads it (``osmckp run``, ``sim leaderboard``,
    ``bench``): each budget in tokens, ``0`` standing for each suite's own budget (``None``).
    ``None`` (no sweep) when it asks only for the suites' own budgets. Repeats are dropped;
    a negative budget is refused (``ValueError``), before anything is written."""
    if not budgets:
        return None
    bad = [b for b in budgets if not isinstance(b, int) or isinstance(b, bool) or b < 0]
    if bad:
        raise ValueError(
            f"--budgets {' '.join(map(str, budgets))}: budgets are token counts > 0, or 0 for each suite's own "
            f"budget (got {', '.join(map(str, bad))}); e.g. --budgets 512 1024 or --budgets 0 2048"
        )
    out = list(dict.fromkeys(b or None for b in budgets))
    return None if out == [None] else out


def named_suite_config(name: str) -> SuiteConfig:
    """The config of a named suite: the listed ones (``NAMED_SUITES``), ``<order>-<B>`` for any
    positive budget ``B`` (``medium-4096``: the same exams as ``medium-512`` under 4096 tokens), and
    ``<split>-<order>-<B>`` (``train-hard-1024``: the training pools' exams, the names the training
    exports write; ``eval-medium-512`` is ``medium-512``); and the procedural suites,
    ``arith-<order>-<B>`` (the arithmetic pool) and ``rg-<dataset>-<order>-<B>`` (a reasoning-gym
    dataset), seed 0, ``train-`` in front for the training split."""
    if name in NAMED_SUITES:
        return NAMED_SUITES[name]
    m = _ANY_BUDGET_RE.match(str(name))
    if m:
        return SuiteConfig(order=m.group(2), budget=int(m.group(3)), split=m.group(1) or "eval")
    m = _POOL_SUITE_RE.match(str(name))
    if m:
        return SuiteConfig(order=m.group(3), budget=int(m.group(4)), split=m.group(1) or "eval", pool=m.group(2))
    if str(name).startswith("custom-"):
        raise KeyError(
            f"{name!r} is a custom suite (named from its content): run it from its file, "
            "`osmckp run SPEC --suite FILE.jsonl`, or re-run a results file of it, `osmckp run RESULTS.json`"
        )
    try:
        return lookup(NAMED_SUITES, name, kind="suite")
    except KeyError as e:
        raise KeyError(
            f"{e.args[0]} Any budget works as <order>-<B>: medium-<B>, hard-<B>, easy-<B>; the training pools' "
            "exams as train-<order>-<B>; procedural exams as arith-<order>-<B> or rg-<dataset>-<order>-<B>."
        ) from None


def is_named_suite(name: str) -> bool:
    """True for a listed suite name, ``<order>-<B>`` or a procedural one (``arith-<order>-<B>``,
    ``rg-<dataset>-<order>-<B>``)."""
    return name in NAMED_SUITES or bool(_ANY_BUDGET_RE.match(str(name)) or _POOL_SUITE_RE.match(str(name)))


@lru_cache(maxsize=32)
def get_suite(name: str, *, n_exams: int | None = None, seed: int = 0) -> Suite:
    """A named suite (``medium-512``, ``medium-1024``, ``hard-512``, ``hard-1024``, ``easy-*``,
    ``arith-<order>-<B>``, ``rg-<dataset>-<order>-<B>``).

    ``n_exams`` takes the first exams of the full suite (same exams, same hash prefix order; a
    procedural suite builds only those); ``seed`` other than 0 draws a different suite.

    Example:
        >>> suite = get_suite("hard-512", n_exams=3)
        >>> len(suite), suite[0].budget, [p.tier for p in suite[0].problems]
        (3, 512, ['hard', 'medium', 'easy'])
        >>> [p.tier for p in get_suite("arith-hard-128", n_exams=1)[0].problems]
        ['hard', 'medium', 'easy']
    """
    cfg = named_suite_config(name)
    if cfg.pool is not None and n_exams is not None:
        if not isinstance(n_exams, int) or not 0 < n_exams <= PROCEDURAL_N_EXAMS:
            raise ValueError(f"n_exams must be in 1..{PROCEDURAL_N_EXAMS} for suite {name!r}, got {n_exams}")
        return build_suite(cfg.replace(seed=seed, n_exams=n_exams), name=name)
    full = build_suite(cfg.replace(seed=seed), name=name)
    if n_exams is None:
        return full
    if n_exams <= 0 or n_exams > len(full):
        raise ValueError(f"n_exams must be in 1..{len(full)} for suite {name!r}, got {n_exams}")
    return Suite(name, cfg.replace(seed=seed, n_exams=n_exams), full.exams[:n_exams])


def list_suites() -> list[dict]:
    """Every named suite with its size and content hash (and the arithmetic pool's at budget 128;
    any ``arith-<order>-<B>`` and ``rg-<dataset>-<order>-<B>`` is named too)."""
    out = []
    for name in (*NAMED_SUITES, *PROCEDURAL_EXAMPLES):
        s = get_suite(name)
        out.append(
            {"name": name, "order": s.config.order, "budget": s.config.budget, "n_exams": len(s), "hash": s.hash}
        )
    return out


def resolve_suite(suite, budget: int | None = None, n_exams: int | None = None, suite_seed: int = 0) -> Suite:
    """The one way a suite is named anywhere (env, runner, CLI): a ``Suite``, a ``SuiteConfig``, a
    named suite (``medium-512``...), or a suite file (``*.jsonl``), with an optional budget
    override and the first ``n_exams`` exams."""
    if isinstance(suite, Suite):
        s = suite
    elif isinstance(suite, SuiteConfig):
        s = build_suite(suite)
    elif isinstance(suite, (str, Path)) and str(suite).endswith(".jsonl"):
        s = Suite.from_jsonl(suite)
    elif isinstance(suite, str):
        procedural = is_named_suite(suite) and named_suite_config(suite).pool is not None
        s = get_suite(suite, seed=suite_seed, n_exams=n_exams if procedural else None)
    else:
        raise TypeError(
            f"suite must be a suite name, a .jsonl file, a SuiteConfig or a Suite, got {type(suite).__name__}"
        )
    if budget is not None:
        if not isinstance(budget, int) or isinstance(budget, bool) or budget <= 0:
            raise ValueError(f"budget must be a positive int (tokens), got {budget!r}")
        if budget != s.config.budget:
            s = Suite(
                standard_name(s.config.replace(budget=budget)) if is_named_suite(s.name) else f"{s.name}-b{budget}",
                s.config.replace(budget=budget),
                tuple(Exam(e.index, e.problems, budget, e.order) for e in s.exams),
            )
    if n_exams is not None:
        if not isinstance(n_exams, int) or not 0 < n_exams <= len(s):
            raise ValueError(f"n_exams must be in 1..{len(s)} for suite {s.name!r}, got {n_exams!r}")
        s = Suite(s.name, s.config.replace(n_exams=n_exams), s.exams[:n_exams])
    return s
