"""Result types of the exact engine, in one module that every backend returns.

``SoftSolution`` (Q, V, the policy) comes out of the numba backward pass
(:mod:`softrl.inference.backward`) and the torch one (:mod:`softrl.inference.torch_backend`),
which therefore import this module and not each other.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from softrl.inference.kernels import policy_from_q

__all__ = ["Backup", "SoftSolution", "log_policy_from_q", "warn_not_converged"]

Backup = Literal["variational", "optimistic"]


@dataclass(frozen=True)
class SoftSolution:
    """Result of a backward pass.

    Attributes
    ----------
    Q : (H, S, A) for a finite horizon, (S, A) for an infinite one
        Soft Q = T log beta(s, a) (reward with the action prior folded in).
    V : (H + 1, S) for a finite horizon (V[H] is the terminal value), (S,) otherwise
        Soft V = T log beta(s).
    temperature : float
    backup : "variational" or "optimistic"
    iterations : int, backups performed
    residual : float, sup-norm change of V at the last iteration (0 for a finite horizon)
    pi : like Q or None
        The policy exp((Q - V) / T) when the backward pass wrote it (finite horizon, T > 0,
        from the exponentials of its soft max); ``policy`` returns it read-only, without a
        copy (``.copy()`` for a writable one).  None: ``policy`` computes it from Q and V.
    """

    Q: np.ndarray
    V: np.ndarray
    temperature: float
    backup: str
    iterations: int
    residual: float
    pi: np.ndarray | None = field(default=None, repr=False)

    @property
    def finite_horizon(self) -> bool:
        """True when Q is time-indexed (H, S, A)."""
        return self.Q.ndim == 3

    @property
    def log_policy(self) -> np.ndarray:
        """log pi(a|s) = (Q - V) / T, shape like Q; at T = 0 the greedy policy (ties split)."""
        return log_policy_from_q(self.Q, self._V_of_Q, self.temperature)

    @property
    def policy(self) -> np.ndarray:
        """pi(a|s) = exp((Q - V) / T), shape like Q (each row renormalised to sum to 1).

        When the backward pass wrote the policy (``pi``), this is that array, read-only;
        otherwise a new array."""
        if self.pi is not None:  # the backward pass's own array, read-only (no copy)
            view = self.pi.view()
            view.flags.writeable = False
            return view
        if self.temperature == 0:
            return np.exp(self.log_policy)
        return _policy_from_q(self.Q, self._V_of_Q, self.temperature, log=False)

    @property
    def _V_of_Q(self) -> np.ndarray:
        """V aligned with Q: V[:-1] for a finite horizon."""
        return self.V[:-1] if self.finite_horizon else self.V


def log_policy_from_q(Q: np.ndarray, V: np.ndarray, temperature: float) -> np.ndarray:
    """log pi(a|s) = (Q(s,a) - V(s)) / T; for T = 0, log of the greedy policy, ties split evenly.

    Q : (..., S, A), V : (..., S).  Rows of terminal states (Q = V = 0) come out uniform.
    """
    if temperature > 0:
        # Renormalised over a (one compiled pass) so that each row is a distribution.
        return _policy_from_q(Q, V, temperature, log=True)
    best = Q.max(axis=-1, keepdims=True)
    is_best = Q >= best - 1e-12 * np.maximum(1.0, np.abs(best))
    with np.errstate(divide="ignore"):
        return np.log(is_best / is_best.sum(axis=-1, keepdims=True))


def _policy_from_q(Q: np.ndarray, V: np.ndarray, temperature: float, log: bool) -> np.ndarray:
    """log pi (``log=True``) or pi of a soft Q at temperature > 0, shape like Q."""
    n_actions = Q.shape[-1]
    Q2 = np.ascontiguousarray(Q, dtype=np.float64).reshape(-1, n_actions)
    V1 = np.ascontiguousarray(V, dtype=np.float64).reshape(-1)
    out = np.empty(Q2.shape)
    skip = np.empty((0, n_actions))
    policy_from_q(Q2, V1, 1.0 / temperature, out if log else skip, skip if log else out)
    return out.reshape(Q.shape)



def warn_not_converged(max_iter: int, residual: float, tol: float) -> None:
    """RuntimeWarning: the infinite-horizon iteration stopped at max_iter above tol."""
    warnings.warn(
        f"soft_backward: no convergence in max_iter={max_iter} backups (residual "
        f"{residual:.3g} > tol={tol:g}); raise max_iter or tol.",
        RuntimeWarning,
        stacklevel=3,
    )
