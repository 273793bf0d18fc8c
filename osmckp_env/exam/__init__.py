"""The exam domain (the bottom layer): problem pools, suites, cost levels, prompts, token counting
and the knapsack rule. Pure data and functions; nothing here grades, scores or calls a model.

- ``problems``: the bundled GSM8K / MATH / AIME pools as ``Problem`` records.
- ``pools``: procedural pools (``ArithmeticPool``, ``ReasoningGymPool``), each with tiers and a verifier.
- ``suites``: deterministic, hashed exams (``SuiteConfig``, ``Suite``, ``get_suite``).
- ``levels``: ``LevelBins`` (tokens -> Level-k) and the ``<predicted_level>`` tag.
- ``prompts``: the exam prompt and the level legend, rendered from the bins in use.
- ``tokenization``: token counting and the hard budget cut.
- ``knapsack``: the greedy-by-levels plan of the paper's baseline.

The names a user builds suites with are importable from here: ``from osmckp_env.exam import
SuiteConfig, build_suite, get_suite, ArithmeticPool, ArithmeticTier, ReasoningGymPool``.
"""

from osmckp_env.exam.levels import LevelBins
from osmckp_env.exam.pools import ArithmeticPool, ArithmeticTier, ReasoningGymPool
from osmckp_env.exam.problems import Problem, load_pool
from osmckp_env.exam.suites import Exam, Suite, SuiteConfig, build_suite, get_suite, resolve_suite

__all__ = [
    "ArithmeticPool",
    "ArithmeticTier",
    "Exam",
    "LevelBins",
    "Problem",
    "ReasoningGymPool",
    "Suite",
    "SuiteConfig",
    "build_suite",
    "get_suite",
    "load_pool",
    "resolve_suite",
]
