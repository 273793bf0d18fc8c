import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from osmckp_env.exam.knapsack import best_subset, greedy_by_levels, greedy_knapsack


def test_paper_rule_examples():
    # Level-0/1/2 -> 128/384/768; budget 512 keeps the two cheapest that fit
    assert greedy_by_levels([2, 0, 1], 512) == [1, 2]
    assert greedy_by_levels([2, 2, 2], 512) == []
    assert greedy_by_levels([0, 3, 0], 1024) == [0, 2]
    assert greedy_by_levels([2, 1, 0], 1024) == [1, 2]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=1, max_size=6), st.integers(0, 2048))
def test_equal_values_greedy_is_optimal(levels, budget):
    costs = [None if lvl == 3 else (128, 384, 768)[lvl] for lvl in levels]
    chosen = greedy_knapsack(costs, budget)
    assert sum(costs[i] for i in chosen) <= budget
    # with unit values, cheapest-first maximises the count: same as brute force
    assert len(chosen) == best_subset(costs, budget)[0]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 500), st.floats(0.1, 5)), min_size=1, max_size=6), st.integers(0, 1500))
def test_weighted_greedy_feasible_and_bounded(items, budget):
    costs = [c for c, _ in items]
    values = [v for _, v in items]
    chosen = greedy_knapsack(costs, budget, values)
    assert sum(costs[i] for i in chosen) <= budget
    best = max(
        (
            sum(values[i] for i in s)
            for r in range(len(items) + 1)
            for s in itertools.combinations(range(len(items)), r)
            if sum(costs[i] for i in s) <= budget
        ),
        default=0,
    )
    assert sum(values[i] for i in chosen) <= best + 1e-9
    assert abs(best_subset(costs, budget, values)[0] - best) < 1e-9


def test_greedy_skips_an_item_that_does_not_fit_and_tries_the_next():
    from osmckp_env.exam.knapsack import greedy_knapsack

    # by value/cost: A (0.025), B (0.02) no longer fits after A, C (0.01) still does
    assert greedy_knapsack([400, 300, 100], 500, values=[10, 6, 1]) == [0, 2]


def test_greedy_breaks_value_per_cost_ties_toward_the_cheaper_item():
    from osmckp_env.exam.knapsack import greedy_knapsack

    # equal value per token: the cheaper first (100), then the costlier (200) no longer fits
    assert greedy_knapsack([200, 100], 200, values=[2.0, 1.0]) == [1]
    assert greedy_knapsack([100, 200], 200, values=[1.0, 2.0]) == [0]


def test_greedy_edge_items_and_the_exact_reference():
    from osmckp_env.exam.knapsack import best_subset, greedy_by_levels, greedy_knapsack

    assert greedy_knapsack([0, 600, 100], 100) == [0, 2]  # a free item is always taken
    assert greedy_knapsack([10, 10], 100, values=[0.0, 1.0]) == [1]  # worthless items never are
    assert greedy_knapsack([None, 10], 100) == [1]
    assert greedy_knapsack([], 100) == [] and greedy_knapsack([10], 0) == []
    assert greedy_by_levels([None, 0, 3, 1], 1024) == [1, 3]  # no estimate and Level-3 are skipped
    assert greedy_by_levels([0, 0], 1024, values=[0.0, 1.0]) == [1]
    assert best_subset([100, 100], 100) == (1.0, [0])  # the first of equal subsets
    assert best_subset([60, 50, 50], 100) == (2.0, [1, 2])
    assert best_subset([None, 200], 100) == (0.0, [])
