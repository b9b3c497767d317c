"""Adversarial inverse RL on Gymnasium: AIRL (Fu et al. 2018) and GAIL (Ho and Ermon 2016)
with a max-ent inner agent (SAC for Box actions, soft Q-learning for Discrete ones).

An adversarial learner *is* its inner agent (a subclass of :class:`~softrl.agents.SAC` or
:class:`~softrl.agents.SoftQ` through :class:`AdversarialMixin`), so the loop, logging,
progress, checkpoints and exact resume are the agent skeleton's. It adds two things:

* every replay batch's reward is replaced by the discriminator's reward before the agent's own
  ``train_step`` (the replay buffer keeps the true reward, which is never used for learning;
  the logged ``charts/episodic_return`` is the inner agent's learning curve on the true
  reward);
* every ``disc_every`` environment steps, ``disc_steps`` gradient steps on the discriminator
  (:func:`softrl.functional.discriminator_loss`), demonstrations labelled 1 against the newest
  ``disc_recent`` transitions of the policy labelled 0.

AIRL: D = exp(f) / (exp(f) + pi(a|s)), f(s, a, s') = g(s) + gamma h(s') - h(s); the agent
maximises E[sum f] plus its own entropy bonus, i.e. log D - log(1 - D) = f - log pi at
temperature 1 (``reward="f"``; ``"logit"`` gives it f - log pi directly). g, a function of the
state alone by default, is the disentangled reward exported for transfer
(:meth:`AdversarialMixin.learned_reward`). GAIL: a free classifier D(s, a), reward
-log(1 - D) (``"positive"``, default), log D (``"negative"``) or the logit.

Use :func:`AIRL` / :func:`GAIL` (they pick the inner agent from the action space) or the
classes directly.

>>> from softrl.irl.deep import AIRL
>>> learner = AIRL("Pendulum-v1", demos="demos.npz", seed=0)  # doctest: +SKIP
>>> learner.learn(30_000).evaluate()                           # doctest: +SKIP
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import gymnasium as gym
import numpy as np
import torch
from torch import Tensor, nn

from softrl import functional as F
from softrl.agents.base import _crossed
from softrl.agents.config import Interval, PositiveInt, StrOptions
from softrl.agents.sac import SAC, SACConfig
from softrl.agents.softq import SoftQ, SoftQConfig
from softrl.demos import DemonstrationError, Demonstrations, load_demos
from softrl.nn.mlp import mlp

__all__ = [
    "AIRL",
    "GAIL",
    "AIRLDiscriminator",
    "AIRLSAC",
    "AIRLSoftQ",
    "AdversarialConfig",
    "AdversarialMixin",
    "GAILDiscriminator",
    "GAILSAC",
    "GAILSoftQ",
]

_ACTION_EPS = 1e-3
"""Margin that keeps a saturated demonstrated action's squashed log-density finite."""


@dataclass(frozen=True)
class AdversarialConfig:
    """The discriminator's hyperparameters (mixed into the inner agent's config)."""

    demos: str = ""
    """Path of the demonstrations (.npz written by `softrl demos` or softrl.demos.save_demos)."""
    reward: str = "auto"
    """Reward given to the inner agent: AIRL "f" (auto) or "logit"; GAIL "positive" (auto),
    "negative" or "logit"; GCL "r" (auto), r_psi itself."""
    state_only: bool = True
    """AIRL: g(s) (disentangled, transferable) instead of g(s, a); GCL: r_psi(s)."""
    disc_hidden_sizes: tuple[int, ...] = (64, 64)
    """Hidden widths of the discriminator's networks."""
    disc_learning_rate: float = 3e-4
    """Adam step size of the discriminator."""
    disc_batch_size: int = 256
    """Demonstration and policy transitions per discriminator step (each)."""
    disc_every: int = 1000
    """Environment steps between discriminator phases."""
    disc_steps: int = 16
    """Discriminator gradient steps per phase."""
    disc_recent: int = 5000
    """Policy samples come from the newest disc_recent transitions of the replay buffer."""

    _constraints: ClassVar[dict[str, list[Any]]] = {
        "demos": [str],
        "reward": [StrOptions({"auto", "f", "logit", "positive", "negative", "r"})],
        "state_only": [bool],
        "disc_hidden_sizes": [tuple],
        "disc_learning_rate": [Interval(float, 0, None, closed="neither")],
        "disc_batch_size": [PositiveInt],
        "disc_every": [PositiveInt],
        "disc_steps": [PositiveInt],
        "disc_recent": [PositiveInt],
    }


