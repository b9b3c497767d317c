"""The MaxEnt / maximum causal entropy IRL objectives and their exact reward gradients.

All three objectives are computed with one backward pass and one forward pass and return
dL/dr(s, a), the gradient with respect to the reward table; :mod:`softrl.irl.rewards` pulls
it back to the reward parameters.  Demonstration counts are
E_t(s, a) = (1/N) sum_i gamma^t 1[s_t^i = s, a_t^i = a] (see :meth:`Demonstrations.counts`)
and T is the temperature of p(O | s, a) = exp(r(s, a) / T).

``"likelihood"`` (maximum causal entropy, variational backup; Ziebart et al. 2010)
    The exact discounted causal log-likelihood of the demonstrated actions,

        L(r) = (1/N) sum_i sum_t gamma^t log pi_t(a_t^i | s_t^i),
        pi_t(a|s) = exp((Q_t(s, a) - V_t(s)) / T).

    Since dV_t(s)/dr = rho_t(s, .), the discounted occupancy of pi from s at time t,

        T dL/dr = E - sum_t m_t pi_t,
        m_0 = -n_0,  m_{t+1} = gamma P^T (m_t pi_t + E_t) - n_{t+1},

    with n_t(s) = sum_a E_t(s, a): expert counts minus the model's expected counts, forward
    messages started from a signed source (the demonstrated states, minus where the true
    dynamics would have taken them).  With deterministic dynamics and gamma = 1 the source is
    -p^(s_0) and this is exactly ``"dual"``.

``"dual"`` (the MCE dual, concave in linear rewards)
    ell(r) = (1/N) sum_i sum_t gamma^t r(s_t^i, a_t^i) / T - E_{s_0 ~ p^}[V_0(s_0)] / T,
    T d ell/dr = E - E_pi[sum_t gamma^t 1[s_t, a_t]] with s_0 drawn from the demonstrations'
    empirical start distribution p^.  It differs from ``"likelihood"`` by a zero-mean term
    sum_t gamma^{t+1} (E[V_{t+1} | s_t, a_t] - V_{t+1}(s_{t+1})) under stochastic dynamics.

``"trajectory"`` (MaxEnt IRL, optimistic backup; Ziebart et al. 2008)
    The trajectory log-likelihood of p(tau | O) ∝ p(tau) exp(sum_t r(s_t, a_t) / T) up to the
    reward-free terms log p(s_0) + sum_t log p(s_{t+1} | s_t, a_t):
    (1/N) sum_i sum_t r(s_t^i, a_t^i) / T - log Z,  log Z = log sum_s p(s_0 = s) exp(V_0(s)/T),
    T dL/dr = E - sum_t mu_t with mu_t ∝ alpha_t beta_t the posterior marginals (seed 004).
    Needs a finite horizon and gamma = 1 (the graphical model).

The backward passes are the inference engine's (one compiled call for a finite horizon), and
so are the forward passes of ``"dual"`` and ``"trajectory"`` (the marginals of
:mod:`softrl.inference.forward`).  The signed forward pass of ``"likelihood"``, which injects
a new source at every step, is the one IRL-specific kernel
(:func:`softrl.irl._likelihood_pass.likelihood_forward`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from softrl.inference import (
    SoftSolution,
    policy_marginals,
    posterior_marginals,
)
from softrl.inference.backward import Backup, backup_pass
from softrl.irl._likelihood_pass import likelihood_forward
from softrl.irl.demonstrations import Demonstrations
from softrl.mdp import FiniteMDP, MDPValidationError
from softrl.planning.soft import soft_value_iteration

__all__ = ["Objective", "DemoStats", "IRLEvaluation", "demo_stats", "irl_objective",
           "occupancy_stats"]

Objective = Literal["likelihood", "dual", "trajectory"]


@dataclass(frozen=True)
class DemoStats:
    """Demonstration counts precomputed once per fit.

    Attributes
    ----------
    counts : (H, S, A) for a finite horizon, (S, A) otherwise
        E_t(s, a) = (1/N) sum_i gamma^t 1[s_t^i = s, a_t^i = a].
    initial : (S,)
        Empirical start distribution p^(s_0).
    gamma : float
    """

    counts: np.ndarray
    initial: np.ndarray
    gamma: float

    @property
    def total(self) -> np.ndarray:
        """sum_t E_t, shape (S, A)."""
        return self.counts.sum(axis=0) if self.counts.ndim == 3 else self.counts


def demo_stats(mdp: FiniteMDP, demos: Demonstrations) -> DemoStats:
    """Discounted counts of ``demos`` on the time axis of ``mdp`` (finite or infinite horizon)."""
    counts = demos.counts(mdp.n_states, mdp.n_actions, mdp.gamma, horizon=mdp.horizon)
    return DemoStats(counts, demos.initial_distribution(mdp.n_states), mdp.gamma)


def occupancy_stats(mdp: FiniteMDP, occupancy: np.ndarray, allow_states: bool = False
                    ) -> DemoStats:
    """Demonstration statistics from an expert occupancy measure instead of sampled demos.

    Parameters
    ----------
    occupancy : float array
        (S, A): E(s, a) = sum_t gamma^t p(s_t = s, a_t = a) (infinite horizon); (H, S, A):
        gamma^t p(s_t, a_t) per step (finite horizon); (S,): a state visitation, only with
        ``allow_states`` (a state-only reward under the dual objective, which sees the counts
        summed over actions).
    allow_states : bool
        Accept (S,).

    Returns
    -------
    DemoStats
        With the MDP's start distribution.
    """
    from softrl.irl.demonstrations import DemonstrationError
    from softrl.validation import as_float_array

    E = as_float_array(occupancy, "demonstrations", DemonstrationError)
    S, A = mdp.shape
    shapes = [(S, A)] if mdp.horizon is None else [(mdp.horizon, S, A)]
    if allow_states:
        shapes.append((S,))
    if E.shape not in shapes:
        raise DemonstrationError(
            f"demonstrations: an occupancy measure for this MDP must have shape "
            f"{' or '.join(map(str, shapes))}; got {E.shape}"
            + ("" if allow_states else " (a state visitation (S,) needs a state-only reward "
               "and objective='dual')") + "."
        )
    if (E < 0).any():
        raise DemonstrationError("demonstrations: an occupancy measure must be >= 0.")
    if E.ndim == 1:  # the dual with a state-only reward only sees sum_a E(s, a)
        E = np.concatenate([E[:, None], np.zeros((S, A - 1))], axis=1)
        if mdp.horizon is not None:
            raise DemonstrationError("demonstrations: a state visitation (S,) needs an "
                                     "infinite-horizon MDP; give (H, S, A) per-step counts.")
    return DemoStats(E, np.asarray(mdp.initial, dtype=np.float64), mdp.gamma)


@dataclass(frozen=True)
class IRLEvaluation:
    """Objective value and gradient at one reward table.

    Attributes
    ----------
    value : float
        The objective (see the module docstring).
    grad_reward : (S, A)
        dvalue/dr(s, a).
    solution : SoftSolution
        The backward pass at this reward (Q, V; finite or infinite horizon).
    log_policy : (H, S, A) or (S, A)
        log pi(a|s) of the soft policy; uniform on terminal rows (no action is taken there).
    """

    value: float
    grad_reward: np.ndarray
    solution: SoftSolution
    log_policy: np.ndarray

    @property
    def policy(self) -> np.ndarray:
        """pi(a|s), shape like ``log_policy``."""
        return np.exp(self.log_policy)


def check_objective(mdp: FiniteMDP, objective: str, backup: str) -> None:
    """Raise unless ``objective`` and ``backup`` fit each other and ``mdp``."""
    expected = {"likelihood": "variational", "dual": "variational", "trajectory": "optimistic"}
    if objective not in expected:
        raise MDPValidationError(
            f"objective: must be 'likelihood', 'dual' or 'trajectory', got {objective!r}."
        )
    if backup != expected[objective]:
        raise MDPValidationError(
            f"backup: objective {objective!r} uses the {expected[objective]!r} backup, got "
            f"{backup!r}."
        )
    if objective == "trajectory" and (mdp.horizon is None or mdp.gamma != 1.0):
        raise MDPValidationError(
            "MaxEnt IRL (optimistic backup, trajectory likelihood) is defined for a finite "
            f"horizon and gamma = 1 (got horizon={mdp.horizon}, gamma={mdp.gamma}); use "
            "MaxCausalEntIRL (variational backup) for a discounted or infinite-horizon MDP."
        )


def irl_objective(
    mdp: FiniteMDP,
    reward: np.ndarray,
    stats: DemoStats,
    temperature: float = 1.0,
    objective: Objective = "likelihood",
    V_init: np.ndarray | None = None,
) -> IRLEvaluation:
    """Value and exact reward gradient of an IRL objective (see the module docstring).

    Parameters
    ----------
    mdp : FiniteMDP
        Dynamics, p(s_0), gamma and horizon; its own reward is ignored.
    reward : (S, A)
        The reward table r(s, a) at which to evaluate.
    stats : DemoStats
        From :func:`demo_stats` on the same MDP.
    temperature : float > 0
    objective : "likelihood", "dual" or "trajectory"
    V_init : (S,), optional
        Warm start of the infinite-horizon value iteration (e.g. the previous V).

    Returns
    -------
    IRLEvaluation
    """
    if not temperature > 0:
        raise MDPValidationError(f"temperature: must be > 0 for IRL, got {temperature!r}.")
    reward = np.ascontiguousarray(reward, dtype=np.float64)
    if objective == "trajectory":
        return _trajectory(mdp, reward, stats, temperature)
    if mdp.horizon is None:
        return _stationary(mdp, reward, stats, temperature, objective, V_init)
    return _finite(mdp, reward, stats, temperature, objective)


def _finite_backward(
    mdp: FiniteMDP, reward: np.ndarray, T: float, backup: Backup
) -> tuple[SoftSolution, np.ndarray]:
    """Finite-horizon soft backward pass, one compiled engine call: (solution, log pi).

    ``solution.pi`` is the soft-max policy the engine writes (uniform on terminal rows);
    log pi = (Q - V) / T, set uniform on terminal rows.  Since the engine's V is
    max_a Q + T log sum_a exp((Q - max_a Q) / T), its rows sum to 1 to rounding, without the
    exp and log per entry of a renormalising pass.
    """
    H = mdp.horizon
    assert H is not None
    S, A = mdp.shape
    Q = np.empty((H, S, A))
    V = np.zeros((H + 1, S))
    pi = np.empty((H, S, A))
    backup_pass(mdp, reward, V[1:], T, backup, None, Q, V[:-1], pi_out=pi)
    log_pi = (Q - V[:-1, :, None]) / T
    log_pi[:, mdp.terminal] = -np.log(A)
    return SoftSolution(Q, V, T, backup, H, 0.0, pi), log_pi


def _finite(
    mdp: FiniteMDP, reward: np.ndarray, stats: DemoStats, T: float, objective: Objective
) -> IRLEvaluation:
    sol, log_pi = _finite_backward(mdp, reward, T, "variational")
    assert sol.pi is not None
    E = stats.counts
    if objective == "likelihood":
        PT = mdp.transitions_T
        grad = np.empty(mdp.shape)
        value = likelihood_forward(
            PT.indptr, PT.indices, PT.data, log_pi, sol.pi, mdp.terminal, E, mdp.gamma, grad
        )
    else:
        # m_t = -gamma^t d_t with d the marginals of pi from the empirical start distribution.
        total = stats.total
        model = policy_marginals(mdp, sol.pi, initial=stats.initial).visitation(mdp.gamma)
        grad = total - model
        value = float(np.vdot(total, reward) - stats.initial @ sol.V[0]) / T
    return IRLEvaluation(float(value), grad / T, sol, log_pi)


def _stationary(
    mdp: FiniteMDP,
    reward: np.ndarray,
    stats: DemoStats,
    T: float,
    objective: Objective,
    V_init: np.ndarray | None,
) -> IRLEvaluation:
    # The infinite-horizon fixed point of soft_backward, by the extrapolated solver (15-30
    # backups on mixing MDPs instead of ~log(tol) / log(gamma)), without re-validating P.
    sol = soft_value_iteration(mdp, T, "variational", reward=reward, V_init=V_init, tol=1e-10)
    S, A = mdp.shape
    live = (~mdp.terminal)[:, None]
    log_pi = np.where(live, (sol.Q - sol.V[:, None]) / T, -np.log(A))
    pi = np.where(live, np.exp(log_pi), 0.0)
    E = stats.counts
    if objective == "likelihood":
        # c = sum_t c_t = gamma P^T E - n: where the dynamics took the demonstrations, minus
        # where they were.
        c = mdp.gamma * (mdp.transitions_T @ E.ravel()) - E.sum(axis=1)
    else:
        c = -stats.initial
    d = _discounted_visitation(mdp, pi, c)
    grad = E + d[:, None] * pi
    if objective == "likelihood":
        value = float(np.vdot(E, log_pi))
    else:
        value = float(np.vdot(E, reward) - stats.initial @ sol.V) / T
    return IRLEvaluation(value, grad / T, sol, log_pi)


def _discounted_visitation(mdp: FiniteMDP, pi: np.ndarray, source: np.ndarray) -> np.ndarray:
    """d = (I - gamma P_pi^T)^{-1} source for a signed source (S,); pi zero on terminals."""
    S, A = mdp.shape
    rows = np.repeat(np.arange(S), A)
    Pi = sp.csr_matrix((pi.ravel(), (rows, np.arange(S * A))), shape=(S, S * A))
    P_pi = (Pi @ mdp.transitions).tocsr()
    system = (sp.identity(S, format="csr") - mdp.gamma * P_pi.T).tocsc()
    return np.asarray(spla.spsolve(system, source), dtype=np.float64)


def _trajectory(mdp: FiniteMDP, reward: np.ndarray, stats: DemoStats, T: float) -> IRLEvaluation:
    sol, log_pi = _finite_backward(mdp, reward, T, "optimistic")
    mu = posterior_marginals(mdp, sol).state_action.sum(axis=0)
    with np.errstate(divide="ignore"):
        log_z = float(np.logaddexp.reduce(np.log(mdp.initial) + sol.V[0] / T))
    total = stats.total
    value = float(np.vdot(total, reward)) / T - log_z
    return IRLEvaluation(value, (total - mu) / T, sol, log_pi)
