"""Agents: anything with ``name``, ``reset(seed)`` and ``solve(exams) -> list[AgentOutput]``.

Built-ins are registered by name; a user's own class is named as ``"package.module:Class"``.
"""

from __future__ import annotations

import importlib

from osmckp_env.agents.base import Agent, AgentOutput, PromptAgent
from osmckp_env.exam._lookup import call_problems, lookup

AGENTS = {
    "direct": "osmckp_env.agents.prompting:DirectAgent",
    "plan-and-solve": "osmckp_env.agents.prompting:PlanAndSolveAgent",
    "least-to-most": "osmckp_env.agents.prompting:LeastToMostAgent",
    "mft": "osmckp_env.agents.prompting:MFTAgent",
    "greedy-knapsack": "osmckp_env.agents.greedy_knapsack:GreedyKnapsackAgent",
}


def _import(target: str):
    module, _, attr = target.partition(":")
    if not module or not attr:
        raise ValueError(f"an agent entry point must look like 'package.module:Class', got {target!r}")
    try:
        obj = importlib.import_module(module)
    except ImportError as e:
        raise ImportError(f"cannot import agent module {module!r} ({e}); is it installed or on PYTHONPATH?") from e
    try:
        return getattr(obj, attr)
    except AttributeError:
        raise ImportError(f"module {module!r} has no attribute {attr!r}") from None


def agent_class(kind: str):
    """The class for a built-in name or an explicit ``module:Class`` entry point."""
    if ":" in kind:
        return _import(kind)
    return _import(lookup(AGENTS, kind, kind="agent"))


RUNNER_ARGS = ("sampling", "bins")  # what the runner gives every agent (from the spec), besides its backend


def check_agent_args(kind: str, args: dict) -> list[str]:
    """What is wrong with a spec's ``agent_args`` for agent ``kind``, from the agent class's
    signature (before any backend or model is built): unknown names (did-you-mean), required
    arguments missing, and the arguments the runner sets itself (``sampling``: the spec's
    temperature, top_p and seed; ``bins``: its level_edges)."""
    reserved = [
        f"agent_args may not set {k!r}: the runner sets it from the spec (temperature/top_p/seed, level_edges)"
        for k in RUNNER_ARGS
        if k in args
    ]
    rest = {k: v for k, v in args.items() if k not in RUNNER_ARGS}
    cls = agent_class(kind)
    return reserved + call_problems(
        cls.__init__, rest, ("backend", *RUNNER_ARGS), what=f"agent {kind!r}", where="in agent_args"
    )


def make_agent(kind: str, backend, **kwargs) -> Agent:
    agent = agent_class(kind)(backend, **kwargs)
    if not isinstance(agent, Agent):
        raise TypeError(f"{kind!r} does not implement the Agent protocol (name, reset(seed), solve(exams))")
    return agent


__all__ = ["AGENTS", "Agent", "AgentOutput", "PromptAgent", "agent_class", "check_agent_args", "make_agent"]
