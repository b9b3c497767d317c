"""Bootstrapped soft DQN with randomized prior functions: posterior sampling in deep RL.

Seed 004: sample a Q function from p(Q), act by it for one episode, update p(Q); represent
p(Q) by the bootstrap, K heads each trained on its own resample of the data (Osband et al.
2016, https://arxiv.org/abs/1602.04621). Each transition gets a mask m in {0, 1}^K, m_k ~
Bernoulli(``mask_prob``), stored with it in the replay buffer; head k regresses only on the
transitions with m_k = 1, on its own soft Bellman target

    y_k = r + gamma (1 - terminated) T log sum_a' exp(Qbar_k(s', a') / T).

With randomized prior functions (Osband et al. 2018, https://arxiv.org/abs/1806.03335) each
head is Q_k = f_k + beta p_k, p_k a fixed random network, so heads disagree where there is no
data and agree where there is. One head, drawn uniformly per episode and env copy, acts (by its
Boltzmann policy at temperature T, near-greedy for small T); ``predict`` uses the mean of the
heads. This is :class:`~softrl.agents.SoftQ` with an ensemble Q: its loop, temperature,
double-Q and Munchausen options, and checkpointing.

Example
-------
>>> from softrl.agents import BootstrappedSoftQ
>>> BootstrappedSoftQ(gym.make("softrl/DeepSea-v0", size=10)).learn(20_000)  # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from softrl import functional as F
from softrl.agents.config import Interval, PositiveInt
from softrl.agents.sac import _adam_impl
from softrl.agents.softq import SoftQ, SoftQConfig
from softrl.agents.temperature import Temperature
from softrl.data import ReplayBuffer
from softrl.nn import EnsembleMLP

__all__ = ["BootstrappedSoftQ", "BootstrappedSoftQConfig", "clip_grad_norm_per_member_"]


@dataclass(frozen=True)
class BootstrappedSoftQConfig(SoftQConfig):
    """Hyperparameters of :class:`BootstrappedSoftQ` (defaults: bsuite's bootstrapped DQN with
    priors where it has one, ``bsuite/baselines/jax/boot_dqn/agent.py``, but 10 heads, not 20,
    and bootstrap masks with probability 1/2, not 1)."""

    n_heads: int = 10
    """K, the number of bootstrapped Q heads."""
    mask_prob: float = 0.5
    """Probability that a head trains on a transition (1: every head sees all data)."""
    prior_scale: float = 5.0
    """beta, the weight of each head's fixed random prior network (0: no priors; bsuite's
    bootstrapped DQN uses 5)."""
    learning_rate: float = 1e-3
    """Adam step size."""
    buffer_size: int = 100_000
    """Replay buffer capacity in transitions."""
    batch_size: int = 128
    """Transitions per gradient step."""
    learning_starts: int = 128
    """Environment steps with uniformly random actions before the first gradient step."""
    train_freq: int = 1
    """Vector env steps between training phases."""
    target_update_interval: int = 4
    """Gradient steps between target-network updates."""

    _constraints: ClassVar[dict[str, list[Any]]] = {
        "n_heads": [PositiveInt],
        "mask_prob": [Interval(float, 0, 1, closed="right")],
        "prior_scale": [Interval(float, 0, None, closed="left")],
    }


class BootstrappedSoftQ(SoftQ):
    """Bootstrapped soft DQN (K heads, bootstrap masks, optional randomized priors).

    Parameters
    ----------
    env : str, gymnasium.Env or gymnasium.vector.VectorEnv
        Discrete actions; Box or Discrete observations.
    run_dir, tensorboard, eval_env, exploration
        See :class:`softrl.agents.Agent`.
    **hyperparameters
        Fields of :class:`BootstrappedSoftQConfig`.

    Attributes
    ----------
    heads : ndarray of int, shape (n_envs,)
        The head acting in each env copy's current episode.
    """

    kind: ClassVar[str] = "BootstrappedSoftQ"
    default_env: ClassVar[str] = "softrl/DeepSea-v0"
    config: BootstrappedSoftQConfig
    config_class: ClassVar[type[BootstrappedSoftQConfig]] = BootstrappedSoftQConfig

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.heads = self.rngs.np.integers(self.config.n_heads, size=self.n_envs)

    def _build(self) -> None:
        c = self.config
        k, a = c.n_heads, self.n_actions
        self.q = EnsembleMLP(k, self.obs_dim, c.hidden_sizes, a)
        self.q_target = EnsembleMLP(k, self.obs_dim, c.hidden_sizes, a)
        self.q_target.load_state_dict(self.q.state_dict())
        self.q_target.requires_grad_(False)
        self.prior = EnsembleMLP(k, self.obs_dim, c.hidden_sizes, a).requires_grad_(False)
        target = 0.2 * math.log(a) if c.target_entropy is None else c.target_entropy
        self.temperature = Temperature(c.temperature, c.initial_temperature, target, self.device)
        params = list(self.q.parameters()) + ([self.temperature.log_temperature]
                                              if self.temperature.learn else [])
        self.optimizer = torch.optim.Adam(params, lr=c.learning_rate, **_adam_impl(self.device))

    def _make_buffer(self) -> ReplayBuffer:
        return ReplayBuffer(self.config.buffer_size, self.obs_dim, 1, self.device,
                            discrete_actions=True, extra_fields={"mask": (self.config.n_heads,)})

    def _transition_extras(self, step: Any, keep: np.ndarray) -> dict[str, np.ndarray]:
        """m_k ~ Bernoulli(mask_prob) for each stored transition and head."""
        shape = (int(np.count_nonzero(keep)), self.config.n_heads)
        return {"mask": (self.rngs.np.random(shape) < self.config.mask_prob).astype(np.float32)}

    # ------------------------------------------------------------------ the heads
    def q_heads(self, obs: Tensor, target: bool = False) -> Tensor:
        """Q_k(s, .) = f_k(s, .) + beta p_k(s, .) for every head, shape (K, B, A)."""
        f = (self.q_target if target else self.q)(obs)
        if self.config.prior_scale > 0:
            with torch.no_grad():
                prior = self.config.prior_scale * self.prior(obs)
            f = f + prior
        return f

    def train_step(self, batch: Any) -> dict[str, Tensor]:
        """One gradient step: each head's masked Huber loss on its own soft Bellman target.

        L = sum_k (1/B) sum_b m_bk huber(Q_k(s_b, a_b) - y_bk); the gradient of head k's
        parameters is its own term alone (gradients are clipped head by head).
        """
        c = self.config
        obs, actions, rewards, next_obs, terminated, mask = batch[:6]
        K, B = c.n_heads, obs.shape[0]
        T = self.temperature()
        q_all = self.q_heads(obs)  # (K, B, A)
        q_taken = q_all.gather(-1, actions.expand(K, B).unsqueeze(-1)).squeeze(-1)
        with torch.no_grad():
            r = rewards.repeat(K)
            if c.munchausen > 0:
                r = r + F.munchausen_bonus(self.q_heads(obs, True).reshape(K * B, -1),
                                           actions.repeat(K), T, c.munchausen,
                                           c.munchausen_clip)
            online = self.q_heads(next_obs).reshape(K * B, -1) if c.double_q else None
            y = F.soft_dqn_target(r, terminated.repeat(K),
                                  self.q_heads(next_obs, True).reshape(K * B, -1), T, c.gamma,
                                  online).reshape(K, B)
        per = torch.nn.functional.smooth_l1_loss(q_taken, y, reduction="none")
        q_loss = (per * mask.T).sum() / B
        losses = {"losses/q": q_loss / K}
        total = q_loss
        if self.temperature.learn:
            log_pi = F.boltzmann_log_policy(q_all.detach(), T)
            expected_log_pi = (log_pi.exp() * log_pi).sum(-1).mean(0)  # -H, mean over heads
            losses["losses/temperature"] = self.temperature.loss(expected_log_pi)
            total = total + losses["losses/temperature"]
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        clip_grad_norm_per_member_(list(self.q.parameters()), c.max_grad_norm)
        self.optimizer.step()
        self.num_updates += 1
        if self.num_updates % c.target_update_interval == 0:
            F.polyak_update(list(self.q_target.parameters()), list(self.q.parameters()), c.tau)
        return {k: v.detach() for k, v in losses.items()}

    def _exploration_action(self, obs: Tensor) -> Tensor:
        """Each env copy acts by its episode's head: a ~ softmax(Q_k(s, .) / T)."""
        q = self.q_heads(obs)
        rows = torch.arange(obs.shape[0], device=obs.device)
        heads = torch.as_tensor(self.heads, device=obs.device)
        log_pi = F.boltzmann_log_policy(q[heads, rows], self.temperature())
        return F.sample_categorical(log_pi, self.rngs.torch)

    def _policy_action(self, obs: Tensor, deterministic: bool,
                       generator: torch.Generator) -> Tensor:
        """The mean of the heads: argmax_a mean_k Q_k(s, a), or its Boltzmann policy."""
        q = self.q_heads(obs).mean(0)
        if deterministic:
            return q.argmax(-1)
        return F.sample_categorical(F.boltzmann_log_policy(q, self.temperature()), generator)

    def _record(self, step: Any) -> None:
        """Book finished episodes, and draw a new head for each copy whose episode ended."""
        super()._record(step)
        ended = np.flatnonzero((step.terminated | step.truncated) & step.valid)
        if ended.size:
            self.heads[ended] = self.rngs.np.integers(self.config.n_heads, size=ended.size)

    # ------------------------------------------------------------------ checkpoints
    def _modules(self) -> dict[str, nn.Module]:
        return {**super()._modules(), "prior": self.prior}

    def _extra_state(self) -> dict[str, dict[str, Tensor]]:
        return {**super()._extra_state(),
                "bootstrap": {"heads": torch.as_tensor(self.heads, dtype=torch.int64)}}

    def _load_extra_state(self, states: dict[str, Any]) -> None:
        super()._load_extra_state(states)
        self.heads = states["bootstrap"]["heads"].numpy().astype(np.int64).copy()


def clip_grad_norm_per_member_(params: list[Tensor], max_norm: float) -> Tensor:
    """Clip the gradient of each ensemble member to norm ``max_norm`` on its own.

    Every parameter has the member index first, shape (K, ...); member k's norm is
    ||(g_k of every parameter)||_2 and its gradients are scaled by min(1, max_norm / norm_k),
    so one head's large gradient never shrinks another's. Returns the norms, shape (K,).
    """
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return torch.zeros(0)
    k = grads[0].shape[0]
    norms = torch.sqrt(sum(g.reshape(k, -1).pow(2).sum(1) for g in grads))
    factor = (max_norm / (norms + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(factor.reshape(k, *([1] * (g.dim() - 1))))
    return norms
