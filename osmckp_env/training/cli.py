"""``osmckp train``: mft-data, mft, rarl."""

from __future__ import annotations

import json


def _mft_data(args) -> int:
    from osmckp_env.training.config import MFTDataConfig
    from osmckp_env.training.mft_data import make_mft_data

    cfg = MFTDataConfig.load(
        args.config, spec=args.spec, out_dir=args.out, k=args.k, limit_per_tier=args.limit_per_tier
    )
    st = make_mft_data(cfg, progress=not args.quiet, overwrite=args.overwrite)
    print(json.dumps({k: st[k] for k in ("n_problems", "n_examples", "solve_rate", "level_histogram")}, indent=1))
    print(f"wrote {cfg.out_dir}/dataset and {cfg.out_dir}/stats.json")
    return 0


def _mft(args) -> int:
    from osmckp_env.training.config import SFTRunConfig
    from osmckp_env.training.sft import train_mft

    cfg = SFTRunConfig.load(
        args.config,
        model=args.model,
        dataset=args.dataset,
        output_dir=args.out,
        max_steps=args.max_steps,
        resume=args.resume,
    )
    meta = train_mft(cfg)
    print(f"wrote {cfg.output_dir} (train loss {meta['train_loss']:.4f}); evaluate it with an `agent: mft` spec")
    return 0


def _rarl(args) -> int:
    from osmckp_env.training.config import RARLConfig
    from osmckp_env.training.rarl import train_rarl

    cfg = RARLConfig.load(
        args.config,
        model=args.model,
        output_dir=args.out,
        budget=args.budget,
        max_steps=args.max_steps,
        resume=args.resume,
    )
    meta = train_rarl(cfg)
    for w in meta.get("warnings", []):
        print(f"WARNING: {w}")
    print(f"wrote {cfg.output_dir} (train loss {meta['train_loss']:.4f}); evaluate it with an `agent: mft` spec")
    return 0


def _export_verl(args) -> int:
    from osmckp_env.training.verl import write_verl_data

    path = write_verl_data(
        args.out,
        split=args.split,
        budget=args.budget,
        n_exams=args.n_exams,
        reward=args.reward,
        seed=args.seed,
        regret_reference=args.regret_reference,
    )
    print(f"wrote {path}: exams in verl's RL dataset schema; reward: osmckp_env/training/verl.py:compute_score")
    return 0


def _resume_arg(p) -> None:
    p.add_argument(
        "--resume",
        nargs="?",
        const="auto",
        metavar="auto|PATH",
        help="continue an interrupted run: 'auto' (the default when the flag is given alone) picks the newest "
        "checkpoint-N in --out, or give a checkpoint folder",
    )


def add_command(sub) -> None:
    p = sub.add_parser("train", help="MFT data, MFT (SFT) and RARL (Dr. GRPO) with TRL")
    s = p.add_subparsers(dest="train_cmd", required=True)
    d = s.add_parser("mft-data", help="rejection-sample MFT data from a base model")
    d.add_argument("--config", help="YAML with MFTDataConfig fields")
    d.add_argument("--spec", help="agent spec of the sampling model (its backend and model; the agent is ignored)")
    d.add_argument("--out", help="output folder: samples.jsonl (resumable), dataset/, stats.json")
    d.add_argument("--k", type=int, help="samples per training problem")
    d.add_argument("--limit-per-tier", type=int, help="at most this many training problems per tier (a quick run)")
    d.add_argument("--quiet", action="store_true", help="no progress bar")
    d.add_argument("--overwrite", action="store_true", help="start over when --out holds samples of another config")
    d.set_defaults(func=_mft_data)
    m = s.add_parser("mft", help="supervised MFT on the dataset (full or LoRA)")
    m.add_argument("--config", help="YAML with SFTRunConfig fields")
    m.add_argument("--model", help="base model: a path or hub id")
    m.add_argument("--dataset", help="the dataset/ folder written by `osmckp train mft-data`")
    m.add_argument("--out", help="output folder for checkpoints and the final model")
    m.add_argument("--max-steps", type=int, help="stop after this many optimizer steps")
    _resume_arg(m)
    m.set_defaults(func=_mft)
    r = s.add_parser(
        "rarl",
        help="RARL: Dr. GRPO on training-split exams (GSM8K/MATH/AIME 2022-2024 train pools, Medium and Hard "
        "orders) under one budget, rewarded by the env's rarl reward",
        description="RARL: Dr. GRPO (TRL GRPOTrainer, loss_type=dr_grpo, no std scaling) on whole-exam completions "
        "of training-split exams (GSM8K train, MATH train, AIME 2022-2024) in Medium and Hard orders; the exam "
        "budget is the hard cut and the reward is the env's rarl reward (a problem counts if correct AND its "
        "predicted level matches the tokens it used).",
    )
    r.add_argument("--config", help="YAML with RARLConfig fields")
    r.add_argument("--model", help="the MFT checkpoint (path or hub id)")
    r.add_argument("--out", help="output folder for checkpoints and the final model")
    r.add_argument("--budget", type=int, help="the exam token budget (512 or 1024 in the paper)")
    r.add_argument("--max-steps", type=int, help="stop after this many optimizer steps")
    _resume_arg(r)
    r.set_defaults(func=_rarl)

    e = sub.add_parser("export", help="export exams for other RL engines")
    es = e.add_subparsers(dest="export_cmd", required=True)
    v = es.add_parser("verl", help="exams as verl RL parquet (data_source, prompt, reward_model, extra_info)")
    v.add_argument("--split", default="train", choices=["train", "eval"], help="training or evaluation pools")
    v.add_argument("--budget", type=int, default=1024, help="the exam token budget (512 or 1024 in the paper)")
    v.add_argument("--n-exams", type=int, default=2000, help="exams per order (Medium and Hard)")
    v.add_argument(
        "--reward", default="rarl", choices=["rarl", "score", "regret"], help="the reward compute_score returns"
    )
    v.add_argument(
        "--regret-reference", help="with --reward regret: a results file whose easy-order records hold these exams"
    )
    v.add_argument("--seed", type=int, default=0, help="suite seed")
    v.add_argument("--out", required=True, help="output folder (writes SPLIT.parquet)")
    v.set_defaults(func=_export_verl)
