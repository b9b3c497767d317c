"""Soft Q-learning and entropy-regularized policy gradient are the same update (seed 002;
Schulman, Chen and Abbeel 2017, https://arxiv.org/abs/1704.06440).

Parameterize Q_theta(s, a) = T log pi_theta(a|s) + V_theta(s), with pi_theta(.|s) =
softmax(theta_pi(s, .)) and V_theta(s) = theta_V(s) (tabular). Its soft value is
T log sum_a exp(Q_theta(s, a) / T) = V_theta(s), so the soft Q-learning loss on a batch with a
fixed target y = r + gamma V_theta(s') is

    L_Q = 1/2 sum_b (Q_theta(s_b, a_b) - y_b)^2,

and with the one-step soft advantage A_b = r_b - T log pi(a_b|s_b) + gamma V(s'_b) - V(s_b)
(constant), its gradient splits exactly into a policy gradient and a value regression:

    grad L_Q = T * grad[-sum_b A_b log pi_theta(a_b|s_b)]                  (policy gradient)
             + grad[1/2 sum_b (V_theta(s_b) - (r_b - T log pi(a_b|s_b) + gamma V(s'_b)))^2].
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

from softrl.validation import Interval, check_scalar

__all__ = ["EquivalenceGradients", "soft_q_pg_equivalence", "soft_q_pg_losses"]


class EquivalenceGradients(NamedTuple):
    """Both sides of the identity, as (theta_pi, theta_V) gradient pairs (float64 numpy)."""

    soft_q: tuple[np.ndarray, np.ndarray]
    """grad L_Q."""
    pg_plus_value: tuple[np.ndarray, np.ndarray]
    """T grad L_PG + grad L_V."""


def soft_q_pg_losses(theta_pi: Tensor, theta_v: Tensor, states: Tensor, actions: Tensor,
                     rewards: Tensor, next_states: Tensor, terminated: Tensor,
                     temperature: float, gamma: float) -> tuple[Tensor, Tensor, Tensor]:
    """(L_Q, L_PG, L_V) of the module docstring on one batch.

    Parameters
    ----------
    theta_pi : Tensor, shape (S, A)
        Policy logits; pi(.|s) = softmax(theta_pi[s]).
    theta_v : Tensor, shape (S,)
        V(s).
    states, actions, next_states : Tensor, shape (B,) int64
    rewards, terminated : Tensor, shape (B,)
    temperature, gamma : float
    """
    T = temperature
    log_pi = torch.log_softmax(theta_pi, dim=-1)
    log_pi_taken = log_pi[states, actions]
    q_taken = T * log_pi_taken + theta_v[states]
    with torch.no_grad():
        next_v = (1.0 - terminated) * theta_v[next_states]
        y = rewards + gamma * next_v
        soft_target_v = rewards - T * log_pi_taken + gamma * next_v
        advantage = soft_target_v - theta_v[states]
    loss_q = 0.5 * (q_taken - y).pow(2).sum()
    loss_pg = -(advantage * log_pi_taken).sum()
    loss_v = 0.5 * (theta_v[states] - soft_target_v).pow(2).sum()
    return loss_q, loss_pg, loss_v


def soft_q_pg_equivalence(theta_pi: np.ndarray, theta_v: np.ndarray, states: np.ndarray,
                          actions: np.ndarray, rewards: np.ndarray, next_states: np.ndarray,
                          terminated: np.ndarray, temperature: float,
                          gamma: float) -> EquivalenceGradients:
    """Compute grad L_Q and T grad L_PG + grad L_V on the same batch, by autograd (float64).

    They agree to rounding for any parameters and batch (see the module docstring).

    Parameters
    ----------
    theta_pi : array (S, A)
        Policy logits.
    theta_v : array (S,)
        V(s).
    states, actions, next_states : int arrays (B,)
    rewards, terminated : arrays (B,)
    temperature : float
        T > 0.
    gamma : float
        Discount in [0, 1].

    Returns
    -------
    EquivalenceGradients
        ``soft_q`` and ``pg_plus_value``, each (grad theta_pi (S, A), grad theta_v (S,)).
    """
    owner = "soft_q_pg_equivalence"
    check_scalar(temperature, "temperature", Interval(float, 0, None, closed="neither"), owner)
    check_scalar(gamma, "gamma", Interval(float, 0, 1), owner)

    def grads(which: str) -> tuple[np.ndarray, np.ndarray]:
        tp = torch.tensor(theta_pi, dtype=torch.float64, requires_grad=True)
        tv = torch.tensor(theta_v, dtype=torch.float64, requires_grad=True)
        loss_q, loss_pg, loss_v = soft_q_pg_losses(
            tp, tv, torch.as_tensor(states), torch.as_tensor(actions),
            torch.as_tensor(rewards, dtype=torch.float64), torch.as_tensor(next_states),
            torch.as_tensor(terminated, dtype=torch.float64), temperature, gamma)
        loss = loss_q if which == "q" else temperature * loss_pg + loss_v
        g_pi, g_v = torch.autograd.grad(loss, (tp, tv))
        return g_pi.numpy(), g_v.numpy()

    return EquivalenceGradients(grads("q"), grads("pg"))
