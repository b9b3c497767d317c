"""The linear-Gaussian latent model, where evidence and posterior are known in closed form: the
independent check of the ELBO (log p(x) = L(q) + KL(q || p(z|x)) holds exactly).

    z ~ N(0, I_d),  x | z ~ N(W z + b, sigma^2 I_D)
    p(x)     = N(x; b, W W^T + sigma^2 I)
    p(z | x) = N(m, S),  S = (I + W^T W / sigma^2)^-1,  m = S W^T (x - b) / sigma^2
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor

__all__ = ["LinearGaussianPosterior", "kl_diag_to_full", "linear_gaussian_posterior"]


class LinearGaussianPosterior(NamedTuple):
    """Exact quantities of the linear-Gaussian model for a batch of x."""

    log_evidence: Tensor
    """log p(x), (B,)."""
    mean: Tensor
    """Posterior means m, (B, d)."""
    cov: Tensor
    """Posterior covariance S (the same for every x), (d, d)."""


def _check(x: Tensor, weight: Tensor, bias: Tensor, noise_std: float) -> None:
    if weight.dim() != 2 or x.dim() != 2 or x.shape[1] != weight.shape[0]:
        raise ValueError(f"x must be (B, D) and weight (D, d) with the same D; got "
                         f"{tuple(x.shape)} and {tuple(weight.shape)}")
    if bias.shape != (weight.shape[0],):
        raise ValueError(f"bias must be ({weight.shape[0]},); got {tuple(bias.shape)}")
    if not noise_std > 0:
        raise ValueError(f"noise_std must be > 0; got {noise_std!r}")


def linear_gaussian_posterior(x: Tensor, weight: Tensor, bias: Tensor,
                              noise_std: float) -> LinearGaussianPosterior:
    """log p(x) and p(z|x) of the linear-Gaussian model (module docstring), in closed form.

    Parameters
    ----------
    x : Tensor, shape (B, D)
    weight : Tensor, shape (D, d)
    bias : Tensor, shape (D,)
    noise_std : float
        sigma > 0.
    """
    _check(x, weight, bias, noise_std)
    big_d, d = weight.shape
    var = noise_std ** 2
    marginal_cov = weight @ weight.T + var * torch.eye(big_d, dtype=x.dtype, device=x.device)
    chol = torch.linalg.cholesky(marginal_cov)
    resid = (x - bias).T  # (D, B)
    solved = torch.linalg.solve_triangular(chol, resid, upper=False)
    log_det = 2.0 * torch.log(torch.diagonal(chol)).sum()
    log_evidence = -0.5 * (solved.pow(2).sum(0) + log_det + big_d * math.log(2 * math.pi))
    precision = torch.eye(d, dtype=x.dtype, device=x.device) + weight.T @ weight / var
    cov = torch.linalg.inv(precision)
    mean = ((x - bias) @ weight / var) @ cov.T
    return LinearGaussianPosterior(log_evidence, mean, cov)


def kl_diag_to_full(mean_q: Tensor, log_std_q: Tensor, mean_p: Tensor, cov_p: Tensor) -> Tensor:
    """KL(N(mu_q, diag sigma_q^2) || N(mu_p, S_p)) in closed form:

    1/2 [tr(S_p^-1 Sigma_q) + (mu_p - mu_q)^T S_p^-1 (mu_p - mu_q) - d + log det S_p
         - log det Sigma_q].

    Parameters
    ----------
    mean_q, log_std_q, mean_p : Tensor, shape (B, d)
    cov_p : Tensor, shape (d, d)

    Returns
    -------
    Tensor, shape (B,)
    """
    d = mean_q.shape[-1]
    prec = torch.linalg.inv(cov_p)
    var_q = torch.exp(2.0 * log_std_q)
    trace = (torch.diagonal(prec) * var_q).sum(-1)
    diff = mean_p - mean_q
    quad = torch.einsum("bi,ij,bj->b", diff, prec, diff)
    log_det_p = torch.linalg.slogdet(cov_p)[1]
    return 0.5 * (trace + quad - d + log_det_p - 2.0 * log_std_q.sum(-1))
