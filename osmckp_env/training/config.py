"""Training configs: frozen dataclasses, validated with clear errors, loadable from YAML.

osmckp's own options are fields (each with ``metadata["help"]``: the CLI flags are generated from
them, see ``training/cli.py``); TRL's options pass through as one mapping (``grpo:`` into
``GRPOConfig``, ``sft:`` into ``SFTConfig``), which TRL validates, over osmckp's defaults for
the paper's recipe (``GRPO_DEFAULTS``, ``SFT_DEFAULTS``).
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from osmckp_env.exam._files import read_yaml_mapping
from osmckp_env.exam._lookup import with_suggestion
from osmckp_env.exam.levels import LevelBins
from osmckp_env.exam.pools import pool_by_name
from osmckp_env.scoring.rewards import REWARD_KINDS


def _opt(default, help: str):
    """A config field with its help text (shown by ``--help`` with the default)."""
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata={"help": help})
    return field(default=default, metadata={"help": help})


# Dr. GRPO as the paper trains it (TRL GRPOConfig names); a ``grpo:`` mapping overrides any of them.
GRPO_DEFAULTS = {
    "loss_type": "dr_grpo",
    "scale_rewards": "none",
    "beta": 0.0,
    "num_generations": 8,
    "per_device_train_batch_size": 8,
    "gradient_accumulation_steps": 1,
    "learning_rate": 1e-6,
    "max_steps": 500,
    "temperature": 1.0,
    "logging_steps": 1,
    "save_steps": 100,
    "report_to": "none",
}
# MFT's SFT stage (TRL SFTConfig names); an ``sft:`` mapping overrides any of them.
SFT_DEFAULTS = {
    "learning_rate": 1e-5,
    "num_train_epochs": 2.0,
    "max_steps": -1,
    "per_device_train_batch_size": 4,
    "gradient_accumulation_steps": 4,
    "max_length": 2048,
    "logging_steps": 10,
    "save_steps": 500,
    "report_to": "none",
}
# TRL options osmckp sets itself: giving them in the mapping is refused with the reason.
GRPO_OWNED = {
    "output_dir": "set output_dir at the top level",
    "max_completion_length": "the exam budget is the hard cut: set budget at the top level",
    "reward_weights": "osmckp sets the weights of its reward and of its zero-weight logging rewards",
    "seed": "set seed at the top level (it also draws the exams)",
    "data_seed": "set seed at the top level (it also draws the exams)",
}
SFT_OWNED = {
    "output_dir": "set output_dir at the top level",
    "completion_only_loss": "MFT trains on the completion only (the prompt is not a target)",
    "seed": "set seed at the top level",
    "data_seed": "set seed at the top level",
}


_NUMBER_RE = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


def _number(value):
    """A number YAML read as a string: YAML 1.1 (PyYAML) reads ``1e-6`` (no dot) as text, which
    TRL would refuse only after a model loaded. Other values are returned as they are."""
    if isinstance(value, str) and _NUMBER_RE.match(value.strip()):
        return float(value) if any(c in value for c in ".eE") else int(value)
    return value


def _load(cls, path: str | Path | None, overrides: dict):
    d = {}
    if path is not None:
        hint = "give a YAML file of the config's fields (`--help` lists them) or leave --config out"
        d = read_yaml_mapping(path, "training config", hint)
    d = cls._upgrade(d, where=str(path) if path else cls.__name__, stacklevel=4)
    for k, v in overrides.items():
        if v is None:
            continue
        if isinstance(v, dict) and isinstance(d.get(k), dict):
            d[k] = {**d[k], **v}  # a flag's KEY=VALUE adds to the file's mapping
        else:
            d[k] = v
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(d) - known)
    if unknown:
        hints = [with_suggestion(u, known) for u in unknown]
        raise ValueError(f"{cls.__name__}: unknown field(s) {hints}; allowed: {sorted(known)}")
    return cls(**d)


class _Base:
    TRL_FIELD: str | None = None  # the pass-through mapping's field name
    TRL_DEFAULTS: dict = {}
    # options of earlier versions that were top-level fields and now live in the TRL mapping
    LEGACY_TRL_KEYS: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def config_hash(self) -> str:
        """What the run is (``resume`` only says how it was started, so it is left out; the TRL
        mapping is hashed with osmckp's defaults filled in)."""
        d = {k: v for k, v in self.to_dict().items() if k != "resume"}
        if self.TRL_FIELD:
            d[self.TRL_FIELD] = self.trl_options
        return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:12]

    @property
    def trl_options(self) -> dict:
        """TRL's options for this run: osmckp's defaults, overridden by the config's mapping."""
        return {**self.TRL_DEFAULTS, **getattr(self, self.TRL_FIELD)} if self.TRL_FIELD else {}

    @property
    def bf16(self) -> bool:
        """Whether the model loads in bf16 (TRL's ``bf16`` option)."""
        return bool(self.trl_options.get("bf16", False))

    def trl_kwargs(self, config_cls, *, use_cpu: bool) -> dict:
        """The keyword arguments of TRL's ``config_cls`` (``GRPOConfig`` / ``SFTConfig``) from
        ``trl_options``: unknown options refused with a did-you-mean (before a model loads),
        ``use_cpu`` unless given, checkpointing under transformers 5's name."""
        options = self.trl_options
        check_trl_options(options, config_cls, f"{type(self).__name__}.{self.TRL_FIELD}")
        options.setdefault("use_cpu", use_cpu)
        return checkpointing_options(options, config_cls)

    @classmethod
    def _upgrade(cls, d: dict, where: str, stacklevel: int = 3) -> dict:
        """Move options an earlier version took at the top level into the TRL mapping (warned)."""
        moved = [k for k in cls.LEGACY_TRL_KEYS if k in d]
        d = dict(d)
        extra = d.pop("extra", None) if cls.TRL_FIELD == "grpo" else None
        if not moved and not extra:
            return d
        mapping = dict(d.get(cls.TRL_FIELD) or {})
        for k in moved:
            mapping.setdefault(k, d.pop(k))
        mapping.update(extra or {})
        d[cls.TRL_FIELD] = mapping
        warnings.warn(
            f"{where}: {sorted(moved) + (['extra'] if extra else [])} are TRL options now given under "
            f"`{cls.TRL_FIELD}:`; they were moved there (update the config)",
            DeprecationWarning,
            stacklevel=stacklevel,
        )
        return d

    @classmethod
    def load(cls, path=None, **overrides):
        """The config from a YAML file (optional) with ``overrides`` (``None`` = not given) on top."""
        return _load(cls, path, overrides)

    def _check_trl_mapping(self, owned: dict) -> None:
        name = self.TRL_FIELD
        value = getattr(self, name)
        if not isinstance(value, dict):
            raise ValueError(f"{type(self).__name__}.{name} must be a mapping of TRL options, got {value!r}")
        value = {k: _number(v) for k, v in value.items()}
        object.__setattr__(self, name, value)
        for k in value:
            if k in owned:
                raise ValueError(f"{type(self).__name__}.{name}: {k!r} is set by osmckp: {owned[k]}")


