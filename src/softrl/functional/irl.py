"""Sample-based inverse RL as pure torch functions: guided cost learning, AIRL and GAIL.

Seed 004 ("Unknown dynamics", "Inverse RL as GAN").  MaxEnt IRL maximises

    L(psi) = (1/N) sum_i R_psi(tau_i) / T - log Z,   Z = int p(tau) exp(R_psi(tau) / T) dtau,

with R_psi(tau) = sum_t r_psi(s_t, a_t).  Without the dynamics, guided cost learning (Finn,
Levine and Abbeel 2016, https://arxiv.org/abs/1603.00448) estimates Z by importance sampling
from trajectories tau_j ~ q (the inner max-ent policy, mixed with the demonstrations):

    Z ~ (1/M) sum_j w_j,   w_j = p(tau_j) exp(R_psi(tau_j) / T) / q(tau_j)
                               = exp(R_psi(tau_j) / T) / prod_t q(a_t^j | s_t^j)

(the dynamics cancel because q shares them), and the gradient becomes

    grad L ~ (1/N) sum_i grad R_psi(tau_i) / T - sum_j w_j grad R_psi(tau_j) / (T sum_j w_j).

Adversarial IRL (Fu, Luo and Levine 2018, https://arxiv.org/abs/1710.11248) trains the
discriminator D = exp(f) / (exp(f) + pi(a|s)) with f(s, a, s') = g(s) + gamma h(s') - h(s);
its logit is f - log pi, and the policy's reward log D - log(1 - D) = f - log pi.  GAIL (Ho
and Ermon 2016, https://arxiv.org/abs/1606.03476) uses a free classifier D(s, a) and the reward
-log(1 - D(s, a)).

Every function takes a leading batch axis, works in log space (logsumexp, softplus) and
returns tensors.  Conventions: expert samples are labelled 1, policy samples 0.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = [
    "airl_logits",
    "airl_reward",
    "discriminator_accuracy",
    "discriminator_loss",
    "gail_reward",
    "gcl_log_weights",
    "gcl_loss",
    "gcl_normalized_weights",
    "mixture_log_proposal",
    "shaped_reward",
]


def _check_same_shape(**tensors: Tensor) -> None:
    shapes = {name: tuple(t.shape) for name, t in tensors.items()}
    if len(set(shapes.values())) > 1:
        raise ValueError(f"these tensors must have the same shape; got {shapes}")


def mixture_log_proposal(log_q_policy: Tensor, log_q_demo: Tensor | None = None,
                         demo_fraction: float = 0.5) -> Tensor:
    """log q(tau) of the GCL proposal: the policy alone, or a mixture with the demonstrations.

    Finn et al. (Section 4.1) sample from mu = (1 - lambda) pi + lambda q_demo, with q_demo a
    rough density of the demonstrations, so that the demos are in the proposal's support:

        log mu(tau) = logaddexp(log(1 - lambda) + log pi(tau), log lambda + log q_demo(tau)),

    with log pi(tau) = sum_t log pi(a_t | s_t) (the dynamics cancel in the weights).

    Parameters
    ----------
    log_q_policy : (M,)
        sum_t log pi(a_t | s_t) of each trajectory under the sampling policy.
    log_q_demo : (M,), optional
        sum_t log q_demo(a_t | s_t) under the demonstrations' density estimate; None: no
        mixture (returns ``log_q_policy``).
    demo_fraction : float in [0, 1)
        lambda, the share of the proposal that is the demonstration density.
    """
    if log_q_demo is None:
        return log_q_policy
    if not 0.0 <= demo_fraction < 1.0:
        raise ValueError(f"demo_fraction must lie in [0, 1); got {demo_fraction!r}")
    _check_same_shape(log_q_policy=log_q_policy, log_q_demo=log_q_demo)
    if demo_fraction == 0.0:
        return log_q_policy
    return torch.logaddexp(math.log1p(-demo_fraction) + log_q_policy,
                           math.log(demo_fraction) + log_q_demo)


def gcl_log_weights(sample_returns: Tensor, log_proposal: Tensor,
                    temperature: float = 1.0) -> Tensor:
    """log w_j = R_psi(tau_j) / T - log q(tau_j), the unnormalized GCL importance weights.

    Parameters
    ----------
    sample_returns : (M,)
        R_psi(tau_j) = sum_t r_psi(s_t^j, a_t^j) under the current reward.
    log_proposal : (M,)
        log q(tau_j) = sum_t log q(a_t^j | s_t^j) (see :func:`mixture_log_proposal`).
    temperature : float > 0
        T in p(O | s, a) = exp(r / T).
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0; got {temperature!r}")
    _check_same_shape(sample_returns=sample_returns, log_proposal=log_proposal)
    return sample_returns / temperature - log_proposal


