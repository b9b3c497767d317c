"""Amortized variational inference as pure functions (seed 004, "Variational Inference").

For a latent-variable model p(x) = int p(x|z) p(z) dz and an approximate posterior q(z|x),

    log p(x) = L(p, q) + KL(q(z|x) || p(z|x)),
    L(p, q)  = E_{z~q}[log p(x|z) + log p(z)] + H(q) = E_{z~q}[r(x, z)] + H(q),

with r(x, z) = log p(x|z) + log p(z). L is the evidence lower bound (ELBO). Its gradient with
respect to the parameters phi of q has two estimators (seed 004):

- score function (REINFORCE): grad J(phi) ~ 1/M sum_j grad log q_phi(z_j|x) r(x, z_j);
- reparameterization: z = mu_phi(x) + eps * sigma_phi(x), eps ~ N(0, I), so
  grad J(phi) ~ 1/M sum_j grad_phi r(x, mu_phi(x) + eps_j sigma_phi(x)).

Every function takes a leading batch axis and sums densities over the last axis; Gaussians are
diagonal and parameterized by their mean and log standard deviation.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = [
    "bernoulli_log_prob",
    "elbo",
    "gaussian_entropy",
    "gaussian_kl",
    "gaussian_kl_triangular",
    "gaussian_log_prob",
    "reparameterize",
    "score_function_surrogate",
]

_LOG_2PI = math.log(2.0 * math.pi)


def gaussian_log_prob(x: Tensor, mean: Tensor, log_std: Tensor) -> Tensor:
    """log N(x; mean, diag(exp(log_std)^2)), summed over the last axis.

    log N = -1/2 sum_d [((x_d - mu_d) / sigma_d)^2 + 2 log sigma_d + log 2 pi].

    Parameters
    ----------
    x, mean, log_std : Tensor, broadcastable, shape (..., D)

    Returns
    -------
    Tensor, shape (...)
    """
    z = (x - mean) * torch.exp(-log_std)
    return -0.5 * (z.pow(2) + 2.0 * log_std + _LOG_2PI).sum(-1)


def bernoulli_log_prob(x: Tensor, logits: Tensor) -> Tensor:
    """log Bernoulli(x; sigmoid(logits)) = sum_d [x_d l_d - log(1 + exp(l_d))], summed over the
    last axis (stable for any logit; x may be fractional, as for grey pixels).

    Returns
    -------
    Tensor, shape (...)
    """
    return (x * logits - torch.nn.functional.softplus(logits)).sum(-1)


def gaussian_entropy(log_std: Tensor) -> Tensor:
    """H(N(mu, diag sigma^2)) = sum_d [log sigma_d + (1 + log 2 pi) / 2], shape (...)."""
    return (log_std + 0.5 * (1.0 + _LOG_2PI)).sum(-1)


def gaussian_kl(mean_q: Tensor, log_std_q: Tensor, mean_p: Tensor | float = 0.0,
                log_std_p: Tensor | float = 0.0) -> Tensor:
    """Analytic KL(N(mu_q, sigma_q^2) || N(mu_p, sigma_p^2)) of diagonal Gaussians:

    KL = sum_d [log(sigma_p / sigma_q) + (sigma_q^2 + (mu_q - mu_p)^2) / (2 sigma_p^2) - 1/2].

    The defaults give the VAE's KL(q(z|x) || N(0, I)). Returns shape (...).
    """
    mean_p = torch.as_tensor(mean_p, dtype=mean_q.dtype, device=mean_q.device)
    log_std_p = torch.as_tensor(log_std_p, dtype=mean_q.dtype, device=mean_q.device)
    var_ratio = torch.exp(2.0 * (log_std_q - log_std_p))
    mahalanobis = (mean_q - mean_p).pow(2) * torch.exp(-2.0 * log_std_p)
    return 0.5 * (var_ratio + mahalanobis - 1.0 - 2.0 * (log_std_q - log_std_p)).sum(-1)


def gaussian_kl_triangular(mean: Tensor, scale: Tensor) -> Tensor:
    """Analytic KL(N(mu, C C^T) || N(0, I)) of a full-covariance Gaussian given a triangular
    square root C of its covariance (lower or upper; diagonal for a diagonal Gaussian):

        KL = 1/2 [tr(C C^T) + mu^T mu - d - log det(C C^T)],
        tr(C C^T) = sum_ij C_ij^2,  log det(C C^T) = 2 sum_i log |C_ii|.

    Parameters
    ----------
    mean : Tensor, shape (..., d)
    scale : Tensor, shape (..., d, d), triangular

    Returns
    -------
    Tensor, shape (...)
    """
    d = mean.shape[-1]
    if scale.shape[-2:] != (d, d):
        raise ValueError(f"scale must be (..., {d}, {d}) for a mean of width {d}; got "
                         f"{tuple(scale.shape)}")
    log_det = 2.0 * torch.diagonal(scale, dim1=-2, dim2=-1).abs().log().sum(-1)
    return 0.5 * (scale.pow(2).sum((-2, -1)) + mean.pow(2).sum(-1) - d - log_det)


def reparameterize(mean: Tensor, log_std: Tensor, n_samples: int = 1,
                   generator: torch.Generator | None = None) -> Tensor:
    """z_j = mu + eps_j * sigma with eps_j ~ N(0, I): samples that carry gradients to mu and
    sigma (the reparameterization trick).

    Parameters
    ----------
    mean, log_std : Tensor, shape (B, D)
    n_samples : int
        M samples per row.
    generator : torch.Generator, optional
        Source of eps (on the tensors' device).

    Returns
    -------
    Tensor, shape (M, B, D)
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
        raise ValueError(f"n_samples must be an integer >= 1; got {n_samples!r}")
    eps = torch.randn((n_samples, *mean.shape), generator=generator, device=mean.device,
                      dtype=mean.dtype)
    return mean + eps * torch.exp(log_std)


def elbo(log_px_given_z: Tensor, log_pz: Tensor, log_qz: Tensor) -> Tensor:
    """Monte Carlo ELBO: mean over the leading sample axis of log p(x|z) + log p(z) - log q(z|x).

    With z drawn by :func:`reparameterize`, its gradient is the reparameterized estimator.

    Parameters
    ----------
    log_px_given_z, log_pz, log_qz : Tensor, shape (M, B)
        At samples z_j ~ q(z|x).

    Returns
    -------
    Tensor, shape (B,)
    """
    return (log_px_given_z + log_pz - log_qz).mean(0)


def score_function_surrogate(log_qz: Tensor, reward: Tensor, entropy: Tensor | None = None,
                             baseline: Tensor | float = 0.0) -> Tensor:
    """A surrogate whose gradient with respect to phi is the score-function (REINFORCE)
    estimate of the ELBO's gradient (seed 004):

        grad_phi L ~ 1/M sum_j grad_phi log q_phi(z_j|x) (r(x, z_j) - b) + grad_phi H(q_phi).

    With ``entropy=None`` the entropy is folded into the reward instead: r - log q (the
    estimator of grad E_q[r - log q]; the extra E[grad log q] term is zero in expectation).
    The samples z_j must not carry gradients (draw them under ``torch.no_grad`` or detach).

    Parameters
    ----------
    log_qz : Tensor, shape (M, B)
        log q_phi(z_j|x), differentiable in phi.
    reward : Tensor, shape (M, B)
        r(x, z_j) = log p(x|z_j) + log p(z_j) (treated as a constant here).
    entropy : Tensor, shape (B,), optional
        H(q_phi(.|x)) in closed form.
    baseline : Tensor or float
        b, any quantity that does not depend on z_j (lowers the variance, not the mean).

    Returns
    -------
    Tensor, shape (B,): its value is not the ELBO, only its gradient is meaningful.
    """
    if entropy is None:
        advantage = (reward - log_qz).detach() - baseline
        return (log_qz * advantage).mean(0)
    return (log_qz * (reward.detach() - baseline)).mean(0) + entropy
