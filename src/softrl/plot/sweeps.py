"""Learning curves of a sweep: one line per configuration, mean and spread over its seeds."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from softrl.plot._mpl import pyplot, save_figure

__all__ = ["plot_sweep_curves"]


def plot_sweep_curves(
    curves: Mapping[str, Sequence[tuple[Sequence[float], Sequence[float]]]],
    out: str | os.PathLike,
    ylabel: str = "mean evaluation return",
    title: str | None = None,
) -> Path:
    """Plot each configuration's seeds as their mean and min-max band against env steps.

    Parameters
    ----------
    curves : mapping label -> list of (steps, values)
        One (steps, values) pair per seed. At each step the mean and the min and max are over
        the seeds that reached it (a seed stopped early by a scheduler ends its share).
    out : path
        PNG file to write.
    ylabel, title : str
        Axis label and figure title.
    """
    if not curves:
        raise ValueError("plot_sweep_curves: no curves to plot (no trial reported a result)")
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, seeds in curves.items():
        table: dict[float, list[float]] = {}
        for steps, values in seeds:
            for s, v in zip(steps, values, strict=True):
                table.setdefault(float(s), []).append(float(v))
        xs = np.array(sorted(table))
        mean = np.array([np.mean(table[x]) for x in xs])
        lo = np.array([np.min(table[x]) for x in xs])
        hi = np.array([np.max(table[x]) for x in xs])
        line, = ax.plot(xs, mean, marker="." if len(xs) < 50 else None,
                        label=f"{label} ({len(seeds)} seed{'s' if len(seeds) > 1 else ''})")
        if len(seeds) > 1:
            ax.fill_between(xs, lo, hi, color=line.get_color(), alpha=0.2)
    ax.set_xlabel("environment steps")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title, fontsize=10)
    return save_figure(fig, out, dpi=100)
