"""Forward messages, backward messages and their product on a gridworld, over time."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from softrl.envs.gridworld import GridWorld
from softrl.plot._mpl import pyplot, save_figure
from softrl.plot.grid import plot_grid_values

__all__ = ["plot_messages"]


def plot_messages(
    world: GridWorld | tuple[int, int],
    log_alpha: np.ndarray,
    log_beta: np.ndarray,
    times: Sequence[int],
    out: str | os.PathLike,
    title: str | None = None,
    dpi: int = 100,
) -> Path:
    """Write a PNG with three rows of heatmaps, one column per t in ``times``.

    Row 1: the forward message normalised over states, alpha_t(s) / sum alpha_t
    = p(s_t | O_{0:t-1}). Row 2: the backward message log beta_t(s) = log p(O_{t:H-1} | s_t).
    Row 3: their normalised product, p(s_t | O_{0:H-1}) ∝ alpha_t(s) beta_t(s).
    Cells with alpha_t = 0 (unreachable at t) are blank in rows 1 and 3.

    Parameters
    ----------
    world : GridWorld or (rows, cols)
        The grid the states live on.
    log_alpha, log_beta : (H + 1, S)
        log alpha_t (:func:`softrl.inference.forward_messages`) and log beta_t (V_t / T of the
        optimistic backward pass).
    times : sequence of int
        Time steps to draw.
    out : path
        PNG file to write (its folder is created).

    Returns
    -------
    Path
        The PNG written.
    """
    log_alpha = np.asarray(log_alpha, dtype=np.float64)
    log_beta = np.asarray(log_beta, dtype=np.float64)
    if log_alpha.shape != log_beta.shape or log_alpha.ndim != 2:
        raise ValueError(f"log_alpha and log_beta: expected two (H + 1, S) arrays, got "
                         f"{log_alpha.shape} and {log_beta.shape}")
    times = list(times)
    if not times or min(times) < 0 or max(times) >= log_alpha.shape[0]:
        raise ValueError(f"times: give steps in [0, {log_alpha.shape[0] - 1}], got {times}")
    plt = pyplot()
    fig, axes = plt.subplots(3, len(times), figsize=(2.4 * len(times) + 0.6, 7.2),
                             squeeze=False)
    rows = (("p(s_t | O_<t) ∝ alpha_t", _normalise(log_alpha), "Blues"),
            ("log beta_t", np.where(np.isfinite(log_beta), log_beta, np.nan), "viridis"),
            ("p(s_t | O) ∝ alpha beta", _normalise(log_alpha + log_beta), "magma"))
    for i, (name, values, cmap) in enumerate(rows):
        for j, t in enumerate(times):
            plot_grid_values(world, values[t], ax=axes[i, j], cmap=cmap, colorbar=True,
                             title=f"{name}, t={t}")
    if title:
        fig.suptitle(title)
    return save_figure(fig, out, dpi=dpi)


def _normalise(log_w: np.ndarray) -> np.ndarray:
    """Rows of exp(log_w) divided by their sums; NaN where the weight is 0."""
    with np.errstate(invalid="ignore"):
        p = np.exp(log_w - np.max(log_w, axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return np.where(p > 0, p, np.nan)
