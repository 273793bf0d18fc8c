"""RARL on verl: our parquet and reward against verl itself. The tests marked ``verl`` need
verl, which pins transformers 5.10.x: CI runs them in their own virtual environment
(``.ci/run``); here they skip when verl is not installed."""

import gzip
import json
from pathlib import Path

import pytest
from conftest import completion

from osmckp_env.training.verl import compute_score, write_verl_data

RECIPE = Path(__file__).resolve().parents[2] / "benchmarks" / "recipes" / "verl" / "rarl_overrides.yaml"


def _completions(row):
    golds = list(row["extra_info"]["answers"])
    return [
        completion(golds, levels=[0, 0, 0]),  # all right, levels right
        completion(golds, levels=[2, 0, 1]),  # all right, one level right
        completion([golds[0], "NA", "0"], levels=[0, 3, 0]),  # right, skip, wrong
        "no format at all",
    ]


@pytest.fixture(scope="module")
def parquet(tmp_path_factory):
    return write_verl_data(tmp_path_factory.mktemp("verl"), split="train", budget=512, n_exams=3)


def test_export_writes_verls_schema_from_the_training_pools(parquet):
    import pandas as pd

    df = pd.read_parquet(parquet)
    assert list(df.columns) == ["data_source", "prompt", "ability", "reward_model", "extra_info"]
    assert len(df) == 6 and set(df["extra_info"].map(lambda x: x["order"])) == {"medium", "hard"}
    row = df.iloc[0]
    assert row["reward_model"]["style"] == "rule"
    assert json.loads(row["reward_model"]["ground_truth"]) == list(row["extra_info"]["answers"])
    assert [m["role"] for m in row["prompt"]] == ["system", "user"] and "<predicted_level>" in row["prompt"][1][
        "content"
    ]
    ids = {i for x in df["extra_info"] for i in x["problem_ids"]}
    assert all(
        i.startswith(("gsm8k-train", "math-train", "math-test", "aime-2022", "aime-2023", "aime-2024")) for i in ids
    )


def test_the_env_the_trl_reward_and_verls_compute_score_agree(parquet, grader):
    import gymnasium as gym
    import pandas as pd

    import osmckp_env  # noqa: F401
    from osmckp_env.exam.problems import Problem
    from osmckp_env.exam.suites import Exam, Suite, SuiteConfig
    from osmckp_env.scoring.rewards import make_exam_reward

    df = pd.read_parquet(parquet)
    for _, row in df.iterrows():
        x = row["extra_info"]
        probs = tuple(Problem(i, "", "", g, t) for i, g, t in zip(x["problem_ids"], x["answers"], x["tiers"]))
        exam = Exam(0, probs, int(x["budget"]), x["order"])
        suite = Suite("one", SuiteConfig(order=x["order"], budget=int(x["budget"]), n_exams=1), (exam,))
        for kind in ("rarl", "score"):
            env = gym.make("OSMCKP-v0", suite=suite, reward=kind, grader=grader)
            texts = _completions(row)
            from_env = []
            for t in texts:
                env.reset(options={"exam_index": 0})
                from_env.append(env.step(t)[1])
            fn = make_exam_reward(kind, grader=grader)
            cols = dict(
                problem_ids=[list(x["problem_ids"])] * 4,
                answers=[list(x["answers"])] * 4,
                tiers=[list(x["tiers"])] * 4,
                budget=[int(x["budget"])] * 4,
                order=[x["order"]] * 4,
            )
            from_trl = fn([""] * 4, texts, **cols)
            from_verl = [
                compute_score(row["data_source"], t, row["reward_model"]["ground_truth"], dict(x), reward=kind)["score"]
                for t in texts
            ]
            assert from_env == from_trl == from_verl
            assert len(set(from_env)) > 1


def test_compute_score_refuses_data_it_cannot_score():
    with pytest.raises(ValueError, match="export verl"):
        compute_score("osmckp", "x", "[]", {})


# -- against verl itself ----------------------------------------------------------------------
def _verl():
    return pytest.importorskip("verl", reason="verl runs in its own virtual environment (see .ci/run)")


def _tokenizer():
    from transformers import PreTrainedTokenizerFast

    from osmckp_env.backends.base import CHATML_TEMPLATE

    raw = gzip.decompress(
        (
            Path(__import__("osmckp_env").__file__).parent / "data" / "tokenizers" / "qwen2.5" / "tokenizer.json.gz"
        ).read_bytes()
    )
    path = Path(__import__("tempfile").mkdtemp()) / "tokenizer.json"
    path.write_bytes(raw)
    tok = PreTrainedTokenizerFast(tokenizer_file=str(path), eos_token="<|im_end|>", pad_token="<|endoftext|>")
    tok.chat_template = CHATML_TEMPLATE  # the bundled tokenizer has none
    return tok


