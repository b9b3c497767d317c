"""Value networks: Q ensembles over (s, a), state values, and Q(s, .) for discrete actions."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from softrl.nn.mlp import EnsembleMLP, mlp

__all__ = ["DiscreteQNetwork", "QEnsemble", "ValueNetwork"]


class QEnsemble(nn.Module):
    """Q_i(s, a) for i = 1..E as one batched network on the concatenation [s, a].

    Parameters
    ----------
    obs_dim, action_dim : int
        Observation and action sizes.
    hidden_sizes : sequence of int
        Hidden widths.
    n_members : int
        Number of Q heads E (2 for twin critics).
    """

    def __init__(
        self, obs_dim: int, action_dim: int, hidden_sizes: Sequence[int], n_members: int = 2
    ) -> None:
        super().__init__()
        self.net = EnsembleMLP(n_members, obs_dim + action_dim, hidden_sizes, 1)

    def forward(self, obs: Tensor, action: Tensor, detach_params: bool = False) -> Tensor:
        """(B, obs_dim), (B, action_dim) -> Q values of shape (E, B)."""
        return self.net(torch.cat([obs, action], dim=-1), detach_params).squeeze(-1)


class ValueNetwork(nn.Module):
    """State value V_psi(s) as an MLP (the V network of the original SAC, on-policy critics).

    Parameters
    ----------
    obs_dim : int
        Observation size.
    hidden_sizes : sequence of int
        Hidden widths.
    """

    def __init__(self, obs_dim: int, hidden_sizes: Sequence[int]) -> None:
        super().__init__()
        self.net = mlp(obs_dim, hidden_sizes, 1)

    def forward(self, obs: Tensor) -> Tensor:
        """(B, obs_dim) -> (B,)."""
        return self.net(obs).squeeze(-1)


class DiscreteQNetwork(nn.Module):
    """Q(s, .) over A discrete actions, one head or an ensemble of E heads (bootstrapped Q).

    Parameters
    ----------
    obs_dim, n_actions : int
        Observation size and number of actions A.
    hidden_sizes : sequence of int
        Hidden widths.
    n_members : int
        1: an MLP returning (B, A). E > 1: a batched ensemble returning (E, B, A).
    """

    def __init__(self, obs_dim: int, n_actions: int, hidden_sizes: Sequence[int],
                 n_members: int = 1) -> None:
        super().__init__()
        if isinstance(n_members, bool) or not isinstance(n_members, int) or n_members < 1:
            raise ValueError(f"n_members must be a positive int; got {n_members!r}")
        self.n_members = n_members
        self.net: nn.Module = (mlp(obs_dim, hidden_sizes, n_actions) if n_members == 1
                               else EnsembleMLP(n_members, obs_dim, hidden_sizes, n_actions))

    def forward(self, obs: Tensor) -> Tensor:
        """(B, obs_dim) -> (B, A), or (E, B, A) for an ensemble."""
        return self.net(obs)
