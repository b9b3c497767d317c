"""Learning curves from metrics CSV files to PNG (matplotlib, Agg backend)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from softrl.plot._mpl import pyplot, save_figure
from softrl.training.logger import read_metrics

DEFAULT_KEYS = ("eval/mean_return", "charts/episodic_return")


def plot_runs(
    runs: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    keys: Sequence[str] = DEFAULT_KEYS,
    labels: Sequence[str] | None = None,
    title: str | None = None,
    strict: bool = False,
) -> Path:
    """Plot ``keys`` against environment steps for each run, one panel per key.

    Parameters
    ----------
    runs : sequence of path
        Run directories (or metrics CSV files).
    out : path
        PNG file to write.
    keys : sequence of str
        Metric keys; a key no run has is skipped (an error naming it when ``strict``).
    labels : sequence of str, optional
        Legend label per run (default: the directory name).
    title : str, optional
        Figure title.

    Returns
    -------
    Path
        The PNG written.
    """
    plt = pyplot()

    data = [read_metrics(r) for r in runs]
    labels = list(labels) if labels is not None else [Path(r).name for r in runs]
    present = [k for k in keys if any(k in d for d in data)]
    missing = [k for k in keys if k not in present]
    if strict and missing:
        logged = sorted({k for d in data for k in d})
        raise ValueError(f"no run logged {', '.join(map(repr, missing))}; the runs have: "
                         f"{', '.join(logged)}")
    if not present:
        raise ValueError(f"none of the keys {list(keys)} was logged in {list(map(str, runs))}")
    fig, axes = plt.subplots(1, len(present), figsize=(5.5 * len(present), 4), squeeze=False)
    for ax, key in zip(axes[0], present, strict=True):
        for series, label in zip(data, labels, strict=True):
            if key in series:
                steps, values = series[key]
                ax.plot(steps, values, label=label, marker="." if len(steps) < 50 else None)
        ax.set_xlabel("environment steps")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return save_figure(fig, out, dpi=100)
