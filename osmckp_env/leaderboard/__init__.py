"""Leaderboards: tables (Markdown, CSV) and plots from results files only."""

from osmckp_env.leaderboard.tables import build_leaderboard, collect_results

__all__ = ["build_leaderboard", "collect_results"]
