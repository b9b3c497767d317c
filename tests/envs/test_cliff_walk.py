"""Sutton & Barto Example 6.6 cliff walk."""

from __future__ import annotations

import numpy as np

from softrl.envs import cliff_walk

NORTH, SOUTH, EAST, WEST = range(4)


def value_iteration(P: np.ndarray, R: np.ndarray, gamma: float, iters: int = 2000) -> np.ndarray:
    v = np.zeros(P.shape[0])
    for _ in range(iters):
        v = (R + gamma * P @ v).max(axis=1)
    return v


def test_layout_and_dynamics():
    world = cliff_walk()
    mdp = world.mdp
    assert world.shape == (4, 12) and mdp.shape == (38, 4)  # 48 cells - 10 cliff cells
    assert world.layout[-1] == "SCCCCCCCCCCG"
    start, goal = world.state_of(3, 0), world.state_of(3, 11)
    np.testing.assert_array_equal(mdp.initial, np.eye(38)[start])
    np.testing.assert_array_equal(np.flatnonzero(mdp.terminal), [goal])
    P = mdp.dense_transitions()
    assert P[start, EAST, start] == 1.0 and mdp.reward[start, EAST] == -100.0
    above = world.state_of(2, 5)
    assert P[above, SOUTH, start] == 1.0 and mdp.reward[above, SOUTH] == -100.0
    assert P[above, EAST, world.state_of(2, 6)] == 1.0 and mdp.reward[above, EAST] == -1.0
    last = world.state_of(2, 11)
    assert P[last, SOUTH, goal] == 1.0 and mdp.reward[last, SOUTH] == -1.0
    assert mdp.gamma == 1.0


def test_optimal_return_is_minus_13():
    mdp = cliff_walk().mdp
    v = value_iteration(mdp.dense_transitions(), mdp.reward, mdp.gamma)
    assert v @ mdp.initial == -13.0


def test_slip_rows_sum_to_one():
    mdp = cliff_walk(5, 7, slip=0.1).mdp
    assert mdp.shape == (30, 4)
    np.testing.assert_allclose(mdp.transitions.sum(axis=1), 1.0)
