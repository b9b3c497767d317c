"""Compiled per-step kernels of the exact tabular engine (numba, parallel over states).

Every kernel takes the CSR arrays of p(s'|s,a) (rows ``j = s * A + a``) and plain numpy
arrays, and writes its result into preallocated outputs.  One backup is one fused pass over
the transition data: the successor expectation, the soft max over actions and the write of
V happen in the same loop, so the backup reads each stored probability exactly once.

Conventions (seed 003): Q(s,a) = r(s,a) + gamma * backup_{s'}[V(s')] and
V(s) = T log sum_a exp(Q(s,a) / T), with ``T`` the temperature and ``T = 0`` the hard max.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

__all__ = [
    "MODE_SOFT",
    "MODE_POLICY",
    "bellman_backup",
    "propagate",
    "log_propagate",
]

MODE_SOFT = 0  # V(s) = T logsumexp_a Q/T   (T = 0: max_a Q)
MODE_POLICY = 1  # V(s) = sum_a pi(a|s) (Q(s,a) - T log pi(a|s))   (policy evaluation)

# Below this, sum_j p_j exp((V_j - Vmax)/T) has lost relative precision: redo the row exactly.
_TINY = 1e-280
_JIT = dict(nogil=True, cache=True, fastmath=False, error_model="numpy")


@nb.njit(**_JIT)
def _row_log_mean_exp(indptr, indices, data, V, inv_t, row, w, vmax):
    """T-scaled log E_{s'~p(.|row)} exp(V(s')/T), with a global shift and an exact fallback."""
    acc = 0.0
    for k in range(indptr[row], indptr[row + 1]):
        acc += data[k] * w[indices[k]]
    if acc >= _TINY:
        return vmax + math.log(acc) / inv_t
    # Exact per-row log-sum-exp: the successors' values sit far below the global max.
    m = -np.inf
    for k in range(indptr[row], indptr[row + 1]):
        v = V[indices[k]]
        if v > m:
            m = v
    acc = 0.0
    for k in range(indptr[row], indptr[row + 1]):
        acc += data[k] * math.exp((V[indices[k]] - m) * inv_t)
    return m + math.log(acc) / inv_t


def _bellman_backup(
    indptr,
    indices,
    data,
    reward,
    V_next,
    gamma,
    temperature,
    optimistic,
    terminal,
    mode,
    policy,
    Q_out,
    V_out,
):
    """One fused backup: Q = r + gamma * E[V_next] (or the optimistic log E exp), then V(Q).

    Parameters
    ----------
    indptr, indices, data : CSR arrays of p(s'|s,a), shape (S*A, S)
    reward : (S, A) float64
    V_next : (S,) float64, the value of the next step
    gamma, temperature : float
    optimistic : bool, use Q = r + gamma T log E exp(V_next/T) (requires temperature > 0)
    terminal : (S,) bool; terminal states get Q = V = 0
    mode : MODE_SOFT or MODE_POLICY
    policy : (S, A) float64 (read only in MODE_POLICY)
    Q_out : (S, A) float64 output, V_out : (S,) float64 output
    """
    n_states, n_actions = reward.shape
    inv_t = 1.0 / temperature if temperature > 0.0 else np.inf
    w = np.empty(0)
    vmax = 0.0
    if optimistic:
        vmax = -np.inf
        for i in range(n_states):
            if V_next[i] > vmax:
                vmax = V_next[i]
        w = np.empty(n_states)
        for i in nb.prange(n_states):
            w[i] = math.exp((V_next[i] - vmax) * inv_t)
    for s in nb.prange(n_states):
        if terminal[s]:
            for a in range(n_actions):
                Q_out[s, a] = 0.0
            V_out[s] = 0.0
            continue
        m = -np.inf
        acc = 0.0
        for a in range(n_actions):
            row = s * n_actions + a
            if optimistic:
                nxt = _row_log_mean_exp(indptr, indices, data, V_next, inv_t, row, w, vmax)
            else:
                nxt = 0.0
                for k in range(indptr[row], indptr[row + 1]):
                    nxt += data[k] * V_next[indices[k]]
            q = reward[s, a] + gamma * nxt
            Q_out[s, a] = q
            if mode == MODE_POLICY:
                p = policy[s, a]
                if p > 0.0:
                    acc += p * q
                    if temperature > 0.0:
                        acc -= temperature * p * math.log(p)
            elif temperature == 0.0:
                if q > m:
                    m = q
            elif q > m:  # online log-sum-exp over actions
                if m > -np.inf:
                    acc = acc * math.exp((m - q) * inv_t)
                acc += 1.0
                m = q
            elif q > -np.inf:
                acc += math.exp((q - m) * inv_t)
        if mode == MODE_POLICY:
            V_out[s] = acc
        elif temperature == 0.0:
            V_out[s] = m
        else:
            V_out[s] = m + math.log(acc) * temperature


def _propagate(t_indptr, t_indices, t_data, weight, n_actions, V_next, tilt, inv_t, out):
    """Forward step of a Markov chain: out(s') = sum_{s,a} weight(s,a) p(s'|s,a) [tilt].

    ``t_*`` are the CSR arrays of P^T, shape (S, S*A).  ``weight`` is (S*A,), for example
    d_t(s) pi_t(a|s).  With ``tilt`` (S*A,) non-empty, each transition is reweighted to the
    posterior p(s'|s,a,O) = p(s'|s,a) exp((V_next(s') - tilt(s,a)) / T), where
    tilt = T log E exp(V_next/T): the optimistic model's posterior dynamics.
    """
    n_next = t_indptr.size - 1
    tilted = tilt.size > 0
    for sp_ in nb.prange(n_next):
        acc = 0.0
        for k in range(t_indptr[sp_], t_indptr[sp_ + 1]):
            j = t_indices[k]
            wj = weight[j]
            if wj != 0.0:
                if tilted:
                    acc += wj * math.exp(math.log(t_data[k]) + (V_next[sp_] - tilt[j]) * inv_t)
                else:
                    acc += wj * t_data[k]
        out[sp_] = acc


def _log_propagate(t_indptr, t_indices, t_data, log_weight, out):
    """Log-space forward message step: out(s') = log sum_{s,a} p(s'|s,a) exp(log_weight(s,a))."""
    n_next = t_indptr.size - 1
    for sp_ in nb.prange(n_next):
        m = -np.inf
        for k in range(t_indptr[sp_], t_indptr[sp_ + 1]):
            v = log_weight[t_indices[k]]
            if v > m:
                m = v
        if m == -np.inf:
            out[sp_] = -np.inf
            continue
        acc = 0.0
        for k in range(t_indptr[sp_], t_indptr[sp_ + 1]):
            acc += t_data[k] * math.exp(log_weight[t_indices[k]] - m)
        out[sp_] = m + math.log(acc) if acc > 0.0 else -np.inf


# Each kernel is compiled twice: threads pay off only on large problems, and a parallel region
# costs tens of microseconds (milliseconds on a loaded machine) to start.
PARALLEL_MIN_NNZ = 200_000


def _dispatch(fn):
    seq = nb.njit(parallel=False, **_JIT)(fn)
    par = nb.njit(parallel=True, **_JIT)(fn)

    def kernel(*args):
        nnz = args[2].size
        return (par if nnz >= PARALLEL_MIN_NNZ else seq)(*args)

    kernel.__name__ = fn.__name__.lstrip("_")
    kernel.__doc__ = fn.__doc__
    kernel.sequential = seq  # type: ignore[attr-defined]
    kernel.parallel = par  # type: ignore[attr-defined]
    return kernel


bellman_backup = _dispatch(_bellman_backup)
propagate = _dispatch(_propagate)
log_propagate = _dispatch(_log_propagate)
