"""Training configs: frozen dataclasses, validated with clear errors, loadable from YAML."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import yaml

from osmckp_env.exam.levels import LevelBins


def _load(cls, path: str | Path | None, overrides: dict):
    d = {}
    if path is not None:
        d = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        if not isinstance(d, dict):
            raise ValueError(f"{path}: a training config must be a mapping")
    d.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(d) - known)
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown field(s) {unknown}; allowed: {sorted(known)}")
    return cls(**d)


class _Base:
    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def config_hash(self) -> str:
        """What the run is (``resume`` only says how it was started, so it is left out)."""
        d = {k: v for k, v in self.to_dict().items() if k != "resume"}
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12]

    @classmethod
    def load(cls, path=None, **overrides):
        return _load(cls, path, overrides)


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


@dataclass(frozen=True)
class MFTDataConfig(_Base):
    """Rejection sampling for MFT.

    Args:
        spec: an agent spec file naming the backend and model that samples (its agent is ignored).
        out_dir: where ``samples.jsonl``, the dataset and ``stats.json`` go.
        k: samples per problem.
        keep: ``shortest`` correct sample per problem, or ``all`` correct samples.
        tiers / limit_per_tier: which training pools and how many problems of each (None = all).
        temperature: sampling temperature (> 0 so the k samples differ).
        max_tokens: cap per sample (the largest level edge you care about; default 1024).
        n_exam_examples: multi-problem (exam-format) examples composed from the single ones.
        exam_budgets: the budgets an exam-format example may be posed under; each gets the
            smallest its target fits, and one that fits none is dropped (and counted).
        level_edges: the level bins, as in the env.
    """

    spec: str = ""
    out_dir: str = "runs/mft-data"
    k: int = 4
    keep: str = "shortest"
    tiers: tuple[str, ...] = ("easy", "medium", "hard")
    limit_per_tier: int | None = None
    temperature: float = 0.7
    max_tokens: int = 1024
    n_exam_examples: int = 0
    exam_budgets: tuple[int, ...] = (512, 1024)
    level_edges: tuple[int, ...] = (256, 512)
    seed: int = 0
    batch_size: int = 64

    def __post_init__(self) -> None:
        object.__setattr__(self, "tiers", tuple(self.tiers))
        object.__setattr__(self, "level_edges", tuple(self.level_edges))
        object.__setattr__(self, "exam_budgets", tuple(int(b) for b in self.exam_budgets))
        if not self.exam_budgets or any(b <= 0 for b in self.exam_budgets):
            raise ValueError(f"MFTDataConfig.exam_budgets must be positive token budgets, got {self.exam_budgets}")
        if not self.spec:
            raise ValueError("MFTDataConfig.spec is required: the agent spec of the sampling model")
        if self.k <= 0:
            raise ValueError(f"MFTDataConfig.k must be positive, got {self.k}")
        if self.keep not in ("shortest", "all"):
            raise ValueError(f"MFTDataConfig.keep must be 'shortest' or 'all', got {self.keep!r}")
        if self.max_tokens <= 0 or self.batch_size <= 0:
            raise ValueError("MFTDataConfig.max_tokens and batch_size must be positive")
        if self.temperature <= 0 and self.k > 1:
            raise ValueError("MFTDataConfig.temperature must be > 0 when k > 1, or all samples are identical")


@dataclass(frozen=True)
class SFTRunConfig(_Base):
    """MFT supervised stage (TRL ``SFTTrainer``); LoRA when ``lora_r > 0``."""

    model: str = ""
    dataset: str = "runs/mft-data/dataset"
    output_dir: str = "runs/mft"
    lora_r: int = 0
    lora_alpha: int = 32
    learning_rate: float = 1e-5
    num_train_epochs: float = 2.0
    max_steps: int = -1
    per_device_train_batch_size: int = 4
    gradient_accumulation_steps: int = 4
    max_length: int = 2048
    gradient_checkpointing: bool = False
    bf16: bool = False
    seed: int = 0
    logging_steps: int = 10
    save_steps: int = 500
    resume: str | None = None

    def __post_init__(self) -> None:
        if not self.model:
            raise ValueError("SFTRunConfig.model is required (a path or hub id)")
        _check_resume(self)
        if self.learning_rate <= 0:
            raise ValueError("SFTRunConfig.learning_rate must be positive")


@dataclass(frozen=True)
class RARLConfig(_Base):
    """RARL: TRL ``GRPOTrainer`` with Dr. GRPO on simulated exams.

    ``budget`` is the exam budget and the hard cut (``max_completion_length``); exams are drawn
    from the training pools in ``orders``. ``level_edges``: the level bins of the RARL prompts and
    of the reward (an MFT checkpoint trained on other bins is refused). The reward is the env's
    ``rarl`` reward (or ``score``, or ``regret`` = score minus the exam's easy-order score in ``regret_reference``).
    """

    model: str = ""
    output_dir: str = "runs/rarl"
    budget: int = 1024
    orders: tuple[str, ...] = ("medium", "hard")
    level_edges: tuple[int, ...] = (256, 512)
    n_exams: int = 2000
    num_generations: int = 8
    per_device_train_batch_size: int = 8
    gradient_accumulation_steps: int = 1
    learning_rate: float = 1e-6
    max_steps: int = 500
    temperature: float = 1.0
    beta: float = 0.0
    reward: str = "rarl"
    regret_reference: str | None = None
    lora_r: int = 0
    lora_alpha: int = 32
    gradient_checkpointing: bool = False
    bf16: bool = False
    use_vllm: bool = False
    vllm_mode: str = "colocate"
    vllm_gpu_memory_utilization: float = 0.3
    vllm_tensor_parallel_size: int = 1
    vllm_server_host: str = "0.0.0.0"
    vllm_server_port: int = 8000
    seed: int = 0
    logging_steps: int = 1
    save_steps: int = 100
    resume: str | None = None
    zero_std_warn_fraction: float = 0.9
    zero_std_warn_steps: int = 3
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "orders", tuple(self.orders))
        object.__setattr__(self, "level_edges", tuple(self.level_edges))
        LevelBins(edges=self.level_edges)
        if not self.model:
            raise ValueError("RARLConfig.model is required (an MFT checkpoint path or hub id)")
        if self.budget <= 0:
            raise ValueError(f"RARLConfig.budget must be positive, got {self.budget}")
        if self.num_generations < 2:
            raise ValueError("RARLConfig.num_generations must be >= 2 (GRPO compares a group)")
        if self.reward not in ("rarl", "score", "regret"):
            raise ValueError(f"RARLConfig.reward must be 'rarl', 'score' or 'regret', got {self.reward!r}")
        if self.reward == "regret" and not self.regret_reference:
            raise ValueError(
                "RARLConfig.reward='regret' needs regret_reference: a results.json of a run on the same "
                "(training-split) exams, whose easy-order records give each exam's reference score"
            )
        if self.vllm_mode not in ("colocate", "server"):
            raise ValueError(f"RARLConfig.vllm_mode must be 'colocate' or 'server', got {self.vllm_mode!r}")
        if not 0 < self.vllm_gpu_memory_utilization <= 1:
            raise ValueError(
                f"RARLConfig.vllm_gpu_memory_utilization must be in (0, 1], got {self.vllm_gpu_memory_utilization}"
            )
        if self.vllm_tensor_parallel_size < 1 or not 0 < self.vllm_server_port < 65536:
            raise ValueError("RARLConfig.vllm_tensor_parallel_size must be >= 1 and vllm_server_port a valid port")
        _check_resume(self)
        if (self.per_device_train_batch_size * self.gradient_accumulation_steps) % self.num_generations:
            raise ValueError(
                f"per_device_train_batch_size x gradient_accumulation_steps "
                f"({self.per_device_train_batch_size}x{self.gradient_accumulation_steps}) must be divisible by "
                f"num_generations ({self.num_generations}); change one of them"
            )