class AIRLDiscriminator(nn.Module):
    """f(s, a, s') = g(s) (or g(s, a)) + gamma (1 - done) h(s') - h(s), two MLPs."""

    def __init__(self, obs_dim: int, act_dim: int, hidden_sizes: tuple[int, ...],
                 state_only: bool = True) -> None:
        super().__init__()
        self.state_only = state_only
        self.g = mlp(obs_dim + (0 if state_only else act_dim), hidden_sizes, 1)
        self.h = mlp(obs_dim, hidden_sizes, 1)

    def reward(self, obs: Tensor, act: Tensor) -> Tensor:
        """g(s) or g(s, a), (B,)."""
        x = obs if self.state_only else torch.cat([obs, act], -1)
        return self.g(x).squeeze(-1)

    def f(self, obs: Tensor, act: Tensor, next_obs: Tensor, terminated: Tensor,
          gamma: float) -> Tensor:
        """The shaped reward f(s, a, s'), (B,)."""
        return F.shaped_reward(self.reward(obs, act), self.h(obs).squeeze(-1),
                               self.h(next_obs).squeeze(-1), terminated, gamma)


class GAILDiscriminator(nn.Module):
    """A classifier logit l(s, a) = log D - log(1 - D) (expert = 1)."""

    def __init__(self, obs_dim: int, act_dim: int, hidden_sizes: tuple[int, ...]) -> None:
        super().__init__()
        self.net = mlp(obs_dim + act_dim, hidden_sizes, 1)

    def forward(self, obs: Tensor, act: Tensor) -> Tensor:
        return self.net(torch.cat([obs, act], -1)).squeeze(-1)


