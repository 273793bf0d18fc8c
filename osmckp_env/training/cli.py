"""``osmckp train``: mft-data, mft, rarl; ``osmckp export verl``.

The flags of the three training commands are generated from their config dataclasses (one
source: the fields and their ``metadata["help"]``); ``--config FILE`` loads a YAML first and
the flags given override it. The TRL mapping takes ``--grpo KEY=VALUE`` / ``--sft KEY=VALUE``
(repeatable; VALUE is read as YAML: ``1e-6``, ``true``, ``[a, b]``).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import MISSING, fields

import yaml

from osmckp_env.exam.suites import MAIN_SETTINGS
from osmckp_env.integrations.lm_eval_export import write_lm_eval_tasks
from osmckp_env.scoring.rewards import REWARD_KINDS
from osmckp_env.training.config import MFTConfig, MFTDataConfig, RARLConfig
from osmckp_env.training.mft_data import make_mft_data
from osmckp_env.training.rarl import train_rarl
from osmckp_env.training.sft import train_mft
from osmckp_env.training.verl import write_verl_data

# short spellings kept from earlier versions (and the runner's --out)
FLAG_ALIASES = {"output_dir": ("--out",), "out_dir": ("--out",)}


def _key_value(text: str) -> dict:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE (e.g. learning_rate=1e-6), got {text!r}")
    return {key.strip().replace("-", "_"): yaml.safe_load(value) if value.strip() else value}


def _default_of(f):
    if f.default is not MISSING:
        return f.default
    return f.default_factory() if f.default_factory is not MISSING else None


def add_config_flags(parser: argparse.ArgumentParser, cls) -> None:
    """One ``--flag`` per field of ``cls`` with its help and default (``None`` = not given, so a
    ``--config`` file's value stands)."""
    for f in fields(cls):
        names = (f"--{f.name.replace('_', '-')}", *FLAG_ALIASES.get(f.name, ()))
        default = _default_of(f)
        shown = {None: "none"}.get(default, default) if not isinstance(default, dict) else "{}"
        if isinstance(shown, tuple):
            shown = " ".join(map(str, shown))
        # a field without a default must be given, here or in the --config file (so not argparse-required)
        note = "required: give it here or in --config" if default == "" else f"default: {shown}"
        help = f"{f.metadata.get('help', '')} ({note})"
        kind = str(f.type)
        kw: dict = {"dest": f.name, "default": None, "help": help}
        if f.name == "resume":
            kw.update(nargs="?", const="auto", metavar="auto|PATH")
        elif kind == "dict":
            kw.update(action="extend", nargs="+", type=_key_value, metavar="KEY=VALUE")
        elif kind == "bool":
            kw.update(action=argparse.BooleanOptionalAction)
        elif kind.startswith("tuple["):
            kw.update(nargs="+", type=int if "int" in kind else str)
        elif kind.startswith("int"):
            kw.update(type=int)
        elif kind.startswith("float"):
            kw.update(type=float)
        if f.name == "reward":
            kw.update(choices=REWARD_KINDS)
        parser.add_argument(*names, **kw)


def config_overrides(args: argparse.Namespace, cls) -> dict:
    """The fields the command line gave (a mapping's KEY=VALUE pairs merged in order)."""
    out = {}
    for f in fields(cls):
        value = getattr(args, f.name, None)
        if value is None:
            continue
        if str(f.type) == "dict":
            merged: dict = {}
            for pair in value:
                merged.update(pair)
            value = merged
        out[f.name] = value
    return out


def _load_config(cls, args):
    return cls.load(args.config, **config_overrides(args, cls))


def _mft_data(args) -> int:
    cfg = _load_config(MFTDataConfig, args)
    st = make_mft_data(cfg, progress=not args.quiet, overwrite=args.overwrite)
    print(json.dumps({k: st[k] for k in ("n_problems", "n_examples", "solve_rate", "level_histogram")}, indent=1))
    print(f"wrote {cfg.out_dir}/dataset and {cfg.out_dir}/stats.json")
    return 0


def _mft(args) -> int:
    cfg = _load_config(MFTConfig, args)
    meta = train_mft(cfg)
    print(f"wrote {cfg.output_dir} (train loss {meta['train_loss']:.4f}); evaluate it with an `agent: mft` spec")
    return 0


def _rarl(args) -> int:
    cfg = _load_config(RARLConfig, args)
    meta = train_rarl(cfg)
    for w in meta.get("warnings", []):
        print(f"WARNING: {w}")
    print(f"wrote {cfg.output_dir} (train loss {meta['train_loss']:.4f}); evaluate it with an `agent: mft` spec")
    return 0


def _export_lm_eval(args) -> int:
    files = write_lm_eval_tasks(args.out, args.suites, counter=args.counter)
    tasks = ", ".join(p.stem for p in files if p.suffix == ".yaml" and not p.stem.startswith("_"))
    print(f"wrote {args.out}: tasks {tasks} and the group osmckp (tokens counted with {args.counter})")
    print(
        f"run: lm_eval --model vllm --model_args pretrained=MODEL --include_path {args.out} --tasks osmckp "
        "--apply_chat_template"
    )
    return 0


def _export_verl(args) -> int:
    path = write_verl_data(
        args.out,
        split=args.split,
        budget=args.budget,
        n_exams=args.n_exams,
        reward=args.reward,
        seed=args.seed,
        regret_reference=args.regret_reference,
        pool=args.pool,
    )
    print(f"wrote {path}: exams in verl's RL dataset schema; reward: osmckp_env/training/verl.py:compute_score")
    return 0


def add_command(sub) -> None:
    p = sub.add_parser("train", help="MFT data, MFT (SFT) and RARL (Dr. GRPO) with TRL")
    s = p.add_subparsers(dest="train_cmd", required=True)
    d = s.add_parser(
        "mft-data",
        help="rejection-sample MFT data from a base model",
        description=MFTDataConfig.__doc__.splitlines()[0],
    )
    d.add_argument("--config", help="YAML with MFTDataConfig fields (flags given override it)")
    add_config_flags(d, MFTDataConfig)
    d.add_argument("--quiet", action="store_true", help="no progress bar")
    d.add_argument("--overwrite", action="store_true", help="start over when --out holds samples of another config")
    d.set_defaults(func=_mft_data)
    m = s.add_parser(
        "mft",
        help="supervised MFT on the dataset (full or LoRA)",
        description="MFT's supervised stage: TRL SFTTrainer, loss on the completion only. TRL SFTConfig "
        "options: --sft KEY=VALUE (over osmckp's defaults: "
        + ", ".join(f"{k}={v}" for k, v in MFTConfig.TRL_DEFAULTS.items())
        + ").",
    )
    m.add_argument("--config", help="YAML with MFTConfig fields (flags given override it)")
    add_config_flags(m, MFTConfig)
    m.set_defaults(func=_mft)
    r = s.add_parser(
        "rarl",
        help="RARL: Dr. GRPO on training-split exams (GSM8K/MATH/AIME 2022-2024 train pools, Medium and Hard "
        "orders) under one budget, rewarded by the env's rarl reward",
        description="RARL: Dr. GRPO (TRL GRPOTrainer) on whole-exam completions of training-split exams (GSM8K "
        "train, MATH train, AIME 2022-2024) in Medium and Hard orders; the exam budget is the hard cut and the "
        "reward is the env's rarl reward (a problem counts if correct AND its predicted level matches the tokens "
        "it used). TRL GRPOConfig options: --grpo KEY=VALUE (over osmckp's defaults: "
        + ", ".join(f"{k}={v}" for k, v in RARLConfig.TRL_DEFAULTS.items())
        + ").",
    )
    r.add_argument("--config", help="YAML with RARLConfig fields (flags given override it)")
    add_config_flags(r, RARLConfig)
    r.set_defaults(func=_rarl)

    e = sub.add_parser("export", help="export exams for other RL engines")
    es = e.add_subparsers(dest="export_cmd", required=True)
    v = es.add_parser(
        "verl",
        help="exams as verl RL parquet (data_source, prompt, reward_model, extra_info)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    v.add_argument("--split", default="train", choices=["train", "eval"], help="training or evaluation pools")
    v.add_argument("--budget", type=int, default=1024, help="the exam token budget (512 or 1024 in the paper)")
    v.add_argument("--n-exams", type=int, default=2000, help="exams per order (Medium and Hard)")
    v.add_argument("--reward", default="rarl", choices=REWARD_KINDS, help="the reward compute_score returns")
    v.add_argument(
        "--regret-reference", help="with --reward regret: a results file whose easy-order records hold these exams"
    )
    v.add_argument("--seed", type=int, default=0, help="suite seed")
    v.add_argument(
        "--pool",
        help="a procedural problem pool instead of GSM8K/MATH/AIME: arith or rg-<dataset> (a reasoning-gym dataset)",
    )
    v.add_argument("--out", required=True, help="output folder (writes SPLIT.parquet)")
    v.set_defaults(func=_export_verl)
    lm = es.add_parser(
        "lm-eval",
        help="lm-evaluation-harness task configs: lm_eval --include_path DIR --tasks osmckp",
        description="Writes one lm-eval task per suite (osmckp_medium_512, ...) and the group osmckp into DIR. "
        "A doc is one exam, generated in its given order and in easy order; the task scores with osmckp's own "
        "scorer and reports score, regret (with regret_ci_low/high), score_easy, skip_rate, tokens_per_problem. "
        "Needs lm_eval where lm_eval runs (pip install -e '.[lmeval]').",
    )
    lm.add_argument("--out", required=True, help="folder for the task configs")
    lm.add_argument(
        "--suites",
        nargs="+",
        default=list(MAIN_SETTINGS),
        metavar="SUITE",
        help="evaluation suites to export, any medium-<B> or hard-<B>, or a procedural one, arith-<order>-<B> or "
        "rg-<dataset>-<order>-<B> (order medium or hard)",
    )
    lm.add_argument(
        "--counter",
        default="qwen2.5",
        metavar="TOKENIZER",
        help="who counts tokens for the budget: qwen2.5 (bundled) or the evaluated model's tokenizer (a folder, "
        "tokenizer.json, .gguf file or pkg:PACKAGE/FILE), as a spec's counter: backend does",
    )
    lm.set_defaults(func=_export_lm_eval)
