import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from osmckp_env.exam.levels import LevelBins
from osmckp_env.sim.oracle import brute_force, evaluate_table, solve_exam
from osmckp_env.sim.profiles import Atoms

BINS = LevelBins(edges=(40, 90))

atoms_st = st.lists(st.tuples(st.integers(1, 150), st.floats(0, 1), st.floats(0.05, 1)), min_size=1, max_size=3).map(
    lambda xs: Atoms(
        np.array([x[0] for x in xs]), np.array([x[1] for x in xs]), np.array([x[2] for x in xs]) / sum(x[2] for x in xs)
    )
)


@settings(max_examples=60, deadline=None)
@given(st.lists(atoms_st, min_size=1, max_size=3), st.integers(1, 160), st.sampled_from(["score", "rarl"]))
def test_dp_equals_brute_force(atoms, budget, reward):
    assert solve_exam(atoms, budget, BINS, reward)[0] == pytest.approx(brute_force(atoms, budget, BINS, reward))


@settings(max_examples=40, deadline=None)
@given(st.lists(atoms_st, min_size=1, max_size=3), st.integers(1, 160), st.integers(0, 3))
def test_oracle_beats_every_constant_policy(atoms, budget, action):
    best = solve_exam(atoms, budget, BINS)[0]
    table = np.full((len(atoms), budget + 1), action)
    assert evaluate_table(atoms, budget, table, BINS) <= best + 1e-9


def _evaluate_by_recursion(atoms, budget, action, reward="score"):
    """A constant policy's exact expected reward by plain recursion over outcomes: an evaluator
    that shares nothing with the DP (its reference for the tests below)."""
    from osmckp_env.sim.oracle import action_caps, claimed_level

    caps = action_caps(BINS)

    def value(k, b):
        if k == len(atoms) or b <= 0 or action == 0:
            return 0.0 if k == len(atoms) or b <= 0 else value(k + 1, b)
        c = b if caps[action] is None else min(caps[action], b)
        total = 0.0
        for L, p, w in zip(atoms[k].lengths, atoms[k].p_correct, atoms[k].weights):
            t = int(L) if L <= c else c
            g = float(p) if L <= c else 0.0
            if reward == "rarl" and BINS.level_of(t) != claimed_level(action, BINS):
                g = 0.0
            total += w * (g + value(k + 1, b - t))
        return total

    return value(0, budget)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(atoms_st, min_size=1, max_size=3),
    st.integers(1, 160),
    st.integers(0, 3),
    st.sampled_from(["score", "rarl"]),
)
def test_policy_evaluation_equals_an_independent_recursion(atoms, budget, action, reward):
    table = np.full((len(atoms), budget + 1), action)
    assert evaluate_table(atoms, budget, table, BINS, reward) == pytest.approx(
        _evaluate_by_recursion(atoms, budget, action, reward)
    )


def test_optimal_table_evaluates_to_its_value():
    a = [Atoms(np.array([30, 80]), np.array([0.9, 0.5]), np.array([0.5, 0.5]))] * 3
    v, pi, _ = solve_exam(a, 120, BINS)
    assert evaluate_table(a, 120, pi, BINS) == pytest.approx(v)
    assert v == pytest.approx(brute_force(a, 120, BINS))  # the value itself, from the independent reference


def test_known_answer_skip_the_impossible():
    easy = Atoms(np.array([50]), np.array([1.0]), np.array([1.0]))
    impossible = Atoms(np.array([500]), np.array([1.0]), np.array([1.0]))
    v, pi, _ = solve_exam([impossible, easy, easy], 100, BINS)
    assert v == 2.0 and pi[0, 100] == 0


