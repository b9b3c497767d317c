"""Abbeel & Ng's projection method on the lava gridworld."""

from __future__ import annotations

import numpy as np
import pytest

from softrl.inference import policy_marginals
from softrl.irl import FeatureMatchingIRL, expected_value_difference
from softrl.mdp import MDPValidationError


def test_projection_matches_features_and_performs(lava):
    mdp, phi, demos, expert = lava
    fm = FeatureMatchingIRL(phi, max_iter=30, epsilon=1e-3).fit(mdp, demos)
    margins = np.array(fm.margins_)
    assert margins[-1] < 0.2 * margins[0]
    np.testing.assert_allclose(fm.mixture_weights_.sum(), 1.0)
    assert np.all(fm.mixture_weights_ >= 0) and len(fm.policies_) == len(fm.mixture_weights_)
    # The single policy has the mixture's feature expectations.
    p0 = demos.states[:, 0]
    p0 = np.bincount(p0, minlength=mdp.n_states) / len(p0)
    rho = policy_marginals(mdp, fm.policy_, initial=p0).visitation(mdp.gamma)
    np.testing.assert_allclose(rho.sum(axis=1) @ phi, fm.feature_counts_, atol=1e-8)
    # As good as the (soft) demonstrator it imitates.
    assert expected_value_difference(mdp, policy=fm.policy_) <= (
        expected_value_difference(mdp, policy=expert) + 0.05
    )


def test_feature_matching_validation(lava):
    mdp, phi, demos, _ = lava
    with pytest.raises(MDPValidationError, match="features"):
        FeatureMatchingIRL(phi[:-1]).fit(mdp, demos)
    with pytest.raises(MDPValidationError, match="max_iter"):
        FeatureMatchingIRL(phi, max_iter=0).fit(mdp, demos)
    with pytest.raises(MDPValidationError, match=r"'epsilon' .* \[0, inf\)"):
        FeatureMatchingIRL(phi, epsilon=-1.0).fit(mdp, demos)


def test_feature_specs_and_l2_like_the_other_estimators(lava):
    """'state' and 'state_action' are one-hot features; l2 is the ridge on the margin:
    w = argmax_w w . (mu_E - mu_bar) - l2/2 ||w||^2 = (mu_E - mu_bar) / l2, so the scale of
    the reward changes and the (scale-invariant) policies do not."""
    mdp, phi, demos, _ = lava
    S, A = mdp.shape
    onehot = FeatureMatchingIRL(np.eye(S), max_iter=5).fit(mdp, demos)
    state = FeatureMatchingIRL("state", max_iter=5).fit(mdp, demos)
    np.testing.assert_allclose(state.weights_, onehot.weights_)
    assert FeatureMatchingIRL("state_action", max_iter=3).fit(mdp, demos).weights_.shape == (
        S * A,)
    ridge = FeatureMatchingIRL(phi, max_iter=5, l2=4.0).fit(mdp, demos)
    plain = FeatureMatchingIRL(phi, max_iter=5).fit(mdp, demos)
    np.testing.assert_allclose(ridge.weights_, plain.weights_ / 4.0)
    np.testing.assert_allclose(ridge.reward_, plain.reward_ / 4.0)
    np.testing.assert_allclose(ridge.policy_, plain.policy_)
    with pytest.raises(MDPValidationError, match=r"'l2' .* \[0, inf\)"):
        FeatureMatchingIRL(phi, l2=-1.0).fit(mdp, demos)
