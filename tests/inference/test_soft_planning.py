"""Soft backups: infinite-horizon fixed points, numerics, optimism, occupancy."""

import numpy as np
import pytest
from scipy.special import logsumexp

from mdp_factories import make_random_mdp
from softrl.inference import (
    expected_feature_counts,
    occupancy,
    policy_marginals,
    soft_backward,
)
from softrl.mdp import FiniteMDP, MDPValidationError, sample_trajectories
from softrl.planning import policy_evaluation, value_iteration


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("backup", ["variational", "optimistic"])
@pytest.mark.parametrize("temperature", [0.3, 1.0, 5.0])
def test_infinite_horizon_fixed_point_matches_dense(seed, backup, temperature):
    mdp = make_random_mdp(seed, S=6, A=3, gamma=0.9, density=0.6)
    P, r, g, T = mdp.dense_transitions(), mdp.reward, mdp.gamma, temperature
    V = np.zeros(6)
    for _ in range(400):  # 0.9**400 < 1e-18
        nxt = P @ V if backup == "variational" else T * np.log(P @ np.exp(V / T))
        V = T * logsumexp((r + g * nxt) / T, axis=1)
    sol = soft_backward(mdp, T, backup, tol=1e-12)
    np.testing.assert_allclose(sol.V, V, atol=1e-9)
    assert sol.residual <= 1e-12 and sol.iterations > 1
    # The implied policy is a distribution and equals the Boltzmann policy of Q.
    np.testing.assert_allclose(sol.policy.sum(1), 1.0)
    np.testing.assert_allclose(sol.log_policy, (sol.Q - sol.V[:, None]) / T, atol=1e-9)


def test_extreme_temperature_and_rewards_do_not_overflow():
    mdp = make_random_mdp(1, S=30, A=4, gamma=0.99, density=0.2)
    big = mdp.replace(reward=mdp.reward * 1e4)
    hard = value_iteration(big, tol=1e-6)
    for backup in ("variational", "optimistic"):
        for T in (1e-6, 1.0, 1e4):
            sol = soft_backward(big, T, backup, tol=1e-6)
            assert np.all(np.isfinite(sol.V)) and np.all(np.isfinite(sol.Q))
            assert np.all(np.isfinite(sol.log_policy[sol.policy > 0]))
            np.testing.assert_allclose(sol.policy.sum(1), 1.0, atol=1e-12)
        soft = soft_backward(big, 1e-6, "variational", tol=1e-6)
        np.testing.assert_allclose(soft.V, hard.V, rtol=1e-9, atol=1e-3)
    finite = big.replace(horizon=50)
    for backup in ("variational", "optimistic"):
        sol = soft_backward(finite, 1e-6, backup)
        assert np.all(np.isfinite(sol.V))


def lottery_mdp():
    """State 0 chooses: a sure +1 (action 0) or a lottery, 5% of +10 and 95% of -1 (action 1)."""
    S, A = 5, 2  # 0 start, 1 sure, 2 jackpot, 3 bust, 4 end (terminal)
    P = np.zeros((S, A, S))
    P[0, 0, 1] = 1.0
    P[0, 1, 2], P[0, 1, 3] = 0.05, 0.95
    P[1:4, :, 4] = 1.0
    P[4, :, 4] = 1.0
    r = np.zeros((S, A))
    r[1], r[2], r[3] = 1.0, 10.0, -1.0
    return FiniteMDP(P, r, initial=np.eye(S)[0], horizon=2, terminal=[4])


def test_optimistic_backup_overvalues_a_risky_lottery():
    mdp = lottery_mdp()
    opt = soft_backward(mdp, 1.0, "optimistic")
    var = soft_backward(mdp, 1.0, "variational")
    assert opt.policy[0, 0, 1] > 0.9  # the exact posterior bets on the lottery ...
    assert var.policy[0, 0, 1] < 0.25  # ... the variational posterior does not
    # Expected return under the true dynamics: the optimistic policy is worse.
    ret = {k: (policy_marginals(mdp, s.policy).state_action * mdp.reward).sum()
           for k, s in (("opt", opt), ("var", var))}
    assert ret["opt"] < 0 < ret["var"]
    # Its value estimate is over-optimistic: Q(0, lottery) far above the expected 0.05*10-0.95.
    assert opt.Q[0, 0, 1] > 5.0 > var.Q[0, 0, 1]


