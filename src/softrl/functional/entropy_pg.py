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

from torch import Tensor

__all__ = ["entropy_pg_loss", "soft_rewards"]


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
) -> tuple[Tensor, Tensor]:
    """(policy loss, value loss) whose gradients give the entropy-regularized policy gradient
    and the critic's regression.

    policy loss = -mean(log pi(a|s) * A') - T * mean(H(pi(.|s)))
    value loss  = value_coef * mean((V(s) - R)^2)

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
    """
    policy = -(log_probs * advantages.detach()).mean() - temperature * entropy.mean()
    value = value_coef * (values - returns.detach()).pow(2).mean()
    return policy, value
