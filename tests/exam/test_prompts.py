import pytest
from conftest import make_exam

from osmckp_env.agents.greedy_knapsack import GreedyKnapsackAgent
from osmckp_env.exam.levels import LevelBins
from osmckp_env.exam.prompts import exam_user_prompt, level_legend, problem_user_prompt
from osmckp_env.training.mft_data import single_problem_messages


@pytest.mark.parametrize(
    "edges,expected",
    [
        ((256, 512), ["under 256 tokens", "Level-1: 256-511 tokens", "Level-2: 512 tokens or more", "Level-3"]),
        ((256, 512, 1024), ["Level-2: 512-1023 tokens", "Level-3: 1024 tokens or more"]),
        ((100,), ["Level-0: under 100 tokens", "Level-1: 100 tokens or more"]),
    ],
)
def test_legend_follows_the_bins(edges, expected):
    legend = level_legend(LevelBins(edges=edges))
    for piece in expected:
        assert piece in legend


def test_every_prompt_states_the_bins_in_use():
    bins = LevelBins(edges=(256, 512, 1024))
    exam = make_exam()
    legend = level_legend(bins)
    prompts = [
        exam_user_prompt(exam, with_levels=True, bins=bins),
        problem_user_prompt(exam.problems[0], position=0, n_problems=3, remaining=100, with_levels=True, bins=bins),
        single_problem_messages(exam.problems[0], bins)[-1]["content"],
        GreedyKnapsackAgent(backend=None, bins=bins).level_messages(exam.problems[0])[-1]["content"],
    ]
    for p in prompts:
        assert legend in p and "512-1023 tokens" in p
    # and nothing is said about levels when they are not asked for
    assert "Level-" not in exam_user_prompt(exam, bins=bins)
    # the MFT sampling instruction reads as one sentence
    assert "First predict the cost of this problem as <predicted_level>Level-k</predicted_level> (" in prompts[2]
