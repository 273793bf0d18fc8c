"""A custom suite is named from what it is, runs in its own folder and is never ranked beside a
standard suite; its table shows P1..Pn and its max."""

import json

from osmckp_env.cli import main
from osmckp_env.exam.suites import Suite, SuiteConfig, build_suite, get_suite
from osmckp_env.leaderboard import build_leaderboard


def _spec(tmp_path, name="gold", reply="gold"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"name: {name}\nagent: mft\nbackend: scripted\nbackend_args: {{reply: {reply}}}\ncounter: qwen2.5\n"
    )
    return str(path)


def test_a_custom_suite_gets_a_name_from_its_content_never_a_standard_one():
    five = build_suite(SuiteConfig(n_problems=5, budget=2048, n_exams=10))
    assert five.name.startswith("custom-5p-medium-2048-") and five.name.endswith(five.hash[:8])
    assert build_suite(SuiteConfig(order="hard", budget=512)).name == "hard-512"  # the standard suite
    assert build_suite(SuiteConfig(order="hard", budget=512, n_exams=7)).name == "hard-512"  # its first exams
    assert build_suite(SuiteConfig(budget=4096, n_exams=3)).name == "medium-4096"
    assert build_suite(SuiteConfig(seed=5, n_exams=3)).name.startswith("custom-3p-medium-1024-")


def test_a_file_written_under_a_standard_name_it_is_not_loads_under_its_content_name(tmp_path):
    five = build_suite(SuiteConfig(n_problems=5, budget=2048, n_exams=4))
    Suite("medium-2048", five.config, five.exams).to_jsonl(tmp_path / "old.jsonl")  # as 0.3 wrote it
    loaded = Suite.from_jsonl(tmp_path / "old.jsonl")
    assert loaded.name == five.name and loaded.hash == five.hash
    get_suite("medium-512", n_exams=3).to_jsonl(tmp_path / "std.jsonl")
    assert Suite.from_jsonl(tmp_path / "std.jsonl").name == "medium-512"


def test_a_custom_suite_runs_apart_and_is_ranked_only_with_itself(tmp_path):
    runs = tmp_path / "runs"
    spec = _spec(tmp_path)
    build_suite(SuiteConfig(n_problems=5, budget=2048, n_exams=4)).to_jsonl(tmp_path / "five.jsonl")
    assert main(["run", spec, "--suite", str(tmp_path / "five.jsonl"), "--out", str(runs), "--quiet"]) == 0
    std = get_suite("medium-2048", n_exams=4)
    assert std.name == "medium-2048"
    std.to_jsonl(tmp_path / "std.jsonl")
    # a full run of the standard suite (here its 4-exam file) lands in its own folder, nothing refused
    assert main(["run", spec, "--suite", str(tmp_path / "std.jsonl"), "--out", str(runs), "--quiet"]) == 0
    folders = sorted(p.parent.name for p in runs.rglob("results.json"))
    assert len(folders) == 2 and "medium-2048" in folders and any(f.startswith("custom-5p-") for f in folders)
    out = build_leaderboard(runs, tmp_path / "lb", plots=False)
    tables = out["settings"]
    assert len(tables) == 2 and all(len(df) == 1 for df in tables.values())
    custom = next(df for name, df in tables.items() if name.startswith("custom-5p-"))
    assert [c for c in custom.columns if c.startswith("P") and c[1:].isdigit()] == ["P1", "P2", "P3", "P4", "P5"]
    assert custom["score"].iloc[0] == 5.0
    assert [c for c in tables["medium-2048"].columns if c[:1] == "P" and c[1:].isdigit()] == ["P1", "P2", "P3"]
    readme = (tmp_path / "lb" / "README.md").read_text()
    assert "(5 problems per exam, max 5)" in readme


def test_runs_of_one_name_with_different_exams_are_never_ranked_together(tmp_path):
    runs = tmp_path / "runs"
    spec = _spec(tmp_path)
    assert main(["run", spec, "--suite", "hard-512", "--n-exams", "3", "--out", str(runs / "a"), "--quiet"]) == 0
    # a results file from before 0.4 whose custom suite carried the standard name
    res_path = next((runs / "a").rglob("results.json"))
    other = runs / "b" / "hard-512"
    other.mkdir(parents=True)
    for f in ("records.jsonl",):
        (other / f).write_text((res_path.parent / f).read_text())
    res = json.loads(res_path.read_text())
    res["suite"]["hash"] = "0" * 16
    res["suite"]["trial"] = True
    (other / "results.json").write_text(json.dumps(res))
    out = build_leaderboard(runs, tmp_path / "lb", plots=False)
    assert len(out["trials"]) == 2 and all(len(df) == 1 for df in out["trials"].values())


def test_a_custom_suite_name_points_to_its_file(capsys):
    assert main(["suites", "--export", "custom-5p-medium-2048-1af1f642"]) == 2
    err = capsys.readouterr().err
    assert "custom suite" in err and "--suite FILE.jsonl" in err
