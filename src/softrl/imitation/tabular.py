"""The hybrid objective on a finite MDP, exactly (seed 004):

    J_lambda(theta) = E_pi[sum_t gamma^t r_t] + lambda (1/|D|) sum_{(s,a) in D} log pi(a|s)

for a tabular softmax policy pi_theta(a|s) = softmax(theta[s]). The expected return is
p_0^T V with V = (I - gamma P_pi)^{-1} r_pi solved densely in float64 (terminal states have
value 0), so autograd gives the exact gradient; use it to study lambda and its schedule where
no sampling noise blurs the picture.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from softrl.demos import Demonstrations

__all__ = ["demo_counts", "exact_return", "hybrid_objective"]


def exact_return(mdp: object, logits: Tensor) -> Tensor:
    """E_pi[sum_t gamma^t r(s_t, a_t)] of pi = softmax(logits) (S, A), differentiable.

    Needs a discounted infinite-horizon ``FiniteMDP`` (gamma < 1, or terminal states that are
    reached) small enough for a dense (S, S) solve.
    """
    if getattr(mdp, "horizon", None) is not None:
        raise ValueError("exact_return is for infinite-horizon MDPs (horizon=None)")
    S, A = mdp.shape  # type: ignore[attr-defined]
    if tuple(logits.shape) != (S, A):
        raise ValueError(f"logits must have shape ({S}, {A}); got {tuple(logits.shape)}")
    dt = torch.float64
    P = torch.as_tensor(mdp.dense_transitions(), dtype=dt, device=logits.device)  # type: ignore[attr-defined]
    R = torch.tensor(np.array(mdp.reward, dtype=np.float64).reshape(S, A), device=P.device)  # type: ignore[attr-defined]
    live = torch.tensor((~np.asarray(mdp.terminal)).astype(np.float64), device=P.device)  # type: ignore[attr-defined]
    p0 = torch.tensor(np.array(mdp.initial, dtype=np.float64), device=P.device)  # type: ignore[attr-defined]
    pi = torch.softmax(logits.to(dt), -1)
    P_pi = torch.einsum("sa,sat->st", pi, P) * live[:, None]
    r_pi = (pi * R).sum(-1) * live
    eye = torch.eye(S, dtype=dt, device=P.device)
    V = torch.linalg.solve(eye - mdp.gamma * P_pi, r_pi)  # type: ignore[attr-defined]
    return p0 @ V


def demo_counts(demos: Demonstrations, n_states: int, n_actions: int) -> np.ndarray:
    """N(s, a), the number of times each (s, a) was demonstrated, float64 (S, A)."""
    counts = np.zeros((n_states, n_actions))
    np.add.at(counts, (np.asarray(demos.obs).reshape(-1), np.asarray(demos.actions).reshape(-1)),
              1.0)
    return counts


def hybrid_objective(mdp: object, logits: Tensor, counts: np.ndarray | Tensor,
                     lam: float) -> tuple[Tensor, Tensor, Tensor]:
    """(J_lambda, expected return, mean demo log-likelihood), each differentiable in logits.

    ``counts`` is N(s, a) (:func:`demo_counts`); the imitation term is
    sum N(s,a) log pi(a|s) / sum N.
    """
    n = torch.as_tensor(counts, dtype=torch.float64, device=logits.device)
    ret = exact_return(mdp, logits)
    ll = (n * torch.log_softmax(logits.to(torch.float64), -1)).sum() / n.sum()
    return ret + lam * ll, ret, ll
