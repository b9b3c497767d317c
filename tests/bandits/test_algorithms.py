"""Each rule against a hand computation: UCB1's index, Thompson's posteriors (Beta and
Gaussian, updated by hand), the exact Beta sampler, IDS's ratio, Boltzmann's softmax."""

from __future__ import annotations

import math

import numpy as np
import pytest

from softrl.bandits import (
    IDS,
    KLUCB,
    UCB1,
    BanditState,
    BanditValidationError,
    Boltzmann,
    EpsilonGreedy,
    ThompsonSampling,
    make_algorithm,
    sample_beta,
)


def _state(counts, sums, kind="bernoulli", sigma=0.5, runs=1):
    counts = np.tile(np.asarray(counts, dtype=float), (runs, 1))
    sums = np.tile(np.asarray(sums, dtype=float), (runs, 1))
    return BanditState(counts, sums, kind, sigma,
                       [np.random.default_rng(1000 + r) for r in range(runs)])


def test_ucb1_picks_the_hand_computed_index():
    state = _state([10, 3, 5], [6, 1, 4])
    t = 19  # n = 18 plays so far
    index = [s / n + math.sqrt(2 * math.log(18) / n) for n, s in ((10, 6), (3, 1), (5, 4))]
    u = np.random.default_rng(0).random((1, 3))
    assert UCB1().select(state, t, u, np.empty((1, 0)))[0] == int(np.argmax(index))


def test_ties_are_broken_uniformly():
    state = _state([4, 4, 4], [2, 2, 2], runs=30_000)
    u = np.random.default_rng(0).random((30_000, 3))
    arms = UCB1().select(state, 13, u, np.empty((30_000, 0)))
    np.testing.assert_allclose(np.bincount(arms, minlength=3) / 30_000, 1 / 3, atol=0.01)


@pytest.mark.parametrize("a,b", [(1.0, 1.0), (2.0, 50.0), (30.0, 3.0), (0.3, 0.7), (500., 700.)])
def test_beta_sampler_is_exact(a, b):
    R, L = 40_000, 2
    rng = np.random.default_rng(7)
    A, B = np.full((R, 1), a), np.full((R, 1), b)
    u = rng.random((R, 2 * L + 2))
    z = rng.standard_normal((R, 2 * L))
    x = sample_beta(A, B, u, z, [np.random.default_rng(r) for r in range(R)], L)[:, 0]
    mean, var = a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1))
    assert abs(x.mean() - mean) < 5 * math.sqrt(var / R)
    assert abs(x.var() / var - 1) < 0.05
    # Against numpy's own Beta sampler, in distribution (two-sample Kolmogorov-Smirnov).
    ref = np.sort(rng.beta(a, b, R))
    cdf_gap = np.abs(np.searchsorted(np.sort(x), ref) / R - np.arange(1, R + 1) / R).max()
    assert cdf_gap < 1.95 * math.sqrt(2 / R)  # 0.1% level


def test_thompson_beta_posterior_by_hand():
    # Arm 0: 3 successes in 4 pulls; arm 1: 1 in 5; prior Beta(1, 1).
    # Posteriors Beta(4, 2) and Beta(2, 5): P(theta_0 > theta_1) by numerical integration.
    R = 40_000
    state = _state([4, 5], [3, 1], runs=R)
    ts = ThompsonSampling()
    n_u, n_z = ts.draws(2, "bernoulli")
    rng = np.random.default_rng(3)
    arms = ts.select(state, 10, rng.random((R, n_u)), rng.standard_normal((R, n_z)))
    x = np.linspace(0, 1, 200_001)
    pdf0 = 20 * x**3 * (1 - x)  # Beta(4, 2)
    cdf1 = 1 - (1 - x) ** 6 - 6 * x * (1 - x) ** 5  # Beta(2, 5) CDF
    p_arm0 = np.sum(pdf0 * cdf1) * (x[1] - x[0])
    assert abs(np.mean(arms == 0) - p_arm0) < 4 * math.sqrt(p_arm0 * (1 - p_arm0) / R)


