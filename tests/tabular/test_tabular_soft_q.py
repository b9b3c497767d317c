"""Tabular soft Q-learning reaches soft_backward's exact soft Q (discounted and finite horizon,
synchronous and along episodes, on- and off-policy); the soft-Q / policy-gradient equivalence
holds to rounding on random parameters and batches."""

import numpy as np
import pytest

from mdp_factories import make_random_mdp
from softrl.envs import garnet
from softrl.inference import soft_backward
from softrl.mdp import MDPValidationError
from softrl.planning import value_iteration
from softrl.tabular import (
    learning_rate_schedule,
    sample_next_states,
    soft_q_learning,
    soft_q_pg_equivalence,
)


@pytest.mark.parametrize("T", [1.0, 0.05, 1e-2])
def test_synchronous_soft_q_learning_reaches_the_exact_soft_q(T) -> None:
    mdp = make_random_mdp(0, S=5, A=3, gamma=0.5)
    exact = soft_backward(mdp, temperature=T)
    result = soft_q_learning(mdp, T, 20_000, seed=0, Q_ref=exact.Q, record_every=5000)
    assert result.errors[-1] < 1e-2
    assert result.errors[-1] < result.errors[0]  # still improving, not a lucky start
    assert result.samples == 20_000 * 15
    if T <= 1e-2:  # 0 <= Q_T - Q_hard <= gamma T log A / (1 - gamma): near hard VI
        hard = value_iteration(mdp).Q
        assert np.abs(result.Q - hard).max() < 1e-2 + mdp.gamma * T * np.log(3) / 0.5


@pytest.mark.parametrize("T", [1.0, 1e-2])
def test_finite_horizon_soft_q_learning_reaches_the_exact_time_indexed_soft_q(T) -> None:
    mdp = make_random_mdp(1, S=4, A=3, gamma=1.0, horizon=4)
    exact = soft_backward(mdp, temperature=T)
    assert exact.Q.shape == (4, 4, 3)
    result = soft_q_learning(mdp, T, 20_000, seed=0, Q_ref=exact.Q, record_every=5000)
    assert result.Q.shape == (4, 4, 3)
    assert result.errors[-1] < 2e-2 < result.errors[0]
    if T <= 1e-2:  # per step the soft max exceeds the max by at most T log A
        hard = value_iteration(mdp).Q
        assert np.abs(result.Q - hard).max() < 2e-2 + 4 * T * np.log(3)


def test_on_policy_boltzmann_soft_q_learning_on_a_garnet() -> None:
    mdp = garnet(8, 2, 3, seed=1).replace(gamma=0.6)
    exact = soft_backward(mdp, temperature=1.0)
    result = soft_q_learning(mdp, 1.0, 60_000, seed=0, synchronous=False, Q_ref=exact.Q,
                             record_every=20_000)
    assert result.errors[-1] < 0.1 and result.errors[-1] < result.errors[0]


@pytest.mark.parametrize("behaviour", ["uniform", "array"])
def test_off_policy_episodes_reach_the_soft_q_of_a_small_temperature(behaviour) -> None:
    """Soft Q-learning is off-policy: a fixed behaviour policy that never follows the learned
    Q still gives the soft-optimal Q of T = 1e-2 (finite horizon, episodes from p(s_0))."""
    mdp = make_random_mdp(2, S=3, A=2, gamma=1.0, horizon=3)
    mdp = mdp.replace(initial=np.full(3, 1 / 3))
    T = 1e-2
    exact = soft_backward(mdp, temperature=T)
    policy = ("uniform" if behaviour == "uniform"
              else np.random.default_rng(0).dirichlet(np.ones(2) * 3, size=(3, 3)))
    result = soft_q_learning(mdp, T, 30_000, seed=1, synchronous=False, behaviour=policy,
                             Q_ref=exact.Q, record_every=30_000)
    assert result.errors[-1] < 3e-2 and np.abs(exact.Q).max() > 1.0  # Q = 0 is far off
    assert result.samples == 30_000


def test_same_seed_same_numbers_and_extreme_inputs_stay_finite() -> None:
    mdp = make_random_mdp(3, S=4, A=3, gamma=0.9)
    a = soft_q_learning(mdp, 0.3, 200, seed=7, synchronous=False)
    b = soft_q_learning(mdp, 0.3, 200, seed=np.random.default_rng(7), synchronous=False)
    np.testing.assert_array_equal(a.Q, b.Q)
    assert not np.array_equal(a.Q, soft_q_learning(mdp, 0.3, 200, seed=8,
                                                   synchronous=False).Q)
    big = mdp.replace(reward=1e4 * mdp.reward)
    for sync in (True, False):
        q = soft_q_learning(big, 1e-6, 300, seed=0, synchronous=sync).Q
        assert np.isfinite(q).all() and np.abs(q).max() > 1e3


