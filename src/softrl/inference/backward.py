"""Backward messages: soft Q and V in log space, and the policy they imply (seeds 000, 003).

With the optimality variable p(O_t | s_t, a_t) = exp(r(s_t, a_t) / T):

    Q_t(s, a) = log beta_t(s, a) * T = r(s, a) + gamma * backup_{s' ~ p(.|s,a)}[V_{t+1}(s')]
    V_t(s)    = log beta_t(s) * T    = T log sum_a p(a|s) exp(Q_t(s, a) / T)
    pi_t(a|s) = p(a_t | s_t, O_{t:H}) = exp((Q_t(s, a) - V_t(s)) / T)

with ``backup = "optimistic"`` (the exact posterior, T log E exp(V/T)) or ``"variational"``
(the structured variational posterior that keeps the true dynamics, E[V]).  T -> 0 gives hard
value iteration.  The action prior p(a|s) is folded into the reward, r + T log p(a|s), as in
seed 003; without one it is the improper uniform prior p(a|s) = 1 (V = T log sum_a exp(Q/T)).
"""

from __future__ import annotations

import numpy as np

from softrl.inference._layout import ell_layout
from softrl.inference.kernels import MODE_POLICY, MODE_SOFT, backward_pass
from softrl.inference.solution import (
    Backup,
    SoftSolution,
    log_policy_from_q,
    warn_not_converged,
)
from softrl.mdp.finite import FiniteMDP
from softrl.mdp.validation import MDPValidationError, check_horizon, check_temperature

__all__ = [
    "Backup",
    "SoftSolution",
    "fold_action_prior",
    "soft_backward",
    "soft_bellman_step",
    "log_policy_from_q",
]

def fold_action_prior(reward: np.ndarray, action_prior, temperature: float) -> np.ndarray:
    """r~(s, a) = r(s, a) + T log p(a|s) (seed 003: fold the action prior into the reward).

    ``action_prior``: None (improper uniform, p = 1), (A,) or (S, A) non-negative weights.
    At T = 0 the prior only removes actions of zero prior mass.
    """
    if action_prior is None:
        return reward
    n_states, n_actions = reward.shape
    prior = np.asarray(action_prior, dtype=np.float64)
    if prior.shape not in ((n_actions,), (n_states, n_actions)):
        raise MDPValidationError(
            f"action_prior: expected shape ({n_actions},) or ({n_states}, {n_actions}), "
            f"got {prior.shape}."
        )
    if not np.all(np.isfinite(prior)) or (prior < 0).any():
        raise MDPValidationError("action_prior: entries must be finite and >= 0.")
    prior = np.broadcast_to(prior, (n_states, n_actions))
    if (prior.sum(axis=1) <= 0).any():
        s = int(np.flatnonzero(prior.sum(axis=1) <= 0)[0])
        raise MDPValidationError(f"action_prior: state {s} gives every action zero mass.")
    with np.errstate(divide="ignore"):
        log_prior = np.log(prior)
    if temperature == 0:
        return np.where(prior > 0, reward, -np.inf)
    return reward + temperature * log_prior


def _check_backup(backup: str, temperature: float) -> None:
    if backup not in ("variational", "optimistic"):
        raise MDPValidationError(
            f"backup: must be 'variational' or 'optimistic', got {backup!r}."
        )
    if backup == "optimistic" and temperature == 0:
        raise MDPValidationError(
            "backup: 'optimistic' needs temperature > 0 (at T = 0 use 'variational', the "
            "hard Bellman backup)."
        )


