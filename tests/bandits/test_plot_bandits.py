"""plot_regret draws mean curves, quantile bands and the Lai-Robbins curve to a PNG."""

from __future__ import annotations

import pytest

from softrl.bandits import BernoulliBandit, lai_robbins_constant, run
from softrl.plot import plot_regret


def test_plot_regret_writes_png(tmp_path):
    bandit = BernoulliBandit([0.6, 0.4])
    results = [run(bandit, name, horizon=200, runs=8, seed=0) for name in ("ucb1", "klucb")]
    out = plot_regret(results, tmp_path / "sub" / "r.png", labels=["ucb1", "klucb"],
                      lai_robbins=lai_robbins_constant(bandit), log_x=True, title="two arms")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
    with pytest.raises(ValueError, match="band"):
        plot_regret(results, tmp_path / "x.png", band=(0.9, 0.1))
    with pytest.raises(ValueError, match="results"):
        plot_regret([], tmp_path / "x.png")
