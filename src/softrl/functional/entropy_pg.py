"""Entropy-regularized policy gradient as pure functions (seed 002; Schulman, Chen and Abbeel
2017, https://arxiv.org/abs/1704.06440).

The objective is J(theta) = E[sum_t gamma^t (r_t - T log pi_theta(a_t|s_t))]: the reward minus
T log pi, i.e. the return plus T times the entropy. Its gradient (Schulman et al., eq. 4):

    grad J = E[ sum_t grad log pi(a_t|s_t) A'_t + T grad H(pi(.|s_t)) ],

where the current step's entropy is differentiated exactly (the second term) and A'_t weighs
the score by everything else: r_t and the *future* soft rewards r - T log pi, minus a baseline.
With A_t the GAE advantage over the soft rewards (the critic V regressed on the soft
lambda-returns), A'_t = A_t + T log pi(a_t|s_t) (removing the current step's own -T log pi,
which the exact entropy term replaces; keeping both would count it twice).
"""

from __future__ import annotations

import torch
from torch import Tensor

from softrl.validation import Interval, check_scalar

__all__ = ["entropy_pg_loss", "soft_reinforce_loss", "soft_returns_to_go", "soft_rewards"]


def soft_rewards(rewards: Tensor, log_probs: Tensor, temperature: float) -> Tensor:
    """r - T log pi(a|s): the reward of the entropy-regularized objective (no gradient)."""
    return rewards - temperature * log_probs.detach()


def entropy_pg_loss(
    log_probs: Tensor,
    advantages: Tensor,
    entropy: Tensor,
    values: Tensor,
    returns: Tensor,
    temperature: float,
    value_coef: float = 0.5,
    old_log_probs: Tensor | None = None,
    clip_range: float | None = None,
) -> tuple[Tensor, Tensor]:
    """(policy loss, value loss) whose gradients give the entropy-regularized policy gradient
    and the critic's regression.

    policy loss = -mean(log pi(a|s) * A') - T * mean(H(pi(.|s)))
    value loss  = value_coef * mean((V(s) - R)^2)

    With ``clip_range`` eps (and ``old_log_probs``, those of the policy that collected the
    data), the first term becomes PPO's clipped surrogate (Schulman et al. 2017) of the same
    soft advantage, -mean(min(rho A', clip(rho, 1 - eps, 1 + eps) A')), rho = pi / pi_old:
    its gradient at rho = 1 is the one above, and it stops pushing a ratio that has left
    [1 - eps, 1 + eps] in the advantage's direction, so several epochs over one rollout stay
    near the data's policy.

    Parameters
    ----------
    log_probs : Tensor, shape (B,)
        log pi_theta(a|s) of the taken actions (with gradient).
    advantages : Tensor, shape (B,)
        A' = A + T log pi_old(a|s): the soft advantage without the current step's own entropy
        term (constants; see the module docstring).
    entropy : Tensor, shape (B,)
        H(pi_theta(.|s)) (with gradient).
    values, returns : Tensor, shape (B,)
        V(s) (with gradient) and the soft lambda-returns (constants).
    temperature : float
        T >= 0.
    value_coef : float
        Weight of the value loss.
    old_log_probs : Tensor, shape (B,), optional
        log pi_old(a|s) (constants); required with ``clip_range``.
    clip_range : float, optional
        eps > 0 of the clipped surrogate; None: the plain policy gradient.
    """
    adv = advantages.detach()
    if clip_range is None:
        surrogate = (log_probs * adv).mean()
    else:
        if old_log_probs is None:
            raise ValueError("entropy_pg_loss: clip_range needs old_log_probs, the log pi(a|s) "
                             "of the policy that collected the data.")
        check_scalar(clip_range, "clip_range", Interval(float, 0, None, closed="neither"),
                     "entropy_pg_loss")
        ratio = (log_probs - old_log_probs.detach()).exp()
        surrogate = torch.minimum(ratio * adv,
                                  ratio.clamp(1 - clip_range, 1 + clip_range) * adv).mean()
    policy = -surrogate - temperature * entropy.mean()
    value = value_coef * (values - returns.detach()).pow(2).mean()
    return policy, value


