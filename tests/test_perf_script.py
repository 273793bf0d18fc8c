"""benchmarks/perf/run.py prints its report and writes a file only when --out names one: a run on
another machine never rewrites the committed RESULTS.md unless asked."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "perf" / "run.py"


def _script(monkeypatch):
    spec = importlib.util.spec_from_file_location("perf_run", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for name in dir(mod):
        if name.startswith("bench_"):  # the measurements themselves: minutes; one row stands for them
            monkeypatch.setattr(mod, name, lambda *a, **k: mod.row("s", "w", "1", "2x"))
    monkeypatch.setattr(mod, "machine", lambda: "a test machine")
    return mod


def test_the_perf_script_writes_the_committed_results_only_when_asked(tmp_path, monkeypatch, capsys):
    committed = SCRIPT.with_name("RESULTS.md")
    before = committed.read_bytes()
    monkeypatch.chdir(tmp_path)
    _script(monkeypatch).main([])
    out = capsys.readouterr().out
    assert committed.read_bytes() == before and list(tmp_path.iterdir()) == []
    assert "# osmckp perf results" in out and "a test machine" in out and "--out" in out
    _script(monkeypatch).main(["--out", str(tmp_path / "r.md")])
    assert "a test machine" in (tmp_path / "r.md").read_text()


def test_the_readme_quotes_the_committed_perf_results():
    """Every ratio the README's "Robustness and speed" paragraph cites (x0.94, x2.90, ...) is in
    benchmarks/perf/RESULTS.md: the README never keeps numbers of an older run."""
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Robustness and speed") : readme.index("- **Mutation testing**")]
    cited = re.findall(r"\bx(\d+\.\d+)", section)
    assert len(cited) >= 8, cited
    results = (ROOT / "benchmarks" / "perf" / "RESULTS.md").read_text(encoding="utf-8")
    table = set(re.findall(r"\bx(\d+\.\d+)", results))
    assert not [c for c in cited if c not in table], "README cites ratios that RESULTS.md does not have"
    for count in ("3000", "4000"):
        assert f"| {count} |" in results and count in section
