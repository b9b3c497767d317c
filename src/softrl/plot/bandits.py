"""Regret curves of bandit algorithms: mean over runs with a quantile band, and the
Lai-Robbins lower bound C ln t."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from softrl.plot._mpl import pyplot, save_figure


def plot_regret(results: Sequence, out: str | os.PathLike, *,
                labels: Sequence[str] | None = None, band: tuple[float, float] = (0.1, 0.9),
                lai_robbins: float | None = None, log_x: bool = False,
                title: str | None = None) -> Path:
    """Plot the cumulative pseudo-regret of each result against t.

    Parameters
    ----------
    results : sequence of BanditResult
        One curve each: the mean of ``regret`` (R, horizon) over runs, and the band between
        the ``band`` quantiles over runs.
    out : path
        PNG file to write.
    labels : sequence of str, optional
        Legend labels (default: each result's algorithm).
    band : (float, float)
        Lower and upper quantile of the shaded band, in [0, 1].
    lai_robbins : float, optional
        C of the Lai-Robbins bound: the dashed curve C ln t (asymptotically no consistent
        algorithm does better).
    log_x : bool
        Logarithmic t axis (the bound is then a straight line).
    title : str, optional

    Returns
    -------
    Path
        The PNG written.
    """
    lo, hi = band
    if not 0.0 <= lo <= hi <= 1.0:
        raise ValueError(f"band: must be two quantiles 0 <= lo <= hi <= 1; got {band!r}.")
    if not results:
        raise ValueError("results: give at least one BanditResult to plot.")
    labels = list(labels) if labels is not None else [r.algorithm for r in results]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    horizon = max(r.regret.shape[1] for r in results)
    for result, label in zip(results, labels, strict=True):
        t = np.arange(1, result.regret.shape[1] + 1)
        lower, upper = result.quantile([lo, hi])
        line, = ax.plot(t, result.mean(), label=f"{label} (final {result.final.mean():.1f})")
        ax.fill_between(t, lower, upper, color=line.get_color(), alpha=0.2, linewidth=0)
    if lai_robbins is not None:
        t = np.arange(1, horizon + 1)
        ax.plot(t, lai_robbins * np.log(t), "k--", linewidth=1,
                label=f"Lai-Robbins C ln t, C = {lai_robbins:.3g}")
    if log_x:
        ax.set_xscale("log")
    runs = results[0].regret.shape[0]
    ax.set_xlabel("t (pulls)")
    ax.set_ylabel(f"regret: mean over {runs} runs, band {lo:g}-{hi:g} quantiles")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    if title:
        ax.set_title(title, fontsize=10)
    return save_figure(fig, out, dpi=110)
