"""soft_value_iteration: three solvers, one fixed point (soft_backward's), and bad arguments."""

import numpy as np
import pytest

from mdp_factories import make_random_mdp
from softrl.envs import garnet, gridworld
from softrl.inference import occupancy, soft_backward, soft_bellman_step
from softrl.mdp import MDPValidationError
from softrl.planning import discounted_occupancy, policy_iteration, soft_value_iteration

METHODS = ("extrapolated", "value_iteration", "policy_iteration")


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("temperature", [1.0, 0.1, 0.0])
@pytest.mark.parametrize("method", METHODS)
def test_same_fixed_point_as_soft_backward(seed, temperature, method):
    mdp = make_random_mdp(seed, S=7, A=3, gamma=0.9, density=0.5)
    ref = soft_backward(mdp, temperature, tol=1e-13)
    sol = soft_value_iteration(mdp, temperature, method=method, tol=1e-12)
    np.testing.assert_allclose(sol.V, ref.V, rtol=0, atol=1e-9)
    np.testing.assert_allclose(sol.Q, ref.Q, rtol=0, atol=1e-9)
    assert sol.residual <= 1e-12 and sol.method == method
    assert (sol.matvecs > 0) == (method == "policy_iteration")


@pytest.mark.parametrize("method", ["extrapolated", "value_iteration"])
def test_optimistic_backup_and_action_prior(method):
    mdp = make_random_mdp(5, S=6, A=4, gamma=0.8)
    prior = np.random.default_rng(0).dirichlet(np.ones(4), size=6)
    for backup, kwargs in (("optimistic", {}), ("variational", {"action_prior": prior})):
        ref = soft_backward(mdp, 0.7, backup, tol=1e-13, **kwargs)
        sol = soft_value_iteration(mdp, 0.7, backup, method=method, tol=1e-12, **kwargs)
        np.testing.assert_allclose(sol.V, ref.V, rtol=0, atol=1e-9)
        np.testing.assert_allclose(sol.policy, ref.policy, rtol=0, atol=1e-9)


@pytest.mark.parametrize("method", METHODS)
def test_residual_is_the_sup_norm_bellman_residual(method):
    mdp = garnet(300, 4, 3, seed=2)
    sol = soft_value_iteration(mdp, 0.5, method=method, tol=1e-6)
    _, TV = soft_bellman_step(mdp, mdp.reward, sol.V, 0.5)
    # V = T V_k with ||T V_k - V_k|| = residual <= tol, so ||T V - V|| <= gamma * residual.
    assert np.abs(TV - sol.V).max() <= mdp.gamma * sol.residual + 1e-12
    assert sol.residual <= 1e-6


@pytest.mark.parametrize("method", METHODS)
def test_terminal_states_and_gamma_one(method):
    mdp = make_random_mdp(1, S=6, A=3, gamma=1.0, terminal=[0, 4])
    ref = soft_backward(mdp, 1.0, tol=1e-13)
    sol = soft_value_iteration(mdp, 1.0, method=method, tol=1e-12, max_iter=100_000)
    np.testing.assert_allclose(sol.V, ref.V, rtol=0, atol=1e-9)
    assert sol.V[0] == 0.0 and sol.V[4] == 0.0


def test_extrapolation_and_newton_need_far_fewer_backups_on_a_garnet():
    mdp = garnet(2000, 5, 5, seed=0)
    plain = soft_value_iteration(mdp, 1.0, method="value_iteration", tol=1e-8)
    fast = soft_value_iteration(mdp, 1.0, method="extrapolated", tol=1e-8)
    newton = soft_value_iteration(mdp, 1.0, method="policy_iteration", tol=1e-8)
    assert plain.iterations > 1500 and fast.iterations < 60 and newton.iterations <= 8
    # Each is within gamma / (1 - gamma) * 1e-8 ~ 1e-6 of the fixed point.
    np.testing.assert_allclose(fast.V, plain.V, rtol=0, atol=2e-6)
    np.testing.assert_allclose(newton.V, plain.V, rtol=0, atol=2e-6)


def test_policy_iteration_beats_value_iteration_on_a_slowly_mixing_grid():
    mdp = gridworld(20, slip=0.1).mdp
    fast = soft_value_iteration(mdp, 1.0, method="extrapolated", tol=1e-8)
    newton = soft_value_iteration(mdp, 1.0, method="policy_iteration", tol=1e-8)
    assert newton.iterations + newton.matvecs < fast.iterations
    np.testing.assert_allclose(newton.V, fast.V, rtol=0, atol=1e-6)


@pytest.mark.parametrize("method", METHODS)
def test_zero_temperature_limit_is_hard_policy_iteration(method):
    mdp = make_random_mdp(3, S=8, A=4, gamma=0.9)
    hard = policy_iteration(mdp)
    prev = np.inf
    for T in (1.0, 0.1, 1e-3, 1e-6):
        soft = soft_value_iteration(mdp, T, method=method, tol=1e-11)
        gap = np.abs(soft.V - hard.V).max()
        # The entropy bonus is at most T log A per step: 0 <= V_T - V_0 <= T log A / (1 - gamma).
        assert np.all(soft.V >= hard.V - 1e-9) and gap <= T * np.log(4) / 0.1 + 1e-9
        assert gap <= prev
        prev = gap
    np.testing.assert_array_equal(soft.policy.argmax(-1), hard.policy)
    np.testing.assert_allclose(soft_value_iteration(mdp, 0.0, method=method, tol=1e-11).V,
                               hard.V, rtol=0, atol=1e-9)  # fmt: skip


