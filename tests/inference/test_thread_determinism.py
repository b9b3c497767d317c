"""The threaded and the serial builds of the tabular kernels give the same numbers, bit for bit.

The engine picks its build per call (size, and whether a core is free), so reproducibility
("the same seed gives the same numbers") needs the two to agree exactly, not to rounding.
"""

import numpy as np
import pytest

from softrl.envs import garnet, gridworld
from softrl.inference import kernels, policy_marginals, soft_backward, soft_bellman_step


def _force(monkeypatch, threaded: bool) -> None:
    monkeypatch.setattr(kernels, "PARALLEL_MIN_NNZ", 0 if threaded else 1 << 62)
    monkeypatch.setattr(kernels, "PARALLEL_ALWAYS_NNZ", 0 if threaded else 1 << 62)


def _run(mdp, backup):
    sol = soft_backward(mdp, temperature=0.7, backup=backup)
    marg = policy_marginals(mdp, sol.policy)
    return [sol.Q, sol.V, marg.state, marg.state_action]


@pytest.mark.parametrize("backup", ["variational", "optimistic"])
def test_finite_horizon_passes_are_thread_count_independent(monkeypatch, backup):
    rng = np.random.default_rng(3)
    mdp = gridworld(12, slip=0.1, n_actions=5, horizon=25, reward=rng.normal(size=144)).mdp
    _force(monkeypatch, threaded=False)
    serial = _run(mdp, backup)
    _force(monkeypatch, threaded=True)
    threaded = _run(mdp, backup)
    for a, b in zip(serial, threaded, strict=True):
        assert np.array_equal(a, b)


def test_one_backup_is_thread_count_independent(monkeypatch):
    mdp = garnet(2000, 5, 5, seed=1)
    V = np.random.default_rng(0).normal(size=2000)
    _force(monkeypatch, threaded=False)
    Q1, V1 = soft_bellman_step(mdp, mdp.reward, V, temperature=0.5)
    _force(monkeypatch, threaded=True)
    Q2, V2 = soft_bellman_step(mdp, mdp.reward, V, temperature=0.5)
    assert np.array_equal(Q1, Q2) and np.array_equal(V1, V2)
