"""RARL (Dr. GRPO through TRL) on the tiny local model with a scripted policy: the env's rarl reward
alone moves probability toward the better completions; resume; reproducibility; the silent-failure
warning."""

import dataclasses
import logging

import pytest

pytest.importorskip("trl")

import datasets  # noqa: E402
import torch  # noqa: E402
from conftest import count_steps, stop_at  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402

from osmckp_env.exam.problems import load_pool  # noqa: E402
from osmckp_env.exam.prompts import exam_messages  # noqa: E402
from osmckp_env.exam.suites import Exam  # noqa: E402
from osmckp_env.training.config import RARLConfig  # noqa: E402
from osmckp_env.training.rarl import train_rarl  # noqa: E402

PROBLEMS = load_pool("train", "easy")[:8]


def one_problem_exams(n):
    rows = {"prompt": [], "problem_ids": [], "answers": [], "tiers": [], "budget": [], "order": []}
    for i, p in enumerate(PROBLEMS[:n]):
        rows["prompt"].append(exam_messages(Exam(i, (p,), 64, "medium"), with_levels=True))
        rows["problem_ids"].append([p.id])
        rows["answers"].append([p.answer])
        rows["tiers"].append(["easy"])
        rows["budget"].append(64)
        rows["order"].append("medium")
    return datasets.Dataset.from_dict(rows)


def variants(answer):
    """Inside a group: correct with the right level (rarl 1), correct with a wrong level, skip, wrong."""
    tag = "### Problem 1\n<predicted_level>Level-{}</predicted_level>\n"
    return [
        tag.format(0) + f"\\boxed{{{answer}}}",
        tag.format(2) + f"\\boxed{{{answer}}}",
        tag.format(3) + "\\boxed{NA}",
        tag.format(0) + f"\\boxed{{{int(answer) + 1}}}",
    ]


def scripted_rollout(seen=None):
    by_text = {exam_messages(Exam(0, (p,), 64, "medium"), with_levels=True)[-1]["content"]: p for p in PROBLEMS}

    def rollout(prompts, trainer):
        tok = trainer.processing_class
        prompt_ids, completion_ids = [], []
        for i, prompt in enumerate(prompts):
            p = by_text[prompt[-1]["content"]]
            if seen is not None and i == 0:
                seen.append(p.id)
            prompt_ids.append(
                tok.apply_chat_template(prompt, add_generation_prompt=True, tokenize=True, return_dict=True)[
                    "input_ids"
                ]
            )
            text = variants(p.answer)[i % 4]
            completion_ids.append(tok(text, add_special_tokens=False)["input_ids"] + [tok.eos_token_id])
        return {"prompt_ids": prompt_ids, "completion_ids": completion_ids, "logprobs": None}

    return rollout


def rarl_cfg(model, out, **kw):
    """A tiny RARL config; keyword arguments that are not RARLConfig fields are TRL options."""
    own = {f.name for f in dataclasses.fields(RARLConfig)}
    grpo = dict(num_generations=4, per_device_train_batch_size=4, max_steps=1, learning_rate=1e-3, save_steps=1000)
    grpo.update({k: v for k, v in kw.items() if k not in own})
    base = dict(model=str(model), output_dir=str(out), budget=64)
    return RARLConfig(**{**base, **{k: v for k, v in kw.items() if k in own}}, grpo=grpo)


