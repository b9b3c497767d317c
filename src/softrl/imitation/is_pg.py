"""Importance-sampled policy gradient with demonstrations (seed 004, "Learning With
Demonstrations").

The trajectories tau_j, j = 1..M, come from a proposal q: the demonstrations and the policy's
own samples, fused as q(tau) = (1/K) sum_k q_k(tau) (seed 004: "fusion multiple
distributions"), each component a policy q_k(a|s) (a BC estimate of the demonstrator, the
current policy, ...) or the Dirac choice pi_demo(tau) = delta(tau in D) / N. The dynamics
cancel in every ratio, so the weights of the prefix tau_{1:t} are

    w_{j,t} = prod_{t'<=t} pi_theta(a_t'|s_t') / q(tau_{j,1:t})
    q(tau_{1:t}) = (1/K) sum_k prod_{t'<=t} q_k(a_t'|s_t')

(the mixture of the components' prefix distributions, which is exact when each trajectory is
drawn whole from one component). Everything is computed in log space: log w = cumsum(log pi)
- (logsumexp_k cumsum(log q_k) - log K).

Seed 004's estimator (``future_ratios=False``):

    grad J ~ (1/M) sum_j sum_t grad log pi(a_jt|s_jt) w_{j,t} sum_{t'>=t} r_jt'

drops the ratios of the steps after t from the reward-to-go (a first-order approximation:
exact on-policy, biased otherwise). ``future_ratios=True`` keeps them,

    grad J ~ (1/M) sum_j sum_t grad log pi(a_jt|s_jt) sum_{t'>=t} w_{j,t'} r_jt',

which is unbiased: its expectation under q is exactly grad E_pi[sum_t r_t].

With a discount gamma the reward-to-go is sum_{t'>=t} gamma^(t'-t) r_jt' (gamma = 1: the
seed's sums). A baseline b(s_jt) is subtracted as w_{j,t} b(s_jt) in either form; it leaves
the expectation unchanged, because E_q[w_{j,t} grad log pi(a_t|s_t) b(s_t)] =
E_pi[grad log pi(a_t|s_t) b(s_t)] = 0 (w_{j,t} holds the ratio of step t itself).

When the M trajectories are drawn n_k from component k (not each from the mixture), the
component weights c_k = n_k / M replace 1/K: q = sum_k c_k q_k (the balance heuristic of
multiple importance sampling, unbiased for this stratified draw).

Options: ``clip`` truncates every weight at c (log w <= log c; lower variance, biased);
``self_normalize`` divides the weights of each step t by their mean over the M_t
trajectories still running at t (padding excluded),
w_{j,t} -> w_{j,t} / ((1/M_t) sum_i w_{i,t}) (weighted importance sampling: biased,
consistent, bounded). Clipping is applied first.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = ["dirac_log_proposal", "discounted_reward_to_go", "fused_log_proposal",
           "is_log_weights", "is_pg_loss"]


def fused_log_proposal(log_q_components: Tensor, mask: Tensor | None = None,
                       weights: Tensor | None = None) -> Tensor:
    """log q(tau_{1:t}) of the fused proposal, (M, T), from per-step log q_k(a_t|s_t):
    log q = logsumexp_k (log c_k + sum_{t'<=t} log q_k(a_t'|s_t')).

    Parameters
    ----------
    log_q_components : Tensor (K, M, T)
        log q_k(a_jt|s_jt) of each component k at each step of each trajectory (-inf where a
        component cannot produce the action, e.g. the Dirac component on policy samples).
    mask : Tensor (M, T), optional
        1 on real steps, 0 on padding after a trajectory's end.
    weights : Tensor (K,), optional
        Mixture weights c_k >= 0 summing to 1 (default 1/K, the seed's sum_i q_i / M).
    """
    if log_q_components.ndim != 3:
        raise ValueError(f"log_q_components must be (K, M, T); got "
                         f"{tuple(log_q_components.shape)}")
    lq = log_q_components
    if mask is not None:  # padding contributes log 1 = 0 (and -inf * 0 would be nan)
        lq = torch.where(mask.bool(), log_q_components, torch.zeros_like(log_q_components))
    k = log_q_components.shape[0]
    if weights is None:
        return torch.logsumexp(lq.cumsum(-1), dim=0) - math.log(k)
    c = torch.as_tensor(weights, dtype=lq.dtype, device=lq.device)
    if c.shape != (k,) or bool((c < 0).any()) or abs(float(c.sum()) - 1.0) > 1e-6:
        raise ValueError(f"weights must be K = {k} non-negative numbers summing to 1; got "
                         f"{c.tolist()}")
    return torch.logsumexp(lq.cumsum(-1) + c.log().reshape(k, 1, 1), dim=0)


def dirac_log_proposal(is_demo: Tensor, n_demos: int, steps: int) -> Tensor:
    """Per-step log-probabilities (M, T) of the Dirac component delta(tau in D) / N.

    A demonstrated trajectory gets log(1/N) on its first step and 0 after (so its prefixes
    have probability 1/N); a policy sample gets -inf (the component cannot produce it).
    """
    m = is_demo.shape[0]
    out = torch.zeros(m, steps, dtype=torch.float64 if not is_demo.is_floating_point()
                      else is_demo.dtype, device=is_demo.device)
    out[:, 0] = -math.log(n_demos)
    return torch.where(is_demo.bool().unsqueeze(-1), out, torch.full_like(out, -math.inf))


def is_log_weights(log_pi: Tensor, log_q_prefix: Tensor, mask: Tensor | None = None) -> Tensor:
    """log w_{j,t} = sum_{t'<=t} log pi(a_t'|s_t') - log q(tau_{j,1:t}), (M, T).

    ``log_pi`` is detached: the weights are constants of the gradient estimate.
    """
    lp = log_pi.detach()
    if mask is not None:
        lp = lp * mask
    return lp.cumsum(-1) - log_q_prefix


def is_pg_loss(
    log_pi: Tensor,
    log_q_prefix: Tensor,
    rewards: Tensor,
    mask: Tensor | None = None,
    *,
    future_ratios: bool = False,
    self_normalize: bool = False,
    clip: float | None = None,
    gamma: float = 1.0,
    baseline: Tensor | None = None,
) -> Tensor:
    """Surrogate loss whose gradient is minus the importance-sampled policy gradient.

    L(theta) = -(1/M) sum_j sum_t log pi_theta(a_jt|s_jt) * G_jt with the constant
    G_jt = w_jt (sum_{t'>=t} gamma^(t'-t) r_jt' - b_jt) (``future_ratios=False``, seed 004)
    or sum_{t'>=t} gamma^(t'-t) w_jt' r_jt' - w_jt b_jt (``future_ratios=True``, unbiased);
    see the module docstring for the weights, ``clip`` and ``self_normalize``.

    Parameters
    ----------
    log_pi : Tensor (M, T)
        log pi_theta(a_jt|s_jt), with gradients.
    log_q_prefix : Tensor (M, T)
        log q(tau_{j,1:t}) (:func:`fused_log_proposal`).
    rewards : Tensor (M, T)
    mask : Tensor (M, T), optional
        1 on real steps, 0 on padding.
    future_ratios, self_normalize : bool
    clip : float > 0, optional
        Upper bound of each weight.
    gamma : float in [0, 1]
        Discount of the reward-to-go (1: the seed's undiscounted sums).
    baseline : Tensor (M, T), optional
        b(s_jt), a function of the state only (treated as a constant).
    """
    if not (log_pi.shape == log_q_prefix.shape == rewards.shape) or log_pi.ndim != 2:
        raise ValueError(f"log_pi, log_q_prefix and rewards must all be (M, T); got "
                         f"{tuple(log_pi.shape)}, {tuple(log_q_prefix.shape)}, "
                         f"{tuple(rewards.shape)}")
    if clip is not None and not clip > 0:
        raise ValueError(f"clip must be > 0 or None; got {clip}")
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"gamma must be in [0, 1]; got {gamma}")
    if baseline is not None and baseline.shape != rewards.shape:
        raise ValueError(f"baseline must be (M, T) like rewards; got {tuple(baseline.shape)}")
    m = torch.ones_like(rewards) if mask is None else mask.to(rewards.dtype)
    with torch.no_grad():
        log_w = is_log_weights(log_pi, log_q_prefix, m)
        if clip is not None:
            log_w = log_w.clamp(max=math.log(clip))
        if self_normalize:  # mean over the trajectories still running at step t
            real = m.bool()
            count = m.sum(0, keepdim=True).clamp(min=1)
            log_mean = torch.logsumexp(log_w.masked_fill(~real, -math.inf), dim=0,
                                       keepdim=True) - count.log()
            log_w = log_w - torch.where(torch.isfinite(log_mean), log_mean,
                                        torch.zeros_like(log_mean))
        w = log_w.exp() * m
        r = rewards * m
        if future_ratios:
            g = discounted_reward_to_go(w * r, gamma)
        else:
            g = w * discounted_reward_to_go(r, gamma)
        if baseline is not None:
            g = g - w * baseline.detach() * m
    return -(log_pi * m * g).sum(-1).mean()


def discounted_reward_to_go(x: Tensor, gamma: float) -> Tensor:
    """sum_{t'>=t} gamma^(t'-t) x_t' along the last axis."""
    if gamma == 1.0:
        return x.flip(-1).cumsum(-1).flip(-1)
    out = torch.empty_like(x)
    running = torch.zeros_like(x[..., 0])
    for t in range(x.shape[-1] - 1, -1, -1):
        running = x[..., t] + gamma * running
        out[..., t] = running
    return out
