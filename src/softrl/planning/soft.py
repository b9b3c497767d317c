"""Infinite-horizon soft value iteration for large MDPs: accelerated solvers, one fixed point.

All three methods solve the same discounted soft Bellman equation (seed 003),

    Q(s, a) = r(s, a) + gamma * backup_{s' ~ p(.|s,a)}[V(s')],
    V(s)    = (T V)(s) = T log sum_a exp(Q(s, a) / T)          (T = 0: max_a Q(s, a)),

and stop on the same test as :func:`softrl.inference.soft_backward`: the sup-norm Bellman
residual ||T V_k - V_k||_inf of the last iterate is at most ``tol``.  What differs is how the
next iterate is chosen.

``"value_iteration"``
    V_{k+1} = T V_k: the error contracts by gamma per backup, about
    log(tol / residual_0) / log(gamma) backups (1,500 at gamma = 0.99, tol = 1e-6).

``"extrapolated"`` (default)
    Value iteration with the MacQueen-Porteus bounds (MacQueen 1966; Porteus 1971; Puterman
    1994, section 6.6.3).  T commutes with constant shifts, T(V + c) = T V + gamma c, and is
    monotone, so with d = T V_k - V_k the fixed point lies between
    T V_k + gamma / (1 - gamma) * min d and T V_k + gamma / (1 - gamma) * max d; the next
    iterate is the midpoint, V_{k+1} = T V_k + gamma / (1 - gamma) * (min d + max d) / 2.
    This removes the error along the constant vector (the eigenvalue gamma of the Jacobian
    gamma P_pi), so the error contracts like gamma |lambda_2(P_pi)|: on Garnet MDPs
    (well mixing) 15-30 backups instead of 1,500.  It needs gamma < 1 and no terminal states
    (otherwise it is plain value iteration).

``"policy_iteration"`` (variational backup only)
    Soft policy iteration, Newton's method on F(V) = T V - V.  The Jacobian of T at V_k is
    gamma P_pi with pi = exp((Q - V) / T) the soft-max policy of Q(V_k), so the Newton step
    solves (I - gamma P_pi) delta = T V_k - V_k: exactly the soft policy evaluation of pi,
    V_{k+1} = V^pi (Rust 1987 for the entropy-regularised case; at T = 0 it is Howard's policy
    iteration).  The linear system is solved inexactly by GMRES on the engine's backup, with
    the constant vector deflated (the right preconditioner I + gamma / (1 - gamma) 1 u^T, u
    the uniform average, moves its eigenvalue 1 - gamma to 1).  Quadratic convergence near
    the solution; it pays off on slowly mixing MDPs (grids), where ``"extrapolated"`` still
    contracts at nearly gamma.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Literal

import numba as nb
import numpy as np
import scipy.sparse.linalg as spla

from softrl._numerics import JIT
from softrl.inference.backward import backup_pass, fold_action_prior
from softrl.inference.solution import SoftSolution, warn_not_converged
from softrl.mdp.finite import FiniteMDP
from softrl.mdp.validation import MDPValidationError, check_temperature

__all__ = ["SOLVER_METHODS", "SolverSolution", "discounted_occupancy", "soft_value_iteration"]

Method = Literal["extrapolated", "value_iteration", "policy_iteration"]
SOLVER_METHODS = ("extrapolated", "value_iteration", "policy_iteration")

# GMRES of a Newton step: Krylov vectors kept per restart cycle (memory: this many (S,) arrays).
_RESTART = 30
_MAX_CYCLES = 50


@dataclass(frozen=True)
class SolverSolution(SoftSolution):
    """A :class:`~softrl.inference.SoftSolution` (Q (S, A), V (S,)) with the solver's counts.

    ``iterations`` counts soft Bellman backups and ``residual`` is ||T V_k - V_k||_inf of the
    last iterate V_k (the returned V = T V_k, with Q = r + gamma backup[V_k]).

    Attributes
    ----------
    method : str
        The method that produced it.
    matvecs : int
        Products with I - gamma P_pi done by the Krylov solves (0 unless
        ``method="policy_iteration"``); each costs about one backup.
    """

    method: str = "extrapolated"
    matvecs: int = 0


@nb.njit(**JIT)
def _residual_range(V_new, V):
    """(min, max) of V_new - V over all states; NaN propagates."""
    lo = np.inf
    hi = -np.inf
    for i in range(V.size):
        d = V_new[i] - V[i]
        if d != d:
            return d, d
        lo = min(lo, d)
        hi = max(hi, d)
    return lo, hi


@nb.njit(parallel=True, **JIT)
def _soft_policy(Q, V, temperature, terminal, pi):
    """pi(a|s) = exp((Q - V) / T) renormalised (T = 0: the first greedy action); 0 on terminals."""
    n_states, n_actions = Q.shape
    for s in nb.prange(n_states):
        if terminal[s]:
            for a in range(n_actions):
                pi[s, a] = 0.0
            continue
        if temperature == 0.0:
            best = 0
            for a in range(1, n_actions):
                if Q[s, a] > Q[s, best]:
                    best = a
            for a in range(n_actions):
                pi[s, a] = 1.0 if a == best else 0.0
            continue
        z = 0.0
        for a in range(n_actions):
            e = math.exp((Q[s, a] - V[s]) / temperature)
            pi[s, a] = e
            z += e
        for a in range(n_actions):
            pi[s, a] /= z


@nb.njit(parallel=True, **JIT)
def _visitation_matvec(t_indptr, t_indices, t_data, pi_flat, n_actions, gamma, x, out):
    """out = (I - gamma P_pi^T) x from the CSR arrays of P^T (S, S*A), one gather per state."""
    for sp_ in nb.prange(out.size):
        acc = 0.0
        for k in range(t_indptr[sp_], t_indptr[sp_ + 1]):
            j = t_indices[k]
            w = pi_flat[j]
            if w != 0.0:
                acc += t_data[k] * w * x[j // n_actions]
        out[sp_] = x[sp_] - gamma * acc


def discounted_occupancy(
    mdp: FiniteMDP,
    policy: np.ndarray,
    initial: np.ndarray | None = None,
    tol: float = 1e-10,
    d_init: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """rho(s, a) = sum_t gamma^t p(s_t = s, a_t = a) of a stationary policy, by GMRES.

    The state visitation d = sum_t gamma^t p(s_t) solves (I - gamma P_pi^T) d = p_0 and
    rho = d pi, as in :func:`softrl.inference.occupancy` (whose ``"direct"`` sparse LU does not
    scale: its fill-in on a 10^5-state Garnet is dense).  Here GMRES works on a compiled
    gather over P^T; without terminal states the left eigenvector 1 of I - gamma P_pi^T
    (eigenvalue 1 - gamma) is deflated, B = (I - gamma P_pi^T) + gamma (1/S) 1 1^T with the
    right-hand side p_0 + gamma / (1 - gamma) (1/S) 1 (1^T p_0), which has the same solution
    since 1^T d = 1 / (1 - gamma).  Terminal states take no action and are not left.

    Parameters
    ----------
    mdp : FiniteMDP
        Infinite horizon, gamma < 1 or terminal states.
    policy : (S, A)
        pi(a|s), rows on the simplex.
    initial : (S,), optional
        p_0; defaults to ``mdp.initial``.
    tol : float > 0
        Relative 2-norm residual of the linear system.
    d_init : (S,), optional
        Warm start of d (e.g. the visitation at a nearby policy).

    Returns
    -------
    rho : (S, A)
    d : (S,)
        The discounted state visitation (also counting the mass resting in terminal states).

    Examples
    --------
    >>> from softrl.envs import garnet
    >>> mdp = garnet(500, 3, 4, seed=0)
    >>> rho, d = discounted_occupancy(mdp, soft_value_iteration(mdp).policy)
    >>> bool(abs(rho.sum() - 1 / (1 - mdp.gamma)) < 1e-6)
    True
    """
    from softrl.mdp.validation import check_policy, check_probability_vector

    if not isinstance(mdp, FiniteMDP):
        raise MDPValidationError(f"mdp: expected a FiniteMDP, got {type(mdp).__name__}.")
    if mdp.horizon is not None:
        raise MDPValidationError(
            f"horizon: discounted_occupancy is for an infinite horizon, got horizon="
            f"{mdp.horizon}; use softrl.inference.occupancy for a finite one."
        )
    if mdp.gamma == 1.0 and not mdp.terminal.any():
        raise MDPValidationError("gamma: infinite-horizon occupancy with gamma = 1 diverges.")
    if isinstance(tol, bool) or not isinstance(tol, float | int) or not tol > 0:
        raise MDPValidationError(f"tol: must be a positive float, got {tol!r}.")
    n_states, n_actions = mdp.shape
    pi = check_policy(policy, n_states, n_actions)
    pi = np.ascontiguousarray(np.where(mdp.terminal[:, None], 0.0, pi))
    p0 = mdp.initial if initial is None else check_probability_vector(initial, n_states,
                                                                      "initial")  # fmt: skip
    x0 = None
    if d_init is not None:
        x0 = np.asarray(d_init, dtype=np.float64)
        if x0.shape != (n_states,) or not np.all(np.isfinite(x0)):
            raise MDPValidationError(f"d_init: expected a finite ({n_states},) array.")
    gamma = mdp.gamma
    deflate = gamma < 1.0 and not mdp.terminal.any()
    rhs = p0 + (gamma / (1.0 - gamma)) * p0.sum() / n_states if deflate else p0.copy()
    PT = mdp.transitions_T
    pi_flat = pi.ravel()
    scratch = np.empty(n_states)

    def matvec(x: np.ndarray) -> np.ndarray:
        x = np.ravel(x)
        _visitation_matvec(PT.indptr, PT.indices, PT.data, pi_flat, n_actions, gamma, x,
                           scratch)  # fmt: skip
        out = scratch.copy()
        if deflate:
            out += gamma * x.sum() / n_states
        return out

    operator = spla.LinearOperator((n_states, n_states), matvec=matvec, dtype=np.float64)
    d, info = spla.gmres(operator, rhs, x0=x0, rtol=float(tol), atol=0.0,
                         restart=min(_RESTART, n_states), maxiter=10 * _MAX_CYCLES)  # fmt: skip
    if info > 0:
        warnings.warn(
            f"discounted_occupancy: GMRES stopped above tol={tol:g} after {info} iterations; "
            f"raise tol.",
            RuntimeWarning,
            stacklevel=2,
        )
    return d[:, None] * pi, d


def _check_reward(reward, mdp: FiniteMDP) -> np.ndarray:
    r = np.asarray(reward, dtype=np.float64)
    if r.shape != mdp.shape or not np.all(np.isfinite(r)):
        raise MDPValidationError(
            f"reward: expected a finite {mdp.shape} array r(s, a), got shape {r.shape}."
        )
    return np.where(mdp.terminal[:, None], 0.0, r)


def _check_arguments(mdp, temperature, backup, method, tol, max_iter, V_init) -> tuple:
    temperature = check_temperature(temperature)
    if not isinstance(mdp, FiniteMDP):
        raise MDPValidationError(f"mdp: expected a FiniteMDP, got {type(mdp).__name__}.")
    if backup not in ("variational", "optimistic"):
        raise MDPValidationError(f"backup: must be 'variational' or 'optimistic', got {backup!r}.")
    if backup == "optimistic" and temperature == 0:
        raise MDPValidationError("backup: 'optimistic' needs temperature > 0.")
    if method not in SOLVER_METHODS:
        raise MDPValidationError(f"method: must be one of {SOLVER_METHODS}, got {method!r}.")
    if method == "policy_iteration" and backup != "variational":
        raise MDPValidationError(
            "method: 'policy_iteration' needs backup='variational' (the optimistic backup's "
            "Jacobian is a tilted transition matrix); use method='extrapolated'."
        )
    if isinstance(tol, bool) or not isinstance(tol, float | int) or not tol > 0:
        raise MDPValidationError(f"tol: must be a positive float, got {tol!r}.")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 1:
        raise MDPValidationError(f"max_iter: must be a positive int, got {max_iter!r}.")
    if mdp.horizon is not None:
        raise MDPValidationError(
            f"horizon: soft_value_iteration solves the infinite-horizon problem, got an MDP "
            f"with horizon={mdp.horizon}; use mdp.replace(horizon=None), or soft_backward "
            f"for a finite horizon."
        )
    if mdp.gamma == 1.0 and not mdp.terminal.any():
        raise MDPValidationError(
            "gamma: an infinite horizon with gamma = 1 and no terminal states diverges; set "
            "gamma < 1 or mark terminal states."
        )
    n_states = mdp.n_states
    V = np.zeros(n_states)
    if V_init is not None:
        v = np.asarray(V_init, dtype=np.float64)
        if v.shape != (n_states,) or not np.all(np.isfinite(v)):
            raise MDPValidationError(
                f"V_init: expected a finite ({n_states},) array, got shape {v.shape}."
            )
        V[:] = v
        V[mdp.terminal] = 0.0
    return temperature, float(tol), int(max_iter), V


def soft_value_iteration(
    mdp: FiniteMDP,
    temperature: float = 1.0,
    backup: Literal["variational", "optimistic"] = "variational",
    action_prior: np.ndarray | None = None,
    method: Method = "extrapolated",
    tol: float = 1e-10,
    max_iter: int = 10_000,
    V_init: np.ndarray | None = None,
    reward: np.ndarray | None = None,
) -> SolverSolution:
    """Solve the infinite-horizon soft Bellman equation V = T V to ||T V - V||_inf <= ``tol``.

    The fixed point is the one of :func:`softrl.inference.soft_backward` with ``horizon=None``;
    the methods (module docstring) differ in cost only: ``"extrapolated"`` (value iteration
    with the MacQueen-Porteus bounds, the default), ``"value_iteration"`` (plain) and
    ``"policy_iteration"`` (soft policy iteration: Newton with GMRES, variational backup).
    Memory beyond the MDP: Q (S, A), a few (S,) vectors, and for ``"policy_iteration"`` pi
    (S, A) plus 30 Krylov vectors (S,).

    Parameters
    ----------
    mdp : FiniteMDP
        With ``horizon=None`` and gamma < 1 (or terminal states).
    temperature : float >= 0
        T of p(O | s, a) = exp(r(s, a) / T); 0 is hard value / policy iteration.
    backup : "variational" (default) or "optimistic"
        E[V(s')] or T log E exp(V(s') / T) (not with ``"policy_iteration"``).
    action_prior : None, (A,) or (S, A)
        p(a|s), folded into the reward as r + T log p(a|s).
    method : "extrapolated", "value_iteration" or "policy_iteration"
    tol : float > 0
        Stop when ||T V_k - V_k||_inf <= tol (the test of ``soft_backward``).
    max_iter : int >= 1
        Most backups (Newton steps for ``"policy_iteration"``); a RuntimeWarning if reached.
    V_init : (S,), optional
        Starting values (default 0), e.g. the solution at a nearby reward.
    reward : (S, A), optional
        r(s, a) to use instead of ``mdp.reward`` (0 at terminal states), without building a
        new FiniteMDP (whose validation reads all of P): for loops over rewards, as in IRL.

    Returns
    -------
    SolverSolution
        Q (S, A), V (S,) = T V_k, ``iterations`` (backups), ``residual`` ||T V_k - V_k||,
        ``matvecs`` (Krylov products of ``"policy_iteration"``).

    Examples
    --------
    >>> from softrl.envs import garnet
    >>> sol = soft_value_iteration(garnet(1000, 5, 5, seed=0), temperature=1.0, tol=1e-8)
    >>> sol.residual <= 1e-8, sol.iterations < 100
    (True, True)
    """
    temperature, tol, max_iter, V = _check_arguments(
        mdp, temperature, backup, method, tol, max_iter, V_init
    )
    n_states, n_actions = mdp.shape
    r = mdp.reward if reward is None else _check_reward(reward, mdp)
    reward = np.ascontiguousarray(fold_action_prior(r, action_prior, temperature))
    gamma = mdp.gamma
    shift = gamma / (1.0 - gamma) if gamma < 1.0 and not mdp.terminal.any() else 0.0
    extrapolate = method == "extrapolated" and shift > 0.0
    Q = np.empty((1, n_states, n_actions))
    V_cur = V[None]
    V_next = np.empty((1, n_states))
    newton = _NewtonStep(mdp, temperature, shift) if method == "policy_iteration" else None
    residual = np.inf
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        backup_pass(mdp, reward, V_cur, temperature, backup, None, Q, V_next)
        lo, hi = _residual_range(V_next[0], V_cur[0])
        residual = max(-lo, hi)
        if not math.isfinite(residual):
            raise MDPValidationError(
                "soft_value_iteration diverged (non-finite values); check gamma and the rewards."
            )
        if residual <= tol:
            break
        if newton is not None:
            V_cur[0] += newton(Q[0], V_next[0], V_next[0] - V_cur[0], residual)
        elif extrapolate:
            np.add(V_next, shift * 0.5 * (lo + hi), out=V_cur)
        else:
            V_cur, V_next = V_next, V_cur
    if residual > tol:
        warn_not_converged(max_iter, residual, tol)
    return SolverSolution(
        Q[0], V_next[0], temperature, backup, iterations, residual, None, method,
        0 if newton is None else newton.matvecs,
    )  # fmt: skip


class _NewtonStep:
    """delta solving (I - gamma P_pi) delta = d by GMRES, pi the soft-max policy of Q.

    The product gamma P_pi x is the engine's policy-evaluation backup at T = 0 with zero
    reward, V(s) = sum_a pi(a|s) gamma E_{s'}[x(s')] (its prefetching gather: 4x a plain
    loop on a 10^6-state Garnet).
    """

    def __init__(self, mdp: FiniteMDP, temperature: float, shift: float) -> None:
        self.mdp = mdp
        self.temperature = temperature
        self.shift = shift  # gamma / (1 - gamma) when the constant vector can be deflated
        self.pi = np.empty((1, *mdp.shape))
        self.zero_reward = np.zeros(mdp.shape)
        self.matvecs = 0

    def __call__(self, Q: np.ndarray, V: np.ndarray, d: np.ndarray, residual: float
                 ) -> np.ndarray:
        mdp, pi = self.mdp, self.pi
        _soft_policy(Q, V, self.temperature, mdp.terminal, pi[0])
        n = mdp.n_states
        Q_scratch = np.empty((1, *mdp.shape))
        P_pi_x = np.empty((1, n))
        shift = self.shift

        def precondition(z: np.ndarray) -> np.ndarray:  # M z = z + gamma/(1-gamma) mean(z) 1
            return z + shift * z.mean() if shift > 0.0 else z

        def matvec(z: np.ndarray) -> np.ndarray:
            self.matvecs += 1
            x = np.ascontiguousarray(precondition(np.ravel(z)))
            backup_pass(mdp, self.zero_reward, x[None], 0.0, "variational", pi, Q_scratch,
                        P_pi_x)  # fmt: skip
            return x - P_pi_x[0]

        operator = spla.LinearOperator((n, n), matvec=matvec, dtype=np.float64)
        # Inexact Newton: a relative accuracy that tightens with the residual keeps the
        # quadratic convergence without over-solving the first, far-off steps.
        rtol = min(1e-2, max(residual, 1e-14))
        z, _ = spla.gmres(operator, d, x0=d.copy(), rtol=rtol, atol=0.0,
                          restart=min(_RESTART, n), maxiter=_MAX_CYCLES)  # fmt: skip
        return precondition(z)