def _legacy_kwargs(cls):
    """Let ``cls(...)`` take the TRL options earlier versions had as fields (moved into the
    mapping, with a DeprecationWarning), so existing scripts keep working."""
    init = cls.__init__

    def __init__(self, **kwargs):
        init(self, **cls._upgrade(kwargs, where=cls.__name__, stacklevel=3))

    __init__.__doc__ = init.__doc__
    cls.__init__ = __init__
    return cls


def checkpointing_options(options: dict, config_cls) -> dict:
    """``options`` with transformers 5's name for gradient checkpointing (``activation_checkpointing``;
    the old name, still TRL's default, warns on every run): the old name given is moved to the new
    one, TRL's default is passed under the new one, and the old one is cleared."""
    out = dict(options)
    if "gradient_checkpointing" in out or "activation_checkpointing" not in out:
        default = next(f.default for f in fields(config_cls) if f.name == "gradient_checkpointing")
        out["activation_checkpointing"] = out.pop("gradient_checkpointing", default)
    out["gradient_checkpointing"] = None
    return out


def check_trl_options(options: dict, config_cls, where: str) -> None:
    """Refuse options TRL's ``config_cls`` does not have, with a did-you-mean (before a model loads)."""
    known = {f.name for f in fields(config_cls)}
    bad = [k for k in options if k not in known]
    if bad:
        hints = [with_suggestion(b, known) for b in bad]
        raise ValueError(f"{where}: not an option of TRL's {config_cls.__name__}: {hints}")


