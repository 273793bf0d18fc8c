"""The package's layering stays true: no module imports from a layer above its own (lazy imports
inside functions included), and no import cycle between modules."""

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "osmckp_env"
# exam -> grading -> scoring -> envs, backends, agents -> runner -> leaderboard, sim, training, integrations -> cli
LAYERS = {
    "exam": 0,
    "grading": 1,
    "scoring": 2,
    "envs": 3,
    "backends": 3,
    "agents": 3,
    "results": 2,
    "runner": 4,
    "leaderboard": 5,
    "sim": 5,
    "training": 5,
    "integrations": 5,
    "cli": 6,
    "testing": 6,
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("osmckp_env")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("osmckp_env"):
            for a in node.names:  # `from osmckp_env.x import y` may import the submodule y
                sub = f"{node.module}.{a.name}"
                out.add(sub if sub in MODULES else node.module)
    return out


MODULES = {_module_name(p): p for p in PKG.rglob("*.py")}
GRAPH = {m: _imports(p) & set(MODULES) for m, p in MODULES.items()}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def test_every_subpackage_has_a_layer_and_nothing_is_left_loose():
    top = {m.split(".")[1] for m in MODULES if m.count(".") >= 1}
    packages = {p.name for p in PKG.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages <= set(LAYERS), f"give {packages - set(LAYERS)} a layer"
    assert top - packages == set(), f"loose top-level modules: {sorted(top - packages)}"


def test_no_module_imports_from_a_layer_above():
    upward = [
        f"{m} (layer {_layer(m)}) imports {d} (layer {_layer(d)})"
        for m, deps in GRAPH.items()
        for d in deps
        if _layer(m) is not None and _layer(d) is not None and _layer(d) > _layer(m)
    ]
    assert upward == []


def test_no_import_cycles():
    cycles = []
    state: dict[str, int] = {}

    def visit(m, stack):
        state[m] = 1
        for d in sorted(GRAPH[m]):
            if d == m or d == "osmckp_env" or m.startswith(d + "."):
                continue  # a package's __init__ re-exporting its own modules is not a cycle
            if state.get(d) == 1:
                cycles.append(" -> ".join(stack[stack.index(d) :] + [d]) if d in stack else f"{m} -> {d}")
            elif d not in state:
                visit(d, stack + [d])
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m, [m])
    assert cycles == []


def _local_package_imports(path: Path):
    """Imports of the package's own modules inside functions: (line number, source line)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = path.read_text(encoding="utf-8").splitlines()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for sub in ast.walk(node):
                own = (isinstance(sub, ast.ImportFrom) and (sub.module or "").startswith("osmckp_env")) or (
                    isinstance(sub, ast.Import) and any(a.name.startswith("osmckp_env") for a in sub.names)
                )
                if own:
                    yield sub.lineno, lines[sub.lineno - 1]


def test_a_function_local_import_of_our_own_modules_says_why_it_is_deferred():
    # the dependency graph is read at the top of each module; an import inside a function is
    # there only to defer a heavy optional dependency, and says so
    bad = [
        f"{p.relative_to(PKG.parent)}:{n}"
        for p in MODULES.values()
        for n, line in _local_package_imports(p)
        if "# deferred:" not in line
    ]
    assert bad == []


def test_the_command_line_starts_without_the_heavy_stacks():
    import subprocess
    import sys

    code = (
        "import sys; from osmckp_env.cli import build_parser; build_parser(); "
        "heavy = ('torch', 'transformers', 'trl', 'pandas', 'matplotlib', 'datasets'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