@pytest.mark.parametrize("seed", range(4))
def test_occupancy_matches_dense_solve(seed):
    mdp = make_random_mdp(seed, S=7, A=3, gamma=0.9, terminal=[6], density=0.5)
    rng = np.random.default_rng(seed)
    pi = rng.dirichlet(np.ones(3), size=7)
    P = mdp.dense_transitions()
    live = ~mdp.terminal
    P_pi = np.einsum("sa,sat->st", pi, P) * live[:, None]
    d = np.linalg.solve(np.eye(7) - mdp.gamma * P_pi.T, mdp.initial)
    ref = d[:, None] * pi * live[:, None]
    for method in ("direct", "iterative"):
        np.testing.assert_allclose(occupancy(mdp, pi, method=method), ref, atol=1e-10)
    # The occupancy is the dual of policy evaluation: <rho, r> = E_p0[V^pi].
    V, _ = policy_evaluation(mdp, pi)
    assert (ref * mdp.reward).sum() == pytest.approx(mdp.initial @ V, rel=1e-10)
    phi = rng.normal(size=(7, 3, 2))
    np.testing.assert_allclose(expected_feature_counts(mdp, pi, phi),
                               np.einsum("sa,saf->f", ref, phi), atol=1e-10)


def test_finite_horizon_occupancy_is_discounted_sum_of_marginals():
    mdp = make_random_mdp(2, S=5, A=2, gamma=0.8, horizon=6)
    pi = np.full((5, 2), 0.5)
    m = policy_marginals(mdp, pi)
    np.testing.assert_allclose(m.state.sum(1), 1.0)
    ref = sum(0.8**t * m.state_action[t] for t in range(6))
    np.testing.assert_allclose(occupancy(mdp, pi), ref)


def test_sampling_matches_marginals_and_is_reproducible():
    mdp = make_random_mdp(4, S=4, A=2, horizon=5, terminal=[3], density=0.7)
    pi = soft_backward(mdp, 1.0).policy
    n = 40_000
    tr = sample_trajectories(mdp, pi, n, seed=7)
    again = sample_trajectories(mdp, pi, n, seed=7)
    np.testing.assert_array_equal(tr.states, again.states)
    np.testing.assert_array_equal(tr.actions, again.actions)
    m = policy_marginals(mdp, pi)
    for t in range(5):
        ok = tr.actions[:, t] >= 0
        emp = np.zeros((4, 2))
        np.add.at(emp, (tr.states[ok, t], tr.actions[ok, t]), 1.0 / n)
        # Binomial standard error at n = 40000 is at most 0.0025: 5 sigma.
        np.testing.assert_allclose(emp, m.state_action[t], atol=0.0125)
    assert np.all(tr.rewards[tr.actions < 0] == 0)
    assert np.all((tr.lengths == 5) | mdp.terminal[tr.states[np.arange(n), tr.lengths]])
    np.testing.assert_allclose(tr.returns(), tr.rewards.sum(1))


def test_sampling_bad_inputs():
    mdp = make_random_mdp(0)
    pi = np.full((5, 3), 1 / 3)
    with pytest.raises(MDPValidationError, match="horizon"):
        sample_trajectories(mdp, pi, 3)
    with pytest.raises(MDPValidationError, match="n:"):
        sample_trajectories(mdp, pi, 0, horizon=3)
    with pytest.raises(MDPValidationError, match="seed"):
        sample_trajectories(mdp, pi, 2, horizon=3, seed="x")


def test_soft_backward_bad_inputs():
    mdp = make_random_mdp(0)
    with pytest.raises(MDPValidationError, match="temperature"):
        soft_backward(mdp, -1.0)
    with pytest.raises(MDPValidationError, match="temperature"):
        soft_backward(mdp, float("nan"))
    with pytest.raises(MDPValidationError, match="backup"):
        soft_backward(mdp, 1.0, "pessimistic")
    with pytest.raises(MDPValidationError, match="backup"):
        soft_backward(mdp, 0.0, "optimistic")
    with pytest.raises(MDPValidationError, match="action_prior"):
        soft_backward(mdp, 1.0, action_prior=np.ones(4))
    with pytest.raises(MDPValidationError, match="action_prior"):
        soft_backward(mdp, 1.0, action_prior=np.zeros(3))
    with pytest.raises(MDPValidationError, match="gamma"):
        soft_backward(mdp.replace(gamma=1.0), 1.0)
    with pytest.raises(MDPValidationError, match="horizon"):
        soft_backward(mdp, 1.0, horizon=0)
    with pytest.warns(RuntimeWarning, match="max_iter"):
        soft_backward(mdp, 1.0, max_iter=3)
