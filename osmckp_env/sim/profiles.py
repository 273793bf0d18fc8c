"""Response profiles: for each problem (or tier x MATH level) the distribution of an attempt's
natural length in tokens and its chance of being right if it finishes.

An attempt under a cap ``c`` that would need ``L > c`` tokens is cut at ``c`` and scores 0, exactly
like the text env's hard budget. The cap does not change how the model reasons (a modelling
choice, stated in the README).
"""

from __future__ import annotations

import bisect
import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path

import numpy as np

from osmckp_env.exam._files import read_input_text
from osmckp_env.exam._lookup import lookup

PROFILE_FORMAT = 1


@dataclass(frozen=True)
class Atoms:
    """A discrete distribution: ``lengths[i]`` tokens with weight ``weights[i]``, right w.p. ``p_correct[i]``."""

    lengths: np.ndarray
    p_correct: np.ndarray
    weights: np.ndarray

    @classmethod
    def from_dict(cls, d: dict, key: str) -> Atoms:
        try:
            lengths = np.asarray(d["lengths"], dtype=np.int64)
            p = np.asarray(d["p_correct"], dtype=np.float64)
            w = np.asarray(d.get("weights") or [1.0] * len(lengths), dtype=np.float64)
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"profile key {key!r}: needs numeric 'lengths' and 'p_correct' lists ({e})") from None
        if not (len(lengths) == len(p) == len(w)) or len(lengths) == 0:
            raise ValueError(f"profile key {key!r}: lengths, p_correct and weights must be non-empty and equally long")
        if (lengths < 1).any():
            raise ValueError(f"profile key {key!r}: lengths must be >= 1 token")
        if ((p < 0) | (p > 1)).any():
            raise ValueError(f"profile key {key!r}: p_correct must lie in [0, 1]")
        if (w < 0).any() or w.sum() <= 0:
            raise ValueError(f"profile key {key!r}: weights must be >= 0 with a positive sum")
        return cls(lengths, p, w / w.sum())

    def to_dict(self) -> dict:
        return {
            "lengths": self.lengths.tolist(),
            "p_correct": [round(float(x), 6) for x in self.p_correct],
            "weights": [round(float(x), 8) for x in self.weights],
        }

    def outcome(self, cap: int) -> tuple[np.ndarray, np.ndarray]:
        """Per atom under ``cap``: tokens spent and probability of a correct answer."""
        fits = self.lengths <= cap
        return np.where(fits, self.lengths, cap), np.where(fits, self.p_correct, 0.0)

    @cached_property
    def cdf(self) -> np.ndarray:
        return np.cumsum(self.weights)

    def sample(self, u: float) -> int:
        """Atom index for a uniform draw ``u`` in [0, 1)."""
        return min(bisect.bisect_right(self.lists[2], u), len(self.lengths) - 1)

    @cached_property
    def lists(self) -> tuple[list[int], list[float], list[float]]:
        """(lengths, p_correct, cdf) as Python lists: per-step sampling without numpy overhead."""
        return self.lengths.tolist(), self.p_correct.tolist(), self.cdf.tolist()

    @cached_property
    def median_length(self) -> int:
        order = np.argsort(self.lengths)
        c = np.cumsum(self.weights[order])
        return int(self.lengths[order][np.searchsorted(c, 0.5)])


