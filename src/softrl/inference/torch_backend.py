"""The soft backward pass in torch, for GPUs: the same equations as ``backward.py``.

Q = r + gamma * backup[V'] with a sparse CSR mat-vec, V = T logsumexp_a(Q / T).  The optimistic
backup uses one global shift, T log E exp(V'/T) = m + T log E exp((V' - m)/T), and recomputes
exactly (per-row max) only the rows whose sum underflows, like the numba kernel.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch

from softrl._numerics import TINY
from softrl.inference.solution import Backup, SoftSolution, warn_not_converged
from softrl.mdp.finite import FiniteMDP

__all__ = ["TorchMDP", "soft_bellman_step_torch", "soft_backward_torch"]

_TINY = TINY


@dataclass(frozen=True)
class TorchMDP:
    """The arrays of a FiniteMDP as torch tensors on one device.

    P is a sparse CSR tensor (S*A, S) with int32 indices when they fit (fewer bytes per
    backup); ``reward`` (S, A); ``terminal`` (S,) bool.
    """

    P: torch.Tensor
    reward: torch.Tensor
    terminal: torch.Tensor
    gamma: float
    n_states: int
    n_actions: int

    @classmethod
    def from_mdp(
        cls, mdp: FiniteMDP, device: str | torch.device = "cpu", dtype=torch.float64
    ) -> TorchMDP:
        """Copy ``mdp`` to ``device`` (float64 by default; float32 halves the bytes moved)."""
        Pm = mdp.transitions
        index = torch.int32 if Pm.nnz < 2**31 else torch.int64
        crow = torch.tensor(Pm.indptr, dtype=index, device=device)
        cols = torch.tensor(Pm.indices, dtype=index, device=device)
        vals = torch.tensor(Pm.data, dtype=dtype, device=device)
        with warnings.catch_warnings():  # "sparse CSR support is in beta"
            warnings.simplefilter("ignore", UserWarning)
            P = torch.sparse_csr_tensor(crow, cols, vals, size=Pm.shape, check_invariants=False)
        return cls(
            P,
            torch.tensor(mdp.reward, dtype=dtype, device=device),
            torch.tensor(mdp.terminal, device=device),
            mdp.gamma, mdp.n_states, mdp.n_actions,
        )  # fmt: skip

    def entry_rows(self) -> torch.Tensor:
        """(nnz,) int64: the row s*A + a of each stored probability."""
        crow = self.P.crow_indices().long()
        rows = torch.arange(crow.numel() - 1, device=crow.device)
        return torch.repeat_interleave(rows, torch.diff(crow))


def soft_bellman_step_torch(
    tm: TorchMDP,
    reward: torch.Tensor,
    V_next: torch.Tensor,
    temperature: float,
    backup: Backup = "variational",
) -> tuple[torch.Tensor, torch.Tensor]:
    """One backup on the device: returns (Q (S, A), V (S,)); T = 0 is the hard max."""
    S, A = tm.n_states, tm.n_actions
    if backup == "optimistic":
        vmax = V_next.max()
        acc = tm.P @ torch.exp((V_next - vmax) / temperature)
        nxt = vmax + temperature * torch.log(acc)
        low = acc < _TINY
        if bool(low.any()):
            # Exact per-row log-sum-exp for the rows whose successors sit far below vmax.
            rows = tm.entry_rows()
            v = V_next[tm.P.col_indices().long()]
            m = torch.full((S * A,), -torch.inf, dtype=v.dtype, device=v.device)
            m = m.scatter_reduce(0, rows, v, reduce="amax")
            terms = tm.P.values() * torch.exp((v - m[rows]) / temperature)
            exact = m + temperature * torch.log(torch.zeros_like(m).index_add_(0, rows, terms))
            nxt = torch.where(low, exact, nxt)
    else:
        nxt = tm.P @ V_next
    Q = reward + tm.gamma * nxt.view(S, A)
    if temperature == 0.0:
        V = Q.max(dim=1).values
    else:
        V = temperature * torch.logsumexp(Q / temperature, dim=1)
    Q = torch.where(tm.terminal[:, None], torch.zeros_like(Q), Q)
    V = torch.where(tm.terminal, torch.zeros_like(V), V)
    return Q, V


def soft_backward_torch(
    mdp: FiniteMDP,
    reward: np.ndarray,
    V_terminal: np.ndarray,
    temperature: float,
    backup: Backup,
    horizon: int | None,
    tol: float,
    max_iter: int,
    device: str | torch.device,
    dtype=torch.float64,
) -> SoftSolution:
    """The loop of ``soft_backward(..., device=...)`` on a torch device, inputs validated.

    ``reward`` (S, A) has the action prior folded in.  The infinite-horizon loop reads its
    stopping rule every 16 backups, so the device is not synchronised after each one.
    """
    tm = TorchMDP.from_mdp(mdp, device, dtype)
    r = torch.tensor(reward, dtype=dtype, device=device)
    V = torch.tensor(V_terminal, dtype=dtype, device=device)
    S, A = mdp.shape
    if horizon is not None:
        Qs = torch.empty((horizon, S, A), dtype=dtype, device=device)
        Vs = torch.empty((horizon + 1, S), dtype=dtype, device=device)
        Vs[horizon] = V
        for t in range(horizon - 1, -1, -1):
            Qs[t], Vs[t] = soft_bellman_step_torch(tm, r, Vs[t + 1], temperature, backup)
        return SoftSolution(Qs.cpu().numpy(), Vs.cpu().numpy(), temperature, backup, horizon, 0.0)
    residual, it = float("inf"), 0
    while it < max_iter:
        it += 1
        Q, V_new = soft_bellman_step_torch(tm, r, V, temperature, backup)
        if it % 16 == 0 or it == max_iter:
            residual = float((V_new - V).abs().max())
        V = V_new
        if residual <= tol:
            break
    if residual > tol:
        warn_not_converged(max_iter, residual, tol)
    return SoftSolution(Q.cpu().numpy(), V.cpu().numpy(), temperature, backup, it, residual)
