"""osmckp: budgeted multi-problem reasoning (OS-MCKP) benchmark, envs, runner and training."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("osmckp")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"

import gymnasium as _gym

# Gymnasium >= 1.0 ignores the `gymnasium.envs` entry-point group: register on import.
for _id, _entry, _vector, _kwargs in (
    ("OSMCKP-v0", "osmckp_env.envs.exam:ExamEnv", None, {"mode": "exam"}),
    ("OSMCKP-Seq-v0", "osmckp_env.envs.exam:ExamEnv", None, {"mode": "sequential"}),
    ("OSMCKP-Sim-v0", "osmckp_env.sim.env:SimEnv", "osmckp_env.sim.vector:SimVectorEnv", {}),
):
    if _id not in _gym.registry:
        _gym.register(id=_id, entry_point=_entry, vector_entry_point=_vector, kwargs=_kwargs, disable_env_checker=False)

# The package's layers (see the README's "Layout"): exam -> grading -> scoring -> envs, backends,
# agents -> runner -> leaderboard, sim, training -> cli.

__all__ = ["__version__"]
