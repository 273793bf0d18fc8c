"""RARL: TRL ``GRPOTrainer`` with Dr. GRPO on simulated exams, rewarded by the env's own scorer."""

from __future__ import annotations

from osmckp_env.grading import Grader, default_grader
from osmckp_env.levels import LevelBins
from osmckp_env.rewards import completion_text, exams_from_columns
from osmckp_env.scoring import score_completions
from osmckp_env.suites import SuiteConfig, build_suite
from osmckp_env.training.config import RARLConfig
from osmckp_env.training.sft import _require, load_model_and_tokenizer, lora_config, train_and_save


def rarl_dataset(cfg: RARLConfig):
    """Training-split exams in each of ``cfg.orders`` at ``cfg.budget`` with the MFT prompt."""
    import datasets

    from osmckp_env.prompts import exam_messages

    parts = []
    per = max(1, cfg.n_exams // len(cfg.orders))
    for k, order in enumerate(cfg.orders):
        suite = build_suite(SuiteConfig(order=order, budget=cfg.budget, n_exams=per, split="train", seed=cfg.seed + k))
        ds = suite.to_dataset()
        ds = ds.map(lambda row, s=suite: {"prompt": exam_messages(s[row["exam_index"]], with_levels=True)})
        parts.append(ds)
    return datasets.concatenate_datasets(parts).shuffle(seed=cfg.seed)


class ExamRewards:
    """Scores each GRPO batch once (graded in the process pool) and serves several TRL reward
    functions from it: the training reward plus zero-weight ones that TRL logs per step."""

    METRICS = ("rarl", "score", "skip_rate", "tokens", "level_accuracy")

    def __init__(self, tokenizer, bins: LevelBins | None = None, grader: Grader | None = None) -> None:
        from osmckp_env.tokenization import HFTokenCounter

        self.counter = HFTokenCounter(tokenizer, getattr(tokenizer, "name_or_path", "") or "policy")
        self.bins = bins or LevelBins()
        self.grader = grader or default_grader()
        self._key = None
        self._records: list[dict] = []

    def _score(self, completions, problem_ids, answers, tiers, budget, order=None, **_):
        key = (id(completions), len(completions))
        if key != self._key:
            exams = exams_from_columns(problem_ids, answers, tiers, budget, None, order)
            texts = [completion_text(c) for c in completions]
            self._records = score_completions(exams, texts, counter=self.counter, bins=self.bins, grader=self.grader)
            self._key = key
        return self._records

    def function(self, metric: str):
        def fn(prompts, completions, **kw):
            recs = self._score(completions, **kw)
            if metric == "rarl":
                return [float(r["rarl_reward"]) for r in recs]
            if metric == "score":
                return [float(r["score"]) for r in recs]
            if metric == "skip_rate":
                return [sum(p["status"] == "skipped" for p in r["problems"]) / len(r["problems"]) for r in recs]
            if metric == "tokens":
                return [float(r["completion_tokens"]) for r in recs]
            pred = [[p for p in r["problems"] if p["predicted_level"] is not None] for r in recs]
            return [sum(p["predicted_level"] == p["actual_level"] for p in ps) / len(ps) if ps else None for ps in pred]

        fn.__name__ = metric
        return fn

    def functions(self, train_on: str = "rarl"):
        names = [train_on] + [m for m in self.METRICS if m != train_on]
        return [self.function(m) for m in names], [1.0] + [0.0] * (len(names) - 1)


def train_rarl(
    cfg: RARLConfig,
    *,
    dataset=None,
    grader: Grader | None = None,
    callbacks=None,
    extra_rewards: list[tuple] | None = None,
) -> dict:
    """Run Dr. GRPO (``loss_type='dr_grpo'``, no std scaling) with the exam's hard cut as
    ``max_completion_length``; writes the checkpoint and ``osmckp_train.json``.

    ``extra_rewards``: ``(fn, weight)`` pairs of TRL-shaped reward functions added to the env's
    reward (shaping terms such as a length penalty); they are logged like the others.
    """
    _require()
    import torch
    from trl import GRPOConfig, GRPOTrainer

    ds = dataset if dataset is not None else rarl_dataset(cfg)
    model, tok = load_model_and_tokenizer(cfg.model, cfg.bf16)
    rewards = ExamRewards(tok, grader=grader)
    funcs, weights = rewards.functions(cfg.reward)
    for fn, w in extra_rewards or []:
        funcs.append(fn)
        weights.append(float(w))
    args = GRPOConfig(
        output_dir=cfg.output_dir,
        loss_type="dr_grpo",
        scale_rewards="none",
        beta=cfg.beta,
        num_generations=cfg.num_generations,
        max_completion_length=cfg.budget,
        temperature=cfg.temperature,
        per_device_train_batch_size=cfg.per_device_train_batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation_steps,
        learning_rate=cfg.learning_rate,
        max_steps=cfg.max_steps,
        gradient_checkpointing=cfg.gradient_checkpointing,
        bf16=cfg.bf16,
        seed=cfg.seed,
        logging_steps=cfg.logging_steps,
        save_steps=cfg.save_steps,
        report_to="none",
        reward_weights=weights,
        use_vllm=cfg.use_vllm,
        vllm_mode=cfg.vllm_mode,
        use_cpu=not torch.cuda.is_available(),
        **cfg.extra,
    )
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=funcs,
        args=args,
        train_dataset=ds,
        processing_class=tok,
        peft_config=lora_config(cfg.lora_r, cfg.lora_alpha) if cfg.lora_r > 0 else None,
        callbacks=callbacks,
    )
    return train_and_save(trainer, tok, cfg, "rarl", n_exams=len(ds))
