"""Soft Q-learning for discrete actions ("soft DQN"; seed 002, Haarnoja et al. 2017).

A Q network regressed on the soft Bellman target y = r + gamma * T log sum_a' exp(Qbar(s',a')/T)
from a target network, acting with the Boltzmann policy pi(a|s) = exp((Q(s,a) - V(s)) / T).
Options: the temperature fixed or learned toward a target entropy; double soft Q (the online
network's Boltzmann policy, evaluated by the target network); the Munchausen term (Vieillard
et al. 2020: add scale * clip(T log pi(a|s), clip_min, 0) to the reward). As T -> 0 it becomes
DQN. The loop is :class:`OffPolicyAgent`'s; this file is the networks and the update.

Example
-------
>>> from softrl.agents import SoftQ
>>> SoftQ("CartPole-v1", temperature=0.01).learn(50_000)  # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import torch
from torch import Tensor, nn

from softrl import functional as F
from softrl.agents.config import Interval, StrOptions
from softrl.agents.off_policy import OffPolicyAgent, OffPolicyConfig
from softrl.agents.sac import _adam_impl
from softrl.agents.temperature import Temperature
from softrl.nn import DiscreteQNetwork
from softrl.nn.manual import (
    clip_grad_norm_,
    relu_mlp_backward,
    relu_mlp_forward,
    relu_mlp_layers,
)
from softrl.training.envs import check_discrete_spaces

__all__ = ["SoftQ", "SoftQConfig"]


@dataclass(frozen=True)
class SoftQConfig(OffPolicyConfig):
    """Hyperparameters of :class:`SoftQ` (defaults: Stable-Baselines3's DQN where it has one)."""

    learning_rate: float = 1e-4
    """Adam step size."""
    buffer_size: int = 1_000_000
    """Replay buffer capacity in transitions."""
    batch_size: int = 32
    """Transitions per gradient step."""
    tau: float = 1.0
    """Polyak coefficient of the target network (1: a hard copy)."""
    train_freq: int = 4
    """Vector env steps between training phases."""
    target_update_interval: int = 2500
    """Gradient steps between target-network updates."""
    hidden_sizes: tuple[int, ...] = (64, 64)
    """Hidden layer widths of the Q network."""
    temperature: float | Literal["auto"] = 0.01
    """Entropy weight T > 0 of the soft max and the Boltzmann policy; "auto" learns it."""
    initial_temperature: float = 1.0
    """Starting temperature when temperature="auto"."""
    target_entropy: float | None = None
    """Entropy target (nats) for temperature="auto"; None means 0.2 * log(A)."""
    double_q: bool = False
    """Evaluate the online network's Boltzmann policy with the target network."""
    munchausen: float = 0.0
    """Scale of the Munchausen term (0: off; the paper uses 0.9)."""
    munchausen_clip: float = -1.0
    """Lower clip l_0 of T log pi in the Munchausen term."""
    max_grad_norm: float = 10.0
    """Gradient-norm clip of each step."""

    _constraints: ClassVar[dict[str, list[Any]]] = {
        "temperature": [StrOptions({"auto"}), Interval(float, 0, None, closed="neither")],
        "initial_temperature": [Interval(float, 0, None, closed="neither")],
        "target_entropy": [None, Interval(float, 0, None, closed="left")],
        "double_q": [bool],
        "munchausen": [Interval(float, 0, 1, closed="both")],
        "munchausen_clip": [Interval(float, None, 0, closed="neither")],
        "max_grad_norm": [Interval(float, 0, None, closed="neither")],
    }


class SoftQ(OffPolicyAgent):
    """Soft Q-learning (soft DQN) for Discrete actions, with a Stable-Baselines3-style interface.

    Parameters
    ----------
    env : str, gymnasium.Env or gymnasium.vector.VectorEnv
        Discrete actions; Box or Discrete observations.
    run_dir, tensorboard, eval_env
        See :class:`softrl.agents.Agent`.
    **hyperparameters
        Fields of :class:`SoftQConfig`.
    """

    kind: ClassVar[str] = "SoftQ"
    default_env: ClassVar[str] = "CartPole-v1"
    config: SoftQConfig
    config_class: ClassVar[type[SoftQConfig]] = SoftQConfig

    def _check_spaces(self) -> None:
        self.obs_dim, self.n_actions = check_discrete_spaces(
            self.action_space, self.observation_space, "SoftQ")

    def _build(self) -> None:
        c = self.config
        self.q = DiscreteQNetwork(self.obs_dim, self.n_actions, c.hidden_sizes)
        self.q_target = DiscreteQNetwork(self.obs_dim, self.n_actions, c.hidden_sizes)
        self.q_target.load_state_dict(self.q.state_dict())
        self.q_target.requires_grad_(False)
        target = 0.2 * math.log(self.n_actions) if c.target_entropy is None else c.target_entropy
        self.temperature = Temperature(c.temperature, c.initial_temperature, target, self.device)
        params = list(self.q.parameters()) + ([self.temperature.log_temperature]
                                              if self.temperature.learn else [])
        self.optimizer = torch.optim.Adam(params, lr=c.learning_rate, **_adam_impl(self.device))

    def train_step(self, batch: Any) -> dict[str, Tensor]:
        """One gradient step on the soft Bellman error of one batch (Huber loss)."""
        c = self.config
        obs, actions, rewards, next_obs, terminated = batch[:5]
        T = self.temperature()
        q_all = self.q(obs)
        q_taken = q_all.gather(-1, actions.unsqueeze(-1)).squeeze(-1)
        with torch.no_grad():
            if c.munchausen > 0:
                rewards = rewards + F.munchausen_bonus(self.q_target(obs), actions, T,
                                                       c.munchausen, c.munchausen_clip)
            y = F.soft_dqn_target(rewards, terminated, self.q_target(next_obs), T, c.gamma,
                                  self.q(next_obs) if c.double_q else None)
        losses = {"losses/q": torch.nn.functional.smooth_l1_loss(q_taken, y)}
        losses.update(self._batch_losses(batch, q_all, q_taken, T))
        if self.temperature.learn:
            log_pi = F.boltzmann_log_policy(q_all.detach(), T)
            expected_log_pi = (log_pi.exp() * log_pi).sum(-1)  # -H(pi(.|s))
            losses["losses/temperature"] = self.temperature.loss(expected_log_pi)
        self.optimizer.zero_grad(set_to_none=True)
        torch.stack(list(losses.values())).sum().backward()
        torch.nn.utils.clip_grad_norm_(self.q.parameters(), c.max_grad_norm)
        self.optimizer.step()
        self.num_updates += 1
        if self.num_updates % c.target_update_interval == 0:
            F.polyak_update(list(self.q_target.parameters()), list(self.q.parameters()), c.tau)
        return {k: v.detach() for k, v in losses.items()}

    def _batch_losses(self, batch: Any, q_all: Tensor, q_taken: Tensor,
                      temperature: Tensor) -> dict[str, Tensor]:
        """Further loss terms of :meth:`train_step` on the same batch, by name, given Q(s, .)
        and Q(s, a) with their graph (default: none; e.g. DQfD's margin loss)."""
        return {}

    def _train_phase(self, gradient_steps: int) -> None:
        """The training phase, sharing the target network's work across it.

        The target network is fixed between two target updates, so Qbar(s', .) (and Qbar(s, .)
        for the Munchausen term) is computed once for all the batches drawn before the next
        update, in one matmul per layer; each gradient step then runs the MLP's forward and
        backward written out by hand (:mod:`softrl.nn.manual`), with CPU denormals flushed
        to zero unless ``flush_denormals`` is False. The batches, the losses and
        the step are those of :meth:`train_step` (tested to float rounding); a subclass that
        overrides :meth:`train_step` or :meth:`_batch_losses`, or a network other than a plain
        ReLU MLP, takes the generic path.
        """
        c = self.config
        layers, target_layers = self._plain_layers()
        if (target_layers is None or type(self).train_step is not SoftQ.train_step
                or type(self)._batch_losses is not SoftQ._batch_losses):
            super()._train_phase(gradient_steps)
            return
        for w, b in layers:
            for p in (w, b):
                if p.grad is None:
                    p.grad = torch.zeros_like(p)
        grads = [(w.grad, b.grad) for w, b in layers]
        self._flat_grads = [g for pair in grads for g in pair]
        done = 0
        while done < gradient_steps:
            k = min(gradient_steps - done,
                    c.target_update_interval - self.num_updates % c.target_update_interval)
            batches = [self.buffer.sample(c.batch_size, self.rngs.torch) for _ in range(k)]
            with torch.no_grad():
                next_q = relu_mlp_forward(torch.cat([b[3] for b in batches]),
                                          target_layers)[-1].split(c.batch_size)
                obs_q = (relu_mlp_forward(torch.cat([b[0] for b in batches]),
                                          target_layers)[-1].split(c.batch_size)
                         if c.munchausen > 0 else [None] * k)
            with self._flushing():
                for batch, nq, oq in zip(batches, next_q, obs_q, strict=True):
                    self._last_losses = self._manual_step(batch, nq, oq, layers, grads)
            done += k

    def _plain_layers(self) -> tuple[list[tuple[Tensor, Tensor]] | None, ...]:
        """(W, b) of the online and target networks when they are plain ReLU MLPs (else None),
        looked up once per network object."""
        cache = self.__dict__.get("_layers_cache")
        if cache is None or cache[0] is not self.q or cache[1] is not self.q_target:
            plain = isinstance(self.q, DiscreteQNetwork) and self.q.n_members == 1
            layers = relu_mlp_layers(self.q.net) if plain else None
            target = relu_mlp_layers(self.q_target.net) if layers is not None else None
            self._layers_cache = cache = (self.q, self.q_target, layers, target)
        return cache[2], cache[3]

    def _manual_step(self, batch: Any, next_q_target: Tensor, obs_q_target: Tensor | None,
                     layers: list[tuple[Tensor, Tensor]],
                     grads: list[tuple[Tensor, Tensor]]) -> dict[str, Tensor]:
        """:meth:`train_step` with Qbar given and the Q network's gradient by hand.

        Huber loss l(d) = d^2 / 2 for |d| < 1 and |d| - 1/2 otherwise, d = Q(s,a) - y, so
        dl/dQ(s,a) = clip(d, -1, 1) / B and zero for the other actions.
        """
        c = self.config
        obs, actions, rewards, next_obs, terminated = batch[:5]
        T = self.temperature()
        with torch.no_grad():
            acts = relu_mlp_forward(obs, layers)
            q_all = acts[-1]
            if obs_q_target is not None:
                rewards = rewards + F.munchausen_bonus(obs_q_target, actions, T,
                                                       c.munchausen, c.munchausen_clip)
            next_online = relu_mlp_forward(next_obs, layers)[-1] if c.double_q else None
            y = F.soft_dqn_target(rewards, terminated, next_q_target, T, c.gamma, next_online)
            index = actions.unsqueeze(-1)
            d = q_all.gather(-1, index).squeeze(-1) - y
            a = d.abs()
            losses = {"losses/q": torch.where(a < 1, 0.5 * d * d, a - 0.5).mean()}
            grad_out = torch.zeros_like(q_all).scatter_(
                -1, index, d.clamp(-1, 1).div_(d.numel()).unsqueeze(-1))
            relu_mlp_backward(obs, layers, acts, grad_out, grads)
        if self.temperature.learn:
            self.temperature.log_temperature.grad = None
            log_pi = F.boltzmann_log_policy(q_all, T)
            loss = self.temperature.loss((log_pi.exp() * log_pi).sum(-1))
            loss.backward()
            losses["losses/temperature"] = loss.detach()
        clip_grad_norm_(self._flat_grads, c.max_grad_norm)
        self.optimizer.step()
        self.num_updates += 1
        if self.num_updates % c.target_update_interval == 0:
            F.polyak_update(list(self.q_target.parameters()), list(self.q.parameters()), c.tau)
        return losses

    def _policy_action(self, obs: Tensor, deterministic: bool,
                       generator: torch.Generator) -> Tensor:
        """argmax_a Q(s,a) if ``deterministic``, else a ~ pi(.|s) = softmax(Q(s,.)/T)."""
        layers = self._plain_layers()[0]
        q = self.q(obs) if layers is None else relu_mlp_forward(obs, layers)[-1]
        if deterministic:
            return q.argmax(-1)
        return F.sample_categorical(F.boltzmann_log_policy(q, self.temperature()), generator)

    def _modules(self) -> dict[str, nn.Module]:
        return {"q": self.q, "q_target": self.q_target, "temperature": self.temperature}

    def _optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"optimizer": self.optimizer}

    def _log_values(self) -> dict[str, float]:
        return {"charts/temperature": self.temperature().item(), **super()._log_values()}
