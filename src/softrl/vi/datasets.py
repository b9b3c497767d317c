"""A generated image dataset with a known 2-D latent and an exactly computable likelihood.

"Blob" images: a latent position u ~ U([-1, 1]^2) places a Gaussian bump of width w on an
s x s pixel grid covering [-1, 1]^2, and each pixel is switched on independently,

    p(x_ij = 1 | u) = eps + (1 - 2 eps) exp(-|c_ij - u|^2 / (2 w^2)),

with c_ij the pixel centres. Because the latent is 2-D, log p(x) = log int p(x|u) p(u) du is
computed by quadrature: the reference any trained model's ELBO is compared with (by Gibbs'
inequality no model beats E[log p_true(x)] on average).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

__all__ = ["blob_images", "blob_log_evidence", "blob_pixel_probs"]


def _centres(size: int) -> np.ndarray:
    ticks = (np.arange(size) + 0.5) / size * 2.0 - 1.0
    yy, xx = np.meshgrid(ticks, ticks, indexing="ij")
    return np.stack([xx.ravel(), yy.ravel()], -1)  # (s*s, 2), row-major pixels


def blob_pixel_probs(u: np.ndarray, size: int = 10, width: float = 0.3,
                     eps: float = 0.02) -> np.ndarray:
    """p(x_ij = 1 | u) for latent positions u of shape (N, 2); returns (N, size * size)."""
    u = np.asarray(u, dtype=np.float64)
    if u.ndim != 2 or u.shape[1] != 2:
        raise ValueError(f"u must be (N, 2); got {u.shape}")
    d2 = ((u[:, None, :] - _centres(size)[None]) ** 2).sum(-1)
    return eps + (1.0 - 2.0 * eps) * np.exp(-d2 / (2.0 * width**2))


def blob_images(n: int, size: int = 10, width: float = 0.3, eps: float = 0.02,
                seed: int = 0) -> tuple[Tensor, Tensor]:
    """n binary blob images (module docstring) and their latent positions.

    Returns
    -------
    (x, u) : float32 tensors of shapes (n, size * size) and (n, 2)
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an integer >= 1; got {n!r}")
    if not (isinstance(size, int) and size >= 2):
        raise ValueError(f"size must be an integer >= 2; got {size!r}")
    if not 0 < eps < 0.5 or not width > 0:
        raise ValueError(f"eps must be in (0, 0.5) and width > 0; got eps={eps!r}, "
                         f"width={width!r}")
    rng = np.random.default_rng(seed)
    u = rng.uniform(-1.0, 1.0, size=(n, 2))
    x = (rng.random((n, size * size)) < blob_pixel_probs(u, size, width, eps)).astype(np.float32)
    return torch.from_numpy(x), torch.from_numpy(u.astype(np.float32))


def blob_log_evidence(x: Tensor | np.ndarray, size: int = 10, width: float = 0.3,
                      eps: float = 0.02, grid: int = 200) -> np.ndarray:
    """Exact log p(x) of blob images under the generating model, by midpoint quadrature over
    u in [-1, 1]^2 on a grid x grid mesh (float64, log-sum-exp).

    Returns
    -------
    ndarray, shape (N,)
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != size * size:
        raise ValueError(f"x must be (N, {size * size}); got {x.shape}")
    ticks = (np.arange(grid) + 0.5) / grid * 2.0 - 1.0
    uu = np.stack(np.meshgrid(ticks, ticks, indexing="ij"), -1).reshape(-1, 2)
    p = blob_pixel_probs(uu, size, width, eps)  # (G, P)
    log_p, log_1mp = np.log(p), np.log1p(-p)
    log_lik = x @ log_p.T + (1.0 - x) @ log_1mp.T  # (N, G)
    # p(u) = 1/4 on the square; each cell has area (2/grid)^2: weight 1/grid^2.
    top = log_lik.max(1, keepdims=True)
    return (top[:, 0] + np.log(np.exp(log_lik - top).sum(1)) - 2.0 * np.log(grid))