def completion_logps(model_path, prompt, texts):
    tok = AutoTokenizer.from_pretrained(model_path)
    model = AutoModelForCausalLM.from_pretrained(model_path).eval()
    ids = tok.apply_chat_template(prompt, add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"]
    out = []
    for t in texts:
        c = tok(t, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
        x = torch.tensor([ids + c])
        with torch.no_grad():
            logp = torch.log_softmax(model(x).logits[0, :-1].float(), -1)
        out.append(sum(logp[len(ids) - 1 + j, c[j]].item() for j in range(len(c))))
    return out


def test_one_grpo_step_on_the_rarl_reward_alone_favours_the_better_completions(tmp_path, tiny_checkpoint, grader):
    ds = one_problem_exams(1)
    meta = train_rarl(
        rarl_cfg(tiny_checkpoint, tmp_path / "rl"), dataset=ds, grader=grader, rollout_func=scripted_rollout()
    )
    log = next(h for h in meta["log_history"] if "rewards/rarl/mean" in h)
    assert log["rewards/rarl/mean"] == pytest.approx(0.25) and log["frac_reward_zero_std"] == 0.0
    assert log["rewards/score/mean"] == pytest.approx(0.5)  # two of four are correct
    texts = variants(PROBLEMS[0].answer)
    before = completion_logps(str(tiny_checkpoint), ds[0]["prompt"], texts)
    after = completion_logps(str(tmp_path / "rl"), ds[0]["prompt"], texts)
    delta = [a - b for a, b in zip(after, before)]
    # the only completion with reward 1 gains probability, and more than any zero-reward one
    assert delta[0] > 0 and delta[0] > max(delta[1:])
    assert meta["warnings"] == []
    # one step, one group of four completions with rewards 1, 0, 0, 0: a group that varied
    assert meta["reward_variance"] == {"logged_steps": 1, "groups": 1, "groups_zero_std": 0, "groups_varied": 1}


def test_resume_continues_with_the_same_exam_order(tmp_path, tiny_checkpoint, grader):
    ds = one_problem_exams(4)
    kw = dict(max_steps=4, save_steps=2)
    full_seen, cut_seen = [], []
    train_rarl(
        rarl_cfg(tiny_checkpoint, tmp_path / "full", **kw),
        dataset=ds,
        grader=grader,
        rollout_func=scripted_rollout(full_seen),
    )
    first = train_rarl(
        rarl_cfg(tiny_checkpoint, tmp_path / "cut", **kw),
        dataset=ds,
        grader=grader,
        rollout_func=scripted_rollout(cut_seen),
        callbacks=[stop_at(2)],
    )
    assert first["global_step"] == 2
    steps = count_steps()
    resumed = train_rarl(
        rarl_cfg(tiny_checkpoint, tmp_path / "cut", resume="auto", **kw),
        dataset=ds,
        grader=grader,
        rollout_func=scripted_rollout(cut_seen),
        callbacks=[steps],
    )
    assert resumed["global_step"] == 4 and steps.n == 2 and resumed["resumed_from"].endswith("checkpoint-2")
    assert cut_seen == full_seen and len(set(full_seen)) == 4


def test_same_seed_same_first_step(tmp_path, tiny_checkpoint, grader):
    ds = one_problem_exams(2)
    runs = []
    for name in ("a", "b"):
        train_rarl(
            rarl_cfg(tiny_checkpoint, tmp_path / name), dataset=ds, grader=grader, rollout_func=scripted_rollout()
        )
        runs.append(AutoModelForCausalLM.from_pretrained(tmp_path / name).state_dict())
    assert all(torch.equal(runs[0][k], runs[1][k]) for k in runs[0])
    # sampling from the model itself is seeded too
    lengths = []
    for name in ("c", "d"):
        meta = train_rarl(rarl_cfg(tiny_checkpoint, tmp_path / name, budget=24), dataset=ds, grader=grader)
        lengths.append([h.get("completions/mean_length") for h in meta["log_history"] if "loss" in h])
    assert lengths[0] == lengths[1] and lengths[0][0] is not None


def test_zero_reward_variance_is_warned_about(tmp_path, tiny_checkpoint, grader, caplog):
    # the random tiny model writes no tags and no boxes: every reward is 0, every group flat
    cfg = rarl_cfg(tiny_checkpoint, tmp_path / "flat", budget=16, max_steps=3, zero_std_warn_steps=2)
    with caplog.at_level(logging.WARNING, logger="osmckp.training"):
        meta = train_rarl(cfg, dataset=one_problem_exams(3), grader=grader)
    assert len(meta["warnings"]) == 2  # once after 2 flat steps in a row, once in the final summary
    assert "frac_reward_zero_std" in caplog.text and "predicted_level" in caplog.text
    # 3 steps x one group of 4 (batch 4, num_generations 4), every one flat: said with the counts
    assert meta["reward_variance"] == {"logged_steps": 3, "groups": 3, "groups_zero_std": 3, "groups_varied": 0}
    assert "all completions in a group got the same reward, in all 3 groups" in meta["warnings"][-1]
    assert "no learning signal" in meta["warnings"][-1]


def test_groups_per_logged_step_follow_the_generation_batch(tmp_path):
    """TRL's frac_reward_zero_std averages the groups generated since the last log: batch 4 x 2
    accumulation steps, 2 generations per prompt, logging every 3 steps -> 4 groups x 3 steps."""
    from trl import GRPOConfig

    from osmckp_env.training.rarl import ZeroVarianceWatch, groups_per_log

    args = GRPOConfig(
        output_dir=str(tmp_path), per_device_train_batch_size=4, gradient_accumulation_steps=2, num_generations=2,
        logging_steps=3, use_cpu=True, report_to="none",
    )  # fmt: skip
    assert groups_per_log(args) == 12
    watch = ZeroVarianceWatch(fraction=0.9, steps=3)
    watch.observe(3, 0.25, 12)
    watch.observe(6, 1.0, 12)
    assert watch.report() == {"logged_steps": 2, "groups": 24, "groups_zero_std": 15, "groups_varied": 9}
    assert watch.summary() is not None and "15 of 24 groups" in watch.summary()


def test_a_resumed_runs_reward_variance_counts_the_steps_before_the_resume(tmp_path):
    """The laptop demo's RARL resumed at step 2 reported 1 logged step: the watch counted only the
    steps of the resumed process."""
    import json

    from osmckp_env.training.rarl import ZeroVarianceWatch

    ckpt = tmp_path / "checkpoint-2"
    ckpt.mkdir()
    history = [{"step": 1, "frac_reward_zero_std": 1.0}, {"step": 1, "train_loss": 0.0}]
    history.append({"step": 2, "frac_reward_zero_std": 0.5})
    (ckpt / "trainer_state.json").write_text(json.dumps({"global_step": 2, "log_history": history}))
    watch = ZeroVarianceWatch(fraction=0.9, steps=3)
    watch.replay(str(ckpt), 2)
    watch.observe(3, 1.0, 2)
    assert watch.report() == {"logged_steps": 3, "groups": 6, "groups_zero_std": 5, "groups_varied": 1}
    fresh = ZeroVarianceWatch()
    fresh.replay(None, 2)
    fresh.replay(str(tmp_path / "missing"), 2)
    assert fresh.report()["logged_steps"] == 0


def test_rewards_follow_their_completions_over_fresh_equal_length_lists():
    """The stale-reward bug: a cache keyed on id(completions) served the first batch's rewards to
    the next batch of the same length (CPython reuses a freed list's id at once)."""
    from osmckp_env.exam.tokenization import default_counter
    from osmckp_env.training.rarl import ExamRewards

    rewards = ExamRewards(counter=default_counter())
    fns, _ = rewards.functions("score")
    score = fns[0]
    cols = {"problem_ids": [["a"]], "answers": [["4"]], "tiers": [["easy"]], "budget": [64]}
    right, wrong = "### Problem 1\n\\boxed{4}", "### Problem 1\n\\boxed{5}"
    seen = []
    for i in range(6):
        text = right if i % 2 == 0 else wrong
        seen.append(score([""], [text], **cols))  # a fresh list each call, freed right after
    assert seen == [[1.0], [0.0]] * 3
    # the zero-weight logging functions of one batch still share one scoring
    batch = [right]
    first = rewards._score(batch, **cols)
    assert all(f([""], batch, **cols) is not None for f in fns) and rewards._score(list(batch), **cols) is first


def test_every_grpo_step_is_rewarded_for_its_own_completions(tmp_path, tiny_checkpoint, grader):
    """Several steps whose completions change from step to step (equal-length batches, the case in
    which an identity-keyed cache served the previous step's rewards): each step's logged rewards
    are those of its own completions."""
    by_text = {exam_messages(Exam(0, (p,), 64, "medium"), with_levels=True)[-1]["content"]: p for p in PROBLEMS}
    step = {"n": 0}
    correct_per_step = [1, 3, 0, 2]

    def rollout(prompts, trainer):
        tok = trainer.processing_class
        k = correct_per_step[step["n"] % len(correct_per_step)]
        step["n"] += 1
        prompt_ids, completion_ids = [], []
        for i, prompt in enumerate(prompts):
            p = by_text[prompt[-1]["content"]]
            prompt_ids.append(
                tok.apply_chat_template(prompt, add_generation_prompt=True, tokenize=True, return_dict=True)[
                    "input_ids"
                ]
            )
            answer = p.answer if i < k else str(int(p.answer) + 1)
            text = f"### Problem 1\n<predicted_level>Level-0</predicted_level>\n\\boxed{{{answer}}}"
            completion_ids.append(tok(text, add_special_tokens=False)["input_ids"] + [tok.eos_token_id])
        return {"prompt_ids": prompt_ids, "completion_ids": completion_ids, "logprobs": None}

    meta = train_rarl(
        rarl_cfg(tiny_checkpoint, tmp_path / "rl", max_steps=4, reward="score"),
        dataset=one_problem_exams(1),
        grader=grader,
        rollout_func=rollout,
    )
    logged = [h["rewards/score/mean"] for h in meta["log_history"] if "rewards/score/mean" in h]
    assert logged == pytest.approx([k / 4 for k in correct_per_step])


def test_the_reward_object_pickles_and_follows_its_completions():
    import pickle

    from osmckp_env.scoring.rewards import ExamReward

    cols = {"problem_ids": [["a"], ["b"]], "answers": [["4"], ["7"]], "tiers": [["easy"]] * 2, "budget": [64, 64]}
    reward = pickle.loads(pickle.dumps(ExamReward("score")))
    tokens = pickle.loads(pickle.dumps(reward.metric("tokens")))
    for i in range(8):
        a = "4" if i % 2 else "5"
        b = "7" if i % 3 else "8"
        got = reward(["", ""], [f"\\boxed{{{a}}}", f"\\boxed{{{b}}}"], **cols)
        assert got == [float(a == "4"), float(b == "7")]
    assert (
        tokens(["", ""], ["\\boxed{4}", "one two three \\boxed{7}"], **cols)[1]
        > tokens(["", ""], ["\\boxed{4}", "\\boxed{7}"], **cols)[1]
    )
