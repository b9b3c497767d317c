"""Sutton & Barto 5x5 gridworld: dynamics, and the book's value tables by independent solves."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from softrl.envs import SUTTON_BARTO_SHAPE, sutton_barto_gridworld

# Figures 3.2 and 3.5 of Sutton & Barto (2018), as in shared/reference/sutton-barto-gridworld.json.
VALUE_RANDOM = np.array(
    [
        [3.3, 8.8, 4.4, 5.3, 1.5],
        [1.5, 3.0, 2.3, 1.9, 0.5],
        [0.1, 0.7, 0.7, 0.4, -0.4],
        [-1.0, -0.4, -0.4, -0.6, -1.2],
        [-1.9, -1.3, -1.2, -1.4, -2.0],
    ]
)
VALUE_OPTIMAL = np.array(
    [
        [22.0, 24.4, 22.0, 19.4, 17.5],
        [19.8, 22.0, 19.8, 17.8, 16.0],
        [17.8, 19.8, 17.8, 16.0, 14.4],
        [16.0, 17.8, 16.0, 14.4, 13.0],
        [14.4, 16.0, 14.4, 13.0, 11.7],
    ]
)
TOL = 0.05
REFERENCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference"
NORTH, SOUTH, EAST, WEST = range(4)


def state(row: int, col: int) -> int:
    return 5 * row + col


def test_shapes_and_rows():
    mdp = sutton_barto_gridworld()
    assert mdp.shape == (25, 4)
    assert SUTTON_BARTO_SHAPE == (5, 5)
    assert mdp.gamma == 0.9 and mdp.horizon is None and not mdp.terminal.any()
    np.testing.assert_allclose(mdp.transitions.sum(axis=1), 1.0)
    assert mdp.transitions.nnz == 100  # deterministic
    np.testing.assert_allclose(mdp.initial, np.full(25, 1 / 25))


def test_teleports_and_off_grid():
    mdp = sutton_barto_gridworld()
    P = mdp.dense_transitions()
    for a in range(4):
        assert P[state(0, 1), a, state(4, 1)] == 1.0 and mdp.reward[state(0, 1), a] == 10.0
        assert P[state(0, 3), a, state(2, 3)] == 1.0 and mdp.reward[state(0, 3), a] == 5.0
    assert P[state(0, 0), NORTH, state(0, 0)] == 1.0 and mdp.reward[state(0, 0), NORTH] == -1.0
    assert P[state(4, 4), EAST, state(4, 4)] == 1.0 and mdp.reward[state(4, 4), EAST] == -1.0
    assert P[state(2, 2), EAST, state(2, 3)] == 1.0 and mdp.reward[state(2, 2), EAST] == 0.0
    assert P[state(2, 2), NORTH, state(1, 2)] == 1.0
    assert P[state(2, 2), SOUTH, state(3, 2)] == 1.0
    assert P[state(2, 2), WEST, state(2, 1)] == 1.0


def test_random_policy_values_by_linear_solve():
    mdp = sutton_barto_gridworld()
    P = mdp.dense_transitions()
    P_pi = P.mean(axis=1)  # equiprobable policy
    r_pi = mdp.reward.mean(axis=1)
    v = np.linalg.solve(np.eye(25) - mdp.gamma * P_pi, r_pi)
    np.testing.assert_allclose(v.reshape(5, 5), VALUE_RANDOM, atol=TOL)


def test_optimal_values_by_value_iteration():
    mdp = sutton_barto_gridworld()
    P = mdp.dense_transitions()
    v = np.zeros(25)
    for _ in range(1000):
        v_new = (mdp.reward + mdp.gamma * P @ v).max(axis=1)
        if np.abs(v_new - v).max() < 1e-10:
            break
        v = v_new
    np.testing.assert_allclose(v.reshape(5, 5), VALUE_OPTIMAL, atol=TOL)


def test_embedded_tables_match_shared_reference():
    path = REFERENCE / "sutton-barto-gridworld.json"
    if not path.exists():
        pytest.skip(f"{path} not present (the repository was cloned alone)")
    ref = json.loads(path.read_text())
    np.testing.assert_array_equal(VALUE_RANDOM, ref["value_equiprobable_random_policy"])
    np.testing.assert_array_equal(VALUE_OPTIMAL, ref["value_optimal"])
    assert ref["discount"] == sutton_barto_gridworld().gamma
    assert tuple(ref["shape"]) == SUTTON_BARTO_SHAPE
    mdp = sutton_barto_gridworld()
    P = mdp.dense_transitions()
    for key, reward in (("A", "A_reward"), ("B", "B_reward")):
        s, s_next = state(*ref[key]), state(*ref[f"{key}_prime"])
        assert (P[s, :, s_next] == 1.0).all()
        assert (mdp.reward[s] == ref[reward]).all()
    assert mdp.reward[state(0, 0), NORTH] == ref["off_grid_reward"]
