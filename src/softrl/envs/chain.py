"""The n-chain of Strens (2000): exploration bait with a small reward near, a big one far."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from softrl.mdp.finite import FiniteMDP
from softrl.mdp.validation import MDPValidationError
from softrl.validation import PROBABILITY, REAL, Interval, check_scalar

__all__ = ["CHAIN_ACTIONS", "chain"]

CHAIN_ACTIONS: tuple[str, str] = ("forward", "back")
"""Action names in index order."""


def chain(
    n: int = 5,
    slip: float = 0.2,
    small_reward: float = 2.0,
    big_reward: float = 10.0,
    gamma: float = 0.99,
    horizon: int | None = None,
) -> FiniteMDP:
    """The n-chain (Strens 2000, "A Bayesian framework for reinforcement learning").

    States 0..n-1 in a line, start at 0, no terminal states.  Action 0 ``forward`` moves
    s -> s + 1 with reward 0, and at the far end n - 1 stays there with ``big_reward``.
    Action 1 ``back`` returns to state 0 with ``small_reward``.  With probability ``slip`` the
    other action is executed instead (and paid): r(s, a) = (1 - slip) r(s, a) +
    slip r(s, other(a)).  A myopic agent keeps taking ``back``; the optimal one walks forward.

    Parameters
    ----------
    n : int >= 2, default 5
        Number of states.
    slip : float in [0, 1], default 0.2
        Probability of executing the other action.
    small_reward : float, default 2.0
        Reward of an executed ``back``.
    big_reward : float, default 10.0
        Reward of an executed ``forward`` at the far end.
    gamma : float in (0, 1], default 0.99
        Discount.
    horizon : int or None, default None
        Decisions per episode; None for an infinite horizon.

    Returns
    -------
    FiniteMDP
        n states, 2 actions.

    Examples
    --------
    >>> mdp = chain(5, slip=0.0)
    >>> mdp.shape, mdp.reward[4].tolist(), mdp.reward[0].tolist()
    ((5, 2), [10.0, 2.0], [0.0, 2.0])
    """
    n = check_scalar(n, "n", Interval(int, 2, None), error=MDPValidationError)
    slip = check_scalar(slip, "slip", PROBABILITY, error=MDPValidationError)
    small_reward = check_scalar(small_reward, "small_reward", REAL, error=MDPValidationError)
    big_reward = check_scalar(big_reward, "big_reward", REAL, error=MDPValidationError)
    states = np.arange(n)
    forward_to = np.minimum(states + 1, n - 1)
    forward_r = np.where(states == n - 1, big_reward, 0.0)
    back_to = np.zeros(n, dtype=np.int64)
    back_r = np.full(n, small_reward)
    succ = np.stack([forward_to, back_to], axis=1)  # (S, 2): successor by executed action
    prob = np.array([[1.0 - slip, slip], [slip, 1.0 - slip]])  # p(executed b | chosen a)
    # Row s*2 + a lists succ[s, 0] and succ[s, 1] with probabilities prob[a].
    rows = np.repeat(states * 2, 4) + np.tile([0, 0, 1, 1], n)
    cols = succ[:, [0, 1, 0, 1]].ravel()
    data = np.tile(prob.ravel(), n)
    transitions = sp.coo_matrix((data, (rows, cols)), shape=(2 * n, n)).tocsr()
    reward = np.stack([forward_r, back_r], axis=1) @ prob.T  # (S, 2)
    initial = np.zeros(n)
    initial[0] = 1.0
    return FiniteMDP(
        transitions, reward, initial=initial, gamma=gamma, horizon=horizon, n_actions=2
    )
