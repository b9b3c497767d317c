"""gridworld(n, m): the open benchmark grid with a state-only reward."""

from __future__ import annotations

import numpy as np

from softrl.envs import GridWorld, gridworld


def test_shapes_reward_and_defaults():
    world = gridworld(4, horizon=100)
    mdp = world.mdp
    assert mdp.shape == (16, 5) and world.shape == (4, 4)
    assert mdp.horizon == 100 and mdp.gamma == 0.99 and not mdp.terminal.any()
    expected = np.zeros(16)
    expected[15] = 1.0  # bottom-right corner, every action
    np.testing.assert_array_equal(mdp.reward, np.repeat(expected[:, None], 5, axis=1))
    np.testing.assert_allclose(mdp.initial, np.full(16, 1 / 16))
    np.testing.assert_allclose(mdp.transitions.sum(axis=1), 1.0)
    np.testing.assert_array_equal(world.cells[:, 0] * 4 + world.cells[:, 1], np.arange(16))
    assert world.slip == 0.1


def test_same_dynamics_as_the_equivalent_map():
    world = gridworld(3, 4, slip=0.2, n_actions=5)
    same = GridWorld.from_map("....\n....\n....", slip=0.2, n_actions=5)
    assert (world.mdp.transitions != same.mdp.transitions).nnz == 0


def test_slip_at_a_corner():
    P = gridworld(3, slip=0.2, n_actions=5).mdp.dense_transitions()
    # Corner (0, 0) choosing east: east 0.8 -> state 1; north, west (edges) and stay 0.05 each
    # stay; south 0.05 -> state 3.
    np.testing.assert_allclose(P[0, 2, [0, 1, 3]], [0.15, 0.8, 0.05])


def test_goal_start_and_reward_arguments():
    world = gridworld(3, 2, goal=(1, 0), start=(2, 1), n_actions=4)
    assert world.mdp.shape == (6, 4)
    assert world.mdp.reward[2, 0] == 1.0 and world.mdp.reward.sum() == 4.0
    np.testing.assert_array_equal(world.mdp.initial, np.eye(6)[5])
    r = np.linspace(0, 1, 9)
    np.testing.assert_allclose(gridworld(3, reward=r).mdp.reward[:, 3], r)


def test_large_grid_is_vectorized():
    world = gridworld(200, slip=0.1)  # 40,000 states, built without per-cell Python loops
    assert world.mdp.n_states == 40_000
    sums = np.asarray(world.mdp.transitions.sum(axis=1)).ravel()
    np.testing.assert_allclose(sums, 1.0)
