"""Preallocated replay buffer returning NamedTuple batches."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor


class ReplayBatch(NamedTuple):
    """A batch of transitions (s, a, r, s', terminated); every field has leading size B."""

    obs: Tensor
    """Observations s, shape (B, obs_dim)."""
    actions: Tensor
    """Actions a, shape (B, action_dim)."""
    rewards: Tensor
    """Rewards r, shape (B,)."""
    next_obs: Tensor
    """Next observations s', shape (B, obs_dim)."""
    terminated: Tensor
    """1.0 where s' is terminal (not merely truncated), shape (B,)."""


class ReplayBuffer:
    """Ring buffer of transitions in one preallocated float32 tensor.

    Each row holds ``[s, a, r, s', terminated]``, so sampling a batch is one random index
    draw and one ``index_select``; the batch fields are column views of that gather.

    Parameters
    ----------
    capacity : int
        Maximum number of transitions; the oldest are overwritten first.
    obs_dim, action_dim : int
        Sizes of the flat observation and action vectors.
    device : str or torch.device
        Where the storage lives (and batches are returned).
    """

    def __init__(
        self, capacity: int, obs_dim: int, action_dim: int, device: str | torch.device = "cpu"
    ) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be a positive integer; got {capacity}")
        self.capacity = int(capacity)
        self.obs_dim = int(obs_dim)
        self.action_dim = int(action_dim)
        self.device = torch.device(device)
        self.width = 2 * self.obs_dim + self.action_dim + 2
        self.data = torch.zeros(self.capacity, self.width, dtype=torch.float32, device=self.device)
        self.pos = 0
        self.size = 0
        o, a = self.obs_dim, self.action_dim
        self._slices = (
            slice(0, o),
            slice(o, o + a),
            o + a,
            slice(o + a + 1, 2 * o + a + 1),
            2 * o + a + 1,
        )

    def __len__(self) -> int:
        return self.size

    def add(
        self,
        obs: np.ndarray | Tensor,
        actions: np.ndarray | Tensor,
        rewards: np.ndarray | Tensor,
        next_obs: np.ndarray | Tensor,
        terminated: np.ndarray | Tensor,
    ) -> None:
        """Append N transitions.

        Parameters
        ----------
        obs, next_obs : array, shape (N, obs_dim)
        actions : array, shape (N, action_dim)
        rewards, terminated : array, shape (N,)
        """
        n = len(rewards)
        rows = np.empty((n, self.width), dtype=np.float32)
        s_obs, s_act, s_rew, s_next, s_term = self._slices
        rows[:, s_obs] = _numpy(obs).reshape(n, self.obs_dim)
        rows[:, s_act] = _numpy(actions).reshape(n, self.action_dim)
        rows[:, s_rew] = _numpy(rewards)
        rows[:, s_next] = _numpy(next_obs).reshape(n, self.obs_dim)
        rows[:, s_term] = _numpy(terminated)
        idx = (self.pos + np.arange(n)) % self.capacity
        if n == 1:
            self.data[self.pos] = torch.from_numpy(rows[0]).to(self.device)
        else:
            self.data[torch.from_numpy(idx).to(self.device)] = torch.from_numpy(rows).to(
                self.device
            )
        self.pos = int((self.pos + n) % self.capacity)
        self.size = min(self.size + n, self.capacity)

    def sample(self, batch_size: int, generator: torch.Generator | None = None) -> ReplayBatch:
        """Draw ``batch_size`` transitions uniformly with replacement.

        Parameters
        ----------
        batch_size : int
            B.
        generator : torch.Generator, optional
            Source of the indices (on the buffer's device).

        Returns
        -------
        ReplayBatch
            Fields of shape (B, ...) on the buffer's device.
        """
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        idx = torch.randint(
            self.size, (batch_size,), generator=generator, device=self.device
        )
        rows = self.data.index_select(0, idx)
        s_obs, s_act, s_rew, s_next, s_term = self._slices
        return ReplayBatch(rows[:, s_obs], rows[:, s_act], rows[:, s_rew], rows[:, s_next],
                           rows[:, s_term])

    def state_dict(self) -> dict[str, Tensor | int]:
        """Filled rows, write position and shape, for ``torch.save``."""
        return {
            "data": self.data[: self.size].cpu().clone(),
            "pos": self.pos,
            "size": self.size,
            "capacity": self.capacity,
            "obs_dim": self.obs_dim,
            "action_dim": self.action_dim,
        }

    def load_state_dict(self, state: dict[str, Tensor | int]) -> None:
        """Restore from :meth:`state_dict`; the shapes must match this buffer's."""
        for key in ("capacity", "obs_dim", "action_dim"):
            if int(state[key]) != getattr(self, key):
                raise ValueError(
                    f"replay buffer {key} mismatch: checkpoint has {int(state[key])}, "
                    f"this buffer {getattr(self, key)}"
                )
        data = state["data"]
        assert isinstance(data, Tensor)
        size = int(state["size"])
        if data.shape != (size, self.width):
            raise ValueError(f"replay buffer data has shape {tuple(data.shape)}, "
                             f"expected {(size, self.width)}")
        self.data.zero_()
        self.data[:size] = data.to(self.device)
        self.size = size
        self.pos = int(state["pos"])


def _numpy(x: np.ndarray | Tensor) -> np.ndarray:
    if isinstance(x, Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)
