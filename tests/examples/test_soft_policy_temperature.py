"""Gallery claim: on Sutton & Barto's gridworld the soft-optimal policy's mass on sub-optimal
actions vanishes under (A - 1) A^(gamma/(1-gamma)) exp(-gap/T) and V* <= V_T <= V* + T log A /
(1 - gamma); the policies equal an independent numpy soft value iteration."""

import importlib.util
from pathlib import Path

import numpy as np
from scipy.special import logsumexp

from softrl.envs import sutton_barto_gridworld

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "soft_policy_temperature.py"


def numpy_soft_policy(T: float) -> np.ndarray:
    mdp = sutton_barto_gridworld()
    P, r, v = mdp.dense_transitions(), mdp.reward, np.zeros(25)
    for _ in range(600):  # 0.9^600 < 1e-27
        v = T * logsumexp((r + 0.9 * P @ v) / T, axis=1)
    q = r + 0.9 * P @ v
    return np.exp((q - v[:, None]) / T)


def test_claim(tmp_path) -> None:
    spec = importlib.util.spec_from_file_location("soft_policy_temperature", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(tmp_path, fast=True)
    assert result["bound_holds"] == 1.0 and result["value_bound_holds"] == 1.0
    assert result["suboptimal_mass_at_0.01"] < 1e-10 < 0.5 < result["suboptimal_mass_at_10"]
    mdp = sutton_barto_gridworld()
    P, v = mdp.dense_transitions(), np.zeros(25)
    for _ in range(600):
        v = (mdp.reward + 0.9 * P @ v).max(axis=1)
    gaps = v[:, None] - (mdp.reward + 0.9 * P @ v)
    assert abs(result["gap"] - gaps[gaps > 1e-9].min()) < 1e-9  # the smallest action gap of Q*
    res = module.sweep(np.array([0.3, 0.05]))
    for k, T in enumerate((0.3, 0.05)):
        np.testing.assert_allclose(res["policies"][k], numpy_soft_policy(T), atol=1e-9)
    # Ties are not split evenly: at the bottom-left corner north and east are both optimal, the
    # soft policy keeps nearly all its mass on them but prefers north.
    pi = res["policies"][1][20]
    assert pi[0] + pi[2] > 1 - 1e-6 and pi[0] > 0.6
    assert (tmp_path / "soft_policy_temperature.png").stat().st_size > 20_000
