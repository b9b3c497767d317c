"""Entropy-regularized policy gradient, actor-critic form (seed 002; Schulman, Chen and Abbeel
2017): the reward becomes r - T log pi(a|s), GAE over it, a critic regressed on the soft
returns, and the gradient of -E[log pi * A] - T E[H(pi)]. Categorical policies for Discrete
actions, Gaussian ones for Box actions (sampled actions are clipped to the bounds by the env
step, the log-density is the unclipped one). The loop is :class:`OnPolicyAgent`'s.

Example
-------
>>> from softrl.agents import EntropyPG
>>> EntropyPG("CartPole-v1", n_envs=8).learn(100_000)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
import torch
from torch import Tensor, nn

from softrl import functional as F
from softrl.agents.config import Interval
from softrl.agents.on_policy import OnPolicyAgent, OnPolicyConfig
from softrl.agents.sac import _adam_impl
from softrl.data import RolloutStorage
from softrl.nn import CategoricalActor, GaussianActor, ValueNetwork
from softrl.training.envs import ActionSpaceError

__all__ = ["EntropyPG", "EntropyPGConfig"]


@dataclass(frozen=True)
class EntropyPGConfig(OnPolicyConfig):
    """Hyperparameters of :class:`EntropyPG` (defaults: Stable-Baselines3's A2C where it has
    one, with minibatch epochs)."""

    learning_rate: float = 7e-4
    """Adam step size of the actor and the critic."""
    n_steps: int = 16
    """Steps per env copy in one rollout."""
    n_epochs: int = 1
    """Passes over each rollout."""
    batch_size: int = 1_000_000
    """Minibatch size (capped at the rollout size: one batch by default, as in A2C)."""
    gae_lambda: float = 1.0
    """GAE lambda."""
    temperature: float = 0.01
    """Entropy weight T >= 0: the reward is r - T log pi(a|s)."""
    value_coef: float = 0.5
    """Weight of the critic's loss."""
    normalize_advantages: bool = False
    """Standardize the advantages of each minibatch."""
    clip_range: float | None = None
    """PPO's ratio clip eps of the policy term (None: the plain policy gradient)."""

    _constraints: ClassVar[dict[str, list[Any]]] = {
        "temperature": [Interval(float, 0, None, closed="left")],
        "value_coef": [Interval(float, 0, None, closed="left")],
        "normalize_advantages": [bool],
        "clip_range": [None, Interval(float, 0, None, closed="neither")],
    }


class EntropyPG(OnPolicyAgent):
    """Entropy-regularized actor-critic for Discrete or Box actions.

    Parameters
    ----------
    env : str, gymnasium.Env or gymnasium.vector.VectorEnv
        Discrete or Box actions; Box or Discrete observations.
    run_dir, tensorboard, eval_env
        See :class:`softrl.agents.Agent`.
    **hyperparameters
        Fields of :class:`EntropyPGConfig`.
    """

    kind: ClassVar[str] = "PG"
    default_env: ClassVar[str] = "CartPole-v1"
    config: EntropyPGConfig
    config_class: ClassVar[type[EntropyPGConfig]] = EntropyPGConfig

    def _check_spaces(self) -> None:
        a, o = self.action_space, self.observation_space
        if not isinstance(o, (gym.spaces.Box, gym.spaces.Discrete)):
            raise ActionSpaceError(f"EntropyPG needs a Box or Discrete observation space; got "
                                   f"{o}. Use gymnasium.wrappers.FlattenObservation.")
        if isinstance(a, gym.spaces.Discrete):
            self.discrete = True
        elif isinstance(a, gym.spaces.Box) and np.all(np.isfinite(a.low)) and np.all(
                np.isfinite(a.high)):
            self.discrete = False
        else:
            raise ActionSpaceError(f"EntropyPG needs a Discrete or a bounded Box action space; "
                                   f"got {a}.")

    def _build(self) -> None:
        c = self.config
        self.actor: nn.Module = (
            CategoricalActor(self.obs_dim, int(self.action_space.n), c.hidden_sizes)
            if self.discrete else
            GaussianActor(self.obs_dim, int(np.prod(self.action_space.shape)), c.hidden_sizes))
        self.critic = ValueNetwork(self.obs_dim, c.hidden_sizes)
        params = [*self.actor.parameters(), *self.critic.parameters()]
        self.optimizer = torch.optim.Adam(params, lr=c.learning_rate, **_adam_impl(self.device))

    # ------------------------------------------------------------------ acting
    def _policy_action(self, obs: Tensor, deterministic: bool,
                       generator: torch.Generator) -> Tensor:
        return self.actor.act(obs, deterministic, generator)

    def _rollout_step(self, obs: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        actions, log_probs = self.actor.sample(obs, self.rngs.torch)
        return actions, log_probs, self.critic(obs)

    def _value(self, obs: Tensor) -> Tensor:
        return self.critic(obs)

    def _to_env_action(self, action: Tensor) -> np.ndarray:
        a = action.detach().cpu().numpy()
        if self.discrete:
            return a
        return np.clip(a, self.action_space.low.reshape(-1), self.action_space.high.reshape(-1))

    def _shape_rewards(self, rewards: Tensor, log_probs: Tensor) -> Tensor:
        return F.soft_rewards(rewards, log_probs, self.config.temperature)

    # ------------------------------------------------------------------ learning
    def train_on_rollout(self, rollout: RolloutStorage) -> dict[str, Tensor]:
        """Epochs of minibatch steps on -E[log pi A] - T E[H] + c E[(V - R)^2]."""
        c = self.config
        for _ in range(c.n_epochs):
            for b in rollout.minibatches(c.batch_size, self.rngs.torch):
                # The current step's -T log pi is replaced by the exact entropy gradient.
                adv = b.advantages + c.temperature * b.log_probs
                if c.normalize_advantages and adv.numel() > 1:
                    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
                policy_loss, value_loss = F.entropy_pg_loss(
                    self.actor.log_prob(b.obs, b.actions), adv, self.actor.entropy(b.obs),
                    self.critic(b.obs), b.returns, c.temperature, c.value_coef,
                    b.log_probs, c.clip_range)
                extra = self._gradient_step(policy_loss + value_loss)
        return {"losses/policy": policy_loss.detach(), "losses/value": value_loss.detach(),
                **{k: v.detach() for k, v in extra.items()}}

    def _gradient_step(self, loss: Tensor) -> dict[str, Tensor]:
        """One Adam step on ``loss`` + :meth:`_extra_losses`, the global gradient norm clipped
        to ``max_grad_norm``; returns the extra losses."""
        extra = self._extra_losses()
        self.optimizer.zero_grad(set_to_none=True)
        sum(extra.values(), loss).backward()
        nn.utils.clip_grad_norm_([p for g in self.optimizer.param_groups for p in g["params"]],
                                 self.config.max_grad_norm)
        self.optimizer.step()
        self.num_updates += 1
        return extra

    def _extra_losses(self) -> dict[str, Tensor]:
        """Further terms added to each minibatch's loss, by name (default: none; e.g. a
        behavior-cloning term on demonstrations)."""
        return {}

    def _modules(self) -> dict[str, nn.Module]:
        return {"actor": self.actor, "critic": self.critic}

    def _optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"optimizer": self.optimizer}
