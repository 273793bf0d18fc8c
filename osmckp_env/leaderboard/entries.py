"""What a leaderboard entry is: a results file, its label, and whether it is a trial or an
incomplete run."""

from __future__ import annotations

from osmckp_env.exam.suites import get_suite, is_named_suite
from osmckp_env.leaderboard.naming import setting_of


def is_trial(r: dict) -> bool:
    """A trial (smoke) run: the first exams of a larger suite (``--n-exams``). Results files
    written before 0.2 do not say; for them a named suite's run with fewer exams than the
    suite has is a trial."""
    if "trial" in r["suite"]:
        return bool(r["suite"]["trial"])

    name = r["suite"]["name"]
    return is_named_suite(name) and r["suite"]["n_exams"] < len(get_suite(name))


def n_backend_errors(r: dict) -> int:
    """Exams (records) whose backend call failed after retries: never scores."""
    return int(r.get("backend_errors") or 0)


def is_incomplete(r: dict) -> bool:
    """A run with failed backend calls: its Score covers only the exams that were answered, so it is
    listed apart, never ranked (``osmckp run RESULTS --retry-errors`` completes it)."""
    return n_backend_errors(r) > 0


def entry_labels(results: list[dict]) -> dict[int, str]:
    """One label per results file: the agent's name, with its config hash where one agent has
    several results in the same setting."""
    count: dict[tuple, int] = {}
    for r in results:
        key = (r["spec"]["name"], setting_of(r))
        count[key] = count.get(key, 0) + 1
    return {
        id(r): r["spec"]["name"]
        + (f" [{r['config_hash'][:6]}]" if count[(r["spec"]["name"], setting_of(r))] > 1 else "")
        for r in results
    }


def interval_config(results: list[dict]) -> dict | None:
    """How the intervals of a group of results files were made (the first ``metrics.interval_config``
    recorded among them), or ``None``: what figure captions and table captions state."""
    return next((r["metrics"]["interval_config"] for r in results if r["metrics"].get("interval_config")), None)
