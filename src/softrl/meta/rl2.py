"""RL^2: meta-RL by recurrence (Duan et al. 2016, "RL^2: Fast Reinforcement Learning via Slow
Reinforcement Learning"; seed 004, "Recurrence").

A GRU policy reads (s_t, a_{t-1}, r_{t-1}, done_{t-1}) across all episodes of one trial (one
task) and keeps its hidden state h_t = GRU(x_t, h_{t-1}) between them; h is reset to 0 when a
trial (a new task) starts. The slow learner is softrl's entropy-regularized actor-critic
(:class:`~softrl.agents.EntropyPG`, reward r - T log pi) with whole-rollout backpropagation
through time; the loop, logs, checkpoints and resume are :class:`~softrl.agents.OnPolicyAgent`'s.

Train it on :class:`~softrl.envs.meta_tasks.MetaTrial` (``softrl/MetaTrial-v0``), whose last
observation entry is 1 exactly at a trial's first step: that flag resets the memory.

Example
-------
>>> from softrl.meta import RL2
>>> agent = RL2("softrl/MetaTrial-v0", n_envs=16).learn(200_000)    # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from softrl import functional as F
from softrl.agents.config import Interval, PositiveInt
from softrl.agents.pg import EntropyPG, EntropyPGConfig
from softrl.data import RolloutStorage
from softrl.nn import CategoricalActor, GaussianActor, RecurrentCore, ValueNetwork

__all__ = ["RL2", "RL2Config", "rl2_meta_test"]


@dataclass(frozen=True)
class RL2Config(EntropyPGConfig):
    """Hyperparameters of :class:`RL2` (defaults: bench/meta.py's on the 5-armed, 10-pull
    bandits, mean total reward 6.62 over 3 seeds after 2.4M steps)."""

    gru_size: int = 64
    """Width of the GRU's hidden state h."""
    hidden_sizes: tuple[int, ...] = (64,)
    """Hidden widths of the policy and value heads on top of h."""
    learning_rate: float = 3e-3
    """Adam step size."""
    n_envs: int = 32
    """Trials run in parallel."""
    n_steps: int = 20
    """Steps per env copy in one rollout (the span of backpropagation through time)."""
    gamma: float = 1.0
    """Discount across the whole trial (1: the total reward of the trial)."""
    gae_lambda: float = 1.0
    """GAE lambda (1: Monte-Carlo returns of the trial, with the critic as baseline)."""
    temperature: float = 0.01
    """Entropy weight T."""
    normalize_advantages: bool = True
    """Standardize the advantages of each rollout."""
    max_grad_norm: float = 1.0
    """Gradient-norm clip."""
    reset_index: int = -1
    """Index of the observation entry that is 1 at a trial's first step (MetaTrial: -1)."""

    _constraints: ClassVar[dict[str, list[Any]]] = {
        "gru_size": [PositiveInt],
        "reset_index": [Interval(int, None, None, closed="neither")],
    }


