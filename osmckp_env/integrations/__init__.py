"""Running osmckp inside other tools: lm-evaluation-harness tasks (``lm_eval_export`` writes
their configs; ``lm_eval_task`` is the task class, which needs ``lm_eval``)."""
