"""Procedural suites: exams from a pool, made from a seed, named by name or by content."""

from __future__ import annotations

from collections import Counter

import pytest

from osmckp_env.exam import ArithmeticPool, ArithmeticTier, ReasoningGymPool
from osmckp_env.exam.levels import LevelBins
from osmckp_env.exam.suites import (
    PROCEDURAL_N_EXAMS,
    Suite,
    SuiteConfig,
    build_suite,
    get_suite,
    is_named_suite,
    list_suites,
    named_suite_config,
    resolve_suite,
    suite_stem,
)

# Stored hashes: the same seed gives the same exams on every machine (sha256 seeds and Python's
# random.Random, never hash()). A change here changes every procedural suite: say so in the Changelog.
GOLDEN = {
    "arith-medium-128": "b456c9e824663ad2",  # all 500 exams
    "arith-medium-128/5": "775a03b21b1b8728",  # its first 5
    "custom": "9cfca4eee9c2380b",  # five problems, 4-digit hard tier, seed 11 (below)
}
GOLDEN_RG = ("0.1.25", "428392908894b3f4")  # rg-chain_sum-medium-128, first 5 exams, under this reasoning-gym


def custom_config(**changes) -> SuiteConfig:
    pool = ArithmeticPool(hard=ArithmeticTier(digits=4, terms=3, ops="+-*"))
    return SuiteConfig(pool=pool, n_problems=5, order="hard", budget=256, n_exams=20, seed=11).replace(**changes)


class TestDeterminism:
    def test_the_same_seed_gives_the_stored_exams(self):
        assert get_suite("arith-medium-128").hash == GOLDEN["arith-medium-128"]
        assert get_suite("arith-medium-128", n_exams=5).hash == GOLDEN["arith-medium-128/5"]
        assert build_suite(custom_config()).hash == GOLDEN["custom"]

    def test_reasoning_gym_suites_are_stored_too(self):
        pytest.importorskip("reasoning_gym")
        from osmckp_env.exam.pools.rg import version

        a = get_suite("rg-chain_sum-medium-128", n_exams=5)
        assert a.hash == build_suite(named_suite_config("rg-chain_sum-medium-128").replace(n_exams=5)).hash
        if version() == GOLDEN_RG[0]:
            assert a.hash == GOLDEN_RG[1]

    def test_a_new_seed_gives_new_exams_and_the_first_exams_stand_alone(self):
        a, b = build_suite(custom_config()), build_suite(custom_config(seed=12))
        ids_a = {p.id for e in a for p in e.problems}
        assert not ids_a & {p.id for e in b for p in e.problems}
        assert a.name.startswith("custom-arith-5p-hard-256-") and a.name != b.name
        head = build_suite(custom_config(n_exams=3))
        assert [e.problems for e in head] == [e.problems for e in a.exams[:3]]  # random access: exam i alone
        train = build_suite(custom_config(split="train"))
        assert not ids_a & {p.id for e in train for p in e.problems}


class TestTiersAndOrders:
    def test_slots_honour_their_tiers(self):
        s = build_suite(custom_config(tiers=("easy", "hard", "hard", "medium", "easy"), order="easy"))
        for e in s:
            assert [p.tier for p in e.problems] == ["easy", "easy", "medium", "hard", "hard"]
            assert len({p.problem for p in e.problems}) == 5
            assert all(len(p.problem.split(" ")[2]) == 4 for p in e.problems if p.tier == "hard")

    def test_orders_share_problems_and_medium_is_interleaved(self):
        med, hard, easy = (get_suite(f"arith-{o}-128", n_exams=40) for o in ("medium", "hard", "easy"))
        for m, h, e in zip(med, hard, easy):
            assert m.key == h.key == e.key
            assert [p.tier for p in h.problems] == ["hard", "medium", "easy"]
            assert [p.tier for p in e.problems] == ["easy", "medium", "hard"]
            assert [p.tier for p in m.problems] not in (["easy", "medium", "hard"], ["hard", "medium", "easy"])
        assert len(Counter(tuple(p.tier for p in e.problems) for e in med)) == 4
        assert med.with_order("easy").hash == easy.hash and med.with_order("easy").name == "arith-easy-128"

    def test_too_small_a_pool_for_distinct_problems_is_refused(self):
        tiny = ArithmeticPool(easy=ArithmeticTier(digits=1, terms=2, ops="*"))
        cfg = SuiteConfig(pool=tiny, n_problems=100, tiers=("easy",) * 100, order="easy", n_exams=1)
        with pytest.raises(ValueError, match="too few distinct problems"):
            build_suite(cfg)


class TestNames:
    def test_any_order_and_budget_by_name(self):
        for name in ("arith-medium-128", "arith-easy-96", "train-arith-hard-160", "rg-chain_sum-hard-256"):
            assert is_named_suite(name)
        cfg = named_suite_config("train-arith-hard-160")
        assert (cfg.order, cfg.budget, cfg.split, cfg.pool) == ("hard", 160, "train", ArithmeticPool())
        assert named_suite_config("rg-chain_sum-easy-64").pool == ReasoningGymPool("chain_sum")
        assert suite_stem(cfg) == "train-arith-hard" and not is_named_suite("arith-sideways-128")
        with pytest.raises(KeyError, match="arith-<order>-<B>"):
            named_suite_config("arith-128")

    def test_a_budget_override_and_a_trial_keep_the_name(self):
        s = resolve_suite("arith-medium-128", budget=160, n_exams=4)
        assert s.name == "arith-medium-160" and len(s) == 4 and s.config.budget == 160
        assert s.hash == get_suite("arith-medium-160", n_exams=4).hash
        assert len(get_suite("arith-hard-96")) == PROCEDURAL_N_EXAMS
        assert build_suite(SuiteConfig(pool="arith", budget=128, n_exams=2)).name == "arith-medium-128"
        rows = {r["name"]: r for r in list_suites()}
        assert rows["arith-medium-128"]["hash"] == GOLDEN["arith-medium-128"]

    def test_suite_files_and_datasets_keep_the_pool_and_verifiers(self, tmp_path):
        s = build_suite(custom_config(n_exams=3))
        back = Suite.from_jsonl(s.to_jsonl(tmp_path / "s.jsonl"))
        assert (back.name, back.hash, back.config.to_dict()) == (s.name, s.hash, s.config.to_dict())
        assert back.config.to_dict()["pool"]["hard"] == {"digits": 4, "terms": 3, "ops": "+-*"}
        assert "pool" not in get_suite("medium-512", n_exams=1).config.to_dict()  # bundled: as before

    def test_reasoning_gym_suites_roundtrip_with_their_verifiers(self, tmp_path):
        pytest.importorskip("reasoning_gym")
        pytest.importorskip("datasets")
        s = get_suite("rg-chain_sum-hard-256", n_exams=2)
        back = Suite.from_jsonl(s.to_jsonl(tmp_path / "rg.jsonl"))
        assert back.hash == s.hash and back.name == s.name and back[0].problems[0].verifier
        ds = Suite.from_dataset(s.to_dataset(), s.name)
        assert [p.verifier for p in ds[1].problems] == [p.verifier for p in s[1].problems]
        assert s.config.to_dict()["pool"]["tier_knobs"]["hard"]["max_digits"] == 3

    def test_level_bins_for_small_budgets_follow_for_budget(self):
        from osmckp_env.runner.spec import AgentSpec

        spec = AgentSpec(name="x", agent="direct", backend="scripted", level_edges="auto")
        assert spec.bins(get_suite("arith-medium-128", n_exams=1).config.budget) == LevelBins.for_budget(128)
