"""Garnet: random sparse MDPs of any size, built directly as CSR arrays."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from softrl.mdp.finite import FiniteMDP
from softrl.mdp.validation import MDPValidationError
from softrl.validation import POSITIVE_INT, REAL, check_scalar

__all__ = ["garnet"]

_REWARD_KINDS = ("normal", "uniform", "state")
# Row-chunk size (in sampled entries) for the exact subset sampler used when collisions are common.
_CHUNK_ENTRIES = 1 << 22


def garnet(
    n_states: int,
    n_actions: int,
    branching: int,
    seed: int | np.random.Generator | None = None,
    reward: str | np.ndarray = "normal",
    gamma: float = 0.99,
    horizon: int | None = None,
    concentration: float = 1.0,
) -> FiniteMDP:
    """A Garnet random MDP: ``branching`` random successors per (s, a), random rewards.

    Each of the S*A rows p(. | s, a) has exactly ``branching`` distinct successors, a uniformly
    random subset of the S states; their probabilities are a Dirichlet(concentration, ...,
    concentration) draw, which for ``concentration=1`` is the classic split of [0, 1] at
    ``branching - 1`` uniform cut points (Archibald, McKinnon & Thomas 1995; Bhatnagar et al.
    2009, "Natural actor-critic algorithms").  No state is terminal; p(s_0) is uniform.

    The CSR arrays are built directly (``indptr = arange(0, S*A*b + 1, b)``, sorted
    successor indices per row, int32 indices while they fit), so ``garnet(10**6, 5, 5)``
    takes a few seconds and about 0.5 GB.

    Parameters
    ----------
    n_states : int >= 1
        S.
    n_actions : int >= 1
        A.
    branching : int in [1, S]
        Number b of successors of every (s, a).
    seed : int, numpy Generator or None
        Source of randomness (``np.random.default_rng(seed)``); the same seed gives the same
        MDP.  Draw order: successors, then probabilities, then rewards.
    reward : {"normal", "uniform", "state"} or array (S,), (S, A) or (S, A, S)
        "normal": r(s, a) ~ N(0, 1); "uniform": r(s, a) ~ U[0, 1); "state": r(s) ~ N(0, 1),
        the same for every action (a state-only reward, as IRL benchmarks use).  An array is
        passed to :class:`~softrl.mdp.FiniteMDP` unchanged.
    gamma : float in (0, 1], default 0.99
        Discount.
    horizon : int or None, default None
        Decisions per episode; None for an infinite horizon.
    concentration : float > 0, default 1.0
        Dirichlet concentration of each row's probabilities; large values make the rows
        near-uniform over their successors, small values near-deterministic.

    Returns
    -------
    FiniteMDP
        transitions (S*A, S) with S*A*b stored entries.

    Examples
    --------
    >>> mdp = garnet(100, 4, 3, seed=0)
    >>> mdp.shape, mdp.transitions.nnz
    ((100, 4), 1200)
    """
    n_states = check_scalar(n_states, "n_states", POSITIVE_INT, error=MDPValidationError)
    n_actions = check_scalar(n_actions, "n_actions", POSITIVE_INT, error=MDPValidationError)
    branching = check_scalar(branching, "branching", POSITIVE_INT, error=MDPValidationError)
    if branching > n_states:
        raise MDPValidationError(
            f"branching: must lie in [1, n_states={n_states}], got {branching}."
        )
    concentration = check_scalar(concentration, "concentration", REAL, error=MDPValidationError)
    if concentration <= 0:
        raise MDPValidationError(f"concentration: must be > 0, got {concentration!r}.")
    if isinstance(reward, str) and reward not in _REWARD_KINDS:
        raise MDPValidationError(
            f"reward: must be one of {_REWARD_KINDS} or an array, got {reward!r}."
        )
    rng = np.random.default_rng(seed)
    n_rows = n_states * n_actions
    nnz = n_rows * branching
    index_dtype = np.int32 if max(nnz, n_states) < np.iinfo(np.int32).max else np.int64

    successors = _sample_subsets(rng, n_rows, n_states, branching, index_dtype)
    # The Dirichlet is exchangeable, so pairing sorted successors with the draws in order
    # leaves the joint law of (successor set, probabilities) unchanged.
    if concentration == 1.0:
        weights = rng.standard_exponential(size=(n_rows, branching))
    else:
        weights = rng.standard_gamma(concentration, size=(n_rows, branching))
    weights /= weights.sum(axis=1, keepdims=True)

    indptr = np.arange(0, nnz + 1, branching, dtype=index_dtype)
    transitions = sp.csr_matrix(
        (weights.ravel(), successors.ravel(), indptr), shape=(n_rows, n_states)
    )
    transitions.has_sorted_indices = True
    del weights, successors

    if isinstance(reward, str):
        if reward == "normal":
            r = rng.standard_normal((n_states, n_actions))
        elif reward == "uniform":
            r = rng.random((n_states, n_actions))
        else:
            r = rng.standard_normal(n_states)
    else:
        r = reward
    return FiniteMDP(transitions, r, gamma=gamma, horizon=horizon, n_actions=n_actions)


def _sample_subsets(
    rng: np.random.Generator, n_rows: int, n: int, k: int, dtype: type
) -> np.ndarray:
    """``n_rows`` independent uniform k-subsets of range(n), each sorted: int array (n_rows, k).

    When collisions are rare (k*k <= n) draw with replacement and redraw the rows that hold a
    repeat; otherwise take the k smallest of n uniform keys, in row chunks to bound memory.
    """
    if k == n:
        return np.broadcast_to(np.arange(n, dtype=dtype), (n_rows, k)).copy()
    if k * k <= n:
        out = np.sort(rng.integers(0, n, size=(n_rows, k), dtype=dtype), axis=1)
        bad = np.flatnonzero(_has_repeat(out))
        while bad.size:
            redraw = np.sort(rng.integers(0, n, size=(bad.size, k), dtype=dtype), axis=1)
            out[bad] = redraw
            bad = bad[_has_repeat(redraw)]
        return out
    out = np.empty((n_rows, k), dtype=dtype)
    chunk = max(1, _CHUNK_ENTRIES // n)
    for start in range(0, n_rows, chunk):
        stop = min(start + chunk, n_rows)
        keys = rng.random((stop - start, n))
        out[start:stop] = np.sort(np.argpartition(keys, k - 1, axis=1)[:, :k], axis=1)
    return out


def _has_repeat(sorted_rows: np.ndarray) -> np.ndarray:
    """bool (R,): whether each sorted row (R, k) holds a repeated value."""
    return (sorted_rows[:, 1:] == sorted_rows[:, :-1]).any(axis=1)
