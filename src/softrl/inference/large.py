"""Finite-horizon passes for MDPs too large for (H, S, A) arrays: O(H S + S A) memory.

:func:`softrl.inference.soft_backward` keeps Q_t and pi_t for every step, H * S * A floats
each: 4 GB apiece at S = 10^6, A = 5, H = 100.  The MCE IRL gradient (Ziebart et al. 2010)
needs only the soft values V_t and the discounted state-action occupancy of the soft-optimal
policy, so :func:`mce_occupancy` keeps V_t (H + 1, S) and recomputes Q_t and pi_t one step at a
time in the forward sweep (checkpointing: one more backup per step, a fifth of the memory).
Where pi_t for every step fits in :data:`STORE_POLICY_MAX_BYTES` (or ``store_policy=True``),
the backward pass writes pi_t instead and the forward sweep reads it: H backups fewer.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from softrl._numerics import JIT
from softrl.inference.backward import backup_pass, fold_action_prior
from softrl.inference.kernels import forward_pass
from softrl.mdp.finite import FiniteMDP
from softrl.mdp.validation import (
    MDPValidationError,
    check_horizon,
    check_probability_vector,
    check_temperature,
)

__all__ = ["STORE_POLICY_MAX_BYTES", "mce_occupancy"]

_POLICY_ATOL = 1e-6
STORE_POLICY_MAX_BYTES = 8 * 2**30
"""Largest (H, S, A) float64 policy that :func:`mce_occupancy` keeps by default (8 GiB: 4 GB at
S = 10^6, A = 5, H = 100) rather than recomputing each pi_t by one more backup."""


@nb.njit(parallel=True, **JIT)
def _accumulate(total, step, weight):
    """total += weight * step over (S, A), in place and threaded (no temporary)."""
    n_states, n_actions = total.shape
    for s in nb.prange(n_states):
        for a in range(n_actions):
            total[s, a] += weight * step[s, a]


def mce_occupancy(
    mdp: FiniteMDP,
    temperature: float = 1.0,
    reward: np.ndarray | None = None,
    horizon: int | None = None,
    initial: np.ndarray | None = None,
    action_prior: np.ndarray | None = None,
    store_policy: bool | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The MCE partition V_0 and occupancy sum_t gamma^t p(s_t, a_t) of the soft-optimal policy.

    Backward (variational backup, seed 003), for t = H-1, ..., 0 with V_H = 0:

        Q_t(s, a) = r(s, a) + gamma E_{s'}[V_{t+1}(s')],  V_t(s) = T log sum_a exp(Q_t(s, a) / T),

    keeping only V (H + 1, S).  Forward, from d_0 = p(s_0), recomputing Q_t and
    pi_t(a|s) = exp((Q_t(s, a) - V_t(s)) / T) from V_{t+1}:

        D_t(s, a) = d_t(s) pi_t(a|s),  d_{t+1}(s') = sum_{s,a} D_t(s, a) p(s'|s, a),
        occupancy = sum_t gamma^t D_t.

    The same numbers as ``soft_backward`` + ``policy_marginals(...).visitation(gamma)`` (the
    ``imitation`` ``mce_partition_fh`` + ``mce_occupancy_measures`` pair), in O(H S + S A)
    memory for 2H backups and H forward steps (H backups and H S A more memory when the
    policy is stored).  The MCE IRL gradient at this reward is then
    (E - occupancy) / T, with E the demonstrations' discounted counts.

    Parameters
    ----------
    mdp : FiniteMDP
    temperature : float > 0
    reward : (S, A), optional
        Used instead of ``mdp.reward`` (no new FiniteMDP, so no re-validation of P).
    horizon : int, optional
        H; defaults to ``mdp.horizon``, which must then be set.
    initial : (S,), optional
        p(s_0); defaults to ``mdp.initial``.
    action_prior : None, (A,) or (S, A)
        p(a|s), folded into the reward as r + T log p(a|s).
    store_policy : bool, optional
        Keep pi_t (H, S, A) from the backward pass (True) or recompute it in the forward sweep
        (False, O(H S + S A) memory). Default: keep it when it takes at most
        :data:`STORE_POLICY_MAX_BYTES`. Both give the same numbers, bit for bit.

    Returns
    -------
    V0 : (S,)
        V_0 = T log beta_0, the soft value (log partition times T) at t = 0.
    occupancy : (S, A)
        sum_{t < H} gamma^t p(s_t = s, a_t = a); zero at terminal states.

    Examples
    --------
    >>> from softrl.envs import gridworld
    >>> V0, occ = mce_occupancy(gridworld(4).mdp, 1.0, horizon=10)
    >>> V0.shape, occ.shape, bool(abs(occ.sum() - sum(0.99 ** t for t in range(10))) < 1e-12)
    ((16,), (16, 5), True)
    """
    temperature = check_temperature(temperature, allow_zero=False)
    horizon = check_horizon(mdp.horizon if horizon is None else horizon)
    if horizon is None:
        raise MDPValidationError(
            "horizon: mce_occupancy is a finite-horizon pass; give horizon= or an MDP with one."
        )
    n_states, n_actions = mdp.shape
    if reward is None:
        r = mdp.reward
    else:
        r = np.asarray(reward, dtype=np.float64)
        if r.shape != (n_states, n_actions) or not np.all(np.isfinite(r)):
            raise MDPValidationError(
                f"reward: expected a finite ({n_states}, {n_actions}) array, got shape {r.shape}."
            )
        r = np.where(mdp.terminal[:, None], 0.0, r)
    r = np.ascontiguousarray(fold_action_prior(r, action_prior, temperature))
    d0 = mdp.initial if initial is None else check_probability_vector(initial, n_states,
                                                                      "initial")  # fmt: skip

    if store_policy is None:
        store_policy = horizon * n_states * n_actions * 8 <= STORE_POLICY_MAX_BYTES
    elif not isinstance(store_policy, (bool, np.bool_)):
        raise MDPValidationError(f"store_policy: expected True, False or None, got "
                                 f"{store_policy!r}.")
    V = np.empty((horizon + 1, n_states))
    V[horizon] = 0.0
    Q = np.empty((1, n_states, n_actions))
    pi_all = np.empty((horizon, n_states, n_actions)) if store_policy else None
    for t in range(horizon - 1, -1, -1):
        backup_pass(mdp, r, V[t + 1 : t + 2], temperature, "variational", None, Q, V[t : t + 1],
                    pi_out=None if pi_all is None else pi_all[t : t + 1])  # fmt: skip

    PT = mdp.transitions_T
    pi = np.empty((1, n_states, n_actions))
    V_scratch = np.empty((1, n_states))
    d = np.empty((2, n_states))
    d[0] = d0
    D = np.empty((1, n_states, n_actions))
    weight = np.empty(2 * n_states * n_actions)
    no_tilt = np.empty((1, 0))
    occupancy = np.zeros((n_states, n_actions))
    discount = 1.0
    for t in range(horizon):
        if pi_all is None:
            backup_pass(mdp, r, V[t + 1 : t + 2], temperature, "variational", None, Q, V_scratch,
                        pi_out=pi)  # fmt: skip
        else:
            pi = pi_all[t : t + 1]
        forward_pass(PT.indptr, PT.indices, PT.data, pi, mdp.terminal, no_tilt, no_tilt,
                     1.0 / temperature, _POLICY_ATOL, d, D, weight)  # fmt: skip
        _accumulate(occupancy, D[0], discount)
        discount *= mdp.gamma
        d[0] = d[1]
    return V[0].copy(), occupancy
