"""Gallery: meta-RL on point navigation. The fast mode trains far too briefly to learn (the
learning figures are the full run's and bench/meta.py's); it checks the mechanics the figure
rests on: every method is meta-tested on three adaptation episodes with returns in the
reward's range, and PEARL's posterior after one episode of context is narrower than the
prior N(0, I) in every dimension."""

import importlib.util
from pathlib import Path

import numpy as np

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "meta_rl_point.py"


def test_mechanics(tmp_path) -> None:
    spec = importlib.util.spec_from_file_location("meta_rl_point", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    r = module.main(tmp_path, fast=True)
    assert set(r["curves"]) == {"untrained policy", "PEARL", "oracle (told the goal)",
                                "MAML (10 episodes per step)", "RL^2"}
    worst = -20 * 2 * np.sqrt(2) * 1.5  # 20 steps at most ~2.8 (+ drift) from the goal
    # The goal-seeking policy is the exact optimum (each step reaches the closest point of
    # the reachable box): no method beats it on the same goals.
    assert -3.3 < r["optimum"] < -3.2
    for curve in r["curves"].values():
        assert len(curve) == 3 and all(worst < v <= r["optimum"] + 1e-6 for v in curve)
    # The oracle ignores the context: the same return in every episode (deterministic).
    assert len(set(r["curves"]["oracle (told the goal)"])) == 1
    assert r["posterior_std_max"] < 1.0
    assert r["steps"]["RL^2"] >= module.QUICK["rl2"]
    assert (tmp_path / "meta_rl_point.png").stat().st_size > 10_000
