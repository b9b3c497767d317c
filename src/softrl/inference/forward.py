"""Forward messages, state and state-action marginals, occupancy and feature counts.

Terminal states are absorbing: mass that reaches one stays there (so each state marginal sums
to 1) but takes no action there (the state-action marginals of terminal states are 0, like the
reward collected in them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from softrl.inference.backward import SoftSolution, backup_pass, fold_action_prior
from softrl.inference.kernels import forward_pass, log_propagate, propagate
from softrl.mdp.finite import FiniteMDP
from softrl.mdp.validation import (
    MDPValidationError,
    check_horizon,
    check_policy,
    check_probability_vector,
    check_temperature,
)

__all__ = [
    "Marginals",
    "policy_marginals",
    "posterior_marginals",
    "forward_messages",
    "occupancy",
    "expected_feature_counts",
]


@dataclass(frozen=True)
class Marginals:
    """p(s_t) and p(s_t, a_t) over a finite horizon.

    Attributes
    ----------
    state : (H + 1, S), p(s_t = s) for t = 0..H (terminal mass kept where it was absorbed)
    state_action : (H, S, A), p(s_t = s, a_t = a) for t = 0..H-1 (0 at terminal states)
    """

    state: np.ndarray
    state_action: np.ndarray

    def visitation(self, gamma: float = 1.0) -> np.ndarray:
        """Discounted state-action visitation sum_t gamma^t p(s_t, a_t), shape (S, A)."""
        H = self.state_action.shape[0]
        return np.tensordot(gamma ** np.arange(H), self.state_action, axes=1)


def _initial(mdp: FiniteMDP, initial: np.ndarray | None) -> np.ndarray:
    """p(s_0): ``initial`` checked, or the MDP's own."""
    if initial is None:
        return mdp.initial
    return check_probability_vector(initial, mdp.n_states, "initial")


# Row sums of a policy may be off 1 by this much (as in check_policy, which has the last word).
_POLICY_ATOL = 1e-6


def _forward(
    mdp: FiniteMDP,
    policy: np.ndarray,
    horizon: int,
    initial: np.ndarray,
    V: np.ndarray | None = None,
    temperature: float = 1.0,
) -> Marginals:
    """Roll d_{t+1}(s') = sum_{s,a} d_t(s) pi_t(a|s) p~(s'|s,a) forward; p~ = p unless V given.

    With V (H + 1, S) the dynamics are the optimistic posterior ones,
    p~(s'|s,a) = p(s'|s,a) exp(V_{t+1}(s')/T) / E_{s'} exp(V_{t+1}(s')/T).
    Terminal states act uniformly (their mass loops back to themselves) but take no action.
    """
    PT = mdp.transitions_T
    n_states, n_actions = mdp.shape
    # d, D and the scratch weights in one allocation (see backward._outputs: page faults).
    n_sa = n_states * n_actions
    buf = np.empty((horizon + 1) * n_states + horizon * n_sa + 2 * n_sa)
    d = buf[: (horizon + 1) * n_states].reshape(horizon + 1, n_states)
    D = buf[d.size : d.size + horizon * n_sa].reshape(horizon, n_states, n_actions)
    weight = buf[buf.size - 2 * n_sa :]
    d[0] = initial
    no_tilt = np.empty((1, 0))
    V_arg, tilt = no_tilt, no_tilt
    if V is not None:
        # tilt_t(s, a) = T log E_{s'} exp(V_{t+1}(s') / T): optimistic backups of the given V,
        # zero reward, no discount (0 at terminal states), all H of them in one call.
        tilt3 = np.empty((horizon, n_states, n_actions))
        backup_pass(mdp, np.zeros((n_states, n_actions)), V[1:], temperature, "optimistic",
                    None, tilt3, np.empty((horizon, n_states)), gamma=1.0)  # fmt: skip
        V_arg, tilt = np.ascontiguousarray(V), tilt3.reshape(horizon, n_states * n_actions)
    pol = np.ascontiguousarray(policy if policy.ndim == 3 else policy[None])
    n_bad = forward_pass(
        PT.indptr, PT.indices, PT.data, pol, mdp.terminal, V_arg, tilt,
        1.0 / temperature if temperature > 0 else np.inf, _POLICY_ATOL, d, D, weight,
    )  # fmt: skip
    if n_bad:  # raises, naming the row that is not a distribution
        check_policy(policy, n_states, n_actions, horizon)
    return Marginals(d, D)


