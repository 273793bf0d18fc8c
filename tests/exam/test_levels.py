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
