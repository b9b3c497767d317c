"""Rollout storage for on-policy agents: T steps of N env copies, then advantages and
minibatches."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import torch
from torch import Tensor

from softrl.functional.returns import gae

__all__ = ["RolloutBatch", "RolloutStorage"]


class RolloutBatch(NamedTuple):
    """A minibatch of rollout steps, flattened over time and env copies (leading size B)."""

    obs: Tensor
    """Observations s_t, (B, obs_dim)."""
    actions: Tensor
    """Actions a_t, (B, *action_shape) (int64 for discrete actions)."""
    log_probs: Tensor
    """log pi_old(a_t|s_t) under the policy that acted, (B,)."""
    values: Tensor
    """V_old(s_t), (B,)."""
    advantages: Tensor
    """GAE advantages, (B,)."""
    returns: Tensor
    """lambda-returns (critic targets), (B,)."""


class RolloutStorage:
    """Preallocated (T, N) tensors of one rollout.

    ``next_values`` holds V(s_{t+1}) of the real next state: the value of the following row
    inside an episode, the value of the final observation at a truncation (so returns bootstrap
    through time limits) and anything at a termination (it is multiplied by 0).

    Parameters
    ----------
    n_steps, n_envs : int
        T and N.
    obs_dim : int
        Width of the flat observations.
    action_shape : tuple of int
        Shape of one action (``()`` for discrete actions, stored as int64).
    discrete : bool
        Integer actions.
    device : torch.device
        Where the tensors live.
    """

    def __init__(self, n_steps: int, n_envs: int, obs_dim: int, action_shape: tuple[int, ...],
                 discrete: bool, device: torch.device) -> None:
        t, n = n_steps, n_envs
        self.n_steps, self.n_envs = t, n
        self.obs = torch.zeros(t, n, obs_dim, device=device)
        self.actions = torch.zeros(t, n, *action_shape, device=device,
                                   dtype=torch.int64 if discrete else torch.float32)
        self.log_probs, self.rewards, self.values, self.next_values, self.terminated, \
            self.ended = (torch.zeros(t, n, device=device) for _ in range(6))
        self.advantages = torch.zeros(t, n, device=device)
        self.returns = torch.zeros(t, n, device=device)
        self.pos = 0

    def add(self, obs: Tensor, actions: Tensor, log_probs: Tensor, rewards: Tensor,
            values: Tensor, terminated: Tensor, ended: Tensor) -> None:
        """Store step t for every copy (each argument has leading size N)."""
        t = self.pos
        self.obs[t], self.actions[t], self.log_probs[t] = obs, actions, log_probs
        self.rewards[t], self.values[t] = rewards, values
        self.terminated[t], self.ended[t] = terminated, ended
        self.pos += 1

    def compute_returns_and_advantages(self, last_values: Tensor,
                                       truncation_values: dict[tuple[int, int], float],
                                       gamma: float, gae_lambda: float) -> None:
        """Fill ``next_values`` and run :func:`softrl.functional.gae`.

        Parameters
        ----------
        last_values : Tensor, shape (N,)
            V of the observation after the last step (used where that step did not end).
        truncation_values : dict
            ``{(t, i): V(final observation)}`` for the steps cut by a time limit.
        gamma, gae_lambda : float
            Discount and GAE lambda.
        """
        if self.pos != self.n_steps:
            raise RuntimeError(f"the rollout holds {self.pos} of its {self.n_steps} steps; add "
                               "every step before computing returns")
        self.next_values[:-1] = self.values[1:]
        self.next_values[-1] = last_values
        for (t, i), v in truncation_values.items():
            self.next_values[t, i] = v
        self.advantages, self.returns = gae(self.rewards, self.values, self.next_values,
                                            self.terminated, self.ended, gamma, gae_lambda)

    def minibatches(self, batch_size: int, generator: torch.Generator) -> Iterator[RolloutBatch]:
        """Shuffled minibatches over the T*N steps (the last one may be smaller)."""
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int; got {batch_size!r}")
        total = self.n_steps * self.n_envs
        order = torch.randperm(total, generator=generator, device=generator.device)
        flat = RolloutBatch(self.obs.flatten(0, 1), self.actions.flatten(0, 1),
                            self.log_probs.flatten(), self.values.flatten(),
                            self.advantages.flatten(), self.returns.flatten())
        for start in range(0, total, batch_size):
            idx = order[start:start + batch_size].to(self.obs.device)
            yield RolloutBatch(*(x.index_select(0, idx) for x in flat))

    def reset(self) -> None:
        """Start a new rollout (the tensors are overwritten in place)."""
        self.pos = 0
