"""Garnet: random sparse MDPs of any size, built directly as CSR arrays (numba, parallel)."""

from __future__ import annotations

import math

import numba as nb
import numpy as np
import scipy.sparse as sp

from softrl._numerics import JIT
from softrl.mdp.finite import FiniteMDP
from softrl.mdp.validation import MDPValidationError
from softrl.validation import POSITIVE_INT, REAL, check_scalar

__all__ = ["garnet"]

_REWARD_KINDS = ("normal", "uniform", "state")

# SplitMix64 (Steele, Lea & Flood 2014): the per-row random streams of the builder.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_U30, _U27, _U31, _U32, _U11 = (np.uint64(k) for k in (30, 27, 31, 32, 11))
_LOW32 = np.uint64(0xFFFFFFFF)
_TWO_POW_M53 = 2.0**-53
# Smallest relative weight of a successor (tiny concentrations underflow below it).
_FLOOR = 1e-300
# Rows of more successors than this are sorted with numpy's sort, shorter ones by insertion.
_INSERTION_MAX = 32


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

    The CSR arrays are written directly by a compiled loop over rows, in parallel
    (``indptr = arange(0, S*A*b + 1, b)``, sorted successor indices per row, int32 indices
    while they fit, float64 probabilities), and handed to :class:`~softrl.mdp.FiniteMDP`
    without a copy: the builder allocates nothing beyond the MDP's own arrays (12 bytes per
    stored entry, plus the rewards); FiniteMDP's validation then takes temporaries.
    ``garnet(10**7, 5, 5)`` (2.5e8 entries, 3.2 GB) took 16 s of CPU and 5.3 GB at its peak,
    validation included (``bench/scale.py``).

    Randomness: ``seed`` makes a ``np.random.Generator``; its first draw is a 63-bit key,
    then the rewards come from the same generator.  Row j = s * A + a draws from its own
    SplitMix64 stream started at a hash of (key, j): its successors by Floyd's algorithm
    (uniform k-subsets, unbiased integers by Lemire's method), then its probabilities as
    normalised Gamma(concentration) draws (-log U for concentration 1; Marsaglia & Tsang
    2000 otherwise).  So the same seed gives the same MDP on any number of threads.  (Before
    issue 19 the successors and probabilities came from the generator itself: the same seed
    now gives a different, equally distributed MDP.)

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
        MDP.
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
        near-uniform over their successors, small values near-deterministic (a weight is
        never below 1e-300 times the row's largest, so every row keeps b stored entries).

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
    if not concentration > 0 or not math.isfinite(concentration):
        raise MDPValidationError(
            f"concentration: must be a finite float > 0, got {concentration!r}."
        )
    if isinstance(reward, str) and reward not in _REWARD_KINDS:
        raise MDPValidationError(
            f"reward: must be one of {_REWARD_KINDS} or an array, got {reward!r}."
        )
    rng = np.random.default_rng(seed)
    key = np.uint64(rng.integers(0, 2**63, dtype=np.int64))
    n_rows = n_states * n_actions
    nnz = n_rows * branching
    index_dtype = np.int32 if max(nnz, n_states) < np.iinfo(np.int32).max else np.int64

    indices = np.empty(nnz, dtype=index_dtype)
    data = np.empty(nnz, dtype=np.float64)
    _fill_rows(key, n_states, branching, float(concentration), indices, data)
    indptr = np.arange(0, nnz + 1, branching, dtype=index_dtype)
    transitions = sp.csr_matrix((data, indices, indptr), shape=(n_rows, n_states), copy=False)
    # Distinct, sorted successors and positive probabilities: canonical by construction.
    transitions.has_sorted_indices = True
    transitions.has_canonical_format = True

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


@nb.njit(inline="always")
def _next(state):
    """One SplitMix64 step: (new state, 64 random bits)."""
    state = state + _GOLDEN
    z = state
    z = (z ^ (z >> _U30)) * _MIX1
    z = (z ^ (z >> _U27)) * _MIX2
    return state, z ^ (z >> _U31)


@nb.njit(inline="always")
def _uniform(state):
    """(new state, u) with u uniform on (0, 1): an odd multiple of 2^-54."""
    state, z = _next(state)
    return state, (float(z >> _U11) + 0.5) * _TWO_POW_M53


@nb.njit(inline="always")
def _below(state, bound):
    """(new state, an integer uniform on [0, bound)) for 1 <= bound < 2^32 (Lemire 2019)."""
    b = np.uint64(bound)
    state, z = _next(state)
    m = (z >> _U32) * b
    if (m & _LOW32) < b:  # maybe in the biased zone: the exact test needs 2^32 mod b
        threshold = (_LOW32 + np.uint64(1) - b) % b
        while (m & _LOW32) < threshold:
            state, z = _next(state)
            m = (z >> _U32) * b
    return state, np.int64(m >> _U32)


@nb.njit(inline="always")
def _normal(state):
    """(new state, a standard normal draw) by the polar method."""
    while True:
        state, u = _uniform(state)
        state, v = _uniform(state)
        x = 2.0 * u - 1.0
        y = 2.0 * v - 1.0
        q = x * x + y * y
        if 0.0 < q < 1.0:
            return state, x * math.sqrt(-2.0 * math.log(q) / q)


@nb.njit(inline="always")
def _log_gamma_draw(state, alpha):
    """(new state, log G) with G ~ Gamma(alpha, 1) (Marsaglia & Tsang 2000; alpha < 1 boosted)."""
    boost = 0.0
    if alpha < 1.0:  # G(alpha) = G(alpha + 1) U^(1 / alpha), kept in log space
        state, u = _uniform(state)
        boost = math.log(u) / alpha
        alpha += 1.0
    d = alpha - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        state, x = _normal(state)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        state, u = _uniform(state)
        if math.log(u) < 0.5 * x * x + d - d * v + d * math.log(v):
            return state, math.log(d * v) + boost


@nb.njit(parallel=True, **JIT)
def _fill_rows(key, n_states, branching, concentration, indices, data):
    """Write every row's sorted successors into ``indices`` and probabilities into ``data``.

    Row j uses the SplitMix64 stream started at a hash of (key, j), so the result does not
    depend on the number of threads.  Successors: Floyd's algorithm (for i = n - k .. n - 1:
    draw t in [0, i]; take t, or i if t is taken), a uniform k-subset in k draws.
    """
    k = branching
    n_rows = indices.size // k
    small = n_states < 2**32
    for row in nb.prange(n_rows):
        state = key ^ (np.uint64(row) * _MIX2)
        state, _ = _next(state)
        base = row * k
        for m in range(k):
            i = n_states - k + m
            if small:
                state, t = _below(state, i + 1)
            else:
                state, u = _uniform(state)
                t = min(np.int64((i + 1) * (1.0 - u)), i)
            for q in range(base, base + m):
                if indices[q] == t:
                    t = i
                    break
            indices[base + m] = t
        if k <= _INSERTION_MAX:
            for m in range(1, k):
                v = indices[base + m]
                q = base + m - 1
                while q >= base and indices[q] > v:
                    indices[q + 1] = indices[q]
                    q -= 1
                indices[q + 1] = v
        else:
            indices[base : base + k] = np.sort(indices[base : base + k])
        total = 0.0
        if concentration == 1.0:
            for m in range(k):
                state, u = _uniform(state)
                w = -math.log(u)
                data[base + m] = w
                total += w
        else:  # normalised from the log draws, so that tiny concentrations do not underflow
            top = -np.inf
            for m in range(k):
                state, g = _log_gamma_draw(state, concentration)
                data[base + m] = g
                top = max(top, g)
            for m in range(k):
                # Floored so that a row keeps its k stored entries (no exact zeros).
                w = max(math.exp(data[base + m] - top), _FLOOR)
                data[base + m] = w
                total += w
        for m in range(k):
            data[base + m] /= total
