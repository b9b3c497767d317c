"""The on-policy base: collect ``n_steps`` from every env copy, compute GAE advantages, then
let the agent update on the rollout (several epochs of minibatches, if it likes).

An on-policy agent defines its networks (``_build``, ``_modules``, ``_optimizers``),
``_policy_action``, ``_rollout_step(obs) -> (actions, log_probs, values)`` (a policy sample
with its log-density and the critic's value), ``_value(obs)`` and
``train_on_rollout(storage)``. Time-limit truncations are bootstrapped with the value of the
real final observation; terminations are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
import torch
from torch import Tensor

from softrl.agents.base import Agent
from softrl.agents.config import AgentConfig, Interval, PositiveInt
from softrl.data import ReplayBatch, RolloutStorage

__all__ = ["OnPolicyAgent", "OnPolicyConfig"]


@dataclass(frozen=True)
class OnPolicyConfig(AgentConfig):
    """Hyperparameters of every on-policy agent."""

    n_steps: int = 128
    """Steps per env copy in one rollout."""
    n_epochs: int = 4
    """Passes over each rollout."""
    batch_size: int = 64
    """Minibatch size (steps) within an epoch."""
    gae_lambda: float = 0.95
    """GAE lambda in [0, 1] (1: Monte-Carlo returns, 0: one-step TD)."""
    hidden_sizes: tuple[int, ...] = (64, 64)
    """Hidden layer widths of every network."""
    max_grad_norm: float = 0.5
    """Gradient-norm clip per update, for agents that clip (a large value disables it)."""

    _constraints: ClassVar[dict[str, list[Any]]] = {
        "n_steps": [PositiveInt],
        "n_epochs": [PositiveInt],
        "batch_size": [PositiveInt],
        "gae_lambda": [Interval(float, 0, 1, closed="both")],
        "max_grad_norm": [Interval(float, 0, None, closed="neither")],
    }


class OnPolicyAgent(Agent):
    """Base of rollout agents (entropy-regularized policy gradient, actor-critic, ...)."""

    config: OnPolicyConfig
    config_class: ClassVar[type[AgentConfig]] = OnPolicyConfig

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.collector.next_step_autoreset:
            raise ValueError("on-policy agents need a same-step autoreset vector env; build it "
                             "with gymnasium.make_vec(..., vector_kwargs={'autoreset_mode': "
                             "gymnasium.vector.AutoresetMode.SAME_STEP}) or pass an env id")
        discrete = isinstance(self.action_space, gym.spaces.Discrete)
        self.rollout = RolloutStorage(self.config.n_steps, self.n_envs, self.obs_dim,
                                      () if discrete else tuple(self.action_space.shape),
                                      discrete, self.device)

    # ------------------------------------------------------------------ for subclasses
    def _rollout_step(self, obs: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(actions, log pi(a|s), V(s)) for a batch of observations, sampled with
        ``self.rngs.torch``."""
        raise TypeError(f"{type(self).__name__} must define _rollout_step")

    def _value(self, obs: Tensor) -> Tensor:
        """V(s) for a batch of observations, (B,)."""
        raise TypeError(f"{type(self).__name__} must define _value")

    def _shape_rewards(self, rewards: Tensor, log_probs: Tensor) -> Tensor:
        """The reward the returns are built from (default: r as is; entropy-regularized
        agents return r - T log pi(a|s))."""
        return rewards

    def train_on_rollout(self, rollout: RolloutStorage) -> dict[str, Tensor]:
        """Update from a full rollout with advantages; returns the losses (detached)."""
        raise TypeError(f"{type(self).__name__} must define train_on_rollout")

    # ------------------------------------------------------------------ the loop
    def _train_iteration(self) -> None:
        c, rollout = self.config, self.rollout
        rollout.reset()
        truncation_values: dict[tuple[int, int], float] = {}
        for t in range(c.n_steps):
            obs = self._obs_tensor(self.collector.observations(self.rngs.np))
            with torch.inference_mode():
                actions, log_probs, values = self._rollout_step(obs)
            step = self.collector.step(
                self._to_env_action(actions).reshape(self.envs.action_space.shape))
            ended = np.logical_or(step.terminated, step.truncated)
            cut = np.flatnonzero(step.truncated & ~step.terminated)
            if cut.size:
                with torch.inference_mode():
                    v_final = self._value(self._obs_tensor(step.next_obs[cut]))
                truncation_values.update({(t, int(i)): float(v) for i, v in zip(cut, v_final,
                                                                               strict=True)})
            as_t = lambda x: torch.as_tensor(np.asarray(x, np.float32), device=self.device)  # noqa: E731
            rewards = as_t(step.rewards)
            if self.exploration is not None:  # r + B(s') enters the returns
                next_obs = self._obs_tensor(step.next_obs)
                rewards = rewards + self._exploration_bonus(obs, actions, next_obs)
                transitions = ReplayBatch(obs, actions, rewards, next_obs, as_t(step.terminated))
                with self._flushing():
                    update = self.exploration.update(transitions)
                self._last_losses = {**self._last_losses, **update}
            rollout.add(obs, actions, log_probs, self._shape_rewards(rewards, log_probs),
                        values, as_t(step.terminated), as_t(ended))
            self._record(step)
            self.num_steps += self.n_envs
        with torch.inference_mode():
            last = self._value(self._obs_tensor(self.collector.observations(self.rngs.np)))
        rollout.compute_returns_and_advantages(last, truncation_values, c.gamma, c.gae_lambda)
        with self._flushing():
            losses = self.train_on_rollout(rollout)
        self._last_losses = {**self._last_losses, **losses} if self.exploration else losses
