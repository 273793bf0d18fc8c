"""Every ``Example:`` in the package's docstrings runs and shows what it says (doctest over every
module that imports here; a module whose optional dependency is not installed is skipped), and
the public entry points carry one."""

import doctest
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import osmckp_env

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(osmckp_env.__path__, "osmckp_env.")
    if ".data" not in m.name and not m.name.endswith("__main__")
)

# the entry points a newcomer starts from: each shows its use in its docstring
ENTRY_POINTS = {
    "osmckp_env.envs.exam": "ExamEnv",  # gym.make("OSMCKP-v0")
    "osmckp_env.scoring.rewards": "ExamReward",
    "osmckp_env.scoring.metrics": "score",
    "osmckp_env.grading.grader": "grade",
    "osmckp_env.sim.oracle": "solve_exam",
    "osmckp_env.exam.suites": "get_suite",
    "osmckp_env.exam.levels": "LevelBins.level_of",
}


def _import(name):
    try:
        return importlib.import_module(name)
    except ImportError as e:  # an optional extra (vllm, ...) that this environment lacks
        if (e.name or "").startswith("osmckp_env"):
            raise
        pytest.skip(f"{name} needs {e.name}")


@pytest.mark.parametrize("name", MODULES)
def test_the_examples_run(name):
    module = _import(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, name):
        if test.examples:
            runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} example(s) in {name} failed (run: python -m doctest -v)"


@pytest.mark.parametrize("name,obj", ENTRY_POINTS.items())
def test_public_entry_points_show_an_example(name, obj):
    target = importlib.import_module(name)
    for part in obj.split("."):
        target = getattr(target, part)
    tests = doctest.DocTestFinder(recurse=False).find(target, obj)
    assert any(t.examples for t in tests), f"{name}.{obj} has no Example"


README = Path(__file__).resolve().parents[1] / "README.md"
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("n", range(len(PYTHON_BLOCKS)))
def test_the_readme_python_blocks_run_as_written(n, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # a block may write files
    exec(compile(PYTHON_BLOCKS[n], f"README.md python block {n + 1}", "exec"), {"__name__": "__readme__"})


def test_the_readme_shows_build_suite_with_its_import():
    blocks = [b for b in PYTHON_BLOCKS if "build_suite(" in b]
    assert blocks and all("import" in b and "build_suite" in b.split("build_suite(")[0] for b in blocks)
