"""The 5 x 5 gridworld of Sutton & Barto (2018), Examples 3.5 and 3.8."""

from __future__ import annotations

import numpy as np

from softrl.mdp.finite import FiniteMDP

__all__ = ["SUTTON_BARTO_SHAPE", "sutton_barto_gridworld"]

SUTTON_BARTO_SHAPE = (5, 5)
_A, _A_PRIME, _A_REWARD = (0, 1), (4, 1), 10.0
_B, _B_PRIME, _B_REWARD = (0, 3), (2, 3), 5.0
_OFF_GRID_REWARD = -1.0
# north, south, east, west as (d_row, d_col)
_DELTAS = np.array([[-1, 0], [1, 0], [0, 1], [0, -1]])


def sutton_barto_gridworld(gamma: float = 0.9) -> FiniteMDP:
    """The gridworld of Sutton & Barto, *Reinforcement Learning* (2nd ed., 2018), Ex. 3.5/3.8.

    A 5 x 5 grid, state s = 5 * row + col (row 0 at the top), actions 0..3 = north, south,
    east, west, all deterministic.  A move that would leave the grid keeps the agent in place
    with reward -1; every action taken in A = (0, 1) moves to A' = (4, 1) with reward +10,
    every action in B = (0, 3) moves to B' = (2, 3) with reward +5; all other moves give 0.
    No terminal states, p(s_0) uniform.  With gamma = 0.9 its values are the book's
    Figure 3.2 (equiprobable random policy: V(A) = 8.8) and Figure 3.5 (optimal: V(A) = 24.4).

    Parameters
    ----------
    gamma : float in (0, 1], default 0.9
        Discount; the book uses 0.9.

    Returns
    -------
    FiniteMDP
        25 states, 4 actions; ``values.reshape(5, 5)`` lays per-state values on the grid.

    Examples
    --------
    >>> mdp = sutton_barto_gridworld()
    >>> mdp.shape, float(mdp.reward[1, 0]), float(mdp.reward[0, 0])
    ((25, 4), 10.0, -1.0)
    """
    n_rows, n_cols = SUTTON_BARTO_SHAPE
    n_states, n_actions = n_rows * n_cols, len(_DELTAS)
    rows, cols = np.divmod(np.arange(n_states), n_cols)
    target_r = rows[:, None] + _DELTAS[None, :, 0]  # (S, A)
    target_c = cols[:, None] + _DELTAS[None, :, 1]
    off = (target_r < 0) | (target_r >= n_rows) | (target_c < 0) | (target_c >= n_cols)
    next_state = np.where(off, np.arange(n_states)[:, None], target_r * n_cols + target_c)
    reward = np.where(off, _OFF_GRID_REWARD, 0.0)
    for src, dst, bonus in ((_A, _A_PRIME, _A_REWARD), (_B, _B_PRIME, _B_REWARD)):
        s = src[0] * n_cols + src[1]
        next_state[s] = dst[0] * n_cols + dst[1]
        reward[s] = bonus
    transitions = np.zeros((n_states, n_actions, n_states))
    np.put_along_axis(transitions, next_state[..., None], 1.0, axis=2)
    return FiniteMDP(transitions, reward, gamma=gamma)