class AdversarialMixin:
    """What AIRL and GAIL add to an off-policy max-ent agent (see the module docstring).

    Parameters (besides the inner agent's)
    --------------------------------------
    demonstrations : softrl.demos.Demonstrations, optional
        Instead of (or before saving them to) the ``demos`` path.
    """

    algorithm: ClassVar[str] = ""
    config: Any

    def __init__(self, env: Any, run_dir: str | os.PathLike | None = None,
                 tensorboard: bool = True, eval_env: gym.Env | None = None, *,
                 demonstrations: Demonstrations | None = None, _resuming: bool = False,
                 **hyperparameters: Any) -> None:
        self._given_demos = demonstrations
        self._resuming_now = _resuming
        super().__init__(env, run_dir, tensorboard, eval_env,  # type: ignore[call-arg]
                         _resuming=_resuming, **hyperparameters)
        self._disc_logs: dict[str, Tensor] = {}

    # ------------------------------------------------------------------ set-up
    def _build(self) -> None:
        super()._build()  # type: ignore[misc]
        c = self.config
        self.discrete = isinstance(self.action_space, gym.spaces.Discrete)
        self.act_feat_dim = (int(self.action_space.n) if self.discrete
                             else int(np.prod(self.action_space.shape)))
        self.discriminator: nn.Module = self._make_discriminator()
        self.discriminator.to(self.device)
        self.disc_optimizer = torch.optim.Adam(self.discriminator.parameters(),
                                               lr=c.disc_learning_rate)
        self._reward_kind = c.reward if c.reward != "auto" else (
            {"airl": "f", "gail": "positive", "gcl": "r"}[self.algorithm])
        allowed = {"airl": ("f", "logit"), "gail": ("positive", "negative", "logit"),
                   "gcl": ("r",)}
        if self._reward_kind not in allowed[self.algorithm]:
            raise ValueError(f"The 'reward' parameter of {type(self).__name__} must be one of "
                             f"{allowed[self.algorithm]} or 'auto'. Got {c.reward!r} instead.")
        self._set_demos(self._read_demos())

    def _make_discriminator(self) -> nn.Module:
        c = self.config
        if self.algorithm == "airl":
            return AIRLDiscriminator(self.obs_dim, self.act_feat_dim, c.disc_hidden_sizes,
                                     c.state_only)
        return GAILDiscriminator(self.obs_dim, self.act_feat_dim, c.disc_hidden_sizes)

    def _read_demos(self) -> Demonstrations | None:
        if self._given_demos is not None:
            demos = self._given_demos
        elif not self.config.demos:
            raise DemonstrationError(
                f"demos: {type(self).__name__} needs demonstrations; pass demos='demos.npz' "
                "(record them with `softrl demos RUN_DIR --episodes N --out demos.npz`) or "
                "demonstrations=")
        elif not Path(self.config.demos).exists() and self._resuming_now:
            return None  # restored from the checkpoint by _load_extra_state
        else:
            demos = load_demos(self.config.demos)
        spaces = (self.observation_space, self.action_space)
        return demos.validate_for(spaces)

    def _set_demos(self, demos: Demonstrations | None) -> None:
        """Demonstrations as tensors in the agent's own encodings."""
        if demos is None:
            z = torch.zeros(1, self.obs_dim, device=self.device)
            self._demo = {"obs": z, "actions": torch.zeros(1, self._buffer_action_dim(),
                                                           device=self.device),
                          "next_obs": z.clone(), "terminated": torch.zeros(1, device=self.device),
                          "episode_starts": torch.zeros(1, dtype=torch.int64,
                                                        device=self.device)}
            return
        n = len(demos)
        obs = self._flat(demos.obs, n)
        next_obs = self._flat(demos.next_obs, n)
        acts = np.asarray(demos.actions)
        if self.discrete:
            a = torch.as_tensor(acts.reshape(n, 1) - self.action_space.start, dtype=torch.float32)
        else:
            low = self.action_space.low.reshape(1, -1)
            high = self.action_space.high.reshape(1, -1)
            unit = 2.0 * (acts.reshape(n, -1) - low) / (high - low) - 1.0
            a = torch.as_tensor(np.clip(unit, -1.0 + _ACTION_EPS, 1.0 - _ACTION_EPS),
                                dtype=torch.float32)
        self._demo = {"obs": obs, "actions": a.to(self.device), "next_obs": next_obs,
                      "terminated": torch.as_tensor(np.asarray(demos.terminated, np.float32),
                                                    device=self.device),
                      "episode_starts": torch.as_tensor(np.asarray(demos.episode_starts),
                                                        dtype=torch.int64, device=self.device)}

    def _flat(self, obs: np.ndarray, n: int) -> Tensor:
        return self._obs_tensor(np.asarray(obs).reshape(n, *(self.observation_space.shape
                                                               or ())))

    # ------------------------------------------------------------------ the discriminator
    def _act_features(self, actions: Tensor) -> Tensor:
        if self.discrete:
            return nn.functional.one_hot(actions.reshape(-1).long(), self.act_feat_dim).float()
        return actions

    def _log_pi(self, obs: Tensor, actions: Tensor) -> Tensor:
        """log pi(a|s) of the inner agent's current policy, (B,)."""
        if isinstance(self, SAC):
            mean, log_std = self.actor(obs)
            return F.squashed_gaussian_log_prob(actions, mean, log_std, eps=_ACTION_EPS)
        log_pi = F.boltzmann_log_policy(self.q(obs), self.temperature())  # type: ignore[attr-defined]
        return log_pi.gather(-1, actions.reshape(-1, 1).long()).squeeze(-1)

    def _logits(self, obs: Tensor, actions: Tensor, next_obs: Tensor,
                terminated: Tensor) -> Tensor:
        """log D - log(1 - D) at a batch of transitions (actions in the buffer's encoding)."""
        feats = self._act_features(actions)
        if self.algorithm == "gail":
            return self.discriminator(obs, feats)
        f = self.discriminator.f(obs, feats, next_obs, terminated, self.config.gamma)
        with torch.no_grad():
            log_pi = self._log_pi(obs, actions)
        return F.airl_logits(f, log_pi)

    def _policy_reward(self, obs: Tensor, actions: Tensor, next_obs: Tensor,
                       terminated: Tensor) -> Tensor:
        """The reward the inner agent learns from (see ``reward`` in the config)."""
        if self.algorithm == "gcl":
            return self.discriminator.reward(obs, self._act_features(actions))
        if self.algorithm == "airl" and self._reward_kind == "f":
            return self.discriminator.f(obs, self._act_features(actions), next_obs,
                                        terminated, self.config.gamma)
        logits = self._logits(obs, actions, next_obs, terminated)
        return F.airl_reward(logits) if self.algorithm == "airl" else F.gail_reward(
            logits, self._reward_kind)

    def _discriminator_phase(self) -> None:
        c, gen = self.config, self.rngs.torch
        n_demo = self._demo["obs"].shape[0]
        for _ in range(c.disc_steps):
            idx = torch.randint(n_demo, (c.disc_batch_size,), generator=gen, device=self.device)
            d = {k: v.index_select(0, idx) for k, v in self._demo.items()
                 if k != "episode_starts"}
            if self.discrete:
                d["actions"] = d["actions"][:, 0].long()
            p = self.buffer.sample(c.disc_batch_size, gen, recent=c.disc_recent)
            le = self._logits(d["obs"], d["actions"], d["next_obs"], d["terminated"])
            lp = self._logits(p.obs, p.actions, p.next_obs, p.terminated)
            loss = F.discriminator_loss(le, lp)
            self.disc_optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.disc_optimizer.step()
        self._disc_logs = {"discriminator/loss": loss.detach(),
                           "discriminator/accuracy": F.discriminator_accuracy(le, lp).detach(),
                           "discriminator/expert_D": torch.sigmoid(le).mean().detach()}

    # ------------------------------------------------------------------ hooks of the loop
    def _train_iteration(self) -> None:
        c = self.config
        if (self.num_steps >= c.learning_starts and self.buffer.size > 0
                and _crossed(self.num_steps, self.num_steps + self.n_envs, c.disc_every)):
            with self._flushing():  # type: ignore[attr-defined]
                self._discriminator_phase()
        super()._train_iteration()  # type: ignore[misc]

    def train_step(self, batch: Any) -> dict[str, Tensor]:
        """The inner agent's step on the batch with its reward replaced."""
        with torch.no_grad():
            r = self._policy_reward(batch.obs, batch.actions, batch.next_obs, batch.terminated)
        return super().train_step(batch._replace(rewards=r.to(batch.rewards.dtype)))  # type: ignore[misc]

    def _log_values(self) -> dict[str, float]:
        return {**super()._log_values(),  # type: ignore[misc]
                **{k: v.item() for k, v in self._disc_logs.items()}}

    # ------------------------------------------------------------------ the learned reward
    def learned_reward(self, obs: np.ndarray, actions: np.ndarray | None = None,
                       next_obs: np.ndarray | None = None,
                       terminated: np.ndarray | None = None) -> np.ndarray:
        """The learned reward at a batch of transitions (env encodings), numpy (N,).

        AIRL: the disentangled g(s) (or g(s, a)) - the reward to transfer; GCL: r_psi; GAIL:
        the policy reward of its discriminator. ``actions`` are needed unless the reward is
        state-only; ``next_obs`` and ``terminated`` are accepted for a uniform signature.
        """
        obs = np.asarray(obs)
        n = obs.shape[0] if obs.ndim > len(self.observation_space.shape or ()) else 1
        o = self._flat(obs, n)
        a = None if actions is None else self._agent_actions(np.asarray(actions), n)
        state_only = self.algorithm != "gail" and self.config.state_only
        if a is None and not state_only:
            raise ValueError(f"learned_reward: the reward of this {type(self).__name__} depends "
                             "on the action; pass actions=")
        with torch.no_grad():
            if self.algorithm in ("airl", "gcl"):
                feats = (torch.zeros(n, self.act_feat_dim, device=self.device) if a is None
                         else self._act_features(a))
                r = self.discriminator.reward(o, feats)
            else:
                assert a is not None
                r = F.gail_reward(self.discriminator(o, self._act_features(a)),
                                  self._reward_kind)
        return r.cpu().numpy().astype(np.float64)

    def _agent_actions(self, actions: np.ndarray, n: int) -> Tensor:
        if self.discrete:
            return torch.as_tensor(actions.reshape(n) - self.action_space.start,
                                   device=self.device).long()
        low = self.action_space.low.reshape(1, -1)
        high = self.action_space.high.reshape(1, -1)
        unit = 2.0 * (actions.reshape(n, -1) - low) / (high - low) - 1.0
        return torch.as_tensor(np.clip(unit, -1 + _ACTION_EPS, 1 - _ACTION_EPS),
                               dtype=torch.float32, device=self.device)

    def demo_rewards(self) -> np.ndarray:
        """The learned reward along the demonstrations (:meth:`learned_reward`'s), (N,)."""
        d = self._demo
        with torch.no_grad():
            if self.algorithm in ("airl", "gcl"):
                return self.discriminator.reward(
                    d["obs"], self._act_features(d["actions"][:, 0].long() if self.discrete
                                                 else d["actions"])).cpu().numpy()
            acts = d["actions"][:, 0].long() if self.discrete else d["actions"]
            return F.gail_reward(self.discriminator(d["obs"], self._act_features(acts)),
                                 self._reward_kind).cpu().numpy()

    # ------------------------------------------------------------------ state
    def _modules(self) -> dict[str, nn.Module]:
        modules = super()._modules()  # type: ignore[misc]
        if hasattr(self, "discriminator"):  # the inner agent's _build moves its own first
            modules["discriminator"] = self.discriminator
        return modules

    def _optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {**super()._optimizers(),  # type: ignore[misc]
                "disc_optimizer": self.disc_optimizer}

    def _extra_state(self) -> dict[str, dict[str, Tensor]]:
        return {**super()._extra_state(),  # type: ignore[misc]
                "demonstrations": {k: v.cpu() for k, v in self._demo.items()}}

    def _load_extra_state(self, states: dict[str, Any]) -> None:
        super()._load_extra_state(states)  # type: ignore[misc]
        if "demonstrations" in states:
            self._demo = {k: v.to(self.device) for k, v in states["demonstrations"].items()}


