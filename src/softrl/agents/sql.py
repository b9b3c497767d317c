"""Soft Q-learning with an amortized SVGD sampler, for continuous actions (seed 003).

Haarnoja, Tang, Abbeel, Levine (2017), "Reinforcement Learning with Deep Energy-Based
Policies" (https://arxiv.org/abs/1702.08165), Algorithm 1. The policy is the energy-based
pi(a|s) ∝ exp(Q(s,a)/T); it is never normalized. Each gradient step

1. regresses Q(s,a) on y = c r + gamma (1 - d) V(s'), with the soft value of the target network
   estimated by importance sampling from the uniform proposal on the action box:
   V(s') = T log (1/M) sum_j exp(Qbar(s',a_j)/T) / q(a_j), a_j ~ U([-1, 1]^d), q = 2^-d
   (``c = reward_scale``);
2. draws K actions a = f_phi(s, xi), xi ~ N(0, I), from the sampling network and moves the
   second half of them along the SVGD direction toward exp(Q(s,.)/T) computed with the first
   half (``functional.svgd``), by one gradient step of the surrogate -<Delta a, f_phi(s, xi)>.

One action space throughout (softlearning #143): the sampler ends in tanh and outputs the
normalized actions in (-1, 1)^d; the replay buffer stores those, Q takes them, the score
grad_a Q(s,a)/T is taken with respect to them, and the RBF kernel is computed on them. The
target density exp(Q/T) lives on the action box itself, so no tanh log-Jacobian enters. Actions
are mapped affinely to the env's [low, high] only when sent to the env.

Acting samples one xi; ``deterministic=True`` uses xi = 0 (the sampler's image of the noise
mode, a representative action, not necessarily the argmax of Q).

Example
-------
>>> from softrl.agents import SQL
>>> SQL("softrl/MultiGoal-v0", reward_scale=0.1).learn(20_000)  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from softrl import functional as F
from softrl.agents.config import Interval, PositiveInt
from softrl.agents.off_policy import BoundedBoxActions, OffPolicyAgent, OffPolicyConfig
from softrl.agents.sac import _adam_impl, _frozen_copy
from softrl.functional.svgd import (
    importance_sampled_soft_value,
    sql_q_target,
    svgd_direction,
    svgd_policy_loss,
)
from softrl.nn import QEnsemble, mlp

__all__ = ["SQL", "SQLConfig", "SVGDSampler"]


@dataclass(frozen=True)
class SQLConfig(OffPolicyConfig):
    """Hyperparameters of :class:`SQL` (defaults: the reference code's MultiGoal example)."""

    hidden_sizes: tuple[int, ...] = (128, 128)
    """Hidden layer widths of the Q network and of the sampler."""
    batch_size: int = 64
    """Transitions per gradient step."""
    tau: float = 1.0
    """Polyak coefficient of the target Q network (1: a hard copy)."""
    target_update_interval: int = 1000
    """Gradient steps between target-network updates."""
    temperature: float = 1.0
    """T > 0 in pi(a|s) ∝ exp(Q(s,a)/T) and the soft value."""
    reward_scale: float = 1.0
    """c: rewards are multiplied by c (c = 1/T' is equivalent to temperature T' with c = 1)."""
    value_particles: int = 16
    """M: uniform actions per next state in the importance-sampled soft value."""
    kernel_particles: int = 32
    """K: sampler actions per state in each SVGD step."""
    kernel_update_ratio: float = 0.5
    """Fraction of the K particles that are moved (the rest estimate the direction)."""

    _constraints: ClassVar[dict[str, list[Any]]] = {
        "temperature": [Interval(float, 0, None, closed="neither")],
        "reward_scale": [Interval(float, 0, None, closed="neither")],
        "value_particles": [PositiveInt],
        "kernel_particles": [Interval(int, 2, None, closed="left")],
        "kernel_update_ratio": [Interval(float, 0, 1, closed="neither")],
    }


class SVGDSampler(nn.Module):
    """a = tanh(g_phi([s, xi])) with xi ~ N(0, I_d): an implicit policy with actions in (-1, 1)^d.

    Parameters
    ----------
    obs_dim, action_dim : int
        Observation and action sizes (the noise has the action's size).
    hidden_sizes : sequence of int
        Hidden widths of g.
    """

    def __init__(self, obs_dim: int, action_dim: int, hidden_sizes: Sequence[int]) -> None:
        super().__init__()
        self.action_dim = action_dim
        self.net = mlp(obs_dim + action_dim, hidden_sizes, action_dim)

    def forward(self, obs: Tensor, noise: Tensor) -> Tensor:
        """(..., obs_dim), (..., action_dim) -> actions (..., action_dim) in (-1, 1)."""
        return torch.tanh(self.net(torch.cat([obs, noise], dim=-1)))

    def sample(self, obs: Tensor, n: int, generator: torch.Generator | None = None) -> Tensor:
        """n actions per observation: (B, obs_dim) -> (B, n, action_dim)."""
        noise = torch.randn((obs.shape[0], n, self.action_dim), generator=generator,
                            device=obs.device, dtype=obs.dtype)
        return self(obs.unsqueeze(1).expand(-1, n, -1), noise)


class SQL(BoundedBoxActions, OffPolicyAgent):
    """Soft Q-learning with an amortized SVGD sampler, with a Stable-Baselines3-style interface.

    Parameters
    ----------
    env : str, gymnasium.Env or gymnasium.vector.VectorEnv
        Its action space must be a Box with finite bounds, its observation space a Box.
    run_dir, tensorboard, eval_env
        See :class:`softrl.agents.Agent`.
    **hyperparameters
        Fields of :class:`SQLConfig`.
    """

    kind: ClassVar[str] = "SQL"
    default_env: ClassVar[str] = "softrl/MultiGoal-v0"
    config: SQLConfig
    config_class: ClassVar[type[SQLConfig]] = SQLConfig

    def _build(self) -> None:
        c, o, a = self.config, self.obs_dim, self.action_dim
        self.q = QEnsemble(o, a, c.hidden_sizes, n_members=1)
        self.q_target = _frozen_copy(self.q, QEnsemble(o, a, c.hidden_sizes, n_members=1))
        self.sampler = SVGDSampler(o, a, c.hidden_sizes)
        self.n_fixed = max(1, min(c.kernel_particles - 1,
                                  round(c.kernel_particles * (1 - c.kernel_update_ratio))))
        self.log_proposal = -a * math.log(2.0)  # uniform on [-1, 1]^d
        self.to(self.device)
        params = [*self.q.parameters(), *self.sampler.parameters()]
        self.optimizer = torch.optim.Adam(params, lr=c.learning_rate, **_adam_impl(self.device))

    def soft_value(self, obs: Tensor, n_particles: int | None = None,
                   target: bool = False, generator: torch.Generator | None = None) -> Tensor:
        """V(s) = T log E_{a~U}[exp(Q(s,a)/T) / q(a)] from ``n_particles`` uniform actions (B,)."""
        m = self.config.value_particles if n_particles is None else n_particles
        net = self.q_target if target else self.q
        b = obs.shape[0]
        acts = 2.0 * torch.rand((b, m, self.action_dim), generator=generator,
                                device=obs.device) - 1.0
        q = net(obs.unsqueeze(1).expand(-1, m, -1).reshape(b * m, -1),
                acts.reshape(b * m, -1))[0].view(b, m)
        return importance_sampled_soft_value(q, self.log_proposal, self.config.temperature)

    def train_step(self, batch: Any) -> dict[str, Tensor]:
        """One gradient step on the Q network and the sampler from one batch."""
        c = self.config
        obs, actions, rewards, next_obs, terminated = batch[:5]
        gen = self.rngs.torch
        with torch.no_grad():
            v_next = self.soft_value(next_obs, target=True, generator=gen)
            y = sql_q_target(c.reward_scale * rewards, terminated, v_next, c.gamma)
        losses = {"losses/q": F.critic_loss(self.q(obs, actions), y)}

        # Amortized SVGD: the score grad_a Q(s,a)/T at the fixed particles, in the same squashed
        # space as the particles and the kernel.
        b, k = obs.shape[0], c.kernel_particles
        particles = self.sampler.sample(obs, k, gen)  # (B, K, d)
        fixed = particles[:, :self.n_fixed].detach().requires_grad_(True)
        moved = particles[:, self.n_fixed:]
        obs_f = obs.unsqueeze(1).expand(-1, self.n_fixed, -1).reshape(b * self.n_fixed, -1)
        q_fixed = self.q(obs_f, fixed.reshape(b * self.n_fixed, -1), detach_params=True)
        (score,) = torch.autograd.grad(q_fixed.sum(), fixed)
        direction = svgd_direction(fixed.detach(), score / c.temperature, moved.detach())
        losses["losses/sampler"] = svgd_policy_loss(moved, direction)

        self.optimizer.zero_grad(set_to_none=True)
        torch.stack(list(losses.values())).sum().backward()
        self.optimizer.step()
        self.num_updates += 1
        if self.num_updates % c.target_update_interval == 0:
            F.polyak_update(list(self.q_target.parameters()), list(self.q.parameters()), c.tau)
        return {k: v.detach() for k, v in losses.items()}

    # ------------------------------------------------------------------ acting
    def _policy_action(self, obs: Tensor, deterministic: bool,
                       generator: torch.Generator) -> Tensor:
        if deterministic:
            return self.sampler(obs, torch.zeros(obs.shape[0], self.action_dim,
                                                 device=obs.device, dtype=obs.dtype))
        return self.sampler.sample(obs, 1, generator)[:, 0]

    def _random_action(self) -> Tensor:
        return 2.0 * torch.rand((self.n_envs, self.action_dim), generator=self.rngs.torch,
                                device=self.device) - 1.0

    def _to_env_action(self, action: Tensor) -> np.ndarray:
        """Map actions in (-1, 1) to the env's [low, high] as float32 numpy."""
        a = action.detach().cpu()
        return (self.action_low + 0.5 * (a + 1.0) * (self.action_high - self.action_low)).numpy()

    def sample_actions(self, observation: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
        """``n`` policy samples per observation in the env's units: (N, obs) -> (N, n, d)."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"sample_actions: n must be an integer >= 1; got {n!r}")
        obs = self._obs_tensor(np.asarray(observation, dtype=np.float32).reshape(
            -1, self.obs_dim))
        gen = torch.Generator(device=self.device)
        gen.manual_seed(seed)
        with torch.inference_mode():
            a = self.sampler.sample(obs, n, gen)
        return self._to_env_action(a)

    def q_values(self, observation: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """Q(s, a) for env-unit actions (..., d) at one observation (obs_dim,)."""
        a = torch.as_tensor(np.asarray(actions, dtype=np.float32))
        shape = a.shape[:-1]
        a = 2.0 * (a.reshape(-1, self.action_dim) - self.action_low) / (
            self.action_high - self.action_low) - 1.0
        obs = self._obs_tensor(np.asarray(observation, dtype=np.float32).reshape(1, -1))
        with torch.inference_mode():
            q = self.q(obs.expand(a.shape[0], -1), a.to(self.device))[0]
        return q.cpu().numpy().reshape(shape)

    # ------------------------------------------------------------------ state
    def _modules(self) -> dict[str, nn.Module]:
        return {"q": self.q, "q_target": self.q_target, "sampler": self.sampler}

    def _optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"optimizer": self.optimizer}
