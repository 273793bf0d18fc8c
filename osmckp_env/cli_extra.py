"""Sub-commands that live with their feature: sim, train, bench (registered into ``osmckp``)."""

from __future__ import annotations


def add_extra_commands(sub) -> None:
    """Hook for feature modules; each adds its own sub-parser."""
    for modname in ("osmckp_env.sim.cli", "osmckp_env.training.cli", "osmckp_env.bench"):
        try:
            mod = __import__(modname, fromlist=["add_command"])
        except ModuleNotFoundError as e:
            if e.name and modname.startswith(e.name):
                continue
            raise
        mod.add_command(sub)