@pytest.mark.parametrize("method", METHODS)
def test_tiny_temperature_and_huge_rewards_stay_finite(method):
    mdp = make_random_mdp(2, S=6, A=3, gamma=0.9)
    big = mdp.replace(reward=mdp.reward * 1e4)
    sol = soft_value_iteration(big, 1e-6, method=method, tol=1e-6)
    hard = policy_iteration(big)
    assert np.all(np.isfinite(sol.Q)) and np.all(np.isfinite(sol.policy))
    np.testing.assert_allclose(sol.V, hard.V, rtol=1e-10, atol=1e-4)


def test_warm_start_and_not_converged_warning():
    mdp = garnet(200, 3, 4, seed=1)
    sol = soft_value_iteration(mdp, 1.0, tol=1e-10)
    again = soft_value_iteration(mdp, 1.0, tol=1e-9, V_init=sol.V)
    assert again.iterations == 1
    with pytest.warns(RuntimeWarning, match="max_iter"):
        soft_value_iteration(mdp, 1.0, method="value_iteration", tol=1e-10, max_iter=5)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"temperature": -1.0}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"method": "anderson"}, "method"),
        ({"method": "policy_iteration", "backup": "optimistic"}, "policy_iteration"),
        ({"backup": "exact"}, "backup"),
        ({"backup": "optimistic", "temperature": 0.0}, "optimistic"),
        ({"tol": 0.0}, "tol"),
        ({"tol": "1e-6"}, "tol"),
        ({"max_iter": 0}, "max_iter"),
        ({"max_iter": 2.5}, "max_iter"),
        ({"V_init": np.zeros(3)}, "V_init"),
        ({"V_init": np.full(5, np.inf)}, "V_init"),
        ({"action_prior": np.ones(7)}, "action_prior"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(MDPValidationError, match=match):
        soft_value_iteration(make_random_mdp(0), **kwargs)


def test_bad_mdps():
    with pytest.raises(MDPValidationError, match="horizon"):
        soft_value_iteration(make_random_mdp(0, horizon=4))
    with pytest.raises(MDPValidationError, match="gamma"):
        soft_value_iteration(make_random_mdp(0, gamma=1.0))
    with pytest.raises(MDPValidationError, match="mdp"):
        soft_value_iteration(np.zeros((3, 2, 3)))


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("terminal", [None, [2]])
def test_discounted_occupancy_matches_the_direct_solve(seed, terminal):
    mdp = make_random_mdp(seed, S=8, A=3, gamma=0.9, terminal=terminal, density=0.5)
    pi = np.random.default_rng(seed).dirichlet(np.ones(3), size=8)
    initial = np.random.default_rng(seed + 10).dirichlet(np.ones(8))
    ref = occupancy(mdp, pi, initial=initial, method="direct")
    rho, d = discounted_occupancy(mdp, pi, initial=initial, tol=1e-13)
    np.testing.assert_allclose(rho, ref, rtol=0, atol=1e-10)
    live = ~mdp.terminal
    np.testing.assert_allclose(rho[live].sum(axis=1), d[live], rtol=1e-12)


def test_discounted_occupancy_on_a_garnet_with_a_warm_start():
    mdp = garnet(3000, 4, 5, seed=4)
    pi = soft_value_iteration(mdp, 0.5, tol=1e-8).policy
    rho, d = discounted_occupancy(mdp, pi, tol=1e-12)
    ref = occupancy(mdp, pi, method="iterative", tol=1e-13)
    np.testing.assert_allclose(rho, ref, rtol=0, atol=1e-9)
    assert abs(d.sum() - 1 / (1 - mdp.gamma)) < 1e-8
    again, _ = discounted_occupancy(mdp, pi, tol=1e-12, d_init=d)
    np.testing.assert_allclose(again, rho, rtol=0, atol=1e-9)


def test_reward_override_equals_a_new_mdp():
    mdp = make_random_mdp(6, S=6, A=3, gamma=0.9, terminal=[1])
    reward = np.random.default_rng(1).normal(size=(6, 3))
    ref = soft_value_iteration(mdp.replace(reward=reward), 0.4, tol=1e-12)
    sol = soft_value_iteration(mdp, 0.4, tol=1e-12, reward=reward)
    np.testing.assert_array_equal(sol.V, ref.V)
    with pytest.raises(MDPValidationError, match="reward"):
        soft_value_iteration(mdp, reward=np.zeros((6, 2)))


def test_discounted_occupancy_bad_arguments():
    mdp = make_random_mdp(0)
    pi = np.full((5, 3), 1 / 3)
    with pytest.raises(MDPValidationError, match="horizon"):
        discounted_occupancy(make_random_mdp(0, horizon=3), pi)
    with pytest.raises(MDPValidationError, match="gamma"):
        discounted_occupancy(make_random_mdp(0, gamma=1.0), pi)
    with pytest.raises(MDPValidationError, match="policy"):
        discounted_occupancy(mdp, np.ones((5, 3)))
    with pytest.raises(MDPValidationError, match="tol"):
        discounted_occupancy(mdp, pi, tol=-1.0)
    with pytest.raises(MDPValidationError, match="initial"):
        discounted_occupancy(mdp, pi, initial=np.ones(5))
    with pytest.raises(MDPValidationError, match="d_init"):
        discounted_occupancy(mdp, pi, d_init=np.zeros(4))


@pytest.mark.parametrize("method", METHODS)
def test_gamma_zero_is_one_soft_max(method):
    mdp = make_random_mdp(4, S=5, A=3, gamma=0.0)
    sol = soft_value_iteration(mdp, 0.5, method=method, tol=1e-12)
    expected = 0.5 * np.log(np.exp(mdp.reward / 0.5).sum(axis=1))
    np.testing.assert_allclose(sol.V, expected, rtol=0, atol=1e-12)
    assert sol.iterations <= 2
