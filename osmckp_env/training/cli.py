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
        args.config, model=args.model, dataset=args.dataset, output_dir=args.out, max_steps=args.max_steps
    )
    meta = train_mft(cfg)
    print(f"wrote {cfg.output_dir} (train loss {meta['train_loss']:.4f}); evaluate it with an `agent: mft` spec")
    return 0


def _rarl(args) -> int:
    from osmckp_env.training.config import RARLConfig
    from osmckp_env.training.rarl import train_rarl

    cfg = RARLConfig.load(
        args.config, model=args.model, output_dir=args.out, budget=args.budget, max_steps=args.max_steps
    )
    meta = train_rarl(cfg)
    for w in meta.get("warnings", []):
        print(f"WARNING: {w}")
    print(f"wrote {cfg.output_dir} (train loss {meta['train_loss']:.4f}); evaluate it with an `agent: mft` spec")
    return 0


def add_command(sub) -> None:
    p = sub.add_parser("train", help="MFT data, MFT (SFT) and RARL (Dr. GRPO) with TRL")
    s = p.add_subparsers(dest="train_cmd", required=True)
    d = s.add_parser("mft-data", help="rejection-sample MFT data from a base model")
    d.add_argument("--config", help="YAML with MFTDataConfig fields")
    d.add_argument("--spec", help="agent spec of the sampling model")
    d.add_argument("--out")
    d.add_argument("--k", type=int)
    d.add_argument("--limit-per-tier", type=int)
    d.add_argument("--quiet", action="store_true", help="no progress bar")
    d.add_argument("--overwrite", action="store_true", help="start over when --out holds samples of another config")
    d.set_defaults(func=_mft_data)
    m = s.add_parser("mft", help="supervised MFT on the dataset (full or LoRA)")
    m.add_argument("--config", help="YAML with SFTRunConfig fields")
    m.add_argument("--model")
    m.add_argument("--dataset")
    m.add_argument("--out")
    m.add_argument("--max-steps", type=int)
    m.set_defaults(func=_mft)
    r = s.add_parser("rarl", help="RARL with Dr. GRPO on simulated exams")
    r.add_argument("--config", help="YAML with RARLConfig fields")
    r.add_argument("--model")
    r.add_argument("--out")
    r.add_argument("--budget", type=int)
    r.add_argument("--max-steps", type=int)
    r.set_defaults(func=_rarl)