def soft_returns_to_go(rewards: Tensor, log_probs: Tensor, temperature: float,
                       gamma: float = 1.0, mask: Tensor | None = None) -> Tensor:
    """G_t = sum_{k >= t} gamma^(k - t) (r_k - T log pi(a_k|s_k)) per whole episode (no
    gradient).

    Parameters
    ----------
    rewards, log_probs : Tensor, shape (B, L)
        Batch-first episodes padded to length L; r_t and log pi(a_t|s_t).
    temperature : float
        T >= 0.
    gamma : float
        Discount in [0, 1].
    mask : Tensor, shape (B, L), optional
        1 on steps that happened, 0 on padding (padding adds nothing).

    Returns
    -------
    Tensor, shape (B, L)
    """
    _check_episodes(rewards, log_probs, mask, temperature, gamma)
    soft = soft_rewards(rewards, log_probs, temperature)
    if mask is not None:
        soft = soft * mask
    out = torch.empty_like(soft)
    running = torch.zeros_like(soft[:, 0])
    for t in range(soft.shape[1] - 1, -1, -1):
        running = soft[:, t] + gamma * running
        out[:, t] = running
    return out


def soft_reinforce_loss(log_probs: Tensor, rewards: Tensor, temperature: float,
                        gamma: float = 1.0, mask: Tensor | None = None,
                        baseline: Tensor | None = None) -> Tensor:
    """REINFORCE surrogate for the entropy-regularized objective; minus its gradient is the
    unbiased estimate of grad J(theta), J = E[sum_t gamma^t (r_t - T log pi_theta(a_t|s_t))]:

        grad J ~= 1/B sum_b sum_t gamma^t grad log pi(a_t|s_t) (G_t - b_t),
        loss = -1/B sum_b sum_t gamma^t log pi(a_t|s_t) (G_t - b_t),

    with G_t from :func:`soft_returns_to_go` and any baseline b_t that does not depend on a_t
    (the -T log pi term's own gradient, -T E[grad log pi], is zero in expectation and
    omitted).

    Parameters
    ----------
    log_probs : Tensor, shape (B, L)
        log pi_theta(a_t|s_t) of the sampled episodes (with gradient).
    rewards : Tensor, shape (B, L)
    temperature : float
        T >= 0.
    gamma : float
        Discount in [0, 1].
    mask : Tensor, shape (B, L), optional
        1 on steps that happened, 0 on padding.
    baseline : Tensor, shape (B, L), optional
        b_t, e.g. a value estimate V(s_t) (no gradient flows through it).

    Returns
    -------
    Tensor, shape ()
    """
    returns = soft_returns_to_go(rewards, log_probs, temperature, gamma, mask)
    if baseline is not None:
        if baseline.shape != returns.shape:
            raise ValueError(f"baseline: expected shape {tuple(returns.shape)} like rewards, "
                             f"got {tuple(baseline.shape)}.")
        returns = returns - baseline.detach()
    weight = gamma ** torch.arange(returns.shape[1], dtype=returns.dtype,
                                   device=returns.device) * returns
    if mask is not None:
        weight = weight * mask
    return -(log_probs * weight).sum() / log_probs.shape[0]


def _check_episodes(rewards: Tensor, log_probs: Tensor, mask: Tensor | None,
                    temperature: float, gamma: float) -> None:
    owner = "soft_reinforce_loss"
    check_scalar(temperature, "temperature", Interval(float, 0, None), owner)
    check_scalar(gamma, "gamma", Interval(float, 0, 1), owner)
    if rewards.dim() != 2 or log_probs.shape != rewards.shape:
        raise ValueError(f"rewards, log_probs: expected two tensors of shape (B, L); got "
                         f"{tuple(rewards.shape)} and {tuple(log_probs.shape)}.")
    if mask is not None and mask.shape != rewards.shape:
        raise ValueError(f"mask: expected shape {tuple(rewards.shape)} like rewards, got "
                         f"{tuple(mask.shape)}.")
