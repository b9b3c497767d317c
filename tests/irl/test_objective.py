"""The IRL objectives: values against direct sums and enumeration, gradients against
finite differences, and the identities between them."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from irl_helpers import random_mdp

from softrl.inference import soft_backward
from softrl.irl import as_demonstrations, demo_log_likelihood, demo_stats, irl_objective
from softrl.mdp import FiniteMDP, MDPValidationError, sample_trajectories

CASES = [
    # (horizon, gamma, objective, terminal)
    (5, 1.0, "likelihood", None),
    (5, 0.9, "likelihood", [5]),
    (5, 0.9, "dual", None),
    (5, 0.9, "dual", [5]),
    (None, 0.9, "likelihood", [5]),
    (None, 0.8, "dual", None),
    (4, 1.0, "trajectory", [5]),
]


def _setup(seed, horizon, gamma, terminal):
    mdp = random_mdp(seed, gamma=gamma, horizon=horizon, terminal=terminal)
    expert = soft_backward(mdp).policy
    trajs = sample_trajectories(mdp, expert, 7, horizon=horizon or 6, seed=seed)
    demos = as_demonstrations(trajs, mdp)
    return mdp, demos, demo_stats(mdp, demos)


def _numeric_grad(mdp, reward, stats, temperature, objective, eps=1e-6):
    grad = np.zeros_like(reward)
    for idx in np.ndindex(reward.shape):
        up, down = reward.copy(), reward.copy()
        up[idx] += eps
        down[idx] -= eps
        grad[idx] = (
            irl_objective(mdp, up, stats, temperature, objective).value
            - irl_objective(mdp, down, stats, temperature, objective).value
        ) / (2 * eps)
    return grad


@pytest.mark.parametrize(("horizon", "gamma", "objective", "terminal"), CASES)
def test_gradient_matches_finite_differences(horizon, gamma, objective, terminal):
    mdp, _, stats = _setup(1, horizon, gamma, terminal)
    reward = np.random.default_rng(2).normal(size=mdp.shape)
    ev = irl_objective(mdp, reward, stats, 0.7, objective)
    numeric = _numeric_grad(mdp, reward, stats, 0.7, objective)
    np.testing.assert_allclose(ev.grad_reward, numeric, atol=1e-6)
    assert np.abs(numeric).max() > 0.1  # the check is not vacuous


@pytest.mark.parametrize(("horizon", "gamma"), [(5, 1.0), (5, 0.9), (None, 0.9)])
def test_likelihood_value_is_the_discounted_action_log_likelihood(horizon, gamma):
    mdp, demos, stats = _setup(4, horizon, gamma, None)
    reward = np.random.default_rng(5).normal(size=mdp.shape)
    ev = irl_objective(mdp, reward, stats, 1.3, "likelihood")
    sol = soft_backward(mdp.replace(reward=reward), temperature=1.3)
    direct = 0.0
    for states, actions in demos.as_lists():
        for t, (s, a) in enumerate(zip(states[:-1], actions, strict=True)):
            log_pi = sol.log_policy[t] if horizon else sol.log_policy
            direct += gamma**t * log_pi[s, a]
    assert ev.value == pytest.approx(direct / len(demos), rel=1e-10)
    assert ev.value == pytest.approx(demo_log_likelihood(sol.policy, demos, gamma), rel=1e-10)


def test_likelihood_equals_dual_for_deterministic_dynamics():
    rng = np.random.default_rng(6)
    S, A = 5, 3
    P = np.zeros((S, A, S))
    P[np.arange(S)[:, None], np.arange(A)[None, :], rng.integers(0, S, size=(S, A))] = 1.0
    mdp = FiniteMDP(P, np.zeros(S), horizon=6)
    demos = sample_trajectories(mdp, np.full((S, A), 1 / A), 8, seed=0)
    stats = demo_stats(mdp, as_demonstrations(demos, mdp))
    reward = rng.normal(size=(S, A))
    like = irl_objective(mdp, reward, stats, 1.0, "likelihood")
    dual = irl_objective(mdp, reward, stats, 1.0, "dual")
    assert like.value == pytest.approx(dual.value, rel=1e-10)
    np.testing.assert_allclose(like.grad_reward, dual.grad_reward, atol=1e-12)


def test_trajectory_objective_against_enumeration():
    """log p(tau | O) summed over every trajectory of a 3-state MDP, against the closed form."""
    mdp = random_mdp(7, n_states=3, n_actions=2, horizon=3)
    demos = as_demonstrations([([0, 1, 2, 0], [1, 0, 1]), ([2, 2, 1, 1], [0, 0, 1])], mdp)
    stats = demo_stats(mdp, demos)
    reward = np.random.default_rng(8).normal(size=mdp.shape)
    T = 0.8
    P = mdp.dense_transitions()
    log_z = -np.inf
    for s in itertools.product(range(3), repeat=4):
        for a in itertools.product(range(2), repeat=3):
            p = mdp.initial[s[0]] * np.prod([P[s[t], a[t], s[t + 1]] for t in range(3)])
            if p > 0:
                ret = sum(reward[s[t], a[t]] for t in range(3)) / T
                log_z = np.logaddexp(log_z, np.log(p) + ret)
    expected = (
        np.mean(
            [
                sum(reward[s_, a_] for s_, a_ in zip(st[:-1], ac, strict=True)) / T
                for st, ac in demos.as_lists()
            ]
        )
        - log_z
    )
    ev = irl_objective(mdp, reward, stats, T, "trajectory")
    assert ev.value == pytest.approx(expected, rel=1e-10)


def test_objective_rejects_bad_arguments():
    mdp, _, stats = _setup(0, 5, 1.0, None)
    with pytest.raises(MDPValidationError, match="temperature"):
        irl_objective(mdp, np.zeros(mdp.shape), stats, 0.0)
