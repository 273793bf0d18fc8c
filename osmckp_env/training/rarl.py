"""RARL: TRL ``GRPOTrainer`` with Dr. GRPO on simulated exams, rewarded by the env's own scorer."""

from __future__ import annotations

import logging

from osmckp_env.exam.levels import LevelBins
from osmckp_env.exam.prompts import exam_messages
from osmckp_env.exam.suites import SuiteConfig, build_suite, standard_name
from osmckp_env.exam.tokenization import HFTokenCounter
from osmckp_env.grading import Grader, default_grader
from osmckp_env.scoring.rewards import LOG_TERMS, REWARD_KINDS, ExamReward, regret_reference
from osmckp_env.training.config import RARLConfig, resume_checkpoint
from osmckp_env.training.sft import _require, load_model_and_tokenizer, lora_config, train_and_save

logger = logging.getLogger("osmckp.training")


def rarl_suites(cfg: RARLConfig) -> list:
    """RARL's training exams, one suite per order, all with the same problem triples (one seed),
    as the evaluation suites are: one reference run's easy order covers them all. From the
    training pools, or from ``cfg.pool`` (``arith``, ``rg-<dataset>``) under the training split."""
    per = max(1, cfg.n_exams // len(cfg.orders))
    out = []
    for order in cfg.orders:
        config = SuiteConfig(order=order, budget=cfg.budget, n_exams=per, split="train", seed=cfg.seed, pool=cfg.pool)
        out.append(build_suite(config, name=standard_name(config) + ("" if cfg.seed == 0 else f"-seed{cfg.seed}")))
    return out


def check_regret_reference(cfg: RARLConfig) -> None:
    """With ``reward: regret``, refuse (before any model loads) a reference that lacks any training
    exam, naming the ``osmckp run`` command that makes one."""
    if cfg.reward != "regret" and cfg.regret_reference is None:
        return

    ref = regret_reference(cfg.regret_reference)
    for suite in rarl_suites(cfg):
        ref.check_covers(suite.exams, suite.name, n_exams=len(suite) if cfg.seed == 0 else None)


def rarl_dataset(cfg: RARLConfig):
    """Training-split exams in each of ``cfg.orders`` at ``cfg.budget`` with the MFT prompt."""
    import datasets

    parts = []
    for suite in rarl_suites(cfg):
        ds = suite.to_dataset()
        bins = LevelBins(edges=cfg.level_edges)
        ds = ds.map(
            lambda row, s=suite, b=bins: {"prompt": exam_messages(s[row["exam_index"]], with_levels=True, bins=b)}
        )
        parts.append(ds)
    return datasets.concatenate_datasets(parts).shuffle(seed=cfg.seed)


class ExamRewards:
    """RARL's TRL reward functions: the training reward plus zero-weight ones that TRL logs per
    step, all views of one ``ExamReward`` (so a batch is scored once, keyed on its content)."""

    METRICS = (*REWARD_KINDS, *LOG_TERMS)

    def __init__(
        self,
        tokenizer=None,
        bins: LevelBins | None = None,
        grader: Grader | None = None,
        *,
        counter=None,
        regret_reference=None,
    ) -> None:
        """Tokens are counted with the policy's ``tokenizer`` (or a ``TokenCounter`` given as ``counter``)."""

        if counter is None and tokenizer is None:
            raise ValueError("ExamRewards needs the policy's tokenizer or a counter")
        self.counter = counter or HFTokenCounter(tokenizer, getattr(tokenizer, "name_or_path", "") or "policy")
        self.bins = bins or LevelBins()
        self.reward = ExamReward(
            "score",
            counter=self.counter,
            bins=self.bins,
            grader=grader or default_grader(),
            regret_reference=regret_reference,
        )
        self.reference = self.reward.reference

    def _score(self, completions, **columns):
        return self.reward.records(completions, **columns)

    def function(self, metric: str):
        return self.reward.metric(metric)

    def functions(self, train_on: str = "rarl"):
        metrics = [m for m in self.METRICS if m != "regret" or self.reference is not None]
        names = [train_on] + [m for m in metrics if m != train_on]
        return [self.function(m) for m in names], [1.0] + [0.0] * (len(names) - 1)


def check_checkpoint_bins(model: str, level_edges) -> None:
    """Refuse RARL with bins other than the ones the MFT checkpoint learned (its ``osmckp_train.json``
    records them): its level tags would be rewarded against the wrong bins, silently."""
    import json
    from pathlib import Path

    meta = Path(str(model)) / "osmckp_train.json"
    if not meta.is_file():
        return
    learned = json.loads(meta.read_text(encoding="utf-8")).get("level_edges")
    if learned is not None and tuple(learned) != tuple(level_edges):
        raise ValueError(
            f"the MFT checkpoint {model} was trained on level bins {list(learned)} (its osmckp_train.json), "
            f"but RARL is configured with level_edges {list(level_edges)}; set level_edges: {list(learned)} "
            "(or retrain MFT on the new bins)"
        )


ZERO_STD_HINT = (
    "most GRPO groups have the same reward for every completion, so the advantages and the loss are 0 and "
    "the policy does not move. Likely causes: the completions carry no <predicted_level> tags or no \\boxed{} "
    "answers (check the model is an MFT checkpoint and the prompt asks for levels), or the budget is too small "
    "for any answer to finish (raise `budget`); a larger num_generations or temperature also helps."
)


class ZeroVarianceWatch:
    """Counts the GRPO groups whose completions all got the same reward (zero variance: advantage 0,
    no learning signal) from TRL's ``frac_reward_zero_std``, and warns (log and final summary) when
    a share >= ``fraction`` of the groups had zero variance for ``steps`` logged steps in a row, or
    when every group of the run had: RARL that silently learns nothing."""

    def __init__(self, fraction: float = 0.9, steps: int = 3) -> None:
        self.fraction, self.steps = fraction, steps
        self.run = 0
        self.flat_steps = 0
        self.logged_steps = 0
        self.groups = 0
        self.groups_zero_std = 0
        self.warnings: list[str] = []
        self.counts = self.report()  # kept current (osmckp_train.json holds this dict)

    def callback(self):
        from transformers import TrainerCallback

        watch = self

        class _CB(TrainerCallback):
            def on_log(self, args, state, control, logs=None, **kw):
                watch.observe(state.global_step, (logs or {}).get("frac_reward_zero_std"), groups_per_log(args))

            def on_train_end(self, args, state, control, **kw):
                logger.info("RARL reward variance: %s", watch.report())
                final = watch.summary()
                if final:
                    logger.warning(final)
                    watch.warnings.append(final)

        return _CB()

    def observe(self, step: int, frac: float | None, groups: int = 0) -> None:
        """One logged step: TRL's ``frac_reward_zero_std`` over the ``groups`` it averaged."""
        if frac is None:
            return
        self.logged_steps += 1
        self.groups += groups
        self.groups_zero_std += round(frac * groups)
        flat = frac >= self.fraction
        self.flat_steps += flat
        self.run = self.run + 1 if flat else 0
        self.counts.update(self.report())
        if self.run == self.steps:
            msg = (
                f"RARL step {step}: {self.run} steps in a row with frac_reward_zero_std >= {self.fraction}: "
                + ZERO_STD_HINT
            )
            logger.warning(msg)
            self.warnings.append(msg)

    def replay(self, checkpoint: str | None, groups: int) -> None:
        """Count the logged steps of the run a resumed run continues (its ``checkpoint``'s
        ``trainer_state.json``), so that ``reward_variance`` covers the whole run, not only the steps
        after the resume. Nothing without a checkpoint."""
        import json
        from pathlib import Path

        state = Path(checkpoint) / "trainer_state.json" if checkpoint else None
        if state is None or not state.is_file():
            return
        for h in json.loads(state.read_text(encoding="utf-8")).get("log_history", []):
            self.observe(h.get("step", 0), h.get("frac_reward_zero_std"), groups)

    def report(self) -> dict:
        """The counts for ``osmckp_train.json``: groups seen, groups with one reward for all."""
        return {
            "logged_steps": self.logged_steps,
            "groups": self.groups,
            "groups_zero_std": self.groups_zero_std,
            "groups_varied": self.groups - self.groups_zero_std,
        }

    def summary(self) -> str | None:
        if self.groups and self.groups_zero_std == self.groups:
            return (
                f"RARL: all completions in a group got the same reward, in all {self.groups} groups of "
                f"{self.logged_steps} logged steps: no learning signal. " + ZERO_STD_HINT
            )
        if self.logged_steps and self.flat_steps / self.logged_steps >= 0.5:
            return (
                f"RARL: {self.flat_steps} of {self.logged_steps} logged steps had frac_reward_zero_std >= "
                f"{self.fraction} ({self.groups_zero_std} of {self.groups} groups had the same reward for every "
                "completion): " + ZERO_STD_HINT
            )
        return None


def groups_per_log(args) -> int:
    """GRPO groups behind one logged ``frac_reward_zero_std`` (TRL averages its generations since
    the last log): groups per generation x generations per logged step."""
    n_gen = getattr(args, "num_generations", None)
    batch = getattr(args, "generation_batch_size", None)
    if not n_gen or not batch:
        return 0
    per_gen = batch // n_gen
    gens = args.logging_steps * args.gradient_accumulation_steps / (args.steps_per_generation * args.num_iterations)
    return max(1, round(per_gen * gens))


def grpo_args(cfg: RARLConfig, reward_weights: list[float]):
    """TRL's ``GRPOConfig`` for ``cfg``: ``cfg.trl_options`` (Dr. GRPO defaults under the config's
    ``grpo:`` mapping), the exam budget as the hard cut, osmckp's reward weights and seed. TRL
    validates the options; an unknown one is refused with a did-you-mean."""
    _require()
    import torch
    from trl import GRPOConfig

    return GRPOConfig(
        output_dir=cfg.output_dir,
        max_completion_length=cfg.budget,
        reward_weights=reward_weights,
        seed=cfg.seed,
        data_seed=cfg.seed,
        **cfg.trl_kwargs(GRPOConfig, use_cpu=not torch.cuda.is_available()),
    )


def train_rarl(
    cfg: RARLConfig,
    *,
    dataset=None,
    grader: Grader | None = None,
    callbacks=None,
    extra_rewards: list[tuple] | None = None,
    rollout_func=None,
) -> dict:
    """Run Dr. GRPO (``loss_type='dr_grpo'``, no std scaling) with the exam's hard cut as
    ``max_completion_length``; writes the checkpoint and ``osmckp_train.json``.

    ``extra_rewards``: ``(fn, weight)`` pairs of TRL-shaped reward functions added to the env's
    reward (shaping terms such as a length penalty); they are logged like the others.
    ``rollout_func``: TRL's (experimental) custom generation hook, passed through. ``cfg.resume``
    continues an interrupted run. A run whose groups keep zero reward variance is warned about
    in the log and in ``warnings`` of the returned summary.
    """
    _require()
    from trl import GRPOTrainer

    check_checkpoint_bins(cfg.model, cfg.level_edges)
    grpo_args(cfg, [])  # TRL validates the options before anything loads
    if dataset is None:
        check_regret_reference(cfg)
    ds = dataset if dataset is not None else rarl_dataset(cfg)
    model, tok = load_model_and_tokenizer(cfg.model, cfg.bf16)
    rewards = ExamRewards(
        tok, bins=LevelBins(edges=cfg.level_edges), grader=grader, regret_reference=cfg.regret_reference
    )
    funcs, weights = rewards.functions(cfg.reward)
    for fn, w in extra_rewards or []:
        funcs.append(fn)
        weights.append(float(w))
    args = grpo_args(cfg, weights)
    watch = ZeroVarianceWatch(cfg.zero_std_warn_fraction, cfg.zero_std_warn_steps)
    watch.replay(resume_checkpoint(cfg), groups_per_log(args))  # a resumed run's earlier steps count too
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=funcs,
        args=args,
        train_dataset=ds,
        processing_class=tok,
        peft_config=lora_config(cfg.lora_r, cfg.lora_alpha) if cfg.lora_r > 0 else None,
        callbacks=[*(callbacks or []), watch.callback()],
        rollout_func=rollout_func,
    )
    return train_and_save(
        trainer,
        tok,
        cfg,
        "rarl",
        n_exams=len(ds),
        warnings=watch.warnings,
        reward_variance=watch.counts,
        level_edges=list(cfg.level_edges),
    )
