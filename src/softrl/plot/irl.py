"""Pictures of an IRL fit on a gridworld: true vs learned reward per cell, and the two policies."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from softrl.envs import GridWorld
from softrl.plot._mpl import pyplot

__all__ = ["plot_irl_gridworld"]

# Cells whose symbol is drawn on both panels.
_MARKED = ("S", "G", "T")


def _arrows(ax, world: GridWorld, policy: np.ndarray) -> None:
    """Expected move sum_a pi(a|s) delta_a per cell (time 0 of a time-indexed policy)."""
    pi = np.asarray(policy, dtype=np.float64)
    pi = pi[0] if pi.ndim == 3 else pi
    move = pi @ world.action_deltas.astype(np.float64)  # (S, 2) (d_row, d_col)
    rows, cols = world.cells[:, 0], world.cells[:, 1]
    live = ~world.mdp.terminal
    ax.quiver(
        cols[live], rows[live], move[live, 1], -move[live, 0],
        angles="xy", scale_units="xy", scale=1.6, width=0.004, color="black",
    )  # fmt: skip


def _symbols(ax, world: GridWorld) -> None:
    """Write S, G and T on their cells."""
    for r, line in enumerate(world.layout):
        for c, char in enumerate(line):
            if char in _MARKED:
                ax.text(c, r, char, ha="center", va="center", fontsize=9, fontweight="bold",
                        color="black", alpha=0.75)  # fmt: skip


def plot_irl_gridworld(
    world: GridWorld,
    true_cells: np.ndarray,
    learned_cells: np.ndarray,
    true_policy: np.ndarray,
    learned_policy: np.ndarray,
    path: str | Path,
    true_title: str = "true reward",
    learned_title: str = "learned reward",
    title: str = "",
) -> Path:
    """Save a 1 x 2 PNG: per-cell reward heatmaps (true, learned) under each policy's arrows.

    Each panel has its own colour bar, symmetric about 0 (green positive, red negative), since
    IRL recovers a reward only up to a positive scale; walls are blank and the S, G and T cells
    are labelled.

    Parameters
    ----------
    world : GridWorld
    true_cells, learned_cells : (S,)
        A value per state, e.g. the reward of entering each cell; NaN leaves a cell blank.
    true_policy, learned_policy : (S, A) or (H, S, A)
        Arrows show the expected move under pi (at t = 0 for a time-indexed policy).
    path : str or Path
        Output PNG.
    true_title, learned_title : str
        Panel titles (may hold the metrics).
    title : str
        Figure title.

    Returns
    -------
    Path of the written file.
    """
    plt = pyplot()

    n_rows, n_cols = world.shape
    cell = 0.55  # inches
    fig, axes = plt.subplots(
        1, 2, figsize=(2 * (cell * n_cols + 1.4), cell * n_rows + 1.4), constrained_layout=True
    )
    panels = [
        (axes[0], true_cells, true_policy, true_title),
        (axes[1], learned_cells, learned_policy, learned_title),
    ]
    for ax, values, policy, label in panels:
        values = np.asarray(values, dtype=np.float64)
        finite = values[np.isfinite(values)]
        bound = float(np.max(np.abs(finite))) if finite.size else 1.0
        bound = bound if bound > 0 else 1.0
        cmap = plt.get_cmap("RdYlGn").with_extremes(bad="white")
        image = ax.imshow(world.to_grid(values), cmap=cmap, vmin=-bound, vmax=bound,
                          interpolation="nearest")  # fmt: skip
        _arrows(ax, world, policy)
        _symbols(ax, world)
        ax.set_title(label, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(image, ax=ax, shrink=0.85)
    if title:
        fig.suptitle(title, fontsize=10)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
