"""A reasoning-gym dataset as a pool (the ``rg`` extra: ``pip install 'osmckp[rg]'``).

The tier comes from the dataset's difficulty knobs: reasoning-gym's curriculum for the dataset at
global level 0 (easy), 1 (medium) and 2 (hard), each level's own values only (``UPPER_BOUND``), with
any knobs the user sets per tier on top. The verifier is the dataset's own ``score_answer``, called
in the grader's killable workers; an answer is correct when it returns 1.0 (partial credit is
recorded in the problem's record, never counted).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import asdict, dataclass, field, fields, replace
from importlib import metadata
from typing import ClassVar

from osmckp_env.exam._lookup import lookup
from osmckp_env.exam.pools._base import canonical_json, check_tier, content_hash, item_id, stable_seed
from osmckp_env.exam.problems import TIERS, Problem

RG_SIZE = 10_000  # the datasets' virtual size: an upper bound on the index (some datasets refuse far more)
INSTALL = "reasoning-gym pools need the reasoning-gym package; install with: pip install 'osmckp[rg]'"
_NAME_RE = re.compile(r"^[a-z0-9_]+$")
_OWNED = ("seed", "size")  # set by the pool, never a knob


def require():
    """``reasoning_gym``, or an ImportError that says how to install it."""
    try:
        import reasoning_gym
    except ImportError:
        raise ImportError(INSTALL) from None
    return reasoning_gym


def version() -> str | None:
    """The installed reasoning-gym version (``None``: not installed)."""
    try:
        return metadata.version("reasoning_gym")
    except metadata.PackageNotFoundError:
        return None


def datasets() -> list[str]:
    """reasoning-gym's dataset names (every one works as ``rg-<dataset>``; those without a curriculum
    need their knobs given per tier)."""
    require()
    from reasoning_gym.factory import DATASETS

    return sorted(DATASETS)


def _json_roundtrip(value, what: str):
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError) as e:
        raise ValueError(f"{what} is not JSON-able ({e})") from None


def _config(dataset: str, level: int, knobs_json: str, seed: int, size: int):
    """The dataset's config object: its curriculum at ``level`` (each attribute at that level's own
    values, ``UPPER_BOUND``), the knobs on top, the seed and size set."""
    require()
    from reasoning_gym.factory import CURRICULA, DATASETS, create_curriculum

    try:
        _, config_cls = lookup(DATASETS, dataset, kind="reasoning-gym dataset")
    except KeyError as e:
        raise ValueError(e.args[0]) from None
    knobs = json.loads(knobs_json)
    known = {f.name for f in fields(config_cls)} - set(_OWNED)
    unknown = set(knobs) - known
    if unknown:
        raise ValueError(
            f"reasoning-gym dataset {dataset!r} has no knobs {sorted(unknown)}; its knobs: {sorted(known)}"
        )
    if dataset in CURRICULA:
        from reasoning_gym.coaching.base_curriculum import DefaultCurriculumContext, RangeAttributeMode

        curriculum = create_curriculum(dataset)
        curriculum.set_global_level(level)
        context = DefaultCurriculumContext(mode=RangeAttributeMode.UPPER_BOUND)
        config = curriculum.generate_configuration({"seed": seed, "size": size}, context=context)
        return replace(config, **knobs)
    if knobs:
        return config_cls(**knobs, seed=seed, size=size)
    raise ValueError(
        f"reasoning-gym dataset {dataset!r} has no curriculum to set its tiers from: give its knobs per tier, "
        f"ReasoningGymPool({dataset!r}, knobs={{'easy': {{...}}, 'medium': {{...}}, 'hard': {{...}}}})"
    )


@functools.lru_cache(maxsize=256)
def _tier_knobs(dataset: str, level: int, knobs_json: str) -> str:
    """A tier's config without seed and size, as canonical JSON (what results record)."""
    config = asdict(_config(dataset, level, knobs_json, 0, RG_SIZE))
    view = {k: v for k, v in config.items() if k not in _OWNED}
    return canonical_json(json.loads(json.dumps(view, default=str)))


@functools.lru_cache(maxsize=64)
def _dataset(dataset: str, level: int, knobs_json: str, seed: int, size: int):
    """The dataset of one tier under one seed (``create_dataset``'s steps on our config object)."""
    from reasoning_gym.factory import DATASETS

    config = _config(dataset, level, knobs_json, seed, size)
    try:
        if hasattr(config, "validate"):
            config.validate()
        return DATASETS[dataset][0](config=config)
    except (AssertionError, ValueError) as e:
        raise ValueError(
            f"reasoning-gym dataset {dataset!r} at curriculum level {level} with knobs {knobs_json}: {e or 'invalid'}; "
            "choose other levels or knobs for this tier"
        ) from None


