"""Hard planning against dense numpy solves and the Sutton & Barto gridworld tables."""

import numpy as np
import pytest

from mdp_factories import make_random_mdp
from softrl.envs import sutton_barto_gridworld
from softrl.inference import soft_backward
from softrl.mdp import MDPValidationError
from softrl.planning import policy_evaluation, policy_iteration, value_iteration

# Sutton & Barto (2nd ed.) figures 3.2 and 3.5, as printed in seed 001 (one decimal).
SB_RANDOM = [
    [3.3, 8.8, 4.4, 5.3, 1.5],
    [1.5, 3.0, 2.3, 1.9, 0.5],
    [0.1, 0.7, 0.7, 0.4, -0.4],
    [-1.0, -0.4, -0.4, -0.6, -1.2],
    [-1.9, -1.3, -1.2, -1.4, -2.0],
]
SB_OPTIMAL = [
    [22.0, 24.4, 22.0, 19.4, 17.5],
    [19.8, 22.0, 19.8, 17.8, 16.0],
    [17.8, 19.8, 17.8, 16.0, 14.4],
    [16.0, 17.8, 16.0, 14.4, 13.0],
    [14.4, 16.0, 14.4, 13.0, 11.7],
]


def _grid_values(V):
    return np.asarray(V).reshape(5, 5)  # states are numbered row-major


def test_sutton_barto_tables():
    mdp = sutton_barto_gridworld()
    uniform = np.full(mdp.shape, 1.0 / mdp.n_actions)
    for method in ("direct", "iterative"):
        V, _ = policy_evaluation(mdp, uniform, method=method)
        np.testing.assert_allclose(_grid_values(V), SB_RANDOM, atol=0.05)
    np.testing.assert_allclose(_grid_values(value_iteration(mdp).V), SB_OPTIMAL, atol=0.05)
    np.testing.assert_allclose(_grid_values(policy_iteration(mdp).V), SB_OPTIMAL, atol=0.05)


def dense_value_iteration(mdp, iters=3000):
    P, r, g = mdp.dense_transitions(), mdp.reward, mdp.gamma
    V = np.zeros(mdp.n_states)
    for _ in range(iters):
        V = (r + g * P @ V).max(axis=1)
    return V


@pytest.mark.parametrize("seed", range(5))
def test_value_and_policy_iteration_match_dense(seed):
    mdp = make_random_mdp(seed, S=6, A=3, gamma=0.9, density=0.5)
    V_ref = dense_value_iteration(mdp)
    vi = value_iteration(mdp, tol=1e-12)
    np.testing.assert_allclose(vi.V, V_ref, atol=1e-9)
    pi = policy_iteration(mdp)
    np.testing.assert_allclose(pi.V, V_ref, atol=1e-9)
    assert vi.residual <= 1e-12 and vi.iterations > 10


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("temperature", [0.0, 0.5])
def test_policy_evaluation_matches_dense_solve(seed, temperature):
    mdp = make_random_mdp(seed, S=6, A=3, gamma=0.95, terminal=[5])
    rng = np.random.default_rng(seed)
    pi = rng.dirichlet(np.ones(3), size=6)
    P, r, g = mdp.dense_transitions(), mdp.reward, mdp.gamma
    live = ~mdp.terminal
    r_pi = (pi * (r - temperature * np.log(pi))).sum(1) * live
    P_pi = np.einsum("sa,sat->st", pi, P) * live[:, None]
    V_ref = np.linalg.solve(np.eye(6) - g * P_pi, r_pi)
    for method in ("direct", "iterative"):
        V, Q = policy_evaluation(mdp, pi, temperature=temperature, method=method)
        np.testing.assert_allclose(V, V_ref, atol=1e-8)
        np.testing.assert_allclose(Q[live], (r + g * P @ V_ref)[live], atol=1e-8)


def test_zero_temperature_limit_of_soft_backward():
    mdp = make_random_mdp(3, S=8, A=4, gamma=0.9, horizon=20)
    hard = value_iteration(mdp)
    prev = np.inf
    for T in (1.0, 0.1, 0.01, 1e-4, 1e-6):
        soft = soft_backward(mdp, T)
        gap = np.abs(soft.V - hard.V).max()
        # Soft V exceeds hard V by at most T log A per remaining step.
        assert np.all(soft.V >= hard.V - 1e-9)
        assert gap <= T * np.log(4) * 20 + 1e-9
        assert gap <= prev
        prev = gap
    np.testing.assert_array_equal(soft_backward(mdp, 1e-6).policy.argmax(-1), hard.policy)


def test_bad_inputs():
    mdp = make_random_mdp(0)
    with pytest.raises(MDPValidationError, match="method"):
        policy_evaluation(mdp, np.zeros(5, dtype=int), method="magic")
    with pytest.raises(MDPValidationError, match="policy"):
        policy_evaluation(mdp, np.ones((5, 3)))
    with pytest.raises(MDPValidationError, match="policy"):
        policy_evaluation(mdp, np.array([0, 1, 2, 3, 0]))
    with pytest.raises(MDPValidationError, match="horizon"):
        policy_iteration(mdp.replace(horizon=3))
