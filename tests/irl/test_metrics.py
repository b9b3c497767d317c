"""Metrics: demo log-likelihood, expected value difference, feature-count gap, EPIC."""

from __future__ import annotations

import numpy as np
import pytest
from irl_helpers import lava_world, random_mdp

from softrl.inference import occupancy, soft_backward
from softrl.irl import (
    canonicalize_reward,
    demo_log_likelihood,
    epic_distance,
    expected_value_difference,
    feature_count_gap,
    optimal_policy,
    policy_value,
)
from softrl.mdp import MDPValidationError, sample_trajectories


def test_expected_value_difference():
    world, _ = lava_world(0.1)
    mdp = world.mdp
    assert expected_value_difference(mdp, learned_reward=mdp.reward) == pytest.approx(0, abs=1e-12)
    uniform = np.full(mdp.shape, 1 / mdp.n_actions)
    j_star = policy_value(mdp, optimal_policy(mdp))
    evd = expected_value_difference(mdp, policy=uniform)
    assert evd == pytest.approx((j_star - policy_value(mdp, uniform)) / abs(j_star))
    assert evd > 0.5
    # Any positive rescaling of the reward keeps the optimal policy: EVD 0.
    assert expected_value_difference(mdp, learned_reward=3 * mdp.reward) == pytest.approx(
        0, abs=1e-12
    )
    assert expected_value_difference(mdp, learned_reward=-mdp.reward) > 1.0
    with pytest.raises(MDPValidationError, match="learned_reward or policy"):
        expected_value_difference(mdp)


def test_demo_log_likelihood_direct_sum():
    mdp = random_mdp(2, gamma=0.95, horizon=None)
    pi = soft_backward(mdp).policy
    demos = sample_trajectories(mdp, pi, 4, horizon=5, seed=0)
    direct = np.mean(
        [
            sum(
                0.95**t * np.log(pi[s, a]) for t, (s, a) in enumerate(zip(st[:-1], ac, strict=True))
            )
            for st, ac in demos.as_lists()
        ]
    )
    assert demo_log_likelihood(pi, demos, gamma=0.95) == pytest.approx(direct)
    zero = pi.copy()
    zero[demos.states[0, 0], demos.actions[0, 0]] = 0.0
    assert demo_log_likelihood(zero, demos) == -np.inf


def test_feature_count_gap_against_occupancy():
    mdp = random_mdp(3, gamma=0.9, horizon=None)
    pi = soft_backward(mdp).policy
    demos = sample_trajectories(mdp, pi, 50, horizon=60, seed=1)
    phi = np.random.default_rng(0).normal(size=(mdp.n_states, 2))
    p0 = np.bincount(demos.states[:, 0], minlength=mdp.n_states) / 50
    emp = np.zeros(2)
    for st, _ in demos.as_lists():
        emp += sum(0.9**t * phi[s] for t, s in enumerate(st[:-1])) / 50
    model = occupancy(mdp, pi, initial=p0).sum(axis=1) @ phi
    gap = feature_count_gap(mdp, pi, demos, phi)
    assert gap == pytest.approx(np.linalg.norm(emp - model))
    # A policy far from the demonstrator's has a larger gap.
    other = np.zeros(mdp.shape)
    other[:, 0] = 1.0
    assert feature_count_gap(mdp, other, demos, phi) > gap


def test_epic_invariances():
    mdp = random_mdp(4, n_states=5, n_actions=2, gamma=0.9, horizon=None)
    rng = np.random.default_rng(0)
    r = rng.normal(size=(5, 2))
    potential = rng.normal(size=5)
    P = mdp.dense_transitions()
    shaped = r[:, :, None] + 0.9 * potential[None, None, :] - potential[:, None, None]
    assert epic_distance(r, 2.5 * shaped, mdp) == pytest.approx(0, abs=1e-7)
    assert epic_distance(r, -r, mdp) == pytest.approx(1, abs=1e-7)
    other = rng.normal(size=(5, 2))
    d = epic_distance(r, other, mdp)
    assert 0.1 < d < 1 and d == pytest.approx(epic_distance(other, r, mdp))
    d_s, d_a = np.full(5, 0.2), np.full(2, 0.5)
    c1 = canonicalize_reward(np.broadcast_to(r[:, :, None], P.shape), 0.9, d_s, d_a)
    np.testing.assert_allclose(c1, canonicalize_reward(shaped, 0.9, d_s, d_a), atol=1e-12)
    with pytest.raises(MDPValidationError, match="constant"):
        epic_distance(r, np.zeros(5), mdp)


def test_epic_ignores_the_rewards_of_terminal_states():
    """A reward is never collected in a terminal state, so it cannot make two rewards differ."""
    mdp = random_mdp(5, n_states=5, n_actions=2, gamma=0.9, horizon=None, terminal=[4])
    r = np.random.default_rng(1).normal(size=(5, 2))
    r[4] = 0.0
    other = r.copy()
    other[4] = [7.0, -3.0]
    assert epic_distance(r, other, mdp) == pytest.approx(0, abs=1e-7)
    assert epic_distance(r, mdp.reward, mdp) > 0.1  # a live difference still counts
