"""The compiled Garnet builder: exact subset law, Dirichlet moments, threads, no copies."""

import itertools
import tracemalloc

import numba
import numpy as np
import pytest

from softrl.envs import garnet


def _rows(mdp) -> tuple[np.ndarray, np.ndarray]:
    P = mdp.transitions
    k = int(P.indptr[1])
    return P.indices.reshape(-1, k), P.data.reshape(-1, k)


def test_every_subset_equally_likely():
    # C(6, 3) = 20 subsets over 4,000 * 3 rows: 600 expected each; chi-square with 19 dof.
    succ, _ = _rows(garnet(6, 4000, 3, seed=11))
    counts = {s: 0 for s in itertools.combinations(range(6), 3)}
    for row in map(tuple, succ):
        counts[row] += 1  # KeyError if a row were unsorted or had a repeat
    observed = np.array(list(counts.values()))
    expected = succ.shape[0] / len(counts)
    chi2 = ((observed - expected) ** 2 / expected).sum()
    assert chi2 < 50.0  # P(chi2_19 > 50) ~ 1e-4


@pytest.mark.parametrize("concentration", [0.3, 1.0, 4.0])
def test_dirichlet_marginal_moments(concentration):
    # Each probability of a Dirichlet(c, ..., c) row of length k is Beta(c, (k - 1) c).
    k = 4
    _, probs = _rows(garnet(40, 5000, k, seed=5, concentration=concentration))
    a, b = concentration, (k - 1) * concentration
    mean, var = a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1))
    x = probs[:, 0]  # independent across rows
    assert abs(x.mean() - mean) < 4 * np.sqrt(var / x.size)
    assert abs(x.var() - var) < 0.05 * var
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-12)
    assert (probs > 0).all()


def test_tiny_concentration_is_near_deterministic_and_finite():
    _, probs = _rows(garnet(30, 50, 5, seed=2, concentration=1e-3))
    assert np.all(np.isfinite(probs))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-12)
    assert np.median(probs.max(axis=1)) > 0.99


def test_long_rows_are_sorted_distinct_subsets():
    succ, _ = _rows(garnet(120, 3, 70, seed=9))
    assert (np.diff(succ, axis=1) > 0).all() and succ.min() >= 0 and succ.max() < 120


def test_same_mdp_on_one_or_two_threads():
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = garnet(20_000, 3, 4, seed=3, concentration=0.7)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = garnet(20_000, 3, 4, seed=3, concentration=0.7)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one.transitions.indices, two.transitions.indices)
    np.testing.assert_array_equal(one.transitions.data, two.transitions.data)


def test_the_built_arrays_are_not_copied():
    S, A, k = 40_000, 5, 5
    garnet(100, A, k, seed=0)  # compile outside the traced region
    tracemalloc.start()
    mdp = garnet(S, A, k, seed=0)
    kept, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    P = mdp.transitions
    assert P.indices.dtype == np.int32 and P.indptr.dtype == np.int32
    # Had anything copied the transitions, the original and the copy would have been alive
    # together: the peak would exceed what is kept by a whole (data, indices).  The
    # validation's temporaries (bool masks, row sums) stay well below that.
    assert peak - kept < P.data.nbytes + P.indices.nbytes, (peak, kept)