@dataclass(frozen=True)
class ReasoningGymPool:
    """Any reasoning-gym dataset as a pool.

    Args:
        dataset: a reasoning-gym dataset name (``chain_sum``, ``word_sorting``, ...).
        levels: the curriculum level of the easy, medium and hard tiers (default 0, 1, 2).
        knobs: per tier, config fields set on top of the curriculum's
            (``{"hard": {"min_terms": 5, "max_terms": 5}}``); a dataset without a curriculum needs
            all three tiers given here.

    Item ``index`` of a tier is the dataset's item ``index`` under a seed derived from the suite
    seed, the split and the tier (reasoning-gym draws item i from ``Random(seed + i)``). Verifier:
    ``rg`` (the dataset's ``score_answer``, in the grader's workers).
    """

    kind: ClassVar[str] = "rg"
    verifier: ClassVar[str] = "rg"

    dataset: str
    levels: tuple[int, ...] = (0, 1, 2)
    knobs: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.dataset, str) or not _NAME_RE.match(self.dataset):
            raise ValueError(f"dataset must be a reasoning-gym dataset name (lowercase, _), got {self.dataset!r}")
        levels = tuple(self.levels) if isinstance(self.levels, (list, tuple)) else ()
        if len(levels) != len(TIERS) or any(not isinstance(x, int) or isinstance(x, bool) or x < 0 for x in levels):
            raise ValueError(f"levels must be 3 curriculum levels >= 0 (easy, medium, hard), got {self.levels!r}")
        object.__setattr__(self, "levels", levels)
        if not isinstance(self.knobs, dict) or set(self.knobs) - set(TIERS):
            raise ValueError(f"knobs must map tiers {TIERS} to config fields, got {self.knobs!r}")
        knobs = {}
        for tier, values in self.knobs.items():
            if not isinstance(values, dict):
                raise ValueError(f"knobs[{tier!r}] must be a mapping of config fields, got {values!r}")
            owned = set(values) & set(_OWNED)
            if owned:
                raise ValueError(f"knobs[{tier!r}]: {sorted(owned)} are set by the pool (the suite seed), not knobs")
            knobs[tier] = _json_roundtrip(values, f"knobs[{tier!r}]")
        object.__setattr__(self, "knobs", knobs)

    def __hash__(self) -> int:
        return hash(canonical_json(self.spec()))

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.dataset}"

    def spec(self) -> dict:
        """What the user chose (the pool's identity, hashed into its problems' ids)."""
        return {"kind": self.kind, "dataset": self.dataset, "levels": list(self.levels), "knobs": self.knobs}

    @property
    def hash(self) -> str:
        return content_hash(self.spec())

    def level(self, tier: str) -> int:
        check_tier(tier)
        return dict(zip(TIERS, self.levels))[tier]

    def tier_config(self, tier: str) -> dict:
        """The dataset config of ``tier`` (without seed and size): the knobs its problems are drawn with."""
        return json.loads(_tier_knobs(self.dataset, self.level(tier), canonical_json(self.knobs.get(tier, {}))))

    def to_dict(self) -> dict:
        """The spec, plus (recorded, not read back) each tier's resolved knobs and reasoning-gym's
        version; where reasoning-gym is not installed (reading a results file), the spec alone."""
        try:
            tiers = {t: self.tier_config(t) for t in TIERS}
        except ImportError:
            return self.spec()
        return {**self.spec(), "tier_knobs": tiers, "reasoning_gym": version()}

    @classmethod
    def from_dict(cls, d: dict) -> ReasoningGymPool:
        extra = set(d) - {"kind", "dataset", "levels", "knobs", "tier_knobs", "reasoning_gym"}
        if extra:
            raise ValueError(f"reasoning-gym pool: unknown fields {sorted(extra)}")
        return cls(d["dataset"], tuple(d.get("levels", (0, 1, 2))), dict(d.get("knobs") or {}))

    def problem(self, tier: str, index: int, *, seed: int = 0, split: str = "eval", attempt: int = 0) -> Problem:
        """Item ``index`` of ``tier`` for a suite ``seed`` and ``split`` (``attempt`` > 0: a redraw,
        the same item under another seed)."""
        if not 0 <= index < RG_SIZE:
            raise ValueError(f"a reasoning-gym pool draws at most {RG_SIZE} problems per tier, asked item {index}")
        spec = {
            "kind": self.verifier,
            "dataset": self.dataset,
            "level": self.level(tier),
            "knobs": self.knobs.get(tier, {}),
            "seed": stable_seed(self.kind, self.dataset, split, seed, tier, attempt) % 2**31,
            "size": RG_SIZE,
        }
        entry = _dataset_of(spec)[index]
        if entry.get("answer") is None:
            raise ValueError(
                f"reasoning-gym dataset {self.dataset!r} has no single gold answer (item {index}); it cannot be a pool"
            )
        spec["entry"] = {"answer": entry["answer"], "metadata": entry.get("metadata", {})}
        try:
            verifier = canonical_json(spec)
        except (TypeError, ValueError) as e:
            raise ValueError(f"reasoning-gym dataset {self.dataset!r}: item {index} is not JSON-able ({e})") from None
        return Problem(
            item_id(self.name, self.hash, split, seed, tier, index, attempt),
            self.name,
            str(entry["question"]),
            str(entry["answer"]),
            tier,
            verifier=verifier,
        )


def _dataset_of(spec: dict):
    return _dataset(spec["dataset"], spec["level"], canonical_json(spec["knobs"]), spec["seed"], spec["size"])


def warm() -> None:
    """Import reasoning-gym (about 2 s): a grading worker does it once, before its first such answer."""
    require()


def score_answer(pred: str, spec: dict) -> float:
    """The dataset's ``score_answer`` for ``pred`` against the entry in ``spec`` (a problem's verifier),
    with the dataset built as it was for the problem (the same level, knobs, seed and size)."""
    entry = {"question": "", "answer": spec["entry"]["answer"], "metadata": spec["entry"].get("metadata", {})}
    return float(_dataset_of(spec).score_answer(pred, entry))
