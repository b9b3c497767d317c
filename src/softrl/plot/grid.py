"""Heatmaps of per-state quantities on a gridworld, with policy arrows (matplotlib)."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from softrl.envs.gridworld import ACTION_DELTAS, GridWorld
from softrl.plot._mpl import pyplot, save_figure

__all__ = [
    "GridLayout",
    "grid_layout",
    "plot_grid_panels",
    "plot_grid_values",
    "plot_state_marginals",
]


@dataclass(frozen=True)
class GridLayout:
    """Where each state sits: ``cells`` (S, 2) (row, col), ``shape``, ``deltas`` (A, 2)."""

    cells: np.ndarray
    shape: tuple[int, int]
    deltas: np.ndarray

    def to_grid(self, values: np.ndarray) -> np.ndarray:
        """(..., S) -> (..., rows, cols), NaN where there is no state."""
        values = np.asarray(values, dtype=np.float64)
        out = np.full((*values.shape[:-1], *self.shape), np.nan)
        out[..., self.cells[:, 0], self.cells[:, 1]] = values
        return out


def grid_layout(world: GridWorld | tuple[int, int], n_actions: int = 4) -> GridLayout:
    """A GridLayout from a GridWorld, or from a (rows, cols) shape numbered row-major."""
    if isinstance(world, GridWorld):
        return GridLayout(world.cells, world.shape, world.action_deltas)
    rows, cols = world
    cells = np.stack(np.divmod(np.arange(rows * cols), cols), axis=1)
    return GridLayout(cells, (rows, cols), ACTION_DELTAS[:n_actions])


def plot_grid_values(
    world: GridWorld | tuple[int, int],
    values: np.ndarray,
    policy: np.ndarray | None = None,
    ax=None,
    title: str | None = None,
    cmap: str = "viridis",
    annotate: bool = False,
    colorbar: bool = True,
):
    """Heatmap of ``values`` (S,) on the grid; arrows of length pi(a|s) for ``policy``.

    ``policy`` may be stochastic, (S, A) (or (H, S, A): the first step is drawn), or
    deterministic, an integer action per state (S,) as ``value_iteration`` returns; for a
    GridWorld the number of actions is read from its MDP.

    Returns the matplotlib Axes.
    """
    plt = pyplot()
    values = np.asarray(values, dtype=np.float64)
    if policy is not None:
        policy = _as_stochastic(policy, world)
    layout = grid_layout(world, n_actions=4 if policy is None else np.shape(policy)[-1])
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    img = ax.imshow(layout.to_grid(values), cmap=cmap)
    if colorbar:
        ax.figure.colorbar(img, ax=ax, fraction=0.046, pad=0.04)
    if policy is not None:
        pi = np.asarray(policy, dtype=np.float64)
        for a, (dr, dc) in enumerate(layout.deltas):
            if dr == 0 and dc == 0:  # "stay": a dot sized by its probability
                ax.scatter(layout.cells[:, 1], layout.cells[:, 0], s=40 * pi[:, a], c="white",
                           edgecolors="black", linewidths=0.5)  # fmt: skip
                continue
            # imshow puts row 0 on top, so a step south (+row) points down the y axis.
            ax.quiver(layout.cells[:, 1], layout.cells[:, 0], dc * pi[:, a], dr * pi[:, a],
                      angles="xy", scale_units="xy", scale=2.2, color="white", minlength=0,
                      edgecolor="black", linewidth=0.4, width=0.012)  # fmt: skip
    if annotate:
        for (r, c), v in zip(layout.cells, values, strict=True):
            ax.text(c, r, f"{v:.1f}", ha="center", va="center", fontsize=7, color="black",
                    bbox=dict(boxstyle="round,pad=0.1", fc="white", alpha=0.6, lw=0))  # fmt: skip
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def plot_state_marginals(
    world: GridWorld | tuple[int, int],
    state_marginals: np.ndarray,
    times: Sequence[int],
    axes=None,
    title: str = "p(s_t | O)",
):
    """One heatmap of p(s_t) (a row of ``state_marginals`` (H + 1, S)) per t in ``times``."""
    plt = pyplot()
    if axes is None:
        _, axes = plt.subplots(1, len(times), figsize=(2.6 * len(times), 2.8))
    axes = np.atleast_1d(axes)
    for ax, t in zip(axes, times, strict=True):
        plot_grid_values(world, state_marginals[t], ax=ax, cmap="magma", colorbar=False,
                         title=f"{title}, t={t}")  # fmt: skip
    return axes


def plot_grid_panels(
    world: GridWorld | tuple[int, int],
    panels: Sequence[tuple[np.ndarray, np.ndarray | None, str]],
    out: str | os.PathLike,
    *,
    marginals: np.ndarray | None = None,
    times: Sequence[int] = (),
    marginals_title: str = "p(s_t | O)",
    title: str | None = None,
    annotate: bool = False,
    dpi: int = 110,
) -> Path:
    """Write a PNG: a row of value heatmaps with policy arrows, optionally state marginals below.

    Parameters
    ----------
    world : GridWorld or (rows, cols)
        The grid the states live on.
    panels : sequence of (values, policy, title)
        One :func:`plot_grid_values` panel each: values (S,), policy (S,) int, (S, A),
        (H, S, A) or None.
    out : path
        PNG file to write (its folder is created).
    marginals : (H + 1, S) array, optional
        State marginals p(s_t); one heatmap per t in ``times`` on a second row.
    times : sequence of int
        Time steps of ``marginals`` to draw.
    marginals_title : str
        Title prefix of the marginal panels.
    title : str, optional
        Figure title.
    annotate : bool
        Print each state's value on the value panels.
    dpi : int
        Resolution of the PNG.

    Returns
    -------
    Path
        The PNG written.
    """
    plt = pyplot()
    if not panels:
        raise ValueError("panels: give at least one (values, policy, title) panel")
    times = list(times) if marginals is not None else []
    rows, cols = grid_layout(world).shape
    n_cols = math.lcm(len(panels), len(times)) if times else len(panels)
    n_wide = max(len(panels), len(times))
    width = 3.75 * n_wide  # inches
    top = width / len(panels) * rows / cols + 1.0  # each panel keeps the grid's aspect
    bottom = width / len(times) * rows / cols + 0.8 if times else 0.0
    fig = plt.figure(figsize=(width, top + bottom))
    grid = fig.add_gridspec(2 if times else 1, n_cols,
                            height_ratios=[top, bottom] if times else None)  # fmt: skip
    span = n_cols // len(panels)
    for i, (values, policy, label) in enumerate(panels):
        ax = fig.add_subplot(grid[0, i * span:(i + 1) * span])
        plot_grid_values(world, values, policy, ax=ax, title=label, annotate=annotate)
    if times:
        span = n_cols // len(times)
        axes = [fig.add_subplot(grid[1, i * span:(i + 1) * span]) for i in range(len(times))]
        plot_state_marginals(world, marginals, times, axes=axes, title=marginals_title)
    if title:
        fig.suptitle(title)
    return save_figure(fig, out, dpi=dpi)


def _as_stochastic(policy: np.ndarray, world: GridWorld | tuple[int, int]) -> np.ndarray:
    """(S, A) probabilities from an (S,) integer policy, an (S, A) or an (H, S, A) one."""
    pi = np.asarray(policy)
    if pi.ndim == 3:
        return pi[0].astype(np.float64)
    if pi.ndim == 1:
        if not np.issubdtype(pi.dtype, np.integer):
            raise ValueError("policy: a 1-D policy must hold integer actions (S,); got dtype "
                             f"{pi.dtype}. Pass probabilities as (S, A).")
        n_actions = world.mdp.n_actions if hasattr(world, "mdp") else int(pi.max()) + 1
        n_actions = max(n_actions, 4)
        if pi.min() < 0 or pi.max() >= n_actions:
            raise ValueError(f"policy: actions must lie in [0, {n_actions}); got "
                             f"[{pi.min()}, {pi.max()}]")
        return np.eye(n_actions)[pi]
    return pi.astype(np.float64)
