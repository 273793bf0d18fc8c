"""What a leaderboard entry is: a results file, its label, and whether it is a trial run."""

from __future__ import annotations


def is_trial(r: dict) -> bool:
    """A trial (smoke) run: the first exams of a larger suite (``--n-exams``). Results files
    written before 0.2 do not say; for them a named suite's run with fewer exams than the
    suite has is a trial."""
    if "trial" in r["suite"]:
        return bool(r["suite"]["trial"])
    from osmckp_env.exam.suites import NAMED_SUITES, get_suite

    name = r["suite"]["name"]
    return name in NAMED_SUITES and r["suite"]["n_exams"] < len(get_suite(name))


def entry_labels(results: list[dict]) -> dict[int, str]:
    """One label per results file: the agent's name, with its config hash where one agent has
    several results in the same setting."""
    count: dict[tuple, int] = {}
    for r in results:
        key = (r["spec"]["name"], r["suite"]["name"])
        count[key] = count.get(key, 0) + 1
    return {
        id(r): r["spec"]["name"]
        + (f" [{r['config_hash'][:6]}]" if count[(r["spec"]["name"], r["suite"]["name"])] > 1 else "")
        for r in results
    }