@dataclass(frozen=True)
class GAILSACConfig(SACConfig, AdversarialConfig):
    """:class:`SACConfig` plus the discriminator's :class:`AdversarialConfig`."""


@dataclass(frozen=True)
class AIRLSACConfig(GAILSACConfig):
    """:class:`GAILSACConfig` with the temperature AIRL's discriminator assumes."""

    temperature: float | Literal["auto"] = 1.0
    """Entropy weight. AIRL's D = exp(f) / (exp(f) + pi) models pi as soft-optimal for f at
    T = 1 (f carries the scale). On Pendulum-v1 the learned temperature ("auto") gave a reward
    that did not transfer, T = 1 one that did (bench/RESULTS.md)."""


@dataclass(frozen=True)
class GAILSoftQConfig(SoftQConfig, AdversarialConfig):
    """:class:`SoftQConfig` plus the discriminator's :class:`AdversarialConfig`."""


@dataclass(frozen=True)
class AIRLSoftQConfig(GAILSoftQConfig):
    """:class:`GAILSoftQConfig` with the temperature AIRL's discriminator assumes."""

    temperature: float | Literal["auto"] = 1.0
    """Boltzmann temperature T. AIRL's D = exp(f) / (exp(f) + pi) models pi as soft-optimal
    for f at T = 1 (f carries the scale); with a near-greedy pi (T = 0.05) AIRL stayed far
    below the expert on CartPole-v1 where T = 1 approached it (bench/RESULTS.md)."""