def _without_default_pool(d: dict) -> dict:
    """A config's dict without ``pool`` when it is the bundled pools: config hashes as before 0.5."""
    if d.get("pool") is None:
        d.pop("pool", None)
    return d


def _check_pool(cfg) -> None:
    if cfg.pool is not None:
        try:
            pool_by_name(cfg.pool)
        except ValueError as e:
            raise ValueError(f"{type(cfg).__name__}.pool: {e}") from None


def _check_resume(cfg) -> None:
    if cfg.resume is not None and (not isinstance(cfg.resume, str) or not cfg.resume):
        raise ValueError(
            f"{type(cfg).__name__}.resume must be 'auto' (the newest checkpoint in output_dir, if any) or a "
            f"checkpoint folder, got {cfg.resume!r}"
        )


def resume_checkpoint(cfg) -> str | None:
    """The checkpoint to resume from: ``resume='auto'`` -> the newest ``checkpoint-N`` in
    ``output_dir`` (``None`` if there is none, i.e. a fresh start); a path -> that folder."""
    if cfg.resume is None:
        return None
    if cfg.resume == "auto":
        found = sorted(
            (p for p in Path(cfg.output_dir).glob("checkpoint-*") if p.name.split("-")[-1].isdigit()),
            key=lambda p: int(p.name.split("-")[-1]),
        )
        return str(found[-1]) if found else None
    if not (Path(cfg.resume) / "trainer_state.json").exists():
        raise FileNotFoundError(
            f"resume: {cfg.resume} is not a trainer checkpoint (no trainer_state.json); "
            f"pass a checkpoint-N folder from {cfg.output_dir} or 'auto'"
        )
    return cfg.resume


UNBOXED = ("reject", "last-number")  # MFTDataConfig.unboxed: what rejection sampling does with a sample with no box

RESUME_HELP = (
    "continue an interrupted run: 'auto' picks the newest checkpoint-N in the output folder (none: a fresh "
    "start), or give a checkpoint folder"
)


