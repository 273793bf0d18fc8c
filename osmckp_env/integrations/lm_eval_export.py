"""``osmckp export lm-eval``: task configs that lm-evaluation-harness loads with
``--include_path DIR`` (or ``TaskManager(include_path=DIR)``): one task per suite
(``osmckp_medium_512``...) and the group ``osmckp`` of them. Writing them needs no lm_eval."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from osmckp_env.exam.suites import MAIN_SETTINGS, named_suite_config

GROUP = "osmckp"
# the configs' `class: !function osmckp_task.OSMCKPTask` resolves to this file beside them
SHIM = '''"""Written by `osmckp export lm-eval`: the task class lives in the installed osmckp package."""

from osmckp_env.integrations.lm_eval_task import OSMCKPTask  # noqa: F401
'''


TASK_YAML = """task: {task}
class: !function osmckp_task.OSMCKPTask
metadata:
  suite: {suite}
  counter: {counter}
  version: 1
"""


def task_name(suite: str) -> str:
    """``medium-512`` -> ``osmckp_medium_512``."""
    return f"{GROUP}_{suite.replace('-', '_')}"


def write_lm_eval_tasks(out_dir: str | Path, suites=MAIN_SETTINGS, counter: str = "qwen2.5") -> list[Path]:
    """Write one task config per suite (any ``medium-<B>`` / ``hard-<B>``, or a procedural
    ``arith-<order>-<B>`` / ``rg-<dataset>-<order>-<B>``), the group config and
    the class shim into ``out_dir``; returns the files written. ``counter``: who counts tokens for
    the budget, ``qwen2.5`` (the bundled tokenizer) or the evaluated model's tokenizer (a folder,
    ``tokenizer.json``, ``.gguf`` file or ``pkg:PACKAGE/FILE``), as a spec's ``counter: backend``
    counts: lm-eval caps generation in the model's tokens, so count in them too."""
    out = Path(out_dir)
    suites = list(suites)
    for s in suites:
        cfg = named_suite_config(s)  # a clear error for an unknown name
        if cfg.order == "easy" or cfg.split != "eval":
            raise ValueError(
                f"{s}: export evaluation suites medium-<B> or hard-<B>, arith-<order>-<B> or rg-<dataset>-<order>-<B> "
                "with order medium or hard (Regret needs a given order)"
            )
    out.mkdir(parents=True, exist_ok=True)
    files = [out / "osmckp_task.py"]
    files[0].write_text(SHIM, encoding="utf-8")
    for s in suites:
        path = out / f"{task_name(s)}.yaml"
        # written as text: `!function` is lm-eval's YAML tag, which a YAML dumper would quote
        path.write_text(TASK_YAML.format(task=task_name(s), suite=s, counter=json.dumps(counter)), encoding="utf-8")
        files.append(path)
    group = {
        "group": GROUP,
        "task": [task_name(s) for s in suites],
        "aggregate_metric_list": [{"metric": "score", "aggregation": "mean", "weight_by_size": True}],
        "metadata": {"version": 1},
    }
    files.append(out / "_osmckp.yaml")
    files[-1].write_text(yaml.safe_dump(group, sort_keys=False), encoding="utf-8")
    return files
