"""Reward models: shapes, and the chain rule to their parameters against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from irl_helpers import random_mdp

from softrl.irl import (
    LinearReward,
    NeuralReward,
    TabularReward,
    as_demonstrations,
    demo_stats,
    irl_objective,
)
from softrl.mdp import MDPValidationError, sample_trajectories


def _objective_and_grad(model, mdp, stats, theta):
    reward = model.reward_table(theta, mdp.n_actions)
    ev = irl_objective(mdp, reward, stats, 1.0, "likelihood")
    g = ev.grad_reward.sum(axis=1) if model.state_only else ev.grad_reward
    return ev.value, model.vjp(theta, g)


def _models(mdp):
    rng = np.random.default_rng(0)
    S, A = mdp.shape
    return [
        LinearReward(rng.normal(size=(S, 3))),
        LinearReward(rng.normal(size=(S, A, 4))),
        NeuralReward(rng.normal(size=(S, 2)), hidden=(5,)),
        NeuralReward(rng.normal(size=(S, 2)), n_actions=A, hidden=(4, 3), activation="silu"),
        TabularReward(S, A),
    ]


@pytest.mark.parametrize("index", range(5))
@pytest.mark.parametrize("horizon", [5, None])
def test_parameter_gradient_matches_finite_differences(index, horizon):
    mdp = random_mdp(11, gamma=0.9, horizon=horizon)
    demos = sample_trajectories(mdp, np.full(mdp.shape, 1 / 3), 6, horizon=horizon or 6, seed=3)
    stats = demo_stats(mdp, as_demonstrations(demos, mdp))
    model = _models(mdp)[index]
    theta = model.init_params(np.random.default_rng(1)) + 0.3 * np.random.default_rng(2).normal(
        size=model.n_params
    )
    _, grad = _objective_and_grad(model, mdp, stats, theta)
    eps = 1e-6
    numeric = np.array(
        [
            (
                _objective_and_grad(model, mdp, stats, theta + eps * e)[0]
                - _objective_and_grad(model, mdp, stats, theta - eps * e)[0]
            )
            / (2 * eps)
            for e in np.eye(model.n_params)
        ]
    )
    np.testing.assert_allclose(grad, numeric, atol=1e-6, rtol=1e-5)
    assert np.abs(numeric).max() > 1e-3


def test_shapes_and_linearity():
    S, A = 7, 3
    phi = np.arange(S * 2, dtype=float).reshape(S, 2)
    lin = LinearReward(phi)
    assert lin.state_only and lin.n_params == 2 and lin.linear
    np.testing.assert_allclose(lin.reward(np.array([1.0, -1.0])), phi[:, 0] - phi[:, 1])
    assert lin.reward_table(np.ones(2), A).shape == (S, A)
    tab = TabularReward(S)
    assert tab.n_params == S and tab.reward(np.arange(S)).shape == (S,)
    net = NeuralReward(phi, n_actions=A, hidden=(8,))
    theta = net.init_params(np.random.default_rng(0))
    assert theta.shape == (net.n_params,) and net.reward(theta).shape == (S, A)
    assert not net.linear
    # Same seed, same parameters.
    np.testing.assert_array_equal(theta, net.init_params(np.random.default_rng(0)))


def test_model_validation():
    mdp = random_mdp(0)
    with pytest.raises(MDPValidationError, match="reward shape"):
        TabularReward(mdp.n_states + 1).check(mdp)
    with pytest.raises(MDPValidationError, match="reward shape"):
        LinearReward(np.ones((mdp.n_states, mdp.n_actions + 1, 2))).check(mdp)
    with pytest.raises(MDPValidationError, match="features"):
        LinearReward(np.ones(3))
    with pytest.raises(MDPValidationError, match="activation"):
        NeuralReward(np.ones((3, 2)), activation="gelu")
    with pytest.raises(MDPValidationError, match="hidden"):
        NeuralReward(np.ones((3, 2)), hidden=(0,))
