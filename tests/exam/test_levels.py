import pytest

from osmckp_env.exam.levels import LevelBins, parse_level_tag


def test_default_bins_follow_paper():
    b = LevelBins()
    assert [b.level_of(t) for t in (0, 255, 256, 511, 512, 5000)] == [0, 0, 1, 1, 2, 2]
    assert [b.cost_of(k) for k in range(4)] == [128, 384, 768, None]


def test_strict_reading_makes_long_solutions_level3():
    b = LevelBins(edges=(256, 512, 1024))
    assert b.level_of(1023) == 2 and b.level_of(1024) == 3


@pytest.mark.parametrize("edges", [(), (512, 256), (0, 10), (1, 2, 3, 4)])
def test_bad_edges(edges):
    with pytest.raises(ValueError):
        LevelBins(edges=edges)


def test_parse_level_tag():
    assert parse_level_tag("<predicted_level>Level-2</predicted_level>") == 2
    assert parse_level_tag("<predicted_level> level_1 </predicted_level>") == 1
    assert parse_level_tag("<predicted_level>Level-9</predicted_level>") is None
    assert parse_level_tag("nothing") is None


def test_level_edges_costs_and_the_budget_rule():
    import pytest

    from osmckp_env.exam.levels import SKIP_LEVEL, LevelBins, parse_level_tag

    b = LevelBins()
    assert [b.level_of(n) for n in (0, 255, 256, 511, 512, 10_000)] == [0, 0, 1, 1, 2, 2]
    strict = LevelBins(edges=(256, 512, 1024))
    assert [strict.level_of(n) for n in (1023, 1024)] == [2, 3]
    assert [b.cost_of(k) for k in (0, 1, 2, 3, -1)] == [128, 384, 768, None, None]
    assert SKIP_LEVEL == 3
    assert LevelBins.for_budget(512) == b and LevelBins.for_budget(1024) == b
    # under 512 the paper's bins would put every answer in Level-0: (B/4, B/2), as above 1024
    assert LevelBins.for_budget(128) == LevelBins(edges=(32, 64), typical_costs=(16, 48, 96))
    assert LevelBins.for_budget(511).edges == (127, 255)
    assert LevelBins.for_budget(1).edges == (1, 2) and LevelBins.for_budget(3).edges == (1, 2)
    assert LevelBins.for_budget(8).typical_costs == (1, 3, 6)  # half the first edge, at least 1 token
    big = LevelBins.for_budget(1025)
    assert big.edges == (256, 512) and big.typical_costs == (128, 384, 768)  # 1025 // 4 == 256
    assert LevelBins.for_budget(8192) == LevelBins(edges=(2048, 4096), typical_costs=(1024, 3072, 6144))
    for bad in (0, -5, 2.5, True):
        with pytest.raises(ValueError):
            LevelBins.for_budget(bad)
    for bad in ((), (512, 256), (0, 10), (1, 2, 3, 4), (256, 256)):
        with pytest.raises(ValueError):
            LevelBins(edges=bad)
    with pytest.raises(ValueError):
        LevelBins(typical_costs=(1, 2))
    with pytest.raises(ValueError):
        LevelBins(typical_costs=(1, 0, 3))
    assert LevelBins(edges=[100.0, 200]).edges == (100, 200)
    assert parse_level_tag("<predicted_level> level_2 </predicted_level>") == 2
    assert parse_level_tag("<predicted_level>Level-4</predicted_level>") is None
    assert parse_level_tag("<predicted_level>Level-1</predicted_level><predicted_level>Level-2</predicted_level>") == 1
    assert parse_level_tag("none") is None


def test_levels_of_is_level_of_over_an_array():
    import numpy as np

    for edges in ((256, 512), (256, 512, 1024), (100,)):
        bins = LevelBins(edges=edges)
        tokens = np.array([0, 1, 99, 100, 101, 255, 256, 257, 511, 512, 513, 1023, 1024, 1025, 10**6])
        assert bins.levels_of(tokens).tolist() == [bins.level_of(int(t)) for t in tokens]
    assert LevelBins().levels_of([255, 256, 511, 512]).tolist() == [0, 1, 1, 2]


def test_claimed_level_of_each_sim_action():
    import numpy as np

    two, three = LevelBins(), LevelBins(edges=(256, 512, 1024))
    # 0 = skip (Level-3), cap i = Level-(i-1), all that is left = the last level
    assert [two.claimed_level(a) for a in range(two.n_actions)] == [3, 0, 1, 2]
    assert [three.claimed_level(a) for a in range(three.n_actions)] == [3, 0, 1, 2, 3]
    assert two.n_actions == 4 and three.n_actions == 5
    assert two.claimed_level(np.array([0, 1, 2, 3])).tolist() == [3, 0, 1, 2]
    assert two.claimed_level(np.int64(2)) == 1
    for bad in (-1, 4):
        with pytest.raises(ValueError, match="actions are 0..3"):
            two.claimed_level(bad)
    with pytest.raises(ValueError):
        two.claimed_level(np.array([0, 4]))
    with pytest.raises(ValueError):
        two.claimed_level(np.array([-1, 0]))


def test_claimed_level_of_a_zero_dimensional_array_is_an_int():
    import numpy as np

    got = LevelBins().claimed_level(np.array(2))
    assert got == 1 and isinstance(got, int)
