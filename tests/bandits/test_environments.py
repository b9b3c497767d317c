"""Bernoulli and Gaussian bandits: rewards, determinism, validation."""

from __future__ import annotations

import numpy as np
import pytest

from softrl.bandits import BanditValidationError, BernoulliBandit, GaussianBandit


def test_bernoulli_rewards_have_the_arm_means():
    bandit = BernoulliBandit([0.1, 0.5, 0.9])
    arms = np.repeat(np.arange(3), 40_000)
    rewards = bandit.pull(arms, np.random.default_rng(0))
    assert set(np.unique(rewards)) == {0.0, 1.0}
    means = rewards.reshape(3, -1).mean(axis=1)
    np.testing.assert_allclose(means, [0.1, 0.5, 0.9], atol=0.01)
    again = bandit.pull(arms, np.random.default_rng(0))
    np.testing.assert_array_equal(rewards, again)


def test_gaussian_rewards_and_per_run_instances():
    bandit = GaussianBandit([[0.0, 1.0], [5.0, -5.0]], sigma=2.0)
    arms = np.array([1, 0])
    rewards = np.stack([bandit.pull(arms, np.random.default_rng(s)) for s in range(20_000)])
    np.testing.assert_allclose(rewards.mean(axis=0), [1.0, 5.0], atol=0.06)
    np.testing.assert_allclose(rewards.std(axis=0), [2.0, 2.0], atol=0.05)
    np.testing.assert_allclose(bandit.gaps(2), [[1.0, 0.0], [0.0, 10.0]])


@pytest.mark.parametrize("make,field", [
    (lambda: BernoulliBandit([0.5, 1.2]), "means"),
    (lambda: BernoulliBandit([-0.1, 0.5]), "means"),
    (lambda: BernoulliBandit([0.5]), "means"),
    (lambda: BernoulliBandit([0.5, float("nan")]), "means"),
    (lambda: BernoulliBandit(["a", "b"]), "means"),
    (lambda: GaussianBandit([0.0, 1.0], sigma=0.0), "sigma"),
    (lambda: GaussianBandit([[0.0, 1.0]]).means_for(3), "means"),
])  # fmt: skip
def test_bad_bandits_raise_value_error_naming_the_field(make, field):
    with pytest.raises(ValueError, match=field):
        make()
    assert issubclass(BanditValidationError, ValueError)