class RL2(EntropyPG):
    """A GRU actor-critic whose memory spans the episodes of a trial (module docstring).

    ``n_epochs`` passes are made over each rollout as a whole (sequences are never shuffled,
    so ``batch_size`` is not used). ``predict`` keeps its own memory, reset by the trial-start
    flag of the observations, so ``evaluate`` plays whole trials.

    Parameters
    ----------
    env : str, gymnasium.Env or VectorEnv
        A trial env such as ``"softrl/MetaTrial-v0"``.
    **hyperparameters
        Fields of :class:`RL2Config`.
    """

    kind: ClassVar[str] = "RL2"
    default_env: ClassVar[str] = "softrl/MetaTrial-v0"
    config: RL2Config
    config_class: ClassVar[type[RL2Config]] = RL2Config

    def _check_spaces(self) -> None:
        super()._check_spaces()
        if not -self.obs_dim <= self.config.reset_index < self.obs_dim:
            raise ValueError(f"The 'reset_index' parameter of RL2 must index the {self.obs_dim} "
                             f"observation entries; got {self.config.reset_index}")

    def _build(self) -> None:
        c = self.config
        self.core = RecurrentCore(self.obs_dim, c.gru_size)
        n_out = int(self.action_space.n) if self.discrete else int(np.prod(self.action_space.shape))
        self.actor: nn.Module = (CategoricalActor(c.gru_size, n_out, c.hidden_sizes)
                                 if self.discrete else
                                 GaussianActor(c.gru_size, n_out, c.hidden_sizes))
        self.critic = ValueNetwork(c.gru_size, c.hidden_sizes)
        params = [*self.core.parameters(), *self.actor.parameters(), *self.critic.parameters()]
        self.optimizer = torch.optim.Adam(params, lr=c.learning_rate)
        self._hidden = self.core.initial_state(self.n_envs, self.device)
        self._rollout_h0 = self._hidden.clone()
        self._predict_hidden: Tensor | None = None

    # ------------------------------------------------------------------ memory
    def _resets(self, obs: Tensor) -> Tensor:
        """The trial-start flags of observations (..., obs_dim) -> (...)."""
        return obs[..., self.config.reset_index]

    def _advance(self, obs: Tensor, hidden: Tensor) -> Tensor:
        """h_t = GRU(x_t, (1 - start_t) h_{t-1}) for one step of a batch."""
        return self.core(obs[None], hidden, self._resets(obs)[None])[1]

    def reset_memory(self) -> None:
        """Forget the memory ``predict`` keeps (the next observation starts afresh)."""
        self._predict_hidden = None

    # ------------------------------------------------------------------ acting
    def _policy_action(self, obs: Tensor, deterministic: bool,
                       generator: torch.Generator) -> Tensor:
        h = self._predict_hidden
        if h is None or h.shape[0] != obs.shape[0]:
            h = self.core.initial_state(obs.shape[0], self.device)
        self._predict_hidden = h = self._advance(obs, h)
        return self.actor.act(h, deterministic, generator)

    def _rollout_step(self, obs: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        if self.rollout.pos == 0:
            self._rollout_h0 = self._hidden.clone()
        self._hidden = h = self._advance(obs, self._hidden)
        actions, log_probs = self.actor.sample(h, self.rngs.torch)
        return actions, log_probs, self.critic(h)

    def _value(self, obs: Tensor) -> Tensor:
        return self.critic(self._advance(obs, self._hidden))

    # ------------------------------------------------------------------ learning
    def train_on_rollout(self, rollout: RolloutStorage) -> dict[str, Tensor]:
        """Epochs of one step each on the whole rollout, replayed through the GRU from the
        memory it started with: -E[log pi A] - T E[H] + c E[(V - R)^2]."""
        c = self.config
        h0 = self._rollout_h0.clone()
        adv = (rollout.advantages + c.temperature * rollout.log_probs).flatten()
        if c.normalize_advantages and adv.numel() > 1:
            adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        actions = rollout.actions.flatten(0, 1)
        for _ in range(c.n_epochs):
            features, _ = self.core(rollout.obs, h0, self._resets(rollout.obs))
            features = features.flatten(0, 1)
            policy_loss, value_loss = F.entropy_pg_loss(
                self.actor.log_prob(features, actions), adv, self.actor.entropy(features),
                self.critic(features), rollout.returns.flatten(), c.temperature, c.value_coef)
            self.optimizer.zero_grad(set_to_none=True)
            (policy_loss + value_loss).backward()
            nn.utils.clip_grad_norm_(self.optimizer.param_groups[0]["params"], c.max_grad_norm)
            self.optimizer.step()
            self.num_updates += 1
        return {"losses/policy": policy_loss.detach(), "losses/value": value_loss.detach()}

    def _modules(self) -> dict[str, nn.Module]:
        return {"core": self.core, "actor": self.actor, "critic": self.critic}

    def _extra_state(self) -> dict[str, dict[str, Tensor]]:
        return {"rl2_memory": {"hidden": self._hidden.detach().cpu().clone()}}

    def _load_extra_state(self, states: dict[str, Any]) -> None:
        self._hidden = states["rl2_memory"]["hidden"].to(self.device)


def rl2_meta_test(agent: RL2, env: Any = None, n_trials: int = 200, seed: int = 0,
                  deterministic: bool = False) -> dict[str, Any]:
    """Play ``n_trials`` trials (each a fresh task, trial i reset with ``seed + i``) and
    split each trial's return by the inner episode it was earned in. ``env``: an id, spec or
    MetaTrial env (default: the agent's own).

    Returns
    -------
    dict
        ``returns`` (n_trials, episodes_per_trial) array and ``mean_returns`` per adaptation
        episode (list).
    """
    import gymnasium as gym

    from softrl.envs.meta_tasks import MetaTrial

    source = env if env is not None else (agent.env_spec or agent.env_id)
    env = gym.make(source) if isinstance(source, (str, gym.envs.registration.EnvSpec)) \
        else source
    trial = env.unwrapped
    if not isinstance(trial, MetaTrial):
        raise ValueError(f"rl2_meta_test needs a MetaTrial env; got {type(trial).__name__}")
    returns = np.zeros((n_trials, trial.episodes_per_trial))
    for i in range(n_trials):
        obs, _ = env.reset(seed=seed + i)
        agent.reset_memory()
        done = False
        while not done:
            obs, reward, terminated, truncated, info = env.step(agent.act(obs, deterministic))
            returns[i, info["episode_in_trial"]] += reward
            done = terminated or truncated
    return {"returns": returns, "mean_returns": returns.mean(0).tolist()}
