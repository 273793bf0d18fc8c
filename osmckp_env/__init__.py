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
# agents -> runner -> leaderboard, sim, training -> cli. Modules that lived at the top level
# before 0.2 keep importing under their old names (``import osmckp_env.metrics`` is
# ``osmckp_env.scoring.metrics``): the same module object, not a copy.
_MOVED = {
    "osmckp_env.problems": "osmckp_env.exam.problems",
    "osmckp_env.suites": "osmckp_env.exam.suites",
    "osmckp_env.levels": "osmckp_env.exam.levels",
    "osmckp_env.prompts": "osmckp_env.exam.prompts",
    "osmckp_env.tokenization": "osmckp_env.exam.tokenization",
    "osmckp_env.knapsack": "osmckp_env.exam.knapsack",
    "osmckp_env.metrics": "osmckp_env.scoring.metrics",
    "osmckp_env.rewards": "osmckp_env.scoring.rewards",
    "osmckp_env.bench": "osmckp_env.cli.bench",
    "osmckp_env.runner.records": "osmckp_env.results.io",
}


class _MovedModuleFinder:
    """Resolves an old module path to the module at its new place."""

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        new = _MOVED.get(fullname)
        if new is None:
            return None
        import importlib.util

        return importlib.util.spec_from_loader(fullname, _MovedModuleLoader(new))


class _MovedModuleLoader:
    def __init__(self, new: str) -> None:
        self.new = new

    def create_module(self, spec):
        import importlib

        return importlib.import_module(self.new)

    def exec_module(self, module) -> None:
        pass


import sys as _sys  # noqa: E402

if not any(isinstance(f, _MovedModuleFinder) for f in _sys.meta_path):
    _sys.meta_path.append(_MovedModuleFinder())

__all__ = ["__version__"]
