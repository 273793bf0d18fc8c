"""Parsing and grading: the one code path used by the env, the runner and the RL reward."""

from osmckp_env.grading.extract import SKIP_ANSWERS, find_boxed, is_skip, last_boxed
from osmckp_env.grading.grader import Grader, GradeResult, default_grader, grade, grade_many
from osmckp_env.grading.parse import ParsedProblem, parse_completion, parse_single

__all__ = [
    "SKIP_ANSWERS",
    "GradeResult",
    "Grader",
    "ParsedProblem",
    "default_grader",
    "find_boxed",
    "grade",
    "grade_many",
    "is_skip",
    "last_boxed",
    "parse_completion",
    "parse_single",
]
