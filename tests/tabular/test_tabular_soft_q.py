"""Tabular soft Q-learning reaches soft_backward's exact soft Q; the soft-Q / policy-gradient
equivalence holds to rounding on random parameters and batches."""

import numpy as np
import pytest

from mdp_factories import make_random_mdp
from softrl.envs import garnet
from softrl.inference import soft_backward
from softrl.mdp import MDPValidationError
from softrl.tabular import soft_q_learning, soft_q_pg_equivalence


@pytest.mark.parametrize("T", [1.0, 0.05])
def test_synchronous_soft_q_learning_reaches_the_exact_soft_q(T) -> None:
    mdp = make_random_mdp(0, S=5, A=3, gamma=0.5)
    exact = soft_backward(mdp, temperature=T)
    result = soft_q_learning(mdp, T, 20_000, seed=0, Q_ref=exact.Q, record_every=5000)
    assert result.errors[-1] < 1e-2
    assert result.errors[-1] < result.errors[0]  # still improving, not a lucky start
    assert result.samples == 20_000 * 15


def test_on_policy_boltzmann_soft_q_learning_on_a_garnet() -> None:
    mdp = garnet(8, 2, 3, seed=1).replace(gamma=0.6)
    exact = soft_backward(mdp, temperature=1.0)
    result = soft_q_learning(mdp, 1.0, 60_000, seed=0, synchronous=False, Q_ref=exact.Q,
                             record_every=20_000)
    assert result.errors[-1] < 0.1 and result.errors[-1] < result.errors[0]


def test_bad_arguments() -> None:
    mdp = make_random_mdp(0, S=3, A=2, gamma=0.5)
    with pytest.raises(MDPValidationError, match="'temperature'"):
        soft_q_learning(mdp, 0.0, 10)
    with pytest.raises(MDPValidationError, match="infinite-horizon"):
        soft_q_learning(mdp.replace(horizon=5), 1.0, 10)
    with pytest.raises(MDPValidationError, match="'schedule'"):
        soft_q_learning(mdp, 1.0, 10, schedule="cosine")


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
