"""How settings are named, ordered and titled on every leaderboard table and figure."""

from __future__ import annotations

import math

ORDER_RANK = {"medium": 0, "hard": 1, "easy": 2}


def setting_key(name: str) -> tuple:
    """Sort key of a setting name: Medium before Hard (then easy, then others), budgets ascending."""
    order, _, rest = name.partition("-")
    budget = rest.split("-")[0]
    return (ORDER_RANK.get(order, 9), int(budget) if budget.isdigit() else math.inf, name)


def sort_settings(names) -> list[str]:
    return sorted(set(names), key=setting_key)


def setting_title(name: str) -> str:
    """``medium-512`` -> ``Medium-512`` (one capitalisation in every title); a name that does not
    start with an order (a suite the user named) is shown as given."""
    order = name.split("-", 1)[0]
    return name[:1].upper() + name[1:] if order in ORDER_RANK else name


def setting_of(r: dict) -> str:
    """The table (and plot panel) a run belongs to: its suite's name, with the suite hash added by
    the leaderboard where runs of one name hold different exams."""
    return r.get("_setting") or r["suite"]["name"]
