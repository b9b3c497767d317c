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

__all__ = ["discounted_returns", "gae"]


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
    _check_shapes(rewards=rewards, values=values, next_values=next_values,
                  terminated=terminated, episode_ends=episode_ends)
    not_terminal = 1.0 - terminated.to(values.dtype)
    carry = gamma * lam * (1.0 - episode_ends.to(values.dtype))
    deltas = rewards + gamma * not_terminal * next_values - values
    advantages = torch.empty_like(deltas)
    running = torch.zeros_like(deltas[0])
    for t in range(deltas.shape[0] - 1, -1, -1):
        running = deltas[t] + carry[t] * running
        advantages[t] = running
    return advantages, advantages + values


def discounted_returns(
    rewards: Tensor,
    next_values: Tensor,
    terminated: Tensor,
    episode_ends: Tensor,
    gamma: float,
) -> Tensor:
    """Discounted returns, bootstrapped at truncations and at the end of the rollout.

    G_t = r_t + gamma * (1 - terminated_t) * V(s_{t+1})                      if end_t
    G_t = r_t + gamma * G_{t+1}                                              otherwise
    with G_T := V(s_T) from ``next_values[T-1]`` (the rollout is cut, so the last step
    bootstraps like a truncation unless it terminated).

    This is the Monte-Carlo (``lam = 1``) target: ``gae(..., lam=1)`` returns
    ``discounted_returns(...) - values``. For entropy-regularized returns pass the soft reward
    r_t - T log pi(a_t|s_t) as ``rewards``.

    Parameters
    ----------
    rewards : Tensor, shape (T, N)
        r_t.
    next_values : Tensor, shape (T, N)
        V(s_{t+1}) of the real next state; only read where the episode ended at t (the final
        observation's value at a truncation) and at t = T - 1.
    terminated : Tensor, shape (T, N)
        1 where s_{t+1} is terminal (never bootstrapped).
    episode_ends : Tensor, shape (T, N)
        1 where the episode ended at t (terminated or truncated).
    gamma : float
        Discount in [0, 1].

    Returns
    -------
    Tensor, shape (T, N)
        G_t.
    """
    _check_shapes(rewards=rewards, next_values=next_values, terminated=terminated,
                  episode_ends=episode_ends)
    terminal, ended = terminated.bool(), episode_ends.bool()
    returns = torch.empty_like(rewards)
    running = next_values[-1]
    for t in range(rewards.shape[0] - 1, -1, -1):
        # Inside an episode follow G_{t+1}; at an end restart from the final state's value,
        # which a termination replaces by 0 (whatever the caller stored there).
        following = torch.where(ended[t], next_values[t], running)
        running = rewards[t] + gamma * torch.where(terminal[t], 0.0, following)
        returns[t] = running
    return returns


def _check_shapes(**tensors: Tensor) -> None:
    shapes = {name: tuple(x.shape) for name, x in tensors.items()}
    first = next(iter(shapes.values()))
    if len(first) != 2 or any(s != first for s in shapes.values()):
        listed = ", ".join(f"{name} {s}" for name, s in shapes.items())
        raise ValueError(f"{', '.join(shapes)} must all have the same shape (T, N); got {listed}")
