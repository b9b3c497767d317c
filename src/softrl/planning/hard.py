"""Hard planning: policy evaluation, value iteration, policy iteration (the T -> 0 limit).

Value iteration is the soft backward pass at temperature 0 (V = max_a Q); policy evaluation
solves V = r_pi + gamma P_pi V, exactly by a sparse LU solve or by iterating the backup.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from softrl.inference.backward import soft_backward, soft_bellman_step
from softrl.mdp.finite import FiniteMDP
from softrl.mdp.validation import MDPValidationError, check_policy, check_temperature


@dataclass(frozen=True)
class PlanningResult:
    """V (S,) or (H + 1, S), Q (S, A) or (H, S, A), a deterministic policy, and diagnostics.

    ``policy`` holds greedy actions: (S,) or (H, S) int64 (ties broken toward the lowest index).
    """

    V: np.ndarray
    Q: np.ndarray
    policy: np.ndarray
    iterations: int
    residual: float

    @property
    def policy_matrix(self) -> np.ndarray:
        """The greedy policy as one-hot pi(a|s), shape like Q."""
        return np.eye(self.Q.shape[-1])[self.policy]


def greedy_policy(Q: np.ndarray) -> np.ndarray:
    """pi(s) = argmax_a Q(s, a), shape Q.shape[:-1], ties toward the lowest action index."""
    return np.argmax(Q, axis=-1)


def value_iteration(
    mdp: FiniteMDP, tol: float = 1e-10, max_iter: int = 100_000, horizon: int | None = None
) -> PlanningResult:
    """V(s) = max_a [r(s,a) + gamma E V(s')], iterated to a sup-norm change below ``tol``.

    With a finite ``horizon`` (or ``mdp.horizon``) it is backward induction over H steps.
    """
    sol = soft_backward(mdp, 0.0, "variational", horizon=horizon, tol=tol, max_iter=max_iter)
    return PlanningResult(sol.V, sol.Q, greedy_policy(sol.Q), sol.iterations, sol.residual)


def policy_evaluation(
    mdp: FiniteMDP,
    policy: np.ndarray,
    temperature: float = 0.0,
    method: str = "direct",
    tol: float = 1e-10,
    max_iter: int = 100_000,
) -> tuple[np.ndarray, np.ndarray]:
    """V^pi and Q^pi of a stationary policy, with an optional entropy bonus T H(pi(.|s)).

    V = r_pi + T H(pi) + gamma P_pi V (the soft policy evaluation of seed 003 when T > 0).
    ``method="direct"`` solves the sparse linear system; ``"iterative"`` iterates the backup to
    ``tol``.  For a finite ``mdp.horizon`` this is backward induction (``method`` is ignored).
    ``policy``: (S, A) probabilities or (S,) int actions.  Returns (V (S,), Q (S, A)).
    """
    temperature = check_temperature(temperature)
    pi = check_policy(policy, mdp.n_states, mdp.n_actions)
    if mdp.horizon is not None or method == "iterative":
        sol = soft_backward(mdp, temperature, policy=pi, tol=tol, max_iter=max_iter)
        V = sol.V[0] if sol.finite_horizon else sol.V
        Q = sol.Q[0] if sol.finite_horizon else sol.Q
        return V, Q
    if method != "direct":
        raise MDPValidationError(f"method: must be 'direct' or 'iterative', got {method!r}.")
    if mdp.gamma == 1.0 and not mdp.terminal.any():
        raise MDPValidationError("gamma: policy evaluation with gamma = 1 needs terminal states.")
    live = ~mdp.terminal
    r_pi = np.einsum("sa,sa->s", pi, mdp.reward)
    if temperature > 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            r_pi -= temperature * np.where(pi > 0, pi * np.log(pi), 0.0).sum(axis=1)
    r_pi[~live] = 0.0
    P_pi = sp.diags(live.astype(np.float64)) @ mdp.policy_transitions(pi)
    A_mat = sp.identity(mdp.n_states, format="csc") - mdp.gamma * P_pi.tocsc()
    V = spla.spsolve(A_mat.tocsc(), r_pi)
    Q, _ = soft_bellman_step(mdp, mdp.reward, V, 0.0)
    return V, Q


def policy_iteration(mdp: FiniteMDP, max_iter: int = 1_000) -> PlanningResult:
    """Alternate exact policy evaluation and greedy improvement until the policy is stable."""
    if mdp.horizon is not None:
        raise MDPValidationError("horizon: policy_iteration is for infinite-horizon MDPs.")
    actions = np.zeros(mdp.n_states, dtype=np.int64)
    for it in range(1, max_iter + 1):
        V, Q = policy_evaluation(mdp, actions)
        best = Q.max(axis=1)
        # Keep the current action when it is still (numerically) greedy: no cycling on ties.
        current = Q[np.arange(mdp.n_states), actions]
        keep = current >= best - 1e-10 * np.maximum(1.0, np.abs(best))
        new = np.where(keep, actions, greedy_policy(Q))
        if np.array_equal(new, actions):
            return PlanningResult(V, Q, actions, it, 0.0)
        actions = new
    raise MDPValidationError(f"max_iter: policy iteration did not stabilise in {max_iter} steps.")
