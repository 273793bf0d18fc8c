"""Procedural pools, each with reasoning-gym's four checks: knobs validated, same seed same items,
the shape of an item (its tier's knobs honoured), and the gold answer scoring 1.0."""

from __future__ import annotations

import json
import re

import pytest

from osmckp_env.exam.pools import (
    ArithmeticPool,
    ArithmeticTier,
    ReasoningGymPool,
    as_pool,
    pool_by_name,
    pool_from_dict,
)
from osmckp_env.exam.pools.arithmetic import evaluate
from osmckp_env.exam.problems import TIERS


class TestArithmeticPool:
    def test_knobs_are_validated(self):
        for bad in ({"digits": 0}, {"digits": 19}, {"terms": 1}, {"ops": "/"}, {"ops": ""}, {"digits": True}):
            with pytest.raises(ValueError):
                ArithmeticTier(**bad)
        with pytest.raises(ValueError, match="unknown knobs"):
            ArithmeticPool(easy={"digitz": 1})
        with pytest.raises(ValueError, match="unknown fields"):
            pool_from_dict({"kind": "arith", "extreme": {}})
        assert ArithmeticTier(ops="+-+").ops == "+-"

    def test_same_seed_same_item_alone_and_other_seeds_other_items(self):
        pool = ArithmeticPool()
        p = pool.problem("hard", 7, seed=3)
        assert p == ArithmeticPool().problem("hard", 7, seed=3)  # random access: made alone, the same
        others = [
            pool.problem("hard", 7, seed=4),
            pool.problem("hard", 7, seed=3, split="train"),
            pool.problem("hard", 8, seed=3),
        ]
        assert len({p.id, *(o.id for o in others)}) == 4
        assert sum(o.problem == p.problem for o in others) <= 1  # 900x900 sums: a repeat is rare
        assert p.id == "arith-dc8dd1a5-eval-s3-hard-7" and p.verifier == ""  # graded by math-verify

    def test_each_tier_honours_its_knobs_and_the_gold_is_the_value(self):
        pool = ArithmeticPool(
            easy=ArithmeticTier(digits=1, terms=2, ops="+"),
            medium=ArithmeticTier(digits=2, terms=3, ops="+-"),
            hard=ArithmeticTier(digits=4, terms=4, ops="+-*"),
        )
        for tier in TIERS:
            knobs = getattr(pool, tier)
            seen_ops = set()
            for i in range(60):
                p = pool.problem(tier, i, seed=1)
                expr = re.fullmatch(r"What is (.+)\?", p.problem).group(1)
                tokens = expr.split(" ")
                operands, ops = tokens[::2], tokens[1::2]
                assert p.tier == tier and len(operands) == knobs.terms
                assert all(len(x) == knobs.digits and x[0] != "0" for x in operands)
                assert set(ops) <= set(knobs.ops)
                seen_ops |= set(ops)
                assert int(p.answer) == eval(expr)  # an independent evaluation of the same expression
            assert seen_ops == set(knobs.ops)

    def test_evaluate_multiplies_first(self):
        assert evaluate([2, 3, 4], ["+", "*"]) == 14 and evaluate([10, 2, 3], ["-", "*"]) == 4
        assert evaluate([7, 5], ["-"]) == 2 and evaluate([3, 4, 5, 6], ["*", "-", "*"]) == -18

    def test_roundtrip_and_names(self):
        pool = ArithmeticPool(hard=ArithmeticTier(digits=5))
        assert pool_from_dict(json.loads(json.dumps(pool.to_dict()))) == pool and hash(pool) == hash(
            pool_from_dict(pool.to_dict())
        )
        assert pool.hash != ArithmeticPool().hash
        assert pool_by_name("arith") == ArithmeticPool() == as_pool("arith") and as_pool(None) is None
        with pytest.raises(ValueError, match="built-in pools"):
            pool_by_name("arithmetic")


class TestReasoningGymPool:
    @pytest.fixture(autouse=True)
    def _rg(self):
        pytest.importorskip("reasoning_gym")

    def test_knobs_are_validated(self):
        with pytest.raises(ValueError, match="dataset must be"):
            ReasoningGymPool("Chain-Sum")
        with pytest.raises(ValueError, match="set by the pool"):
            ReasoningGymPool("chain_sum", knobs={"hard": {"seed": 1}})
        with pytest.raises(ValueError, match="3 curriculum levels"):
            ReasoningGymPool("chain_sum", levels=(0, 1))
        with pytest.raises(ValueError, match="Did you mean 'chain_sum'"):
            ReasoningGymPool("chain_summ").problem("easy", 0)
        with pytest.raises(ValueError, match="has no knobs"):
            ReasoningGymPool("chain_sum", knobs={"easy": {"max_digitz": 3}}).problem("easy", 0)
        with pytest.raises(ValueError, match="no curriculum"):
            ReasoningGymPool("acre").problem("easy", 0)

    def test_tiers_follow_the_curriculum_levels_and_knobs_on_top(self):
        pool = ReasoningGymPool("chain_sum", knobs={"hard": {"min_terms": 6, "max_terms": 6}})
        digits = {t: pool.tier_config(t)["max_digits"] for t in TIERS}
        assert digits == {"easy": 1, "medium": 2, "hard": 3}  # curriculum levels 0, 1, 2
        for tier in TIERS:
            for i in range(5):
                meta = json.loads(pool.problem(tier, i, seed=2).verifier)["entry"]["metadata"]
                assert meta["num_digits"] == digits[tier]
                assert tier != "hard" or meta["num_terms"] == 6
        d = pool.to_dict()
        assert d["tier_knobs"]["hard"]["max_terms"] == 6 and d["reasoning_gym"]
        assert pool_from_dict(json.loads(json.dumps(d))) == pool

    def test_same_seed_same_item_and_the_gold_scores_one_after_json(self):
        from osmckp_env.exam.pools import rg

        for dataset in ("chain_sum", "word_sorting", "letter_counting"):
            pool = ReasoningGymPool(dataset)
            for tier in TIERS:
                p = pool.problem(tier, 1, seed=9)
                assert p == ReasoningGymPool(dataset).problem(tier, 1, seed=9)
                assert p.id == f"rg-{dataset}-{pool.hash}-eval-s9-{tier}-1" and p.source == f"rg-{dataset}"
                assert rg.score_answer(p.answer, json.loads(p.verifier)) == 1.0
        assert ReasoningGymPool("chain_sum").problem("hard", 1, seed=10).id != p.id

    def test_the_real_verifier_in_a_worker(self, grader):
        p = ReasoningGymPool("chain_sum").problem("hard", 0, seed=0)
        right, wrong = grader.grade(p.answer, p.answer, p.verifier), grader.grade("0", p.answer, p.verifier)
        assert (right.correct, right.credit) == (True, 1.0) and (wrong.correct, wrong.credit) == (False, 0.0)