def test_rarl_on_a_length_exactly_at_a_level_edge():
    """256 tokens is Level-1 (LevelBins.level_of): a cap-256 action claims Level-0 and earns nothing
    on an atom of exactly 256 tokens, one token less and it earns its accuracy."""
    import numpy as np

    from osmckp_env.exam.levels import LevelBins
    from osmckp_env.sim.oracle import evaluate_table
    from osmckp_env.sim.profiles import Atoms

    assert LevelBins().level_of(256) == 1 and LevelBins().level_of(255) == 0
    cap_256 = np.ones((1, 1025), dtype=np.int64)  # always action 1: cap at the first edge
    for length, expected in ((256, 0.0), (255, 1.0), (512, 0.0)):
        atoms = [Atoms(np.array([length]), np.array([1.0]), np.array([1.0]))]
        assert evaluate_table(atoms, 1024, cap_256, reward="rarl") == expected
    cap_512 = np.full((1, 1025), 2, dtype=np.int64)  # claims Level-1: [256, 512)
    for length, expected in ((256, 1.0), (511, 1.0), (512, 0.0)):
        atoms = [Atoms(np.array([length]), np.array([1.0]), np.array([1.0]))]
        assert evaluate_table(atoms, 1024, cap_512, reward="rarl") == expected


def test_stochastic_tables_and_atoms_exactly_at_a_cap():
    from osmckp_env.sim.oracle import action_caps

    assert action_caps(BINS) == [0, *BINS.edges, None]
    cap = BINS.edges[0]
    a = [Atoms(np.array([cap, 3 * cap]), np.array([1.0, 0.5]), np.array([0.5, 0.5]))] * 2
    budget = 4 * cap
    assert solve_exam(a, budget, BINS)[0] == pytest.approx(brute_force(a, budget, BINS))
    for reward in ("score", "rarl"):
        for action in range(4):
            det = np.full((2, budget + 1), action)
            onehot = np.zeros((2, budget + 1, 4))
            onehot[:, :, action] = 1.0
            v = evaluate_table(a, budget, det, BINS, reward)
            assert evaluate_table(a, budget, onehot, BINS, reward) == pytest.approx(v)
            assert v == pytest.approx(_evaluate_by_recursion(a, budget, action, reward))
    mix = np.full((2, budget + 1, 4), 0.25)
    want = np.mean([evaluate_table(a, budget, np.full((2, budget + 1), k), BINS) for k in range(4)])
    # a uniform mixture per step is not the mean of the pure policies in general; at one step it is
    one = a[:1]
    assert evaluate_table(one, budget, mix[:1], BINS) == pytest.approx(
        np.mean([evaluate_table(one, budget, np.full((1, budget + 1), k), BINS) for k in range(4)])
    )
    assert want > 0


def test_brute_force_reads_the_bins_it_is_given():
    from osmckp_env.exam.levels import LevelBins

    other = LevelBins(edges=(30, 90))
    a = [Atoms(np.array([20, 60]), np.array([1.0, 1.0]), np.array([0.5, 0.5]))]
    assert brute_force(a, 200, other, "rarl") == pytest.approx(solve_exam(a, 200, other, "rarl")[0])
    assert brute_force(a, 200, other, "rarl") != pytest.approx(brute_force(a, 200, LevelBins(), "rarl"))


def test_a_capped_attempt_that_leaves_room_for_later_problems_is_the_optimum():
    # problem 1 is short half the time (30 tokens) and long otherwise (150); two 45-token problems follow.
    # Capping problem 1 at 40 tokens keeps 90 for them either way: 0.5 * 3 + 0.5 * 2 = 2.5; skipping it
    # gives 2, attempting it uncapped 1.5.
    first = Atoms(np.array([30, 150]), np.array([1.0, 1.0]), np.array([0.5, 0.5]))
    later = Atoms(np.array([45]), np.array([1.0]), np.array([1.0]))
    atoms = [first, later, later]
    assert brute_force(atoms, 130, BINS) == pytest.approx(2.5)
    v, pi, _ = solve_exam(atoms, 130, BINS)
    assert v == pytest.approx(2.5) and pi[0][130] == 1  # action 1: the 40-token cap
