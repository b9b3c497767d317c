"""Soft (log-sum-exp) value of a finite set of action values."""

from __future__ import annotations

import torch
from torch import Tensor


def soft_value(q: Tensor, temperature: float | Tensor, dim: int = -1) -> Tensor:
    """V = temperature * log sum_a exp(Q(a) / temperature), reduced over ``dim``.

    Parameters
    ----------
    q : Tensor, shape (..., A)
        Action values.
    temperature : float or Tensor (broadcastable to the reduced shape)
        Entropy weight, > 0. As it goes to 0 the soft value becomes ``max_a Q``.
    dim : int
        Axis of the actions.

    Returns
    -------
    Tensor, shape (...)
        Soft value.
    """
    return temperature * torch.logsumexp(q / temperature, dim=dim)
