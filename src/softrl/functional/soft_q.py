"""Soft Q-learning for discrete actions as pure functions (seed 002; Haarnoja et al. 2017;
Vieillard et al. 2020 for the Munchausen term).

With temperature T, the Boltzmann policy of a soft Q is pi(a|s) = exp((Q(s,a) - V(s)) / T) and
its soft value V(s) = T log sum_a exp(Q(s,a) / T) = sum_a pi(a|s) (Q(s,a) - T log pi(a|s)).
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = [
    "boltzmann_log_policy",
    "munchausen_bonus",
    "sample_categorical",
    "soft_dqn_target",
    "soft_q_loss",
]


def boltzmann_log_policy(q: Tensor, temperature: float | Tensor) -> Tensor:
    """log pi(a|s) = (Q(s,a) - V(s)) / T = log_softmax(Q / T), shape like ``q`` (..., A)."""
    return torch.log_softmax(q / temperature, dim=-1)


def sample_categorical(log_probs: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """a ~ pi(.|s) by inversion: the first a with sum_{a' <= a} pi(a'|s) > u, u ~ U(0, 1).

    One uniform draw per row (``torch.multinomial`` costs several times more for the few
    actions of a discrete-action agent).

    Parameters
    ----------
    log_probs : Tensor, shape (..., A)
        log pi(.|s), normalized.
    generator : torch.Generator, optional
        Source of u (on ``log_probs``' device).

    Returns
    -------
    Tensor of int64, shape (...)
    """
    cdf = log_probs.exp().cumsum(-1)
    u = torch.rand((*cdf.shape[:-1], 1), generator=generator, device=cdf.device,
                   dtype=cdf.dtype)
    return (cdf <= u).sum(-1).clamp_(max=cdf.shape[-1] - 1)


def soft_dqn_target(
    reward: Tensor,
    terminated: Tensor,
    next_q_target: Tensor,
    temperature: float | Tensor,
    gamma: float,
    next_q_online: Tensor | None = None,
) -> Tensor:
    """y = r + gamma (1 - terminated) V(s'), the soft Q-learning target (no gradient).

    V(s') = sum_a' pi(a'|s') (Qbar(s',a') - T log pi(a'|s')). With ``next_q_online`` None, pi
    is the Boltzmann policy of the target network, so V(s') = T log sum_a' exp(Qbar(s',a')/T).
    Given ``next_q_online`` (double soft Q-learning), pi is the online network's Boltzmann
    policy and Qbar evaluates it.

    Parameters
    ----------
    reward, terminated : Tensor, shape (B,)
        r and 1 where s' is terminal (truncation is not termination: it bootstraps).
    next_q_target : Tensor, shape (B, A)
        Qbar(s', .) of the target network.
    temperature : float or Tensor, shape ()
        T > 0.
    gamma : float
        Discount.
    next_q_online : Tensor, shape (B, A), optional
        Q(s', .) of the online network (double Q).

    Returns
    -------
    Tensor, shape (B,)
    """
    if next_q_target.dim() != 2 or next_q_target.shape[0] != reward.shape[0]:
        raise ValueError(f"next_q_target must have shape (B, A) with B = {reward.shape[0]}; "
                         f"got {tuple(next_q_target.shape)}")
    with torch.no_grad():
        if next_q_online is None:
            next_v = temperature * torch.logsumexp(next_q_target / temperature, dim=-1)
        else:
            log_pi = boltzmann_log_policy(next_q_online, temperature)
            next_v = (log_pi.exp() * (next_q_target - temperature * log_pi)).sum(-1)
        return reward + gamma * (1.0 - terminated) * next_v


def munchausen_bonus(
    q_target: Tensor, actions: Tensor, temperature: float | Tensor, scale: float = 0.9,
    clip_min: float = -1.0,
) -> Tensor:
    """The Munchausen reward term scale * clip(T log pi(a|s), clip_min, 0) (Vieillard et al.
    2020, https://arxiv.org/abs/2007.14430), pi the Boltzmann policy of the target network.

    Parameters
    ----------
    q_target : Tensor, shape (B, A)
        Qbar(s, .) at the states where the actions were taken.
    actions : Tensor, shape (B,) int64
    temperature : float or Tensor
        T > 0.
    scale, clip_min : float
        The paper's alpha (0.9) and l_0 (-1).

    Returns
    -------
    Tensor, shape (B,), added to the reward (no gradient).
    """
    with torch.no_grad():
        log_pi = boltzmann_log_policy(q_target, temperature)
        taken = log_pi.gather(-1, actions.long().unsqueeze(-1)).squeeze(-1)
        return scale * (temperature * taken).clamp(clip_min, 0.0)


def soft_q_loss(q: Tensor, actions: Tensor, target: Tensor) -> Tensor:
    """The soft Q-learning regression 1/(2B) sum_b (Q(s_b, a_b) - y_b)^2, y from
    :func:`soft_dqn_target` (held fixed: no gradient flows into it).

    Its gradient on a tabular Q is the soft Q-learning update of seed 002,
    Q(s,a) <- Q(s,a) + lr [r + gamma T log sum_a' exp(Q(s',a')/T) - Q(s,a)], per sample.

    Parameters
    ----------
    q : Tensor, shape (B, A)
        Q(s_b, .) (with gradient).
    actions : Tensor, shape (B,) int64
    target : Tensor, shape (B,)

    Returns
    -------
    Tensor, shape ()
    """
    if q.dim() != 2 or actions.shape != q.shape[:1] or target.shape != q.shape[:1]:
        raise ValueError(f"q, actions, target: expected shapes (B, A), (B,), (B,); got "
                         f"{tuple(q.shape)}, {tuple(actions.shape)}, {tuple(target.shape)}.")
    q_taken = q.gather(-1, actions.long().unsqueeze(-1)).squeeze(-1)
    return 0.5 * (q_taken - target.detach()).pow(2).mean()