def test_thompson_gaussian_posterior_by_hand():
    state = _state([4, 0], [10.0, 0.0], kind="gaussian", sigma=2.0)
    ts = ThompsonSampling(prior_mean=1.0, prior_std=3.0)
    mean, std = ts.gaussian_posterior(state)
    precision = 1 / 9 + 4 / 4
    assert mean[0, 0] == pytest.approx((1 / 9 + 10 / 4) / precision)
    assert std[0, 0] == pytest.approx(precision**-0.5)
    assert mean[0, 1] == pytest.approx(1.0) and std[0, 1] == pytest.approx(3.0)
    assert ts.draws(2, "gaussian") == (0, 2)
    with pytest.raises(BanditValidationError, match="posterior"):
        ThompsonSampling(posterior="beta").check("gaussian")


def test_ids_minimizes_the_information_ratio():
    counts, sums, sigma, t = np.array([20.0, 2.0, 8.0]), np.array([12.0, 0.0, 3.0]), 0.5, 31
    precision = (1 + counts) / sigma**2
    mean, var = sums / sigma**2 / precision, 1 / precision
    beta = math.sqrt(2 * math.log(t))
    gap = (mean + beta * np.sqrt(var)).max() - (mean - beta * np.sqrt(var))
    ratio = gap**2 / (0.5 * np.log1p(var / sigma**2))
    u = np.random.default_rng(0).random((1, 3))
    assert IDS().select(_state(counts, sums), t, u, np.empty((1, 0)))[0] == np.argmin(ratio)


def test_boltzmann_samples_the_softmax_and_survives_tiny_temperatures_and_big_rewards():
    R = 60_000
    state = _state([10, 10, 10], [2.0, 5.0, 4.0], runs=R)
    u = np.random.default_rng(0).random((R, 3))
    arms = Boltzmann(temperature=0.25).select(state, 40, u, np.empty((R, 0)))
    pi = np.exp(np.array([0.2, 0.5, 0.4]) / 0.25)
    pi /= pi.sum()
    np.testing.assert_allclose(np.bincount(arms, minlength=3) / R, pi, atol=0.006)
    big = _state([10, 10, 10], [1e5, 1e5 + 1e-3, -1e5], kind="gaussian", runs=5)
    greedy = Boltzmann(temperature=1e-6).select(big, 40, u[:5], np.empty((5, 0)))
    np.testing.assert_array_equal(greedy, 1)


def test_epsilon_greedy_explores_with_probability_epsilon():
    R = 50_000
    state = _state([5, 5, 5, 5], [1.0, 4.0, 2.0, 0.0], runs=R)
    u = np.random.default_rng(1).random((R, 6))
    arms = EpsilonGreedy(epsilon=0.2).select(state, 30, u, np.empty((R, 0)))
    expected = np.full(4, 0.05)
    expected[1] += 0.8
    np.testing.assert_allclose(np.bincount(arms, minlength=4) / R, expected, atol=0.006)
    decaying = EpsilonGreedy(epsilon=2.0, schedule="decaying")
    arms = decaying.select(state, 80, u, np.empty((R, 0)))  # eps = 2 * 4 / 80 = 0.1
    assert np.mean(arms == 1) == pytest.approx(0.9 + 0.1 / 4, abs=0.006)


@pytest.mark.parametrize("make,field", [
    (lambda: make_algorithm("ucb"), "ucb1"),
    (lambda: make_algorithm("thompsn"), "thompson"),
    (lambda: make_algorithm("boltzmann", temprature=1.0), "temperature"),
    (lambda: Boltzmann(temperature=0.0), "temperature"),
    (lambda: Boltzmann(schedule="exp"), "schedule"),
    (lambda: EpsilonGreedy(epsilon=1.5), "epsilon"),
    (lambda: KLUCB(tolerance=-1.0), "tolerance"),
    (lambda: ThompsonSampling(prior_a=0.0), "prior_a"),
    (lambda: ThompsonSampling(posterior="normal"), "posterior"),
])  # fmt: skip
def test_bad_algorithm_arguments_name_the_field(make, field):
    with pytest.raises(ValueError, match=field):
        make()
