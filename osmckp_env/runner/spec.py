"""Agent specs: small YAML/TOML files naming agent, backend, model and sampling, validated early."""

from __future__ import annotations

import inspect
import json
import re
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import yaml

from osmckp_env.agents import AGENTS, agent_class, check_agent_args
from osmckp_env.backends import BACKENDS, backend_class, check_backend_args, check_backend_installed
from osmckp_env.exam._files import read_input_text
from osmckp_env.exam._lookup import with_suggestion
from osmckp_env.exam.levels import LevelBins
from osmckp_env.grading.parse import THINK_MARKERS, check_think_markers
from osmckp_env.results.io import config_hash

# A key whose VALUE is a credential: ``api_key``, ``token``, ``hf_token``, ``client_secret``,
# ``password``, ``Authorization``... Names of environment variables (``api_key_env``) and counts
# (``max_tokens``) are not secrets and stay, so a spec hashes the same everywhere.
SECRET_KEY_RE = re.compile(
    r"^(?:.*[_-])?(?:api[_-]?key|apikey|token|secret|password|passwd|authorization|auth|bearer|cookie)$",
    re.IGNORECASE,
)
REDACTED = "***REDACTED***"
# How requests reach a server, not what is asked of it: recorded in results, never hashed, so a
# run resumes against a server that moved (another port, replicas) or with other timeouts.
TRANSPORT_KEYS = (
    "base_url",
    "api_key",
    "api_key_env",
    "concurrency",
    "max_retries",
    "timeout_s",
    "backoff_s",
    "replica_cooldown_s",
)
NEEDS_MODEL = {"transformers", "openai", "vllm"}


