"""Soft Actor-Critic losses as pure functions of tensors.

Notation follows Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and Applications"
(https://arxiv.org/abs/1812.05905) and, for the V-network form, "Soft Actor-Critic: Off-Policy
Maximum Entropy Deep RL with a Stochastic Actor" (https://arxiv.org/abs/1801.01290). The entropy
weight is ``temperature``; ``gamma`` is the discount. Twin critics are stacked on a leading
ensemble axis ``E`` (E = 2 for the usual clipped double-Q).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


def _check_ensemble(q: Tensor, name: str) -> None:
    if q.dim() != 2:
        raise ValueError(f"{name} must have shape (E, B); got {tuple(q.shape)}")


def soft_q_target(
    reward: Tensor,
    terminated: Tensor,
    next_q: Tensor,
    next_log_prob: Tensor,
    temperature: float | Tensor,
    gamma: float,
) -> Tensor:
    """y = r + gamma * (1 - terminated) * (min_i Qbar_i(s', a') - temperature * log pi(a'|s')).

    Bootstraps through time-limit truncation: pass ``terminated``, not ``terminated | truncated``.

    Parameters
    ----------
    reward, terminated : Tensor, shape (B,)
        Reward r_t and termination flag (1.0 where s' is terminal).
    next_q : Tensor, shape (E, B)
        Target-critic values Qbar_i(s', a') with a' ~ pi(.|s').
    next_log_prob : Tensor, shape (B,)
        log pi(a'|s').
    temperature : float or Tensor, shape ()
        Entropy weight.
    gamma : float
        Discount.

    Returns
    -------
    Tensor, shape (B,)
        Critic regression target (no gradient).
    """
    _check_ensemble(next_q, "next_q")
    next_v = next_q.min(0).values - temperature * next_log_prob
    return (reward + gamma * (1.0 - terminated) * next_v).detach()


def soft_v_target(q_pi: Tensor, log_prob: Tensor, temperature: float | Tensor) -> Tensor:
    """V target = min_i Q_i(s, a~) - temperature * log pi(a~|s), a~ ~ pi(.|s) (V-network SAC).

    Parameters
    ----------
    q_pi : Tensor, shape (E, B)
        Critic values at fresh policy actions.
    log_prob : Tensor, shape (B,)
        log pi(a~|s).
    temperature : float or Tensor, shape ()
        Entropy weight.

    Returns
    -------
    Tensor, shape (B,)
        Value-network regression target (no gradient).
    """
    _check_ensemble(q_pi, "q_pi")
    return (q_pi.min(0).values - temperature * log_prob).detach()


def q_target_from_value(
    reward: Tensor, terminated: Tensor, next_value: Tensor, gamma: float
) -> Tensor:
    """y = r + gamma * (1 - terminated) * Vbar(s') (critic target of V-network SAC).

    Parameters
    ----------
    reward, terminated, next_value : Tensor, shape (B,)
        Reward, termination flag and target-value-network output Vbar(s').
    gamma : float
        Discount.

    Returns
    -------
    Tensor, shape (B,)
        Critic regression target (no gradient).
    """
    return (reward + gamma * (1.0 - terminated) * next_value).detach()


def critic_loss(q: Tensor, target: Tensor) -> Tensor:
    """J_Q = sum_i 0.5 * mean_b (Q_i(s_b, a_b) - y_b)^2, one term per ensemble member.

    Parameters
    ----------
    q : Tensor, shape (E, B)
        Critic values at the replayed actions.
    target : Tensor, shape (B,)
        Regression target y (treated as a constant).

    Returns
    -------
    Tensor, shape ()
        Summed critic loss.
    """
    _check_ensemble(q, "q")
    return 0.5 * (q - target.detach()).square().mean(1).sum()


def value_loss(v: Tensor, target: Tensor) -> Tensor:
    """J_V = 0.5 * mean_b (V(s_b) - V target_b)^2.

    Parameters
    ----------
    v, target : Tensor, shape (B,)
        Value-network output and its target (treated as a constant).

    Returns
    -------
    Tensor, shape ()
        Value loss.
    """
    return 0.5 * (v - target.detach()).square().mean()


def actor_loss(q_pi: Tensor, log_prob: Tensor, temperature: float | Tensor) -> Tensor:
    """J_pi = mean_b (temperature * log pi(a~_b|s_b) - min_i Q_i(s_b, a~_b)), a~ reparameterized.

    Parameters
    ----------
    q_pi : Tensor, shape (E, B)
        Critic values at the policy's reparameterized actions.
    log_prob : Tensor, shape (B,)
        log pi(a~|s), differentiable in the policy parameters.
    temperature : float or Tensor, shape ()
        Entropy weight (treated as a constant).

    Returns
    -------
    Tensor, shape ()
        Policy loss.
    """
    _check_ensemble(q_pi, "q_pi")
    if isinstance(temperature, Tensor):
        temperature = temperature.detach()
    return (temperature * log_prob - q_pi.min(0).values).mean()


def temperature_loss(log_temperature: Tensor, log_prob: Tensor, target_entropy: float) -> Tensor:
    """J(log T) = -log T * mean_b (log pi(a_b|s_b) + target_entropy), log pi treated as constant.

    Its gradient raises the temperature T when the policy entropy ``-mean log pi`` is below
    ``target_entropy`` and lowers it otherwise (the log-parameterized form that Stable-Baselines3
    also uses).

    Parameters
    ----------
    log_temperature : Tensor, shape ()
        Learned log of the entropy weight.
    log_prob : Tensor, shape (B,)
        log pi(a|s) of fresh policy samples.
    target_entropy : float
        Desired entropy, usually ``-dim(A)``.

    Returns
    -------
    Tensor, shape ()
        Temperature loss.
    """
    return -log_temperature * (log_prob.detach() + target_entropy).mean()


@torch.no_grad()
def polyak_update(target: Sequence[Tensor], online: Sequence[Tensor], tau: float) -> None:
    """theta_target <- (1 - tau) * theta_target + tau * theta_online, in place, one fused call.

    Parameters
    ----------
    target, online : sequence of Tensor
        Matching parameter (and buffer) tensors; ``target`` is updated in place.
    tau : float
        Polyak coefficient in (0, 1].
    """
    torch._foreach_lerp_(list(target), list(online), tau)
