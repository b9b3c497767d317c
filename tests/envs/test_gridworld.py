"""GridWorld.from_map: each symbol's semantics, exact slip distribution, geometry helpers."""

from __future__ import annotations

import numpy as np
import pytest

from softrl.envs import ACTION_DELTAS, GridWorld

TINY = """
S..
.#G
..T
"""
# States in row-major order over non-wall cells.
CELLS = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1), (2, 2)]
NORTH, SOUTH, EAST, WEST, STAY = range(5)


def reference_dynamics(
    layout: str, slip: float, n_actions: int, rewards: dict[str, float]
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """Brute-force p(s'|s,a) (S, A, S) and r(s, a) (S, A), one cell at a time."""
    rows = [line.strip() for line in layout.strip().splitlines()]
    cells = [(r, c) for r, line in enumerate(rows) for c, ch in enumerate(line) if ch not in "#C"]
    index = {cell: i for i, cell in enumerate(cells)}
    starts = [index[cell] for cell in cells if rows[cell[0]][cell[1]] == "S"]
    if not starts:
        starts = [index[cell] for cell in cells if rows[cell[0]][cell[1]] in "S."]
    n = len(cells)
    P = np.zeros((n, n_actions, n))
    R = np.zeros((n, n_actions))
    for s, (r, c) in enumerate(cells):
        for a in range(n_actions):
            for b in range(n_actions):
                p = 1.0 - slip if a == b else slip / (n_actions - 1)
                dr, dc = ACTION_DELTAS[b]
                rr, cc = r + dr, c + dc
                if not (0 <= rr < len(rows) and 0 <= cc < len(rows[0])) or rows[rr][cc] == "#":
                    rr, cc = r, c
                ch = rows[rr][cc]
                R[s, a] += p * rewards[ch]
                if ch == "C":
                    for s0 in starts:
                        P[s, a, s0] += p / len(starts)
                else:
                    P[s, a, index[(rr, cc)]] += p
    for s, (r, c) in enumerate(cells):
        if rows[r][c] in "GT":
            P[s] = 0.0
            P[s, :, s] = 1.0
            R[s] = 0.0
    return P, R, cells


REWARDS = {"S": -0.1, ".": -0.1, "G": 1.0, "T": -1.0, "C": -100.0}
KW = dict(step_reward=-0.1, goal_reward=1.0, trap_reward=-1.0, cliff_reward=-100.0)


@pytest.mark.parametrize("n_actions", [4, 5])
@pytest.mark.parametrize("slip", [0.0, 0.25, 1.0])
@pytest.mark.parametrize(
    "layout",
    [TINY, "S.C.G\n..#..\nT...S", "....\n.##.\n.#G.\nC..."],
    ids=["tiny", "two-starts", "cliff"],
)
def test_matches_brute_force(layout: str, slip: float, n_actions: int):
    world = GridWorld.from_map(layout, slip=slip, n_actions=n_actions, **KW)
    P, R, cells = reference_dynamics(layout, slip, n_actions, REWARDS)
    np.testing.assert_allclose(world.mdp.dense_transitions(), P, atol=1e-12)
    np.testing.assert_allclose(world.mdp.reward, R, atol=1e-12)
    np.testing.assert_array_equal(world.cells, cells)
    np.testing.assert_allclose(world.mdp.transitions.sum(axis=1), 1.0)


def test_tiny_map_semantics():
    world = GridWorld.from_map(TINY, **KW)
    mdp = world.mdp
    P = mdp.dense_transitions()
    assert mdp.shape == (8, 4) and world.shape == (3, 3)
    np.testing.assert_array_equal(world.cells, CELLS)
    np.testing.assert_array_equal(np.flatnonzero(mdp.terminal), [4, 7])  # G and T
    np.testing.assert_array_equal(mdp.initial, np.eye(8)[0])  # the single S
    # Walls and edges block: (0, 1) south is a wall, (0, 0) north is off the map.
    assert P[1, SOUTH, 1] == 1.0 and mdp.reward[1, SOUTH] == -0.1
    assert P[0, NORTH, 0] == 1.0
    # Entering G and T pays their reward.
    assert P[2, SOUTH, 4] == 1.0 and mdp.reward[2, SOUTH] == 1.0
    assert P[6, EAST, 7] == 1.0 and mdp.reward[6, EAST] == -1.0
    # Terminal states absorb with no reward.
    assert (P[4, :, 4] == 1.0).all() and (mdp.reward[4] == 0.0).all()
    assert world.action_names == ("north", "south", "east", "west")


def test_slip_distribution_exact():
    world = GridWorld.from_map(TINY, slip=0.3, **KW)
    P = world.mdp.dense_transitions()
    # From (0, 1) choose east: east 0.7 -> (0, 2); north (edge) and south (wall) 0.1 each stay;
    # west 0.1 -> (0, 0).
    np.testing.assert_allclose(P[1, EAST], [0.1, 0.2, 0.7, 0, 0, 0, 0, 0])
    # From (0, 2) choose south: 0.7 into G; north and east hit the edge; west -> (0, 1).
    np.testing.assert_allclose(P[2, SOUTH], [0, 0.1, 0.2, 0, 0.7, 0, 0, 0])
    np.testing.assert_allclose(world.mdp.reward[2, SOUTH], 0.7 * 1.0 + 0.3 * -0.1)


def test_stay_action_slips_to_all_other_actions():
    world = GridWorld.from_map(TINY, slip=0.4, n_actions=5)
    P = world.mdp.dense_transitions()
    assert world.action_names[STAY] == "stay"
    # stay 0.6 + north (edge) 0.1 + south (wall) 0.1 stay in place; east and west 0.1 each.
    np.testing.assert_allclose(P[1, STAY], [0.1, 0.8, 0.1, 0, 0, 0, 0, 0])


def test_no_start_symbol_means_uniform_over_live_states():
    world = GridWorld.from_map("...\n.#G\n..T")
    expected = np.where(world.mdp.terminal, 0.0, 1 / 6)
    np.testing.assert_allclose(world.mdp.initial, expected)


def test_several_starts_uniform():
    world = GridWorld.from_map("S.S\n..G")
    np.testing.assert_allclose(world.mdp.initial, [0.5, 0, 0.5, 0, 0, 0])


def test_cliff_sends_back_to_start():
    world = GridWorld.from_map("SCG\n...", cliff_reward=-50.0, step_reward=-1.0)
    P = world.mdp.dense_transitions()
    assert world.n_states == 5  # the cliff is not a state
    assert P[0, EAST, 0] == 1.0 and world.mdp.reward[0, EAST] == -50.0
    assert P[3, NORTH, 0] == 1.0  # (1, 1) north falls off the cliff


def test_reward_override_and_gamma_horizon():
    r = np.arange(8.0)
    world = GridWorld.from_map(TINY, reward=r, gamma=0.5, horizon=7)
    np.testing.assert_allclose(
        world.mdp.reward, np.where(world.mdp.terminal, 0, r)[:, None] * np.ones(4)
    )
    assert world.mdp.gamma == 0.5 and world.mdp.horizon == 7


def test_geometry_helpers():
    world = GridWorld.from_map(TINY)
    grid = world.to_grid(np.arange(8.0))
    assert grid.shape == (3, 3) and np.isnan(grid[1, 1])
    assert grid[1, 2] == 4.0 and grid[2, 2] == 7.0
    batch = world.to_grid(np.ones((2, 3, 8)))
    assert batch.shape == (2, 3, 3, 3) and np.isnan(batch[..., 1, 1]).all()
    assert world.state_of(2, 1) == 6
    np.testing.assert_array_equal(world.state_grid[1], [3, -1, 4])
    np.testing.assert_array_equal(world.states_with("G"), [4])
    np.testing.assert_array_equal(world.states_with("T"), [7])
    np.testing.assert_array_equal(world.states_with("S"), [0])
    np.testing.assert_array_equal(world.state_features("onehot"), np.eye(8))
    coords = world.state_features("coords")
    assert coords.shape == (8, 2) and coords.min() == 0.0 and coords.max() == 1.0
    np.testing.assert_allclose(coords[4], [0.5, 1.0])
    np.testing.assert_array_equal(world.action_deltas, ACTION_DELTAS[:4])
    assert world.layout == ("S..", ".#G", "..T")
    assert "S=8" in repr(world)


def test_layout_as_sequence_of_rows():
    a = GridWorld.from_map(["S..", ".#G", "..T"], slip=0.2)
    b = GridWorld.from_map(TINY, slip=0.2)
    assert (a.mdp.transitions != b.mdp.transitions).nnz == 0