@dataclass(frozen=True)
class AgentSpec:
    """What to run. Every field is JSON-able and lands (secrets redacted) in every results file.

    Args:
        name: the leaderboard name of this entry.
        agent: a built-in agent (``direct``, ``plan-and-solve``, ``least-to-most``, ``mft``,
            ``greedy-knapsack``) or a ``package.module:Class`` entry point.
        backend: ``transformers``, ``openai``, ``vllm``, ``replay`` or ``scripted``.
        model: path or hub id (transformers/vllm) or served model name (openai).
        backend_args / agent_args: extra keyword arguments.
        temperature, top_p, seed: sampling.
        level_edges: the Level-0/1/2 token edges (default the paper's 256, 512), or ``auto``:
            ``LevelBins.for_budget`` of each suite's budget (the paper's bins up to 1024 tokens,
            ``(B/4, B/2)`` above; for budget sweeps of thinking models).
        think_markers: the thinking rule's (opening, closing) markers (default ``<think>``,
            ``</think>``): only text after the last closing marker is read for answers, and all of
            it counts against the budget; ``null`` reads the whole completion.
        counter: who counts tokens for the budget: ``backend`` (the agent's own tokenizer) or
            ``qwen2.5`` (the bundled one).
        batch_size: exams handed to the agent at once.
        samples: answer each exam this many times (needs temperature > 0), with seeds derived
            from ``seed``; Score is the mean over samples and intervals resample whole exams.
        description: free text shown on the leaderboard.
    """

    name: str
    agent: str
    backend: str
    model: str | None = None
    backend_args: dict = field(default_factory=dict)
    agent_args: dict = field(default_factory=dict)
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0
    level_edges: tuple[int, ...] | str = (256, 512)
    think_markers: tuple[str, str] | None = THINK_MARKERS
    counter: str = "backend"
    batch_size: int = 64
    samples: int = 1
    description: str = ""

    def __post_init__(self) -> None:
        if self.level_edges != "auto":
            if isinstance(self.level_edges, str) or not isinstance(self.level_edges, (list, tuple)):
                raise ValueError(
                    f"spec field 'level_edges' must be a list of token edges (e.g. [256, 512]) or 'auto', "
                    f"got {self.level_edges!r}"
                )
            object.__setattr__(self, "level_edges", tuple(self.level_edges))
        try:
            object.__setattr__(self, "think_markers", check_think_markers(self.think_markers))
        except ValueError as e:
            raise ValueError(f"spec field {e}") from None
        if not isinstance(self.name, str) or not re.fullmatch(r"[A-Za-z0-9._+-]+", self.name or ""):
            raise ValueError(f"spec field 'name' must be letters, digits, '.', '_', '+', '-'; got {self.name!r}")
        if self.name.startswith("."):
            raise ValueError(
                f"spec field 'name' may not start with '.' (got {self.name!r}): it names the run's folder under the "
                "output root, and '.', '..' or a hidden folder would land results outside it or out of sight"
            )
        if ":" not in self.agent and self.agent not in AGENTS:
            raise ValueError(
                f"spec field 'agent': unknown agent {self.agent!r}; use one of {sorted(AGENTS)} "
                "or a 'package.module:Class' entry point"
            )
        if self.backend not in BACKENDS:
            raise ValueError(f"spec field 'backend': unknown backend {self.backend!r}; use one of {sorted(BACKENDS)}")
        if self.backend in NEEDS_MODEL and not self.model:
            raise ValueError(
                f"spec field 'model' is required for backend {self.backend!r} (a path, hub id or served name)"
            )
        if not isinstance(self.backend_args, dict) or not isinstance(self.agent_args, dict):
            raise ValueError("spec fields 'backend_args' and 'agent_args' must be mappings")
        if "think_markers" in self.backend_args:
            raise ValueError(
                "backend_args.think_markers: set the spec's own 'think_markers' field instead; the runner "
                "passes it to the backend, so the backend and the env read thinking with the same markers"
            )
        if not 0 <= float(self.temperature) <= 10:
            raise ValueError(f"spec field 'temperature' must be in [0, 10], got {self.temperature}")
        if not 0 < float(self.top_p) <= 1:
            raise ValueError(f"spec field 'top_p' must be in (0, 1], got {self.top_p}")
        if not isinstance(self.samples, int) or isinstance(self.samples, bool) or self.samples < 1:
            raise ValueError(f"spec field 'samples' must be a positive int, got {self.samples!r}")
        if self.samples > 1 and float(self.temperature) <= 0:
            raise ValueError(
                f"spec field 'samples' is {self.samples} but temperature is {self.temperature}: greedy decoding "
                "gives the same answer every time; set temperature > 0 (e.g. 0.7) or samples: 1"
            )
        if not isinstance(self.batch_size, int) or self.batch_size <= 0:
            raise ValueError(f"spec field 'batch_size' must be a positive int, got {self.batch_size!r}")
        if self.counter not in ("backend", "qwen2.5"):
            raise ValueError(f"spec field 'counter' must be 'backend' or 'qwen2.5', got {self.counter!r}")
        if self.level_edges != "auto":
            LevelBins(edges=self.level_edges)

    def bins(self, budget: int) -> LevelBins:
        """The level bins for a suite of this budget."""
        return LevelBins.for_budget(budget) if self.level_edges == "auto" else LevelBins(edges=self.level_edges)

    def to_dict(self, redact: bool = True) -> dict:
        d = asdict(self)
        d["level_edges"] = self.level_edges if self.level_edges == "auto" else list(self.level_edges)
        d["think_markers"] = None if self.think_markers is None else list(self.think_markers)
        return redact_secrets(d) if redact else d

    def identity(self) -> dict:
        """What changes the numbers (model, agent, sampling, prompts, bins, ...): the spec without
        its transport settings (``TRANSPORT_KEYS`` of ``backend_args``) and secrets."""
        d = self.to_dict()
        d["backend_args"] = {k: v for k, v in d["backend_args"].items() if k not in TRANSPORT_KEYS}
        return d

    @property
    def config_hash(self) -> str:
        """The spec's hash (``spec_hash`` in every results file): of ``identity()``."""
        return config_hash(self.identity())

    def backend_kwargs(self) -> dict:
        """The keyword arguments the backend is built with: ``backend_args``, the spec's model (the
        replay backend's ``path``) and its ``think_markers``."""
        kwargs = dict(self.backend_args)
        if self.model:
            kwargs.setdefault("model" if self.backend != "replay" else "path", self.model)
        # a backend that takes think_markers gets the spec's: the markers it joins split-off thinking
        # with, and puts back in front of a reply that starts inside thinking, are the ones the env reads
        if "think_markers" in inspect.signature(backend_class(self.backend).__init__).parameters:
            kwargs["think_markers"] = self.think_markers
        return kwargs

    def preflight(self) -> tuple[list[str], list[str]]:
        """Everything ``osmckp run`` would refuse, found before any model loads, the one check
        ``validate`` and ``run`` share. Returns ``(problems, missing)``: ``problems``, what is wrong
        with the spec (the agent class does not import or its ``agent_args`` do not fit it;
        ``backend_args`` (with the model) that the backend's signature or its own checks refuse:
        names, types, ranges, script names, a replay file; a local checkpoint path that does not
        exist); ``missing``, backend extras not installed on this machine (the spec itself is valid:
        install the extra, or run it where it is installed)."""
        problems = []
        try:
            agent_class(self.agent)
        except (ImportError, ValueError, KeyError, AttributeError) as e:
            problems.append(f"agent {self.agent!r}: {e}")
        else:
            problems += [f"agent_args: {p}" for p in check_agent_args(self.agent, self.agent_args)]
        missing = []
        try:
            check_backend_installed(self.backend)
        except ImportError as e:
            missing.append(str(e))
        problems += [f"backend_args: {p}" for p in check_backend_args(self.backend, self.backend_kwargs())]
        if self.backend in ("transformers", "vllm") and self.model and _looks_like_path(self.model):
            if not Path(self.model).expanduser().exists():
                problems.append(
                    f"model {self.model!r} looks like a local checkpoint path but does not exist "
                    f"(from {Path.cwd()}); fill in your checkpoint's path"
                )
        return problems, missing

    def check_runnable(self) -> list[str]:
        """What would fail at run time (``preflight``'s problems and missing extras together);
        empty: runnable as far as can be told without loading."""
        problems, missing = self.preflight()
        return problems + missing