@dataclass(frozen=True)
class MFTDataConfig(_Base):
    """Rejection sampling for MFT: k samples per training problem, correct ones kept with the level
    of the tokens they used; never-solved problems teach the skip."""

    spec: str = _opt("", "agent spec file of the sampling model (its backend and model; its agent is ignored)")
    out_dir: str = _opt("runs/mft-data", "output folder: samples.jsonl (resumable), dataset/, stats.json")
    k: int = _opt(4, "samples per training problem")
    keep: str = _opt("shortest", "which correct samples become targets: 'shortest' (one per problem) or 'all'")
    tiers: tuple[str, ...] = _opt(("easy", "medium", "hard"), "training pools to sample from")
    limit_per_tier: int | None = _opt(
        None, "at most this many problems per tier (None: all; a quick run; with a pool: 500 unless given)"
    )
    pool: str | None = _opt(
        None, "a procedural pool to sample from instead of GSM8K/MATH/AIME train: arith or rg-<dataset>"
    )
    temperature: float = _opt(0.7, "sampling temperature (> 0 when k > 1, so the samples differ)")
    max_tokens: int = _opt(1024, "cap per sample (a capped sample is never a target)")
    unboxed: str = _opt(
        "reject",
        "a sample with no \\boxed{} answer: 'reject' (never a target) or 'last-number' (its last number is boxed "
        "after it and graded; if right, that text is the target: for small models that answer '7 + 5 = 12')",
    )
    sampling_prompt: str = _opt(
        "level-tag",
        "the prompt samples are drawn with: 'level-tag' (the MFT prompt the targets are trained under) or a "
        "user message with '{problem}' in it, e.g. '{problem} Reply with just the number.' (no system prompt): "
        "for a small model that follows a plain question better; the targets keep the MFT prompt either way",
    )
    n_exam_examples: int = _opt(0, "multi-problem (exam-format) examples composed from the single ones")
    exam_budgets: tuple[int, ...] = _opt(
        (512, 1024), "budgets an exam-format example may be posed under (the smallest its target fits)"
    )
    level_edges: tuple[int, ...] = _opt((256, 512), "level bin edges in tokens, as in the env")
    seed: int = _opt(0, "seed of the problem subset, the samples (the runner's per-sample rule) and the exams")
    batch_size: int = _opt(64, "prompts per backend call")

    def __post_init__(self) -> None:
        object.__setattr__(self, "tiers", tuple(self.tiers))
        object.__setattr__(self, "level_edges", tuple(self.level_edges))
        object.__setattr__(self, "exam_budgets", tuple(int(b) for b in self.exam_budgets))
        LevelBins(edges=self.level_edges)
        if not self.exam_budgets or any(b <= 0 for b in self.exam_budgets):
            raise ValueError(f"MFTDataConfig.exam_budgets must be positive token budgets, got {self.exam_budgets}")
        if not self.spec:
            raise ValueError("MFTDataConfig.spec is required: the agent spec of the sampling model")
        if self.k <= 0:
            raise ValueError(f"MFTDataConfig.k must be positive, got {self.k}")
        if self.unboxed not in UNBOXED:
            raise ValueError(f"MFTDataConfig.unboxed must be one of {UNBOXED}, got {self.unboxed!r}")
        if self.keep not in ("shortest", "all"):
            raise ValueError(f"MFTDataConfig.keep must be 'shortest' or 'all', got {self.keep!r}")
        if self.sampling_prompt != "level-tag" and "{problem}" not in self.sampling_prompt:
            raise ValueError(
                "MFTDataConfig.sampling_prompt must be 'level-tag' or a message with '{problem}' where the problem "
                f"goes, got {self.sampling_prompt!r}"
            )
        if self.max_tokens <= 0 or self.batch_size <= 0:
            raise ValueError("MFTDataConfig.max_tokens and batch_size must be positive")
        if self.temperature <= 0 and self.k > 1:
            raise ValueError("MFTDataConfig.temperature must be > 0 when k > 1, or all samples are identical")
        _check_pool(self)

    def to_dict(self) -> dict:
        d = _without_default_pool(asdict(self))
        if d.get("unboxed") == "reject":  # the default: configs hash as before the field existed
            d.pop("unboxed")
        if d.get("sampling_prompt") == "level-tag":  # likewise
            d.pop("sampling_prompt")
        return d


@_legacy_kwargs
@dataclass(frozen=True)
class MFTConfig(_Base):
    """MFT's supervised stage (TRL ``SFTTrainer``, loss on the completion only); LoRA when
    ``lora_r > 0``. TRL's ``SFTConfig`` options go in ``sft``."""

    TRL_FIELD = "sft"
    TRL_DEFAULTS = SFT_DEFAULTS
    LEGACY_TRL_KEYS = (
        "learning_rate", "num_train_epochs", "max_steps", "per_device_train_batch_size",
        "gradient_accumulation_steps", "max_length", "gradient_checkpointing", "bf16", "logging_steps",
        "save_steps",
    )  # fmt: skip

    model: str = _opt("", "base model: a path or hub id")
    dataset: str = _opt("runs/mft-data/dataset", "the dataset/ folder written by `osmckp train mft-data`")
    output_dir: str = _opt("runs/mft", "output folder for checkpoints and the final model")
    lora_r: int = _opt(0, "LoRA rank (0: full fine-tuning)")
    lora_alpha: int = _opt(32, "LoRA alpha")
    seed: int = _opt(0, "training seed (and data order)")
    resume: str | None = _opt(None, RESUME_HELP)
    sft: dict = _opt({}, "TRL SFTConfig options (over osmckp's defaults, SFT_DEFAULTS), e.g. learning_rate=2e-5")

    def __post_init__(self) -> None:
        if not self.model:
            raise ValueError("MFTConfig.model is required (a path or hub id)")
        _check_resume(self)
        self._check_trl_mapping(SFT_OWNED)
        if float(self.trl_options["learning_rate"]) <= 0:
            raise ValueError("MFTConfig.sft.learning_rate must be positive")

    @property
    def max_length(self) -> int:
        """Examples longer than this are dropped (never truncated)."""
        return int(self.trl_options["max_length"])


SFTRunConfig = MFTConfig  # the name of earlier versions


