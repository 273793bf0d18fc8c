import json
from collections import Counter

import pytest

from osmckp_env.exam.problems import TIER_RANK
from osmckp_env.exam.suites import NAMED_SUITES, SUITE_VERSION, Suite, SuiteConfig, build_suite, get_suite, list_suites


def test_named_suites_exist():
    assert {"medium-512", "medium-1024", "hard-512", "hard-1024", "easy-512", "easy-1024"} <= set(NAMED_SUITES)


def test_default_eval_suite_uses_every_math500_problem_once():
    s = get_suite("medium-1024")
    assert len(s) == 500
    med = [p.id for e in s for p in e.problems if p.tier == "medium"]
    assert len(set(med)) == 500
    assert all(sorted(p.tier for p in e.problems) == ["easy", "hard", "medium"] for e in s)


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
        assert [p.tier for p in h.problems] == ["hard", "medium", "easy"]
        assert [p.tier for p in e.problems] == ["easy", "medium", "hard"]
    assert med.with_order("easy").hash == easy.hash


def test_medium_order_is_interleaved_never_easy_or_hard():
    medium = get_suite("medium-1024")
    easy, hard = medium.with_order("easy"), medium.with_order("hard")
    for m, e, h in zip(medium, easy, hard):
        assert m.problems != e.problems and m.problems != h.problems
    orders = Counter(tuple(p.tier for p in e.problems) for e in medium)
    # the 4 interleaved tier orders of 3 tiers, each drawn about equally often
    assert set(orders) == {
        ("easy", "hard", "medium"),
        ("medium", "easy", "hard"),
        ("hard", "easy", "medium"),
        ("medium", "hard", "easy"),
    }
    assert min(orders.values()) > 500 / 4 * 0.7


def test_medium_with_ties_and_other_sizes():
    s = build_suite(SuiteConfig(n_problems=5, n_exams=40, order="medium", seed=3))
    for m, e in zip(s, s.with_order("easy")):
        ranks = [p.rank for p in m.problems]
        assert ranks != sorted(ranks) and ranks != sorted(ranks, reverse=True)
        assert {p.id for p in m.problems} == {p.id for p in e.problems}
    with pytest.raises(ValueError, match="neither easy nor hard"):
        build_suite(SuiteConfig(n_problems=2, tiers=("easy", "hard"), n_exams=2, order="medium"))


def test_suite_version_enters_the_hash_and_old_files_still_load(tmp_path):
    v1 = build_suite(SuiteConfig(version=1))
    v2 = build_suite(SuiteConfig())
    assert v2.config.version == SUITE_VERSION == 2 and v1.hash != v2.hash
    # a version-1 Medium suite holds easy/hard orders (the defect version 2 fixes)
    easy = v1.with_order("easy")
    assert any(a.problems == b.problems for a, b in zip(v1, easy))
    # files and results written before versions existed read as version 1 with their old hash
    d = v1.config.to_dict()
    del d["version"]
    assert SuiteConfig.from_dict(d).version == 1
    with pytest.raises(ValueError, match="not known"):
        SuiteConfig(version=99)


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
        get_suite("medum-512")


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


def test_any_budget_names_the_same_exams_under_that_budget():
    from osmckp_env.exam.levels import LevelBins
    from osmckp_env.exam.suites import get_suite, resolve_suite

    big = get_suite("hard-4096", n_exams=20)
    base = get_suite("hard-512", n_exams=20)
    assert big.config.budget == 4096 and all(e.budget == 4096 for e in big.exams)
    assert [[p.id for p in e.problems] for e in big.exams] == [[p.id for p in e.problems] for e in base.exams]
    assert resolve_suite("hard-512", budget=4096, n_exams=20).hash == big.hash
    assert LevelBins.for_budget(512) == LevelBins() == LevelBins.for_budget(1024)
    assert LevelBins.for_budget(4096).edges == (1024, 2048)
    assert LevelBins.for_budget(2048).typical_costs == (256, 768, 1536)
    for bad in ("medium-0", "medium--5", "hardest-512"):
        with pytest.raises(KeyError, match="Any budget works"):
            get_suite(bad)


def test_a_budget_override_keeps_the_split_in_the_name():
    from osmckp_env.exam.suites import resolve_suite

    train = resolve_suite("train-medium-512", budget=256, n_exams=3)
    assert train.name == "train-medium-256" and train.config.split == "train"
    assert train.hash == resolve_suite("train-medium-256", n_exams=3).hash
    assert resolve_suite("medium-512", budget=256).name == "medium-256"