@dataclass(frozen=True)
class Profile:
    """Named, hashed set of ``Atoms`` keyed by problem id, ``tier/L<level>`` or ``tier``."""

    name: str
    keys: dict[str, Atoms]
    synthetic: bool
    description: str = ""
    params: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "osmckp_profile": PROFILE_FORMAT,
            "name": self.name,
            "synthetic": self.synthetic,
            "description": self.description,
            "params": self.params,
            "keys": {k: v.to_dict() for k, v in sorted(self.keys.items())},
        }

    @cached_property
    def hash(self) -> str:
        blob = json.dumps(self.to_dict()["keys"], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @property
    def label(self) -> str:
        return f"{self.name} ({'SYNTHETIC' if self.synthetic else 'calibrated'}, {self.hash})"

    def atoms_for(self, problem) -> Atoms:
        """Most specific entry: the problem id, then tier and MATH level, then tier."""
        for key in (
            problem.id,
            f"{problem.tier}/L{problem.math_level}" if problem.math_level else None,
            problem.tier,
        ):
            if key is not None and key in self.keys:
                return self.keys[key]
        raise KeyError(
            f"profile {self.name!r} has no entry for problem {problem.id!r} (tier {problem.tier!r}); "
            f"it needs at least the keys 'easy', 'medium' and 'hard'"
        )

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps({**self.to_dict(), "hash": self.hash}, indent=1))
        return path

    @classmethod
    def from_dict(cls, d: dict, source: str = "<dict>") -> Profile:
        if not isinstance(d, dict) or d.get("osmckp_profile") != PROFILE_FORMAT:
            raise ValueError(f"{source}: not an osmckp profile (needs 'osmckp_profile': {PROFILE_FORMAT})")
        for k in ("name", "keys", "synthetic"):
            if k not in d:
                raise ValueError(f"{source}: profile lacks field {k!r}")
        keys = {k: Atoms.from_dict(v, k) for k, v in d["keys"].items()}
        missing = {"easy", "medium", "hard"} - set(keys)
        if missing:
            raise ValueError(f"{source}: profile needs fallback keys for every tier; missing {sorted(missing)}")
        p = cls(d["name"], keys, bool(d["synthetic"]), d.get("description", ""), d.get("params", {}))
        if "hash" in d and d["hash"] != p.hash:
            raise ValueError(f"{source}: stored hash {d['hash']} != content hash {p.hash}; the profile was edited")
        return p

    @classmethod
    def load(cls, path: str | Path) -> Profile:
        hint = "give a bundled profile name or a profile JSON written by `osmckp sim calibrate`"
        try:
            d = json.loads(read_input_text(path, "profile file", hint))
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}: cannot read profile (not JSON: {e}); {hint}") from None
        return cls.from_dict(d, str(path))


# Synthetic default: lognormal natural lengths (median, sigma) and accuracy when finished, per
# tier and MATH level. Chosen from the paper's qualitative description (GSM8K mostly Level-0,
# MATH Level-1/2 rising with MATH level, AIME far beyond the budget and rarely solved) and the
# usual accuracy of a 1.5B instruct model; they are NOT measurements.
SYNTHETIC_PARAMS = {
    "easy": {"median": 170, "sigma": 0.35, "p_correct": 0.75},
    "medium/L1": {"median": 250, "sigma": 0.45, "p_correct": 0.80},
    "medium/L2": {"median": 320, "sigma": 0.45, "p_correct": 0.68},
    "medium/L3": {"median": 420, "sigma": 0.5, "p_correct": 0.55},
    "medium/L4": {"median": 560, "sigma": 0.5, "p_correct": 0.42},
    "medium/L5": {"median": 750, "sigma": 0.55, "p_correct": 0.25},
    "medium": {"median": 450, "sigma": 0.55, "p_correct": 0.5},
    "hard": {"median": 1600, "sigma": 0.6, "p_correct": 0.08},
}
N_ATOMS = 32


def synthetic_profile(params: dict | None = None, n_atoms: int = N_ATOMS) -> Profile:
    """The bundled synthetic profile: ``n_atoms`` lognormal quantiles per key, equal weights."""
    from statistics import NormalDist

    params = params or SYNTHETIC_PARAMS
    qs = (np.arange(n_atoms) + 0.5) / n_atoms
    z = np.array([NormalDist().inv_cdf(q) for q in qs])
    keys = {}
    for k, prm in params.items():
        lengths = np.maximum(1, np.round(prm["median"] * np.exp(prm["sigma"] * z))).astype(np.int64)
        keys[k] = Atoms(lengths, np.full(n_atoms, prm["p_correct"]), np.full(n_atoms, 1.0 / n_atoms))
    return Profile(
        "synthetic-v0",
        keys,
        True,
        "Synthetic: lognormal lengths per tier/MATH level from the paper's qualitative description; "
        "not measured on any model.",
        {"lognormal": params, "n_atoms": n_atoms},
    )


def bundled_profiles() -> dict[str, Profile]:
    out = {"synthetic-v0": synthetic_profile()}
    folder = resources.files("osmckp_env") / "data" / "profiles"
    if folder.is_dir():
        for f in folder.iterdir():
            if f.name.endswith(".json"):
                p = Profile.from_dict(json.loads(f.read_text()), f.name)
                out[p.name] = p
    return out


def get_profile(profile) -> Profile:
    """A ``Profile`` from an object, a bundled name or a JSON path."""
    if isinstance(profile, Profile):
        return profile
    if isinstance(profile, (str, Path)) and str(profile).endswith(".json"):
        return Profile.load(profile)

    return lookup(bundled_profiles(), str(profile), kind="profile")
