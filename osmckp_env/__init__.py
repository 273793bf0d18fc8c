"""osmckp: budgeted multi-problem reasoning (OS-MCKP) benchmark, envs, runner and training."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("osmckp")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"

import gymnasium as _gym

# Gymnasium >= 1.0 ignores the `gymnasium.envs` entry-point group: register on import.
for _id, _entry, _kwargs in (
    ("OSMCKP-v0", "osmckp_env.envs.exam:ExamEnv", {"mode": "exam"}),
    ("OSMCKP-Seq-v0", "osmckp_env.envs.exam:ExamEnv", {"mode": "sequential"}),
    ("OSMCKP-Sim-v0", "osmckp_env.sim.env:SimEnv", {}),
):
    if _id not in _gym.registry:
        _gym.register(id=_id, entry_point=_entry, kwargs=_kwargs, disable_env_checker=False)

__all__ = ["__version__"]