def test_learning_rate_schedules() -> None:
    n = np.array([1.0, 4.0, 100.0])
    np.testing.assert_allclose(learning_rate_schedule(n, "rescaled_linear", 0.5),
                               1 / (1 + 0.5 * n))
    np.testing.assert_allclose(learning_rate_schedule(n, "rescaled_linear", 1.0, horizon=4),
                               1 / (1 + n / 4))
    np.testing.assert_allclose(learning_rate_schedule(n, "polynomial", 0.9, power=0.8),
                               n ** -0.8)
    np.testing.assert_allclose(learning_rate_schedule(n, "constant", 0.9, lr=0.1), 0.1)


def test_constant_and_polynomial_rates_also_converge() -> None:
    mdp = make_random_mdp(0, S=5, A=3, gamma=0.5)
    exact = soft_backward(mdp, temperature=1.0)
    poly = soft_q_learning(mdp, 1.0, 5000, schedule="polynomial", Q_ref=exact.Q,
                           record_every=5000)
    const = soft_q_learning(mdp, 1.0, 5000, schedule="constant", lr=0.02, Q_ref=exact.Q,
                            record_every=5000)
    assert poly.errors[-1] < 5e-2 and const.errors[-1] < 0.1


def test_bad_arguments() -> None:
    mdp = make_random_mdp(0, S=3, A=2, gamma=0.5)
    cases = [({"temperature": 0.0}, "'temperature'"), ({"temperature": -1.0}, "'temperature'"),
             ({"lr": 0.0}, "'lr'"), ({"lr": -0.5}, "'lr'"), ({"lr": 2.0}, "'lr'"),
             ({"schedule": "cosine"}, "'schedule'"), ({"n_iterations": 0}, "'n_iterations'"),
             ({"behaviour": "greedy"}, "'behaviour'"),
             ({"behaviour": np.ones((3, 2))}, "behaviour: policy"),
             ({"Q_ref": np.zeros((2, 2))}, "Q_ref")]
    for kwargs, match in cases:
        args = {"temperature": 1.0, "n_iterations": 10} | kwargs
        with pytest.raises(ValueError, match=match):
            soft_q_learning(mdp, args.pop("temperature"), args.pop("n_iterations"),
                            synchronous=False, **args)
    with pytest.raises(MDPValidationError, match="gamma"):
        soft_q_learning(mdp.replace(gamma=1.0), 1.0, 10)
    with pytest.raises(ValueError, match="gamma"):
        mdp.replace(gamma=1.5)


@pytest.mark.parametrize("seed", range(5))
def test_soft_q_gradient_is_policy_gradient_plus_value_regression(seed) -> None:
    rng = np.random.default_rng(seed)
    S, A, B = 6, 4, 32
    theta_pi, theta_v = rng.normal(size=(S, A)), rng.normal(size=S)
    batch = (rng.integers(S, size=B), rng.integers(A, size=B), rng.normal(size=B),
             rng.integers(S, size=B), (rng.random(B) < 0.2).astype(float))
    T, gamma = float(rng.uniform(0.1, 2.0)), 0.9
    g = soft_q_pg_equivalence(theta_pi, theta_v, *batch, T, gamma)
    for lhs, rhs in zip(g.soft_q, g.pg_plus_value, strict=True):
        np.testing.assert_allclose(lhs, rhs, rtol=1e-10, atol=1e-12)
    assert np.abs(g.soft_q[0]).max() > 1e-3  # a non-trivial gradient


def test_equivalence_checks_its_arguments() -> None:
    rng = np.random.default_rng(0)
    batch = (np.array([0, 1]), np.array([1, 0]), np.zeros(2), np.array([1, 1]), np.zeros(2))
    theta_pi, theta_v = rng.normal(size=(2, 2)), rng.normal(size=2)
    with pytest.raises(ValueError, match="'temperature'"):
        soft_q_pg_equivalence(theta_pi, theta_v, *batch, -1.0, 0.9)
    with pytest.raises(ValueError, match="'gamma'"):
        soft_q_pg_equivalence(theta_pi, theta_v, *batch, 1.0, 1.5)


def test_sample_next_states_follows_the_transition_rows() -> None:
    mdp = make_random_mdp(5, S=4, A=2, gamma=0.9)
    rng = np.random.default_rng(0)
    n = 40_000
    s2 = sample_next_states(mdp, np.full(n, 2), np.full(n, 1), rng)
    freq = np.bincount(s2, minlength=4) / n
    p = mdp.transitions.toarray()[2 * 2 + 1]
    assert np.abs(freq - p).max() < 5 * np.sqrt(0.25 / n)
    with pytest.raises(ValueError, match="states, actions"):
        sample_next_states(mdp, np.array([4]), np.array([0]))
