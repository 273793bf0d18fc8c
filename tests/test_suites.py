import json

import pytest

from osmckp_env.problems import TIER_RANK
from osmckp_env.suites import NAMED_SUITES, Suite, SuiteConfig, build_suite, get_suite, list_suites


def test_named_suites_exist():
    assert {"medium-512", "medium-1024", "hard-512", "hard-1024", "easy-512", "easy-1024"} <= set(NAMED_SUITES)


def test_default_eval_suite_uses_every_math500_problem_once():
    s = get_suite("medium-1024")
    assert len(s) == 500
    med = [p.id for e in s for p in e.problems if p.difficulty == "medium"]
    assert len(set(med)) == 500
    assert all(sorted(p.difficulty for p in e.problems) == ["easy", "hard", "medium"] for e in s)


def test_determinism_and_hash_stability():
    a = build_suite(SuiteConfig(n_exams=20, seed=3))
    b = build_suite(SuiteConfig(n_exams=20, seed=3))
    c = build_suite(SuiteConfig(n_exams=20, seed=4))
    assert a.hash == b.hash and [e.problems for e in a] == [e.problems for e in b]
    assert a.hash != c.hash


def test_orders_share_problems():
    med, hard, easy = (get_suite(f"{o}-512") for o in ("medium", "hard", "easy"))
    for m, h, e in zip(med, hard, easy):
        assert m.key == h.key == e.key
        assert [p.difficulty for p in h.problems] == ["hard", "medium", "easy"]
        assert [p.difficulty for p in e.problems] == ["easy", "medium", "hard"]
    assert med.with_order("easy").hash == easy.hash


def test_medium_order_is_shuffled():
    orders = {tuple(p.difficulty for p in e.problems) for e in get_suite("medium-1024")}
    assert len(orders) == 6


def test_general_generator_five_problems():
    s = build_suite(SuiteConfig(n_problems=5, budget=2048, n_exams=50, order="easy"))
    for e in s:
        assert e.n_problems == 5 and e.budget == 2048
        assert len({p.id for p in e.problems}) == 5
        ranks = [p.rank for p in e.problems]
        assert ranks == sorted(ranks)
    with pytest.raises(ValueError, match="distinct 'hard'"):
        build_suite(SuiteConfig(n_problems=31, tiers=("hard",) * 31, n_exams=1))


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"budget": 0}, "budget"),
        ({"budget": -5}, "budget"),
        ({"order": "random"}, "order"),
        ({"n_problems": 0}, "n_problems"),
        ({"tiers": ("easy",)}, "tiers has 1"),
        ({"split": "dev"}, "split"),
    ],
)
def test_config_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SuiteConfig(**kwargs)


def test_unknown_suite_suggests():
    with pytest.raises(KeyError, match="medium-512"):
        get_suite("medium-521")


def test_jsonl_roundtrip(tmp_path):
    s = get_suite("hard-512", n_exams=5)
    p = s.to_jsonl(tmp_path / "s.jsonl")
    back = Suite.from_jsonl(p)
    assert back.hash == s.hash and back.name == s.name
    lines = p.read_text().splitlines()
    row = json.loads(lines[1])
    row["problems"][0]["answer"] = "tampered"
    lines[1] = json.dumps(row)
    p.write_text("\n".join(lines))
    with pytest.raises(ValueError, match="edited"):
        Suite.from_jsonl(p)


def test_dataset_roundtrip():
    s = get_suite("medium-512", n_exams=4)
    ds = s.to_dataset()
    assert len(ds) == 4 and ds[0]["prompt"][0]["role"] == "system"
    back = Suite.from_dataset(ds, s.name)
    assert back.hash == s.hash


def test_list_suites_reports_hashes():
    rows = {r["name"]: r for r in list_suites()}
    assert rows["hard-1024"]["hash"] == get_suite("hard-1024").hash
    assert rows["hard-1024"]["n_exams"] == 500
    assert TIER_RANK["hard"] == 2
