"""Compiled whole-horizon passes of the finite-horizon MCE gradient (numba, one call each).

The engine's per-step kernels (:mod:`softrl.inference.kernels`) are called once per time
step from Python; an IRL gradient step needs H backward and H forward steps, so here each
pass is a single compiled loop over time that also writes log pi and accumulates the gradient.
Conventions as in :mod:`softrl.irl.objective` (variational backup, temperature T).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

__all__ = ["mce_backward", "mce_forward"]

_JIT = dict(nogil=True, cache=True, fastmath=False, error_model="numpy")


@nb.njit(**_JIT)
def mce_backward(indptr, indices, data, reward, gamma, temperature, terminal, Q, V, log_pi, pi):
    """Variational soft backward pass over the whole horizon.

    Q_t(s, a) = r(s, a) + gamma sum_s' p(s'|s,a) V_{t+1}(s'),  V_t(s) = T logsumexp_a Q_t / T,
    log pi_t(a|s) = (Q_t(s, a) - V_t(s)) / T; terminal states get Q = V = 0, a uniform
    log pi (they take no action) and pi = 0 (so no mass leaves them in the forward pass).

    Parameters
    ----------
    indptr, indices, data : CSR arrays of p(s'|s,a), shape (S*A, S)
    reward : (S, A)
    gamma, temperature : float (temperature > 0)
    terminal : (S,) bool
    Q : (H, S, A) output
    V : (H + 1, S) output; V[H] must hold the terminal value on entry
    log_pi : (H, S, A) output
    pi : (H, S, A) output, exp(log_pi) (0 on terminal states)
    """
    H, n_states, n_actions = Q.shape
    inv_t = 1.0 / temperature
    for t in range(H - 1, -1, -1):
        v_next = V[t + 1]
        for s in range(n_states):
            if terminal[s]:
                for a in range(n_actions):
                    Q[t, s, a] = 0.0
                    log_pi[t, s, a] = -math.log(n_actions)
                    pi[t, s, a] = 0.0
                V[t, s] = 0.0
                continue
            m = -np.inf
            for a in range(n_actions):
                row = s * n_actions + a
                acc = 0.0
                for k in range(indptr[row], indptr[row + 1]):
                    acc += data[k] * v_next[indices[k]]
                q = reward[s, a] + gamma * acc
                Q[t, s, a] = q
                if q > m:
                    m = q
            total = 0.0
            for a in range(n_actions):
                e = math.exp((Q[t, s, a] - m) * inv_t)
                pi[t, s, a] = e
                total += e
            log_total = math.log(total)
            V[t, s] = m + temperature * log_total
            for a in range(n_actions):
                log_pi[t, s, a] = (Q[t, s, a] - m) * inv_t - log_total
                pi[t, s, a] /= total


@nb.njit(**_JIT)
def mce_forward(t_indptr, t_indices, t_data, log_pi, pi, counts, m0, gamma, inject, grad):
    """Signed forward pass accumulating the reward gradient; returns sum E * log pi.

    m_0 = ``m0``;  u_t = m_t pi_t (+ E_t if ``inject``);  grad += m_t pi_t + E_t;
    m_{t+1} = gamma P^T u_t (- n_{t+1} if ``inject``), n_t(s) = sum_a E_t(s, a).
    ``inject`` gives the causal likelihood's gradient, without it the dual's.

    Parameters
    ----------
    t_indptr, t_indices, t_data : CSR arrays of P^T, shape (S, S*A)
    log_pi : (H, S, A)
    pi : (H, S, A), 0 on terminal states (no action, so no mass, leaves them)
    counts : (H, S, A), E_t
    m0 : (S,)
    gamma : float
    inject : bool
    grad : (S, A) output (overwritten)

    Returns
    -------
    float, sum_{t,s,a} E_t(s, a) log pi_t(a|s)
    """
    H, n_states, n_actions = log_pi.shape
    m = m0.copy()
    u = np.empty(n_states * n_actions)
    value = 0.0
    for s in range(n_states):
        for a in range(n_actions):
            grad[s, a] = 0.0
    for t in range(H):
        for s in range(n_states):
            ms = m[s]
            for a in range(n_actions):
                e = counts[t, s, a]
                w = ms * pi[t, s, a]
                if e != 0.0:
                    value += e * log_pi[t, s, a]
                grad[s, a] += w + e
                u[s * n_actions + a] = w + e if inject else w
        if t == H - 1:
            break
        for sp in range(n_states):
            acc = 0.0
            for k in range(t_indptr[sp], t_indptr[sp + 1]):
                acc += t_data[k] * u[t_indices[k]]
            m[sp] = gamma * acc
            if inject:
                for a in range(n_actions):
                    m[sp] -= counts[t + 1, sp, a]
    return value
