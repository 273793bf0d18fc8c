"""Build a response profile from the runner's records of a real model (text env runs)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from osmckp_env.exam.problems import SPLITS, load_pool
from osmckp_env.results.io import read_records
from osmckp_env.sim.profiles import Atoms, Profile


def calibrate(
    records: list[dict], name: str, *, min_per_key: int = 1, level_of: dict[str, int] | None = None
) -> Profile:
    """One atom per observed attempt (skipped and unreached problems excluded: nothing was tried).

    A finished answer contributes (tokens, correct). An attempt with no final answer that ran
    out of budget is censored: its natural length is only known to exceed what it got, so it
    is recorded as ``budget + 1`` tokens (cut under any cap up to that budget) and wrong.
    Keys: every problem id, plus ``tier/L<level>`` (where ``level_of`` gives MATH levels) and ``tier``.
    """
    level_of = level_of or {}
    obs: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for r in records:
        for p in r["problems"]:
            if p["status"] in ("skipped", "unreached"):
                continue  # not attempted: the model chose to skip, or the completion never got there
            if p["status"] == "missing" and r.get("budget_exhausted"):
                item = (int(r["budget"]) + 1, 0.0)
            else:
                item = (max(1, int(p["tokens"])), 1.0 if p["correct"] else 0.0)
            keys = [p["id"], p["tier"]]
            if p["id"] in level_of:
                keys.append(f"{p['tier']}/L{level_of[p['id']]}")
            for k in keys:
                obs[k].append(item)
    keys = {}
    for k, items in obs.items():
        if len(items) < min_per_key:
            continue
        arr = np.array(items, dtype=np.float64)
        keys[k] = Atoms(arr[:, 0].astype(np.int64), arr[:, 1], np.full(len(arr), 1.0 / len(arr)))
    for tier in ("easy", "medium", "hard"):
        if tier not in keys:
            raise ValueError(f"the records have no attempted {tier!r} problem; a profile needs every tier")
    return Profile(
        name,
        keys,
        False,
        f"Calibrated from {len(records)} exam records.",
        {"n_records": len(records), "censored_as": "budget+1"},
    )


def calibrate_file(path: str | Path, name: str | None = None) -> Profile:
    """``calibrate`` over a runner ``records.jsonl`` (or its folder); MATH levels from the bundled pools."""

    path = Path(path)
    if path.is_dir():
        path = path / "records.jsonl"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no such records file; give the records.jsonl (or the run folder) that `osmckp run` wrote"
        )
    records, report = read_records(path)
    if not records:
        raise ValueError(f"{path}: no valid records to calibrate from")
    levels = {p.id: p.math_level for s in SPLITS for p in load_pool(s, "medium") if p.math_level}
    return calibrate(records, name or default_profile_name(path, report.get("header") or {}), level_of=levels)


def default_profile_name(records_path: Path, header: dict) -> str:
    """``calibrated-<agent>-<suite>``: from the records file's header (its spec and suite), so two
    agents' profiles of one setting do not collide; the folder names when a header lacks them."""
    agent = (header.get("spec") or {}).get("name") or records_path.parent.parent.name
    suite = header.get("suite") or records_path.parent.name
    return f"calibrated-{agent}-{suite}"
