"""FiniteMDP keeps a canonical float64 CSR matrix as it is, and copies anything else."""

import numpy as np
import scipy.sparse as sp

from softrl.inference import soft_backward
from softrl.mdp import FiniteMDP


def _random_csr(S: int, A: int, k: int, seed: int) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    cols = np.sort(np.stack([rng.choice(S, k, replace=False) for _ in range(S * A)]), axis=1)
    data = rng.dirichlet(np.ones(k), size=S * A)
    indptr = np.arange(0, S * A * k + 1, k)
    return sp.csr_matrix((data.ravel(), cols.ravel(), indptr), shape=(S * A, S))


def test_canonical_csr_is_not_copied() -> None:
    P = _random_csr(50, 3, 4, 0)
    assert P.has_canonical_format
    mdp = FiniteMDP(P, np.zeros((50, 3)), gamma=0.9, n_actions=3)
    assert mdp.transitions is P
    assert np.shares_memory(mdp.transitions.data, P.data)
    assert not P.data.flags.writeable  # protected from later edits, as FiniteMDP's own arrays


def test_other_formats_are_copied_and_give_the_same_mdp() -> None:
    P = _random_csr(30, 2, 3, 1)
    reward = np.random.default_rng(2).normal(size=(30, 2))
    reference = soft_backward(FiniteMDP(P.copy(), reward, gamma=0.9, n_actions=2), 1.0)
    for other in (P.tocsc(), P.tocoo(), P.toarray()):
        before = other.copy()
        mdp = FiniteMDP(other, reward, gamma=0.9, n_actions=2)
        assert mdp.transitions is not other
        np.testing.assert_allclose(soft_backward(mdp, 1.0).Q, reference.Q, rtol=0, atol=1e-12)
        if sp.issparse(other):
            assert (other != before).nnz == 0
        else:
            np.testing.assert_array_equal(other, before)
    unsorted = P.copy()
    unsorted.has_sorted_indices = False
    unsorted.indices[:3] = unsorted.indices[:3][::-1]
    unsorted.data[:3] = unsorted.data[:3][::-1]
    mdp = FiniteMDP(unsorted, reward, gamma=0.9, n_actions=2)
    assert mdp.transitions is not unsorted and mdp.transitions.has_sorted_indices
    np.testing.assert_allclose(soft_backward(mdp, 1.0).Q, reference.Q, rtol=0, atol=1e-12)


def test_stored_zeros_are_copied_and_the_input_left_alone() -> None:
    # (S*A, S) = (4, 2), row 0 stores an explicit zero at s' = 1.
    data = np.array([1.0, 0.0, 0.5, 0.5, 1.0, 0.3, 0.7])
    indices = np.array([0, 1, 0, 1, 1, 0, 1])
    P = sp.csr_matrix((data, indices, np.array([0, 2, 4, 5, 7])), shape=(4, 2))
    assert P.has_canonical_format and P.nnz == 7
    mdp = FiniteMDP(P, np.zeros((2, 2)), gamma=0.5, n_actions=2)
    assert mdp.transitions is not P and mdp.transitions.nnz == 6
    assert P.nnz == 7 and P.data.flags.writeable  # the caller's matrix is untouched
    # A FiniteMDP's own (read-only) matrix is accepted again, e.g. by replace().
    again = mdp.replace(gamma=0.7)
    assert again.transitions is mdp.transitions
