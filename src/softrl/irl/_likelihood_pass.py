"""The signed, injected forward pass of the causal likelihood's gradient (numba, one call).

This is the one IRL pass the inference engine cannot express.  The engine's
:func:`softrl.inference.kernels.forward_pass` rolls a single initial distribution forward,
d_{t+1} = P^T (d_t pi_t); the gradient of the causal log-likelihood needs a signed message
into which every time step injects a new source (the demonstrated state-actions, minus the
states they were observed in), so by linearity it would take H engine passes, one per source.
The backward pass, the MCE dual and MaxEnt's trajectory objective all use the engine
(:mod:`softrl.irl.objective`).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from softrl._numerics import JIT

__all__ = ["likelihood_forward"]

_JIT = JIT


@nb.njit(**_JIT)
def likelihood_forward(t_indptr, t_indices, t_data, log_pi, pi, terminal, counts, gamma, grad):
    """Signed forward pass accumulating T dL/dr; returns L = sum E * log pi.

    m_0 = -n_0;  u_t = m_t pi_t + E_t;  grad = sum_t m_t pi_t + E_t;
    m_{t+1} = gamma P^T u_t - n_{t+1},  n_t(s) = sum_a E_t(s, a).
    Terminal states take no action: pi counts as 0 there, so no mass leaves them.

    Parameters
    ----------
    t_indptr, t_indices, t_data : CSR arrays of P^T, shape (S, S*A)
    log_pi : (H, S, A), log pi_t(a|s)
    pi : (H, S, A), pi_t(a|s) (terminal rows are ignored)
    terminal : (S,) bool
    counts : (H, S, A), E_t
    gamma : float
    grad : (S, A) output (overwritten)

    Returns
    -------
    float, sum_{t,s,a} E_t(s, a) log pi_t(a|s)
    """
    H, n_states, n_actions = log_pi.shape
    m = np.empty(n_states)
    for s in range(n_states):
        m[s] = 0.0
        for a in range(n_actions):
            m[s] -= counts[0, s, a]
    u = np.empty(n_states * n_actions)
    value = 0.0
    for s in range(n_states):
        for a in range(n_actions):
            grad[s, a] = 0.0
    for t in range(H):
        for s in range(n_states):
            ms = 0.0 if terminal[s] else m[s]
            for a in range(n_actions):
                e = counts[t, s, a]
                w = ms * pi[t, s, a]
                if e != 0.0:
                    value += e * log_pi[t, s, a]
                grad[s, a] += w + e
                u[s * n_actions + a] = w + e
        if t == H - 1:
            break
        for sp in range(n_states):
            acc = 0.0
            for k in range(t_indptr[sp], t_indptr[sp + 1]):
                acc += t_data[k] * u[t_indices[k]]
            m[sp] = gamma * acc
            for a in range(n_actions):
                m[sp] -= counts[t + 1, sp, a]
    return value