def policy_marginals(
    mdp: FiniteMDP,
    policy: np.ndarray,
    horizon: int | None = None,
    initial: np.ndarray | None = None,
) -> Marginals:
    """Marginals of ``policy`` under the true dynamics: d_{t+1} = sum d_t pi_t p.

    Parameters
    ----------
    policy : (S, A) stationary or (H, S, A) time-indexed pi(a|s)
    horizon : int, default ``mdp.horizon`` (or the length of a time-indexed policy)
    initial : (S,), default ``mdp.initial``
    """
    if horizon is None:
        policy_arr = np.asarray(policy)
        horizon = mdp.horizon if policy_arr.ndim != 3 else policy_arr.shape[0]
    horizon = check_horizon(horizon)
    if horizon is None:
        raise MDPValidationError(
            "horizon: policy_marginals needs a finite horizon; use occupancy() for the "
            "discounted infinite-horizon visitation."
        )
    pi = np.asarray(policy)
    if pi.dtype != np.float64 or pi.shape not in ((horizon, *mdp.shape), mdp.shape):
        pi = check_policy(policy, mdp.n_states, mdp.n_actions, horizon)  # converts or raises
    # A float policy of the right shape is checked by the forward kernel on the way.
    return _forward(mdp, pi, horizon, _initial(mdp, initial))


def posterior_marginals(mdp: FiniteMDP, solution: SoftSolution) -> Marginals:
    """p(s_t, a_t | O_{0:H-1}) of a finite-horizon backward pass (seed 001, alpha * beta).

    ``variational``: the posterior keeps the true dynamics and p(s_0), so these are the
    marginals of the soft-optimal policy.  ``optimistic``: the exact posterior, whose initial
    state and dynamics are tilted toward high value: p(s_0|O) ∝ p(s_0) exp(V_0/T) and
    p(s'|s,a,O) ∝ p(s'|s,a) exp(V_{t+1}(s')/T).
    """
    if not solution.finite_horizon:
        raise MDPValidationError("solution: posterior_marginals needs a finite-horizon solution.")
    horizon = solution.Q.shape[0]
    policy = solution.policy
    if solution.backup == "variational":
        return _forward(mdp, policy, horizon, mdp.initial)
    T = solution.temperature
    log_p0 = np.log(np.where(mdp.initial > 0, mdp.initial, 1.0)) + solution.V[0] / T
    log_p0[mdp.initial == 0] = -np.inf
    p0 = np.exp(log_p0 - np.logaddexp.reduce(log_p0))
    return _forward(mdp, policy, horizon, p0, V=solution.V, temperature=T)


