"""Soft Actor-Critic (Haarnoja et al. 2018) for Gymnasium environments with Box actions.

Default form ("Soft Actor-Critic Algorithms and Applications", https://arxiv.org/abs/1812.05905):
twin Q networks with Polyak-averaged targets, a tanh-squashed Gaussian policy and a temperature
learned toward a target entropy of -dim(A). ``variant="v_network"`` is the original form
(Algorithm 1 of https://arxiv.org/abs/1801.01290): a state-value network V_psi with a Polyak
target, twin Q networks regressed on r + gamma * Vbar(s'), and the same policy.

Every gradient step evaluates all losses at the current parameters, backpropagates their sum
once and takes one Adam step for all networks: the losses touch disjoint parameters (targets
are constants and the actor loss sees the critic's parameters as constants), so this equals
separate optimizers stepping on the same batch.

The loop (acting, replay, logging, checkpoints, callbacks) is :class:`OffPolicyAgent`'s; this
file is SAC's networks and its update.

Example
-------
>>> from softrl.agents import SAC
>>> agent = SAC("Pendulum-v1", seed=0).learn(20_000)  # doctest: +SKIP
>>> agent.evaluate(n_episodes=10)["mean_return"]       # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import torch
from torch import Tensor, nn

from softrl import functional as F
from softrl.agents.config import Interval, StrOptions
from softrl.agents.off_policy import OffPolicyAgent, OffPolicyConfig
from softrl.agents.temperature import Temperature
from softrl.data import ReplayBatch
from softrl.nn import QEnsemble, SquashedGaussianActor, ValueNetwork
from softrl.training.envs import check_continuous_spaces

Variant = Literal["twin_q", "v_network"]

__all__ = ["SAC", "SACConfig", "make_config"]


@dataclass(frozen=True)
class SACConfig(OffPolicyConfig):
    """Hyperparameters of :class:`SAC` (defaults: Stable-Baselines3's SAC defaults)."""

    temperature: float | Literal["auto"] = "auto"
    """Entropy weight: "auto" learns it toward target_entropy, a float fixes it."""
    initial_temperature: float = 1.0
    """Starting temperature when temperature="auto"."""
    target_entropy: float | None = None
    """Entropy target for temperature="auto"; None means -dim(A)."""
    variant: Variant = "twin_q"
    """"twin_q": twin Q with target Qs (current SAC); "v_network": V_psi + target V (seed 001)."""

    _constraints: ClassVar[dict[str, list[Any]]] = {
        "temperature": [StrOptions({"auto"}), Interval(float, 0, None, closed="left")],
        "initial_temperature": [Interval(float, 0, None, closed="neither")],
        "target_entropy": [None, Interval(float, None, None, closed="neither")],
        "variant": [StrOptions({"twin_q", "v_network"})],
    }


def make_config(**hyperparameters: Any) -> SACConfig:
    """Build and validate a :class:`SACConfig`; unknown names raise ValueError with suggestions."""
    from softrl.agents.config import make_config as _make

    return _make(SACConfig, "SAC", **hyperparameters)


class SAC(OffPolicyAgent):
    """Soft Actor-Critic with a Stable-Baselines3-style interface.

    Parameters
    ----------
    env : str, gymnasium.Env or gymnasium.vector.VectorEnv
        Its action space must be a Box with finite bounds, its observation space a Box.
    run_dir, tensorboard, eval_env
        See :class:`softrl.agents.Agent`.
    **hyperparameters
        Fields of :class:`SACConfig`.
    """

    kind: ClassVar[str] = "SAC"
    config: SACConfig
    config_class: ClassVar[type[SACConfig]] = SACConfig

    def _check_spaces(self) -> None:
        self.obs_dim, self.action_dim = check_continuous_spaces(
            self.action_space, self.observation_space, "SAC")
        self.action_low = torch.as_tensor(self.action_space.low.reshape(-1), dtype=torch.float32)
        self.action_high = torch.as_tensor(self.action_space.high.reshape(-1),
                                           dtype=torch.float32)

    def _build(self) -> None:
        c, o, a = self.config, self.obs_dim, self.action_dim
        # Networks: policy, twin critics as one batched network, and the targets.
        self.actor = SquashedGaussianActor(o, a, c.hidden_sizes)
        self.critic = QEnsemble(o, a, c.hidden_sizes, n_members=2)
        self.critic_target: QEnsemble | None = None
        self.value: ValueNetwork | None = None
        self.value_target: ValueNetwork | None = None
        if c.variant == "twin_q":
            self.critic_target = _frozen_copy(self.critic, QEnsemble(o, a, c.hidden_sizes, 2))
        else:
            self.value = ValueNetwork(o, c.hidden_sizes)
            self.value_target = _frozen_copy(self.value, ValueNetwork(o, c.hidden_sizes))

        # Temperature: learned in log space toward target_entropy, or fixed.
        self.target_entropy = float(-a) if c.target_entropy is None else float(c.target_entropy)
        self.temperature = Temperature(c.temperature, c.initial_temperature,
                                       self.target_entropy, self.device)
        self.learn_temperature = self.temperature.learn
        self.log_temperature = self.temperature.log_temperature
        self.to(self.device)
        params = [*self.actor.parameters(), *self.critic.parameters()]
        if self.value is not None:
            params += list(self.value.parameters())
        if self.learn_temperature:
            params.append(self.log_temperature)
        self.optimizer = torch.optim.Adam(params, lr=c.learning_rate, **_adam_impl(self.device))
        online, target = (self.critic, self.critic_target) if self.critic_target is not None \
            else (self.value, self.value_target)
        assert online is not None and target is not None
        self._target_pairs = (list(target.parameters()), list(online.parameters()))

    def train_step(self, batch: ReplayBatch) -> dict[str, Tensor]:
        """One gradient step on all networks from one batch; returns the losses (tensors)."""
        c = self.config
        obs, actions, rewards, next_obs, terminated = batch[:5]
        temperature = self.temperature()
        gen = self.rngs.torch

        # Policy sample at s, shared by the actor, temperature (and V target) losses.
        a_pi, log_prob = self.actor.sample(obs, gen)
        q_pi = self.critic(obs, a_pi, detach_params=True)  # gradients reach the actor only
        losses = {"losses/actor": F.actor_loss(q_pi, log_prob, temperature)}

        if self.critic_target is not None:  # twin Q with target Q networks
            with torch.no_grad():
                next_a, next_log_prob = self.actor.sample(next_obs, gen)
                next_q = self.critic_target(next_obs, next_a)
                y = F.soft_q_target(rewards, terminated, next_q, next_log_prob, temperature,
                                    c.gamma)
        else:  # V network: J_V toward min Q - T log pi, J_Q toward r + gamma Vbar(s')
            assert self.value is not None and self.value_target is not None
            v_target = F.soft_v_target(q_pi, log_prob, temperature)
            losses["losses/value"] = F.value_loss(self.value(obs), v_target)
            with torch.no_grad():
                y = F.q_target_from_value(rewards, terminated, self.value_target(next_obs),
                                          c.gamma)
        losses["losses/critic"] = F.critic_loss(self.critic(obs, actions), y)
        if self.learn_temperature:
            losses["losses/temperature"] = self.temperature.loss(log_prob)
        losses.update(self._extra_losses(batch))

        self.optimizer.zero_grad(set_to_none=True)
        torch.stack(list(losses.values())).sum().backward()
        self.optimizer.step()
        self.num_updates += 1
        if self.num_updates % c.target_update_interval == 0:
            F.polyak_update(*self._target_pairs, c.tau)
        return {k: v.detach() for k, v in losses.items()}

    def _extra_losses(self, batch: ReplayBatch) -> dict[str, Tensor]:
        """Further terms added to the step's sum of losses, by name (default: none; e.g. a
        behavior-cloning term on the demonstration rows of the batch)."""
        return {}

    # ------------------------------------------------------------------ acting
    def _policy_action(self, obs: Tensor, deterministic: bool,
                       generator: torch.Generator) -> Tensor:
        return self.actor.act(obs, deterministic, generator)

    def _random_action(self) -> Tensor:
        return 2.0 * torch.rand((self.n_envs, self.action_dim), generator=self.rngs.torch,
                                device=self.device) - 1.0

    def _to_env_action(self, action: Tensor) -> np.ndarray:
        """Map actions in (-1, 1) to the env's [low, high] as float32 numpy."""
        a = action.detach().cpu()
        return (self.action_low + 0.5 * (a + 1.0) * (self.action_high - self.action_low)).numpy()

    # ------------------------------------------------------------------ state
    def _modules(self) -> dict[str, nn.Module]:
        nets: dict[str, nn.Module | None] = {
            "actor": self.actor, "critic": self.critic, "critic_target": self.critic_target,
            "value": self.value, "value_target": self.value_target,
            "temperature": self.temperature,
        }
        return {k: v for k, v in nets.items() if v is not None}

    def _networks(self) -> dict[str, nn.Module]:
        return self._modules()

    def _optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"optimizer": self.optimizer}

    def _log_values(self) -> dict[str, float]:
        return {"charts/temperature": self.temperature().item(), **super()._log_values()}


def _frozen_copy(source: nn.Module, target: nn.Module) -> nn.Module:
    """``target`` with ``source``'s parameters, excluded from gradients (a target network)."""
    target.load_state_dict(source.state_dict())
    target.requires_grad_(False)
    return target


def _adam_impl(device: torch.device) -> dict[str, bool]:
    """Fused Adam where torch has it for ``device`` (one kernel over all parameters)."""
    return {"fused": True} if device.type in ("cpu", "cuda") else {"foreach": True}
