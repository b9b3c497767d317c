"""Tanh-squashed diagonal Gaussian: the SAC policy distribution.

An action is ``a = tanh(u)`` with ``u ~ N(mean, diag(exp(log_std))^2)``. By the change of
variables, ``log pi(a|s) = log N(u; mean, std) - sum_j log(1 - tanh(u_j)^2)`` (Haarnoja et al.
2018, "Soft Actor-Critic", appendix C, https://arxiv.org/abs/1801.01290).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_LOG_2 = math.log(2.0)


def gaussian_log_prob(u: Tensor, mean: Tensor, log_std: Tensor) -> Tensor:
    """log N(u; mean, diag(exp(2 log_std))) = sum_j -((u-mean)/std)^2/2 - log_std - log sqrt(2 pi).

    Parameters
    ----------
    u, mean, log_std : Tensor, shape (B, A)
        Point, mean and log standard deviation of the diagonal Gaussian.

    Returns
    -------
    Tensor, shape (B,)
        Log-density summed over the action dimensions.
    """
    z = (u - mean) * torch.exp(-log_std)
    return (-0.5 * z.square() - log_std - _LOG_SQRT_2PI).sum(-1)


def tanh_log_det_jacobian(u: Tensor) -> Tensor:
    """sum_j log(1 - tanh(u_j)^2) = sum_j 2 (log 2 - u_j - softplus(-2 u_j)), computed stably.

    Parameters
    ----------
    u : Tensor, shape (B, A)
        Pre-squash Gaussian sample.

    Returns
    -------
    Tensor, shape (B,)
        Log absolute determinant of the Jacobian of ``tanh`` at ``u``.
    """
    return (2.0 * (_LOG_2 - u - torch.nn.functional.softplus(-2.0 * u))).sum(-1)


def squashed_gaussian_sample(
    mean: Tensor, log_std: Tensor, generator: torch.Generator | None = None
) -> tuple[Tensor, Tensor]:
    """a = tanh(mean + std * eps), eps ~ N(0, I); log pi(a) = log N(u) - sum_j log(1 - tanh(u_j)^2).

    The sample is reparameterized, so gradients flow to ``mean`` and ``log_std``.

    Parameters
    ----------
    mean, log_std : Tensor, shape (B, A)
        Parameters of the Gaussian before the squash.
    generator : torch.Generator, optional
        Source of the noise ``eps`` (on the device of ``mean``).

    Returns
    -------
    action : Tensor, shape (B, A)
        Squashed action in (-1, 1).
    log_prob : Tensor, shape (B,)
        Log-density of ``action`` under the squashed Gaussian.
    """
    eps = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
    action, log_prob, _ = squashed_gaussian_from_noise(mean, log_std, eps)
    return action, log_prob


def squashed_gaussian_from_noise(
    mean: Tensor, log_std: Tensor, eps: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """a = tanh(u), u = mean + std * eps, std = exp(log_std), and log pi(a) for given noise.

    log pi(a) = sum_j (-eps_j^2 / 2 - log_std_j - log sqrt(2 pi)) - sum_j log(1 - tanh(u_j)^2):
    the Gaussian term uses z = (u - mean) / std = eps exactly. :func:`squashed_gaussian_sample`
    draws ``eps`` and calls this; the hand-written SAC update calls it with its own noise
    buffer and keeps ``std`` for :func:`squashed_gaussian_backward`.

    Parameters
    ----------
    mean, log_std, eps : Tensor, shape (B, A)
        Gaussian parameters and the standard-normal noise.

    Returns
    -------
    action : Tensor, shape (B, A)
    log_prob : Tensor, shape (B,)
    std : Tensor, shape (B, A)
    """
    std = torch.exp(log_std)
    u = mean + std * eps
    log_prob = (-0.5 * eps.square() - log_std - _LOG_SQRT_2PI).sum(-1)
    return torch.tanh(u), log_prob - tanh_log_det_jacobian(u), std


def squashed_gaussian_backward(
    grad_action: Tensor, grad_log_prob: Tensor | float, action: Tensor, eps: Tensor,
    std: Tensor
) -> tuple[Tensor, Tensor]:
    """Gradients of a loss L with respect to ``mean`` and ``log_std`` through the reparameterized
    sample of :func:`squashed_gaussian_from_noise`, given dL/da and dL/d log pi.

    With u = mean + std * eps and a = tanh(u): d log pi / du_j = 2 a_j (the derivative of
    -log(1 - tanh(u_j)^2)), d log pi / d log_std_j = -1 at fixed eps, da_j / du_j = 1 - a_j^2, so

        dL/du = dL/da * (1 - a^2) + dL/dlog pi * 2 a,
        dL/dmean = dL/du,   dL/dlog_std = dL/du * std * eps - dL/dlog pi.

    Parameters
    ----------
    grad_action : Tensor, shape (B, A)
        dL/da.
    grad_log_prob : Tensor, shape (B,) or (), or float
        dL/d log pi(a|s), per row or shared.
    action, eps, std : Tensor, shape (B, A)
        What the forward pass used and returned.

    Returns
    -------
    grad_mean, grad_log_std : Tensor, shape (B, A)
    """
    g_logp = grad_log_prob.unsqueeze(-1) if isinstance(grad_log_prob, Tensor) \
        and grad_log_prob.dim() == 1 else grad_log_prob
    grad_u = grad_action * (1.0 - action.square()) + (2.0 * g_logp) * action
    return grad_u, grad_u * std * eps - g_logp


def squashed_gaussian_log_prob(
    action: Tensor, mean: Tensor, log_std: Tensor, eps: float = 1e-6
) -> Tensor:
    """log pi(a) = log N(atanh(a); mean, std) - sum_j log(1 - a_j^2), for a in (-1, 1).

    Parameters
    ----------
    action : Tensor, shape (B, A)
        Squashed action; clipped to ``[-1 + eps, 1 - eps]`` before ``atanh``.
    mean, log_std : Tensor, shape (B, A)
        Parameters of the Gaussian before the squash.
    eps : float
        Clipping margin that keeps ``atanh`` finite.

    Returns
    -------
    Tensor, shape (B,)
        Log-density of ``action``.
    """
    a = action.clamp(-1.0 + eps, 1.0 - eps)
    u = torch.atanh(a)
    return gaussian_log_prob(u, mean, log_std) - tanh_log_det_jacobian(u)