def _looks_like_path(model: str) -> bool:
    """A local path rather than a hub id (``org/name``): absolute, relative with ./ ../ ~, a
    path with more than one separator, or one whose parent folder exists here."""
    if model.startswith(("/", "./", "../", "~")) or model.count("/") > 1 or "\\" in model:
        return True
    parent = Path(model).parent
    return str(parent) not in ("", ".") and parent.is_dir()


def redact_secrets(obj):
    """Replace the value of every key that looks like a credential, at any depth."""
    if isinstance(obj, dict):
        return {
            k: (REDACTED if SECRET_KEY_RE.search(str(k)) and v not in (None, "") else redact_secrets(v))
            for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [redact_secrets(v) for v in obj]
    return obj


def spec_from_dict(d: dict, source: str = "<dict>") -> AgentSpec:
    if not isinstance(d, dict):
        raise ValueError(f"{source}: a spec must be a mapping of fields, got {type(d).__name__}")
    known = {f.name for f in fields(AgentSpec)}
    unknown = sorted(set(d) - known)
    if unknown:
        hints = [with_suggestion(u, known, quote=True) for u in unknown]
        raise ValueError(f"{source}: unknown spec field(s) {', '.join(hints)}; allowed: {sorted(known)}")
    missing = [k for k in ("name", "agent", "backend") if k not in d]
    if missing:
        raise ValueError(f"{source}: missing required spec field(s) {missing}")
    try:
        return AgentSpec(**d)
    except ValueError as e:
        raise ValueError(f"{source}: {e}") from None


def _unredact(obj):
    if isinstance(obj, dict):
        return {k: _unredact(v) for k, v in obj.items() if v != REDACTED}
    return obj


def spec_from_results(path: Path, text: str) -> AgentSpec:
    """The spec stored in a results file; redacted secrets are dropped (supply them via the environment)."""

    try:
        d = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(d, dict) or "spec" not in d:
        raise ValueError(f"{path}: a .json spec must be an osmckp results file with a 'spec' field")
    return spec_from_dict(_unredact(d["spec"]), str(path))


def load_spec(path: str | Path) -> AgentSpec:
    """Load and validate a ``.yaml``/``.yml``/``.toml`` spec (safe loaders only), or the spec
    inside a ``results.json`` (so a results file alone re-runs its evaluation)."""
    path = Path(path)
    text = read_input_text(
        path, "agent spec", "give a .yaml or .toml spec (baselines/ has examples) or a run's results.json"
    )
    if path.suffix == ".json":
        return spec_from_results(path, text)
    try:
        if path.suffix == ".toml":
            d = tomllib.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            d = yaml.safe_load(text)
        else:
            raise ValueError(f"{path}: spec files must end in .yaml, .yml or .toml (or be a results.json)")
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as e:
        raise ValueError(f"{path}: not valid {path.suffix[1:].upper()}: {e}") from None
    return spec_from_dict(d, str(path))
