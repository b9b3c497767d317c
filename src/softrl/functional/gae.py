"""Advantage and return estimators as pure functions (rlax / torchrl style).

Time runs along axis 0 (T steps) and env copies along axis 1 (N). Episode ends are given by two
flags, because they mean different things for bootstrapping: at a *termination* s_{t+1} is
terminal and has value 0; at a *truncation* (time limit) the episode is cut but s_{t+1} still
has a value, which the caller passes in ``next_values`` (the value of the real final
observation), so targets bootstrap through time limits and never through terminations.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["gae"]


def gae(
    rewards: Tensor,
    values: Tensor,
    next_values: Tensor,
    terminated: Tensor,
    episode_ends: Tensor,
    gamma: float,
    lam: float,
) -> tuple[Tensor, Tensor]:
    """Generalized advantage estimation (Schulman et al. 2016, https://arxiv.org/abs/1506.02438).

    delta_t = r_t + gamma * (1 - terminated_t) * V(s_{t+1}) - V(s_t)
    A_t     = delta_t + gamma * lam * (1 - end_t) * A_{t+1},     A_T = 0
    R_t     = A_t + V(s_t)                       (the lambda-return, the critic's target)

    ``lam = 1`` gives Monte-Carlo returns (bootstrapped at truncations) minus V; ``lam = 0``
    gives one-step TD errors. For entropy-regularized policy gradient pass the soft reward
    r_t - T log pi(a_t|s_t) as ``rewards``.

    Parameters
    ----------
    rewards, values : Tensor, shape (T, N)
        r_t and V(s_t).
    next_values : Tensor, shape (T, N)
        V(s_{t+1}) of the real next state (the final observation where an episode ended).
    terminated : Tensor, shape (T, N)
        1 where s_{t+1} is terminal.
    episode_ends : Tensor, shape (T, N)
        1 where the episode ended at t (terminated or truncated): no advantage flows back
        across it.
    gamma, lam : float
        Discount and GAE parameter, both in [0, 1].

    Returns
    -------
    (advantages, returns) : Tensor, shape (T, N) each
    """
    if not (rewards.shape == values.shape == next_values.shape == terminated.shape
            == episode_ends.shape) or rewards.dim() != 2:
        raise ValueError("rewards, values, next_values, terminated and episode_ends must all "
                         f"have shape (T, N); got {tuple(rewards.shape)}, {tuple(values.shape)}, "
                         f"{tuple(next_values.shape)}, {tuple(terminated.shape)}, "
                         f"{tuple(episode_ends.shape)}")
    not_terminal = 1.0 - terminated.to(values.dtype)
    carry = gamma * lam * (1.0 - episode_ends.to(values.dtype))
    deltas = rewards + gamma * not_terminal * next_values - values
    advantages = torch.empty_like(deltas)
    running = torch.zeros_like(deltas[0])
    for t in range(deltas.shape[0] - 1, -1, -1):
        running = deltas[t] + carry[t] * running
        advantages[t] = running
    return advantages, advantages + values
