"""The off-policy base: act, store the transition in a replay buffer, take gradient steps.

One iteration of the loop is one vector env step followed, once ``learning_starts`` steps have
been collected and every ``train_freq`` iterations, by ``gradient_steps`` calls of the agent's
``train_step(batch)`` on batches drawn uniformly from the buffer. Target networks are updated
by the agent (``softrl.functional.polyak_update``) inside its step. An off-policy agent defines
its networks (``_build``, ``_modules``, ``_optimizers``), ``_policy_action`` and
``train_step``; it may override ``_exploration_action`` (actions while acting in the
environment, default: the stochastic policy) and ``_random_action`` (before
``learning_starts``, default: uniform over the action space, from the agent's generator).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
import torch
from torch import Tensor

from softrl.agents.base import Agent
from softrl.agents.config import AgentConfig, Interval, NonNegInt, PositiveInt
from softrl.data import ReplayBuffer
from softrl.training.envs import check_continuous_spaces

__all__ = ["OffPolicyAgent", "OffPolicyConfig"]


@dataclass(frozen=True)
class OffPolicyConfig(AgentConfig):
    """Hyperparameters of every off-policy agent (defaults: Stable-Baselines3's)."""

    buffer_size: int = 1_000_000
    """Replay buffer capacity in transitions."""
    batch_size: int = 256
    """Transitions per gradient step."""
    tau: float = 0.005
    """Polyak coefficient of the target networks, in (0, 1]."""
    learning_starts: int = 100
    """Environment steps with uniformly random actions before the first gradient step."""
    train_freq: int = 1
    """Loop iterations (vector env steps) between training phases."""
    gradient_steps: int = 1
    """Gradient steps per training phase."""
    target_update_interval: int = 1
    """Gradient steps between target-network updates."""

    _constraints: ClassVar[dict[str, list[Any]]] = {
        "buffer_size": [PositiveInt],
        "batch_size": [PositiveInt],
        "tau": [Interval(float, 0, 1, closed="right")],
        "learning_starts": [NonNegInt],
        "train_freq": [PositiveInt],
        "gradient_steps": [PositiveInt],
        "target_update_interval": [PositiveInt],
    }

    def validate(self, owner: str) -> None:
        super().validate(owner)
        if self.batch_size > self.buffer_size:
            raise ValueError(f"The 'batch_size' parameter of {owner} must be <= buffer_size "
                             f"({self.buffer_size}). Got {self.batch_size!r} instead.")


class BoundedBoxActions:
    """For agents that squash their actions into a Box with finite bounds (SAC, SQL): checks
    the spaces and keeps the bounds as float32 tensors ``action_low``, ``action_high``."""

    def _check_spaces(self) -> None:
        self.obs_dim, self.action_dim = check_continuous_spaces(
            self.action_space, self.observation_space, self.kind)
        self.action_low = torch.as_tensor(self.action_space.low.reshape(-1), dtype=torch.float32)
        self.action_high = torch.as_tensor(self.action_space.high.reshape(-1),
                                           dtype=torch.float32)


class OffPolicyAgent(Agent):
    """Base of replay-buffer agents (SAC, soft Q-learning, ...)."""

    config: OffPolicyConfig
    config_class: ClassVar[type[AgentConfig]] = OffPolicyConfig

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.buffer = self._make_buffer()
        self._iterations = 0

    # ------------------------------------------------------------------ for subclasses
    def train_step(self, batch: Any) -> dict[str, Tensor]:
        """One gradient step on a replay batch; returns the losses (detached tensors)."""
        raise TypeError(f"{type(self).__name__} must define train_step(batch)")

    def _make_buffer(self) -> ReplayBuffer:
        """The replay buffer (override to declare extra per-transition fields)."""
        return ReplayBuffer(self.config.buffer_size, self.obs_dim, self._buffer_action_dim(),
                            self.device, discrete_actions=self._discrete_actions())

    def _discrete_actions(self) -> bool:
        return isinstance(self.action_space, gym.spaces.Discrete)

    def _buffer_action_dim(self) -> int:
        return 1 if self._discrete_actions() else int(np.prod(self.action_space.shape))

    def _transition_extras(self, step: Any, keep: np.ndarray) -> dict[str, np.ndarray]:
        """Values of the buffer's extra fields for the stored transitions ``step[keep]``
        (override with :meth:`_make_buffer`; e.g. bootstrap masks)."""
        return {}

    def _random_action(self) -> Tensor:
        """Uniform actions for every env copy, from the agent's torch generator."""
        space, gen = self.action_space, self.rngs.torch
        if isinstance(space, gym.spaces.Discrete):
            return torch.randint(int(space.n), (self.n_envs,), generator=gen,
                                 device=self.device)
        low = torch.as_tensor(space.low.reshape(-1), device=self.device)
        high = torch.as_tensor(space.high.reshape(-1), device=self.device)
        u = torch.rand((self.n_envs, low.numel()), generator=gen, device=self.device)
        return low + u * (high - low)

    def _exploration_action(self, obs: Tensor) -> Tensor:
        """Actions taken in the environment during training (default: a policy sample)."""
        return self._policy_action(obs, False, self.rngs.torch)

    # ------------------------------------------------------------------ the loop
    def _train_iteration(self) -> None:
        c = self.config
        self._collect_step()
        self._iterations += 1
        if self.num_steps > c.learning_starts and self._iterations % c.train_freq == 0:
            with self._flushing():
                self._train_phase(c.gradient_steps)
                if self.exploration is not None:
                    self._update_exploration(c.gradient_steps)

    def _update_exploration(self, steps: int) -> None:
        """Train the exploration bonus on ``steps`` replay batches of its own."""
        for _ in range(steps):
            batch = self.buffer.sample(self.config.batch_size, self.rngs.torch)
            self._last_losses = {**self._last_losses, **self.exploration.update(batch)}

    def _train_phase(self, gradient_steps: int) -> None:
        """One training phase: ``gradient_steps`` times a replay batch and :meth:`train_step`.

        Agents may override it to share work across the phase (SoftQ evaluates its target
        network once for all the batches drawn before the next target update).
        """
        for _ in range(gradient_steps):
            self._last_losses = self.train_step(
                self.buffer.sample(self.config.batch_size, self.rngs.torch))

    def _collect_step(self) -> None:
        """Act in every env copy, store the transitions, book finished episodes."""
        obs = self.collector.observations(self.rngs.np)
        if self.num_steps < self.config.learning_starts:
            actions = self._random_action()
        else:
            with torch.inference_mode():
                actions = self._exploration_action(self._obs_tensor(obs))
        step = self.collector.step(
            self._to_env_action(actions).reshape(self.envs.action_space.shape))
        keep = step.valid
        obs_kept, next_kept = self._flat_obs(step.obs)[keep], self._flat_obs(step.next_obs)[keep]
        actions_kept = actions.cpu().numpy().reshape(self.n_envs, -1)[keep]
        rewards = step.rewards[keep]
        if self.exploration is not None:  # r + B(s') is what the buffer stores
            as_t = lambda x: torch.as_tensor(x, device=self.device)  # noqa: E731
            bonus = self._exploration_bonus(as_t(obs_kept), actions[as_t(keep)],
                                            as_t(next_kept))
            rewards = rewards + bonus.cpu().numpy()
        self.buffer.add(obs_kept, actions_kept, rewards, next_kept, step.terminated[keep],
                        **self._transition_extras(step, keep))
        self._record(step)
        self.num_steps += self.n_envs

    def _flat_obs(self, obs: np.ndarray) -> np.ndarray:
        """(N, *obs_shape) -> (N, obs_dim) as stored in the buffer."""
        if isinstance(self.observation_space, gym.spaces.Discrete):
            return self._obs_tensor(obs).cpu().numpy()
        return np.asarray(obs).reshape(self.n_envs, -1)

    # ------------------------------------------------------------------ checkpoints
    def _buffer_states(self) -> dict[str, Any]:
        return {"replay_buffer": self.buffer.state_dict()}

    def _load_buffer_states(self, states: dict[str, Any]) -> None:
        if "replay_buffer" in states:
            self.buffer.load_state_dict(states["replay_buffer"])

    def _meta(self) -> dict[str, Any]:
        return {**super()._meta(), "iterations": self._iterations}

    def _load_states(self, states: dict[str, Any], meta: dict[str, Any]) -> None:
        super()._load_states(states, meta)
        self._iterations = int(meta.get("iterations", self.num_steps // self.n_envs))
