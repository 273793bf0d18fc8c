"""The verifiers environment ``osmckp-verifiers``: ``vf-eval osmckp-verifiers -a '{"suite": "hard-512"}'``.

The environment is built in the osmckp package (``osmckp_env.integrations.verifiers_env``); this
module is what verifiers imports by the environment's name.
"""

from osmckp_env.integrations.verifiers_env import load_environment, suite_metrics

__all__ = ["load_environment", "suite_metrics"]