@_legacy_kwargs
@dataclass(frozen=True)
class RARLConfig(_Base):
    """RARL: TRL ``GRPOTrainer`` with Dr. GRPO on simulated exams.

    ``budget`` is the exam budget and the hard cut (``max_completion_length``); exams are drawn
    from the training pools in ``orders``. ``level_edges``: the level bins of the RARL prompts and
    of the reward (an MFT checkpoint trained on other bins is refused). TRL's ``GRPOConfig``
    options go in ``grpo`` (over ``GRPO_DEFAULTS``: Dr. GRPO, no std scaling, beta 0).
    """

    TRL_FIELD = "grpo"
    TRL_DEFAULTS = GRPO_DEFAULTS
    LEGACY_TRL_KEYS = (
        "num_generations", "per_device_train_batch_size", "gradient_accumulation_steps", "learning_rate",
        "max_steps", "temperature", "beta", "gradient_checkpointing", "bf16", "use_vllm", "vllm_mode",
        "vllm_gpu_memory_utilization", "vllm_tensor_parallel_size", "vllm_server_host", "vllm_server_port",
        "logging_steps", "save_steps",
    )  # fmt: skip

    model: str = _opt("", "the MFT checkpoint: a path or hub id")
    output_dir: str = _opt("runs/rarl", "output folder for checkpoints and the final model")
    budget: int = _opt(1024, "the exam token budget and hard cut (512 or 1024 in the paper)")
    orders: tuple[str, ...] = _opt(("medium", "hard"), "orders of the training exams")
    level_edges: tuple[int, ...] = _opt(
        (256, 512), "level bin edges of the prompts and the reward (must match the MFT checkpoint's)"
    )
    n_exams: int = _opt(2000, "training exams in all (split evenly over the orders)")
    pool: str | None = _opt(
        None, "the training exams' problem pool: none (GSM8K/MATH/AIME training pools), arith or rg-<dataset>"
    )
    reward: str = _opt("rarl", "the training reward")
    regret_reference: str | None = _opt(
        None, "with reward regret: a results.json whose easy-order records cover the training exams"
    )
    lora_r: int = _opt(0, "LoRA rank (0: full fine-tuning)")
    lora_alpha: int = _opt(32, "LoRA alpha")
    seed: int = _opt(0, "seed of the training exams, the trainer and the data order")
    resume: str | None = _opt(None, RESUME_HELP)
    zero_std_warn_fraction: float = _opt(0.9, "warn when at least this fraction of groups has zero reward variance ...")
    zero_std_warn_steps: int = _opt(3, "... for this many logged steps in a row")
    grpo: dict = _opt(
        {}, "TRL GRPOConfig options (over osmckp's defaults, GRPO_DEFAULTS), e.g. num_generations=8 use_vllm=true"
    )

    def to_dict(self) -> dict:
        return _without_default_pool(asdict(self))

    def __post_init__(self) -> None:
        object.__setattr__(self, "orders", tuple(self.orders))
        object.__setattr__(self, "level_edges", tuple(self.level_edges))
        LevelBins(edges=self.level_edges)
        if not self.model:
            raise ValueError("RARLConfig.model is required (an MFT checkpoint path or hub id)")
        if self.budget <= 0:
            raise ValueError(f"RARLConfig.budget must be positive, got {self.budget}")
        _check_pool(self)
        if self.reward not in REWARD_KINDS:
            raise ValueError(f"RARLConfig.reward must be one of {REWARD_KINDS}, got {self.reward!r}")
        if self.reward == "regret" and not self.regret_reference:
            raise ValueError(
                "RARLConfig.reward='regret' needs regret_reference: a results.json of a run on the same "
                "(training-split) exams, whose easy-order records give each exam's reference score"
            )
        _check_resume(self)
        self._check_trl_mapping(GRPO_OWNED)
        o = self.trl_options
        if int(o["num_generations"]) < 2:
            raise ValueError("RARLConfig.grpo.num_generations must be >= 2 (GRPO compares a group)")
        per, acc = int(o["per_device_train_batch_size"]), int(o["gradient_accumulation_steps"])
        if (per * acc) % int(o["num_generations"]):
            raise ValueError(
                f"grpo: per_device_train_batch_size x gradient_accumulation_steps ({per}x{acc}) must be divisible "
                f"by num_generations ({o['num_generations']}); change one of them"
            )
