"""IRL test helpers: a gridworld with lava, a goal region and region features; small MDPs."""

from __future__ import annotations

import numpy as np

from softrl.envs import gridworld
from softrl.mdp import FiniteMDP

# S start, L lava (-1), g goal region (+0.5), G goal centre (+1.5); state rewards, no terminals.
LAYOUT = """
S.........
..........
...LL.....
...LL..LL.
.......LL.
..LLL.....
..LLL...gg
........gG
"""
TRUE_THETA = np.array([-1.0, 0.5, 1.0])


def region_features() -> tuple[np.ndarray, tuple[int, int]]:
    """phi(s) = [lava, goal region, goal centre], (S, 3), and the grid shape."""
    chars = np.array([list(row) for row in LAYOUT.split()])
    phi = np.stack([chars == "L", np.isin(chars, ["g", "G"]), chars == "G"], axis=-1)
    return phi.reshape(-1, 3).astype(np.float64), chars.shape


def lava_world(slip: float, horizon: int = 40):
    """(world, features (S, 3)) of the lava gridworld; start at the top-left corner."""
    phi, (n, m) = region_features()
    world = gridworld(
        n, m, slip=slip, reward=phi @ TRUE_THETA, start=(0, 0), horizon=horizon, gamma=1.0
    )
    return world, phi


def random_mdp(
    seed: int,
    n_states: int = 6,
    n_actions: int = 3,
    gamma: float = 1.0,
    horizon: int | None = 5,
    terminal=None,
) -> FiniteMDP:
    """A small dense MDP with stochastic dynamics and a random r(s, a)."""
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.full(n_states, 0.5), size=(n_states, n_actions))
    return FiniteMDP(
        P, rng.normal(size=(n_states, n_actions)), gamma=gamma, horizon=horizon, terminal=terminal
    )