def gcl_normalized_weights(log_weights: Tensor) -> Tensor:
    """Self-normalized weights w_j / sum_k w_k = softmax(log w), computed in log space."""
    return torch.softmax(log_weights, dim=-1)


def gcl_loss(demo_returns: Tensor, sample_returns: Tensor, log_proposal: Tensor,
             temperature: float = 1.0) -> Tensor:
    """Negative importance-sampled MaxEnt IRL log-likelihood (minimise it in psi).

        loss = -(1/N) sum_i R_psi(tau_i) / T + log (1/M) sum_j w_j,
        w_j = exp(R_psi(tau_j) / T) / q(tau_j),

    whose gradient is exactly minus the GCL estimate of seed 004,

        -grad loss = (1/N) sum_i grad R(tau_i) / T - sum_j w_j grad R(tau_j) / (T sum_j w_j),

    because d/dpsi log sum_j w_j = sum_j softmax(log w)_j grad log w_j.  log q does not depend
    on psi (pass it detached).

    Parameters
    ----------
    demo_returns : (N,)
        R_psi of the demonstrations.
    sample_returns : (M,)
        R_psi of the proposal's trajectories (demos mixed in, if the proposal is a mixture).
    log_proposal : (M,)
        log q(tau_j).
    temperature : float > 0
    """
    log_w = gcl_log_weights(sample_returns, log_proposal, temperature)
    log_z = torch.logsumexp(log_w, dim=-1) - math.log(log_w.shape[-1])
    return -demo_returns.mean() / temperature + log_z


def shaped_reward(g: Tensor, h: Tensor, h_next: Tensor, terminated: Tensor,
                  gamma: float) -> Tensor:
    """AIRL's f(s, a, s') = g(s, a) + gamma (1 - done) h(s') - h(s).

    g is the disentangled reward (state-only g(s) recovers the true reward up to a constant
    under deterministic dynamics, Fu et al. Theorem 5.1), h a shaping potential (at the
    optimum h = V* + const).  No bootstrapping through terminal states.
    """
    _check_same_shape(g=g, h=h, h_next=h_next)
    return g + gamma * (1.0 - terminated.to(g.dtype)) * h_next - h


def airl_logits(f: Tensor, log_pi: Tensor) -> Tensor:
    """Logit of D = exp(f) / (exp(f) + pi(a|s)): log D - log(1 - D) = f - log pi(a|s)."""
    _check_same_shape(f=f, log_pi=log_pi)
    return f - log_pi


def discriminator_loss(expert_logits: Tensor, policy_logits: Tensor,
                       expert_weights: Tensor | None = None,
                       policy_weights: Tensor | None = None) -> Tensor:
    """Binary cross-entropy of a discriminator, expert = 1, policy = 0:

        -E_expert[log D] - E_policy[log(1 - D)]
            = E_expert[softplus(-l)] + E_policy[softplus(l)],   D = sigmoid(l).

    The same loss trains AIRL (l = f - log pi) and GAIL (l free).  Optional non-negative
    weights turn each mean into a weighted mean sum_k w_k x_k / sum_k w_k (e.g. exact
    occupancies instead of samples).
    """
    sp = torch.nn.functional.softplus
    return _mean(sp(-expert_logits), expert_weights) + _mean(sp(policy_logits), policy_weights)


def _mean(x: Tensor, weights: Tensor | None) -> Tensor:
    if weights is None:
        return x.mean()
    _check_same_shape(values=x, weights=weights)
    return (weights * x).sum() / weights.sum()


def discriminator_accuracy(expert_logits: Tensor, policy_logits: Tensor) -> Tensor:
    """Share of samples classified right (expert: l > 0, policy: l < 0), balanced."""
    return 0.5 * ((expert_logits > 0).float().mean() + (policy_logits < 0).float().mean())


def airl_reward(logits: Tensor) -> Tensor:
    """AIRL's policy reward log D - log(1 - D), which is the logit f - log pi itself."""
    return logits


def gail_reward(logits: Tensor, kind: str = "positive") -> Tensor:
    """GAIL's policy reward from the classifier logit l = log D - log(1 - D).

    ``"positive"``: -log(1 - D) = softplus(l) >= 0 (Ho and Ermon; a survival bonus).
    ``"negative"``: log D = -softplus(-l) <= 0.  ``"logit"``: log D - log(1 - D) = l.
    """
    if kind == "positive":
        return torch.nn.functional.softplus(logits)
    if kind == "negative":
        return -torch.nn.functional.softplus(-logits)
    if kind == "logit":
        return logits
    raise ValueError(f"kind must be 'positive', 'negative' or 'logit'; got {kind!r}")
