"""Pictures of an IRL fit on a gridworld: true vs learned reward, and the two policies."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from softrl.envs import GridWorld

__all__ = ["plot_irl_gridworld"]


def _state_values(reward: np.ndarray) -> np.ndarray:
    """r(s) from (S,) or the action-mean of (S, A)."""
    r = np.asarray(reward, dtype=np.float64)
    return r.mean(axis=1) if r.ndim == 2 else r


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


def plot_irl_gridworld(
    world: GridWorld,
    true_reward: np.ndarray,
    learned_reward: np.ndarray,
    true_policy: np.ndarray,
    learned_policy: np.ndarray,
    path: str | Path,
    title: str = "",
) -> Path:
    """Save a 1 x 2 PNG: reward heatmaps (true, learned) under each policy's arrows.

    Parameters
    ----------
    world : GridWorld
    true_reward, learned_reward : (S,) or (S, A)
        State-action rewards are shown by their mean over actions.  The learned reward is
        shown standardised (zero mean, unit variance) since IRL recovers it up to scale and
        shift; the true one as is.
    true_policy, learned_policy : (S, A) or (H, S, A)
        Arrows show the expected move under pi (at t = 0 for a time-indexed policy).
    path : str or Path
        Output PNG.
    title : str

    Returns
    -------
    Path of the written file.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    r_true = _state_values(true_reward)
    r_learn = _state_values(learned_reward)
    r_learn = (r_learn - r_learn.mean()) / max(r_learn.std(), 1e-12)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), constrained_layout=True)
    panels = [
        (axes[0], r_true, true_policy, "true reward, optimal policy"),
        (axes[1], r_learn, learned_policy, "learned reward (standardised), learned policy"),
    ]
    for ax, values, policy, label in panels:
        image = ax.imshow(world.to_grid(values), cmap="RdYlGn", interpolation="nearest")
        _arrows(ax, world, policy)
        ax.set_title(label)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(image, ax=ax, shrink=0.85)
    if title:
        fig.suptitle(title)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