def forward_messages(
    mdp: FiniteMDP,
    temperature: float = 1.0,
    action_prior=None,
    horizon: int | None = None,
) -> np.ndarray:
    """log alpha_t(s) = log p(s_t = s, O_{0:t-1}), shape (H + 1, S) (seed 001).

    alpha_0 = p(s_0); alpha_{t+1}(s') = sum_{s,a} p(s'|s,a) exp(r(s,a)/T) p(a|s) alpha_t(s).
    Then p(s_t | O_{0:H-1}) ∝ alpha_t(s) beta_t(s) for every t (beta_t = exp(V_t/T) of the
    optimistic backward pass) and log p(O) = log sum_s alpha_t(s) beta_t(s).
    Needs gamma = 1: the model is the undiscounted graphical model.
    """
    temperature = check_temperature(temperature, allow_zero=False)
    horizon = check_horizon(mdp.horizon if horizon is None else horizon)
    if horizon is None or mdp.gamma != 1.0:
        raise MDPValidationError(
            "forward_messages: the graphical model needs a finite horizon and gamma = 1 "
            f"(got horizon={horizon}, gamma={mdp.gamma})."
        )
    PT = mdp.transitions_T
    n_states, n_actions = mdp.shape
    log_w = fold_action_prior(mdp.reward, action_prior, temperature) / temperature
    # A terminal state passes its mass to itself once (its rows are self-loops): one action.
    log_w[mdp.terminal] = -np.inf
    log_w[mdp.terminal, 0] = 0.0
    log_alpha = np.empty((horizon + 1, n_states))
    with np.errstate(divide="ignore"):
        log_alpha[0] = np.log(mdp.initial)
    for t in range(horizon):
        log_propagate(
            PT.indptr, PT.indices, PT.data, (log_alpha[t][:, None] + log_w).ravel(),
            log_alpha[t + 1],
        )  # fmt: skip
    return log_alpha


def occupancy(
    mdp: FiniteMDP,
    policy: np.ndarray,
    initial: np.ndarray | None = None,
    method: str = "direct",
    tol: float = 1e-12,
    max_iter: int = 100_000,
) -> np.ndarray:
    """Discounted state-action occupancy rho(s, a) = sum_t gamma^t p(s_t = s, a_t = a).

    For a finite ``mdp.horizon`` the sum runs over t < H.  Otherwise rho solves
    (I - gamma P_pi^T) d = p_0 with rho = d * pi: ``method="direct"`` by a sparse LU solve,
    ``"iterative"`` by summing the series to ``tol``.  Returns (S, A).
    """
    p0 = _initial(mdp, initial)
    if mdp.horizon is not None:
        return policy_marginals(mdp, policy, initial=p0).visitation(mdp.gamma)
    pi = check_policy(policy, mdp.n_states, mdp.n_actions)
    pi = np.where((~mdp.terminal)[:, None], pi, 0.0)  # no action, no re-entry, at terminals
    n_states, n_actions = mdp.shape
    if mdp.gamma == 1.0 and not mdp.terminal.any():
        raise MDPValidationError("gamma: infinite-horizon occupancy with gamma = 1 diverges.")
    if method == "direct":
        A_mat = sp.identity(n_states, format="csc") - mdp.gamma * mdp.policy_transitions(pi).T
        d = spla.spsolve(A_mat.tocsc(), p0)
    elif method == "iterative":
        PT = mdp.transitions_T
        d = p0.copy()
        term = p0.copy()
        nxt = np.empty(n_states)
        empty = np.empty(0)
        for _ in range(max_iter):
            propagate(PT.indptr, PT.indices, PT.data, (term[:, None] * pi).ravel(), n_actions,
                      empty, empty, 1.0, nxt)  # fmt: skip
            term = mdp.gamma * nxt
            d += term
            if term.sum() <= tol:
                break
    else:
        raise MDPValidationError(f"method: must be 'direct' or 'iterative', got {method!r}.")
    return d[:, None] * pi


def expected_feature_counts(
    mdp: FiniteMDP, policy: np.ndarray, features: np.ndarray, initial: np.ndarray | None = None
) -> np.ndarray:
    """E_pi[sum_t gamma^t phi(s_t, a_t)] = sum_{s,a} rho(s,a) phi(s,a), shape (F,).

    ``features``: (S, F) state features or (S, A, F) state-action features.
    """
    rho = occupancy(mdp, policy, initial=initial)
    phi = np.asarray(features, dtype=np.float64)
    if phi.ndim == 2 and phi.shape[0] == mdp.n_states:
        return rho.sum(axis=1) @ phi
    if phi.ndim == 3 and phi.shape[:2] == mdp.shape:
        return np.tensordot(rho, phi, axes=2)
    raise MDPValidationError(
        f"features: expected (S, F) or (S, A, F) with S={mdp.n_states}, A={mdp.n_actions}, "
        f"got {phi.shape}."
    )
