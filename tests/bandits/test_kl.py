"""KL divergences and the kl-UCB index against direct formulas, a brute-force grid and a
plain bisection."""

from __future__ import annotations

import numpy as np
import pytest

from softrl.bandits import kl_bernoulli, kl_gaussian, klucb_bernoulli, klucb_gaussian


def _kl_by_hand(p: float, q: float) -> float:
    total = 0.0
    if p > 0:
        total += p * np.log(p / q)
    if p < 1:
        total += (1 - p) * np.log((1 - p) / (1 - q))
    return total


def _bisection(p: float, level: float, iters: int = 200) -> float:
    lo, hi = p, 1.0
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if _kl_by_hand(p, mid) <= level:
            lo = mid
        else:
            hi = mid
    return lo


def test_kl_bernoulli_matches_the_formula_and_its_limits():
    for p in (0.0, 0.01, 0.3, 0.5, 0.99, 1.0):
        for q in (0.001, 0.2, 0.5, 0.9, 0.999):
            assert kl_bernoulli(p, q) == pytest.approx(_kl_by_hand(p, q), rel=1e-12, abs=1e-15)
    assert kl_bernoulli(0.4, 0.4) == 0.0
    assert np.isfinite(kl_bernoulli(0.5, 1.0)) and np.isfinite(kl_bernoulli(0.5, 0.0))
    assert kl_gaussian(1.0, 3.0, sigma=2.0) == pytest.approx(4.0 / 8.0)


def test_klucb_index_equals_brute_force_grid():
    grid = np.linspace(0.0, 1.0, 1_000_001)
    rng = np.random.default_rng(0)
    p = np.concatenate([[0.0, 1.0, 0.5, 0.999], rng.random(40)])
    level = np.concatenate([[0.3, 0.3, 0.0, 5.0], rng.exponential(0.5, 40)])
    index = klucb_bernoulli(p, level)
    for pi, di, ui in zip(p, level, index, strict=True):
        feasible = grid[(grid >= pi) & (kl_bernoulli(pi, grid) <= di)]
        # The largest feasible grid point is within one grid step below the true index.
        assert feasible.max() - 1e-12 <= ui <= feasible.max() + 1e-6 + 1e-12


def test_klucb_index_equals_bisection_to_tolerance_and_reaches_the_level():
    rng = np.random.default_rng(1)
    p = rng.random((7, 9))
    level = np.log(1000.0) / rng.integers(1, 500, size=(7, 9))
    index = klucb_bernoulli(p, level, tolerance=1e-12)
    reference = np.vectorize(_bisection)(p, level)
    np.testing.assert_allclose(index, reference, atol=1e-9)
    np.testing.assert_allclose(kl_bernoulli(p, index), level, rtol=1e-6)
    assert index.shape == (7, 9)


def test_klucb_edge_cases_are_finite():
    assert klucb_bernoulli(1.0, 2.0) == 1.0
    assert klucb_bernoulli(0.3, 0.0) == pytest.approx(0.3)
    assert klucb_bernoulli(0.0, 2.0) == pytest.approx(1.0 - np.exp(-2.0), abs=1e-9)
    huge = klucb_bernoulli(np.array([0.2, 0.999999]), np.array([1e4, 1e4]))
    assert np.all(np.isfinite(huge)) and np.all(huge > 1.0 - 1e-12)
    assert klucb_gaussian(0.5, 2.0, sigma=0.5) == pytest.approx(0.5 + 0.5 * 2.0)
