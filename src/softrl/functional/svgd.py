"""Stein variational gradient descent (SVGD) and the pieces of soft Q-learning with it.

Soft Q-learning for continuous actions (Haarnoja, Tang, Abbeel, Levine 2017, "Reinforcement
Learning with Deep Energy-Based Policies", https://arxiv.org/abs/1702.08165) needs

- the soft value V(s) = T log int_A exp(Q(s,a)/T) da (seed 003's V_t), estimated by importance
  sampling from a proposal q(a): V(s) ~= T log (1/M) sum_j exp(Q(s,a_j)/T) / q(a_j);
- a sampler a = f_phi(s, xi) pushed toward pi(a|s) ∝ exp(Q(s,a)/T) by amortized SVGD (Liu &
  Wang 2016, https://arxiv.org/abs/1608.04471): each particle a moves along
  phi(a) = E_{a'}[k(a', a) grad_{a'} log p(a') + grad_{a'} k(a', a)], with log p = Q/T.

All functions take leading batch axes (one set of particles per state). The space the particles
live in is the caller's: kernel, score and particles must be in the SAME space. softrl's SQL
(``softrl.agents.SQL``) puts all three on the squashed actions in [-1, 1]^d: the sampler ends
in tanh, Q is differentiated with respect to those squashed actions, the kernel is computed on
them, and since the target density exp(Q/T) is defined on the action box itself no tanh
log-Jacobian enters the score (the inconsistency of softlearning #143 cannot arise).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = [
    "importance_sampled_soft_value",
    "median_bandwidth",
    "rbf_kernel",
    "sql_q_target",
    "svgd_direction",
    "svgd_policy_loss",
    "uniform_log_density",
]


def median_bandwidth(sq_dist: Tensor, n_particles: int, min_bandwidth: float = 1e-3) -> Tensor:
    """h = median_{i,j} ||x_i - y_j||^2 / log(n), at least ``min_bandwidth`` (no gradient).

    Liu & Wang's (2016) heuristic: with k(x, y) = exp(-||x - y||^2 / h), each particle's own
    kernel weight and the sum of the others' balance, sum_j k(x_i, x_j) ~ n exp(-med/h) = 1.
    The reference code of soft Q-learning uses the same form.

    Parameters
    ----------
    sq_dist : Tensor, shape (..., Kx, Ky)
        Squared distances between two particle sets.
    n_particles : int
        n in the formula (the number of particles Kx the kernel sums over).
    min_bandwidth : float
        Floor of h (identical particles would give h = 0).

    Returns
    -------
    Tensor, shape (...)
        Bandwidth per leading index (detached).
    """
    flat = sq_dist.detach().flatten(-2)
    # The upper median, as the reference's top_k(K // 2 + 1).
    med = flat.sort(-1).values[..., flat.shape[-1] // 2]
    return (med / math.log(max(n_particles, 2))).clamp_min(min_bandwidth)


def rbf_kernel(x: Tensor, y: Tensor, bandwidth: Tensor | float | None = None
               ) -> tuple[Tensor, Tensor]:
    """k(x_i, y_j) = exp(-||x_i - y_j||^2 / h) and its gradient in x_i.

    grad_{x_i} k(x_i, y_j) = -2 (x_i - y_j) / h * k(x_i, y_j).

    Parameters
    ----------
    x : Tensor, shape (..., Kx, D)
        First particle set (the kernel's gradient is taken in these).
    y : Tensor, shape (..., Ky, D)
        Second particle set.
    bandwidth : Tensor of shape (...), float or None
        h; None uses :func:`median_bandwidth` with n = Kx.

    Returns
    -------
    kappa : Tensor, shape (..., Kx, Ky)
    grad_x : Tensor, shape (..., Kx, Ky, D)
    """
    if x.shape[-1] != y.shape[-1] or x.shape[:-2] != y.shape[:-2]:
        raise ValueError(f"rbf_kernel: x {tuple(x.shape)} and y {tuple(y.shape)} must agree in "
                         "the leading axes and the last (particle dimension D)")
    diff = x.unsqueeze(-2) - y.unsqueeze(-3)  # (..., Kx, Ky, D)
    sq_dist = diff.square().sum(-1)
    if bandwidth is None:
        h = median_bandwidth(sq_dist, x.shape[-2])
    else:
        h = torch.as_tensor(bandwidth, dtype=x.dtype, device=x.device)
    h2 = h[..., None, None] if h.ndim else h
    kappa = torch.exp(-sq_dist / h2)
    grad_x = -2.0 * diff / h2.unsqueeze(-1) * kappa.unsqueeze(-1)
    return kappa, grad_x


def svgd_direction(x: Tensor, score_x: Tensor, y: Tensor,
                   bandwidth: Tensor | float | None = None) -> Tensor:
    """The SVGD direction at the particles y, estimated with the particles x:

        phi(y_j) = (1/Kx) sum_i [ k(x_i, y_j) grad log p(x_i) + grad_{x_i} k(x_i, y_j) ]

    The first term moves y toward high density, the second (the kernel's repulsion) keeps the
    particles apart; x and y may be the same set. Moving y along phi is the steepest descent of
    KL(q || p) in the kernel's unit ball (Liu & Wang 2016, Theorem 3.3).

    Parameters
    ----------
    x : Tensor, shape (..., Kx, D)
        Particles at which the score is known.
    score_x : Tensor, shape (..., Kx, D)
        grad_x log p(x), in the same space as x (for SQL: grad_a Q(s, a) / T).
    y : Tensor, shape (..., Ky, D)
        Particles to move.
    bandwidth : Tensor, float or None
        Kernel bandwidth h (None: median heuristic over x and y).

    Returns
    -------
    Tensor, shape (..., Ky, D)
        phi(y).
    """
    if score_x.shape != x.shape:
        raise ValueError(f"svgd_direction: score_x {tuple(score_x.shape)} must have the shape "
                         f"of x {tuple(x.shape)}")
    kappa, grad_x = rbf_kernel(x, y, bandwidth)
    drive = torch.einsum("...ij,...id->...jd", kappa, score_x)
    return (drive + grad_x.sum(-3)) / x.shape[-2]


def svgd_policy_loss(actions: Tensor, direction: Tensor) -> Tensor:
    """Amortized SVGD surrogate: L(phi) = -mean_{b,j} <stop_grad(Delta a_bj), a_bj(phi)>.

    Its gradient in the sampler's parameters is -E[Delta a^T da/dphi]: a gradient step moves
    each sampled action a = f_phi(s, xi) along the SVGD direction Delta a (Haarnoja et al. 2017,
    Eq. 13), the amortized form of Liu & Wang's particle update.

    Parameters
    ----------
    actions : Tensor, shape (..., K, D)
        Sampled actions, differentiable in the sampler's parameters.
    direction : Tensor, shape (..., K, D)
        SVGD direction at those actions (treated as a constant).
    """
    if actions.shape != direction.shape:
        raise ValueError(f"svgd_policy_loss: actions {tuple(actions.shape)} and direction "
                         f"{tuple(direction.shape)} must have the same shape")
    return -(direction.detach() * actions).sum(-1).mean()


def uniform_log_density(low: Tensor | float, high: Tensor | float, dim: int | None = None
                        ) -> Tensor:
    """log q(a) of the uniform proposal on the box prod_d [low_d, high_d]: -sum_d log(high_d -
    low_d) (scalars with ``dim``: -dim * log(high - low))."""
    low_t, high_t = torch.as_tensor(low, dtype=torch.float64), torch.as_tensor(high,
                                                                                dtype=torch.float64)
    width = (high_t - low_t).expand(dim) if dim is not None else high_t - low_t
    if (width <= 0).any():
        raise ValueError("uniform_log_density: every high must exceed its low")
    return -width.log().sum()


def importance_sampled_soft_value(q_values: Tensor, log_proposal: Tensor | float,
                                  temperature: Tensor | float) -> Tensor:
    """V(s) = T log E_{a~q}[exp(Q(s,a)/T) / q(a)] ~= T (logsumexp_j (Q_j/T - log q(a_j)) - log M).

    An unbiased estimate of int exp(Q/T) da inside the log (so V itself is biased low by
    Jensen, less so as M grows). Soft Q-learning's reference uses q = uniform on the action box,
    whose log density is :func:`uniform_log_density`.

    Parameters
    ----------
    q_values : Tensor, shape (..., M)
        Q(s, a_j) at M actions drawn from the proposal.
    log_proposal : Tensor of shape (..., M) or broadcastable, or float
        log q(a_j).
    temperature : float or Tensor
        T > 0.

    Returns
    -------
    Tensor, shape (...)
    """
    m = q_values.shape[-1]
    log_q = torch.as_tensor(log_proposal, dtype=q_values.dtype, device=q_values.device)
    return temperature * (torch.logsumexp(q_values / temperature - log_q, dim=-1)
                          - math.log(m))


def sql_q_target(rewards: Tensor, terminated: Tensor, next_value: Tensor, gamma: float
                 ) -> Tensor:
    """y = r + gamma (1 - d) V(s'): soft Q-learning's regression target (V from the target Q).

    Parameters
    ----------
    rewards, terminated, next_value : Tensor, shape (B,)
        r, the termination flag d (1 at a true terminal state, 0 at a time-limit truncation)
        and the estimated soft value of s'.
    gamma : float
        Discount.
    """
    return rewards + gamma * (1.0 - terminated.to(rewards.dtype)) * next_value
