"""Running osmckp inside other tools, one module per harness, each a thin adapter over the one
scoring path: lm-evaluation-harness tasks (``lm_eval_export`` writes their configs; ``lm_eval_task``
is the task class, which needs ``lm_eval``), the Inspect AI task (``inspect_task``, needs
``inspect-ai``) and the verifiers environment (``verifiers_env``, needs ``verifiers``)."""