class AIRLSAC(AdversarialMixin, SAC):
    """AIRL with a SAC inner agent (Box actions)."""

    kind: ClassVar[str] = "AIRL-SAC"
    algorithm: ClassVar[str] = "airl"
    config_class: ClassVar[type] = AIRLSACConfig


class AIRLSoftQ(AdversarialMixin, SoftQ):
    """AIRL with a soft Q-learning inner agent (Discrete actions)."""

    kind: ClassVar[str] = "AIRL-SoftQ"
    algorithm: ClassVar[str] = "airl"
    config_class: ClassVar[type] = AIRLSoftQConfig


class GAILSAC(AdversarialMixin, SAC):
    """GAIL with a SAC inner agent (Box actions)."""

    kind: ClassVar[str] = "GAIL-SAC"
    algorithm: ClassVar[str] = "gail"
    config_class: ClassVar[type] = GAILSACConfig


class GAILSoftQ(AdversarialMixin, SoftQ):
    """GAIL with a soft Q-learning inner agent (Discrete actions)."""

    kind: ClassVar[str] = "GAIL-SoftQ"
    algorithm: ClassVar[str] = "gail"
    config_class: ClassVar[type] = GAILSoftQConfig


def _pick(classes: tuple[type, type], env: Any) -> type:
    from softrl.training.envs import make_env

    probe = make_env(env) if isinstance(env, str) else env
    space = getattr(probe, "single_action_space", None) or probe.action_space
    return classes[1] if isinstance(space, gym.spaces.Discrete) else classes[0]


def AIRL(env: Any, **kwargs: Any) -> AdversarialMixin:  # noqa: N802 - a class-like factory
    """AIRL with SAC (Box actions) or soft Q-learning (Discrete actions) inside."""
    return _pick((AIRLSAC, AIRLSoftQ), env)(env, **kwargs)


def GAIL(env: Any, **kwargs: Any) -> AdversarialMixin:  # noqa: N802
    """GAIL with SAC (Box actions) or soft Q-learning (Discrete actions) inside."""
    return _pick((GAILSAC, GAILSoftQ), env)(env, **kwargs)
