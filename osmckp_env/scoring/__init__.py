"""Numbers from graded exam records: suite metrics (``metrics``) and per-exam rewards (``rewards``,
the one reward table that the envs, the runner and RL training share).

The record builder itself lives in the grading layer (``osmckp_env.grading.record``); its entry
points are re-exported here because ``osmckp_env.scoring`` was their home before 0.2.
"""

from osmckp_env.grading.record import RECORD_VERSION, actual_level, score_completion, score_completions

__all__ = ["RECORD_VERSION", "actual_level", "score_completion", "score_completions"]