@pytest.mark.verl
def test_verls_dataset_class_loads_our_parquet(parquet):
    _verl()
    from omegaconf import OmegaConf
    from verl.utils.dataset.rl_dataset import RLHFDataset

    ds = RLHFDataset(
        str(parquet),
        _tokenizer(),
        OmegaConf.create(
            {
                "max_prompt_length": 4096,
                "prompt_key": "prompt",
                "filter_overlong_prompts": True,
                "cache_dir": str(parquet.parent / "cache"),
            }
        ),
    )
    assert len(ds) == 6
    item = ds[0]
    assert [m["role"] for m in item["raw_prompt"]] == ["system", "user"]
    assert item["extra_info"]["budget"] == 512 and item["data_source"] == "osmckp"


@pytest.mark.verl
def test_verls_naive_reward_manager_gives_the_envs_rewards(parquet, grader):
    _verl()
    import gymnasium as gym
    import numpy as np
    import pandas as pd
    import torch
    from verl import DataProto
    from verl.workers.reward_manager.naive import NaiveRewardManager

    import osmckp_env  # noqa: F401
    from osmckp_env.exam.problems import Problem
    from osmckp_env.exam.suites import Exam, Suite, SuiteConfig

    tok = _tokenizer()
    row = pd.read_parquet(parquet).iloc[0]
    texts = _completions(row)
    prompt = tok.apply_chat_template(list(row["prompt"]), add_generation_prompt=True, tokenize=True, return_dict=True)[
        "input_ids"
    ]
    resp = [tok(t, add_special_tokens=False)["input_ids"] for t in texts]
    P, R = len(prompt), max(map(len, resp))
    responses = torch.full((4, R), tok.pad_token_id)
    attention = torch.zeros((4, P + R), dtype=torch.long)
    for i, r in enumerate(resp):
        responses[i, : len(r)] = torch.tensor(r)
        attention[i, :P] = 1
        attention[i, P : P + len(r)] = 1
    data = DataProto.from_dict(
        tensors={"prompts": torch.tensor([prompt] * 4), "responses": responses, "attention_mask": attention},
        non_tensors={
            "data_source": np.array([row["data_source"]] * 4, dtype=object),
            "reward_model": np.array([row["reward_model"]] * 4, dtype=object),
            "extra_info": np.array([dict(row["extra_info"]) for _ in range(4)], dtype=object),
        },
    )
    out = NaiveRewardManager(tok, num_examine=0, compute_score=compute_score)(data, return_dict=True)
    reward = out["reward_tensor"]
    x = row["extra_info"]
    probs = tuple(Problem(i, "", "", g, t) for i, g, t in zip(x["problem_ids"], x["answers"], x["tiers"]))
    suite = Suite("one", SuiteConfig(order=x["order"], budget=512, n_exams=1), (Exam(0, probs, 512, x["order"]),))
    env = gym.make("OSMCKP-v0", suite=suite, reward="rarl", grader=grader)
    for i in range(len(texts)):
        env.reset(options={"exam_index": 0})
        expected = env.step(tok.decode(resp[i], skip_special_tokens=True))[1]
        # the token-level reward sits on the response's last token, zeros elsewhere
        assert reward[i, len(resp[i]) - 1].item() == expected and reward[i].sum().item() == expected
    assert len(set(reward.sum(1).tolist())) > 1


@pytest.mark.verl
def test_verls_config_loader_accepts_the_recipe():
    verl = _verl()
    import yaml
    from hydra import compose, initialize_config_dir

    overrides = yaml.safe_load(RECIPE.read_text())
    config_dir = str(Path(verl.__file__).parent / "trainer" / "config")
    with initialize_config_dir(config_dir=config_dir, version_base=None):
        cfg = compose(config_name="ppo_trainer", overrides=overrides)
    assert cfg.algorithm.adv_estimator == "grpo" and cfg.algorithm.norm_adv_by_std_in_grpo is False
    assert cfg.actor_rollout_ref.actor.loss_agg_mode == "seq-mean-token-sum-norm"
    assert cfg.actor_rollout_ref.actor.use_kl_loss is False and cfg.actor_rollout_ref.rollout.n == 8
    assert cfg.reward.custom_reward_function.name == "compute_score"
    assert Path(Path(__file__).resolve().parents[2] / cfg.reward.custom_reward_function.path).is_file()