def soft_bellman_step(
    mdp: FiniteMDP,
    reward: np.ndarray,
    V_next: np.ndarray,
    temperature: float,
    backup: Backup = "variational",
    policy: np.ndarray | None = None,
    Q_out: np.ndarray | None = None,
    V_out: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One backup: Q = r + gamma * backup[V_next], V = T log sum_a exp(Q/T) (or under ``policy``).

    With ``policy`` (S, A) the V step is soft policy evaluation,
    V(s) = sum_a pi(a|s) (Q(s, a) - T log pi(a|s)).  Returns (Q (S, A), V (S,)).

    ``reward`` and ``V_next`` are read as float64 C-contiguous arrays (copied when they are
    not, so that every caller runs the one compiled kernel); ``Q_out`` and ``V_out``, when
    given, must be float64 C-contiguous arrays of shape (S, A) and (S,) that do not overlap
    ``V_next``.
    """
    n_states, n_actions = mdp.shape
    reward = np.ascontiguousarray(reward, dtype=np.float64)
    V_next = np.ascontiguousarray(V_next, dtype=np.float64)
    Q_out = _output(Q_out, "Q_out", (n_states, n_actions), V_next)
    V_out = _output(V_out, "V_out", (n_states,), V_next)
    pol = None if policy is None else policy[None]
    backup_pass(mdp, reward, V_next[None], temperature, backup, pol, Q_out[None], V_out[None])
    return Q_out, V_out


def _output(out: np.ndarray | None, name: str, shape: tuple[int, ...],
            source: np.ndarray) -> np.ndarray:
    """A fresh output array, or ``out`` checked: float64, C-contiguous, ``shape``, and not
    overlapping ``source`` (a backup reads all of V_next while it writes)."""
    if out is None:
        return np.empty(shape)
    if not (isinstance(out, np.ndarray) and out.dtype == np.float64 and out.shape == shape
            and out.flags.c_contiguous and out.flags.writeable):
        raise MDPValidationError(
            f"{name}: expected a writable float64 C-contiguous array of shape {shape}, got "
            f"{getattr(out, 'dtype', type(out).__name__)} {getattr(out, 'shape', '')}; pass "
            f"None to get a new one.")
    if np.may_share_memory(out, source):
        raise MDPValidationError(f"{name} overlaps V_next: the backup reads V_next while it "
                                 "writes; pass separate arrays.")
    return out


_NO_POLICY = np.empty((1, 0, 0))
_NO_PI = np.empty((1, 1, 0))


def backup_pass(
    mdp: FiniteMDP,
    reward: np.ndarray,
    V_next: np.ndarray,
    temperature: float,
    backup: Backup,
    policy: np.ndarray | None,
    Q_out: np.ndarray,
    V_out: np.ndarray,
    gamma: float | None = None,
    pi_out: np.ndarray | None = None,
) -> None:
    """H backups in one compiled call, step t from V_next[t] (H, S) into Q_out[t], V_out[t].

    The engine's internal API for the packages built on it (``inference.forward``,
    ``irl.objective``, ``planning``): no validation, preallocated outputs, one numba call for a
    whole horizon. Its contract is stable: arrays are float64 and C-contiguous, ``reward`` is
    (S, A) with the action prior already folded in, terminal rows get Q = V = 0; public entry
    points (:func:`soft_backward`) validate and then call it.

    With V_next = V[1:] and V_out = V[:-1] of one (H + 1, S) array this is a backward pass.
    ``policy``: None, or (H, S, A) / (1, S, A) for soft policy evaluation.  ``gamma``
    overrides ``mdp.gamma``.  ``pi_out`` (H, S, A), without ``policy`` and at T > 0: also
    write the soft-max policy.
    """
    P = mdp.transitions
    gamma = mdp.gamma if gamma is None else gamma
    mode = MODE_SOFT if policy is None else MODE_POLICY
    pol = _NO_POLICY if policy is None else np.ascontiguousarray(policy, dtype=np.float64)
    ell_idx, ell_p = ell_layout(mdp)
    backward_pass(
        P.indptr, P.indices, P.data, ell_idx, ell_p, reward, V_next, gamma, temperature,
        backup == "optimistic", mdp.terminal, mode, pol, Q_out, V_out,
        _NO_PI if pi_out is None else pi_out,
    )  # fmt: skip


def soft_backward(
    mdp: FiniteMDP,
    temperature: float = 1.0,
    backup: Backup = "variational",
    action_prior=None,
    horizon: int | None = None,
    policy: np.ndarray | None = None,
    V_terminal: np.ndarray | None = None,
    tol: float = 1e-10,
    max_iter: int = 100_000,
    device: str | None = None,
) -> SoftSolution:
    """Backward messages log beta_t = Q_t / T, V_t / T for a finite or an infinite horizon.

    Parameters
    ----------
    mdp : FiniteMDP
    temperature : float >= 0
        T in p(O|s,a) = exp(r/T); 0 gives hard value iteration.
    backup : "variational" (default) or "optimistic"
    action_prior : None, (A,) or (S, A)
        p(a|s), folded into the reward as r + T log p(a|s).
    horizon : int, optional
        Number of decisions H; defaults to ``mdp.horizon``.  None: infinite horizon, iterated
        to a sup-norm change below ``tol`` (needs gamma < 1 or proper terminal states).
    policy : (S, A) or (H, S, A), optional
        Evaluate this policy instead of optimising: V = E_pi[Q - T log pi] (soft policy
        evaluation; T = 0 is ordinary policy evaluation).
    V_terminal : (S,), optional
        V_H, the value after the last decision of a finite horizon (default 0).
    tol, max_iter : stopping rule of the infinite-horizon iteration.
    device : str, optional
        A torch device (``"cuda"``, ``"cpu"``) to run the backups with torch instead of the
        compiled CPU kernels (not with ``policy``); the result is the same, in numpy arrays.

    Returns
    -------
    SoftSolution with Q (H, S, A) and V (H + 1, S), or Q (S, A) and V (S,).
    """
    temperature = check_temperature(temperature)
    _check_backup(backup, temperature)
    horizon = check_horizon(mdp.horizon if horizon is None else horizon)
    if not (isinstance(tol, float | int) and tol > 0):
        raise MDPValidationError(f"tol: must be a positive float, got {tol!r}.")
    if policy is not None:
        from softrl.mdp.validation import check_policy

        policy = check_policy(policy, mdp.n_states, mdp.n_actions, horizon)
    reward = fold_action_prior(mdp.reward, action_prior, temperature)
    n_states, n_actions = mdp.shape
    if horizon is None and mdp.gamma == 1.0 and not mdp.terminal.any():
        raise MDPValidationError(
            "gamma: an infinite horizon with gamma = 1 and no terminal states diverges; "
            "set gamma < 1, mark terminal states, or give a horizon."
        )
    V_last = np.zeros(n_states) if V_terminal is None else _terminal_values(V_terminal, n_states)
    if device is not None:
        if policy is not None:
            raise MDPValidationError("device: policy evaluation runs on the CPU kernels only.")
        from softrl.inference.torch_backend import soft_backward_torch

        return soft_backward_torch(
            mdp, reward, V_last, temperature, backup, horizon, tol, max_iter, device
        )

    if horizon is not None:
        want_pi = policy is None and temperature > 0
        Q, V, pi = _outputs(horizon, n_states, n_actions, want_pi)
        V[horizon] = V_last
        pol = None if policy is None else (policy if policy.ndim == 3 else policy[None])
        backup_pass(mdp, reward, V[1:], temperature, backup, pol, Q, V[:-1], pi_out=pi)
        return SoftSolution(Q, V, temperature, backup, horizon, 0.0, pi)

    if policy is not None and policy.ndim == 3:
        raise MDPValidationError("policy: an infinite horizon needs a stationary (S, A) policy.")
    V = V_last
    V_new = np.empty(n_states)
    Q = np.empty((n_states, n_actions))
    residual = np.inf
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        soft_bellman_step(mdp, reward, V, temperature, backup, policy, Q, V_new)
        residual = float(np.max(np.abs(V_new - V)))
        V, V_new = V_new, V
        if not np.isfinite(residual):
            raise MDPValidationError(
                "soft_backward diverged (non-finite values); check gamma and the rewards."
            )
        if residual <= tol:
            break
    if residual > tol:
        warn_not_converged(max_iter, residual, tol)
    return SoftSolution(Q, V.copy(), temperature, backup, iterations, residual)


def _outputs(horizon: int, n_states: int, n_actions: int, want_pi: bool):
    """Q (H, S, A), V (H + 1, S) and pi (H, S, A) or None, as views of one allocation.

    Separate allocations of a few MB each were handed back to the system by malloc when the
    solution was freed, and the next pass paid a page fault per 4 KB page it wrote: 829
    faults, 1.3 ms of a 2.8 ms pass on a 20 x 20 grid (H = 100) in this machine's VM.  One
    block is reused by malloc from one call to the next.
    """
    n = horizon * n_states * n_actions
    buf = np.empty((2 if want_pi else 1) * n + (horizon + 1) * n_states)
    Q = buf[:n].reshape(horizon, n_states, n_actions)
    pi = buf[n : 2 * n].reshape(horizon, n_states, n_actions) if want_pi else None
    V = buf[buf.size - (horizon + 1) * n_states :].reshape(horizon + 1, n_states)
    return Q, V, pi


def _terminal_values(V_terminal, n_states: int) -> np.ndarray:
    v = np.asarray(V_terminal, dtype=np.float64)
    if v.shape != (n_states,) or not np.all(np.isfinite(v)):
        raise MDPValidationError(f"V_terminal: expected a finite ({n_states},) array.")
    return v.copy()
