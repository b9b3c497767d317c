"""Reward transfer: train a fresh max-ent agent on a learned reward alone, score it on the true
one.

:class:`LearnedRewardWrapper` replaces an environment's reward by an adversarial learner's
:meth:`~softrl.irl.deep.adversarial.AdversarialMixin.learned_reward` (AIRL's disentangled
g(s)); the true reward is kept in ``info["true_reward"]``. :func:`train_on_learned_reward`
trains SAC (Box actions) or soft Q-learning (Discrete) in the wrapped env and evaluates it
in the unwrapped one, so the curve it returns is on the true reward.

>>> from softrl.irl.deep import train_on_learned_reward
>>> agent, curve = train_on_learned_reward("runs/airl", "Pendulum-v1", 20_000)  # doctest: +SKIP
"""

from __future__ import annotations

import os
from typing import Any

import gymnasium as gym
import numpy as np

from softrl.agents import SAC, EvalCallback, SoftQ, load_agent
from softrl.agents.base import Agent
from softrl.training.envs import make_env

__all__ = ["LearnedRewardWrapper", "load_learner", "train_on_learned_reward"]


def load_learner(learner: Any) -> Any:
    """An adversarial learner, or one loaded from its run or checkpoint directory."""
    from softrl.irl.deep.adversarial import AdversarialMixin

    if isinstance(learner, (str, os.PathLike)):
        learner = load_agent(learner, tensorboard=False)
    if not isinstance(learner, AdversarialMixin):
        raise ValueError(f"reward: expected an AIRL/GAIL learner or its run directory; got "
                         f"{type(learner).__name__}")
    return learner


class LearnedRewardWrapper(gym.Wrapper):
    """The env with its reward replaced by a learned reward r(s, a, s').

    Parameters
    ----------
    env : gymnasium.Env
    learner : adversarial learner or path
        Its ``learned_reward(obs, actions, next_obs)`` gives the reward.
    """

    def __init__(self, env: gym.Env, learner: Any) -> None:
        super().__init__(env)
        self.learner = load_learner(learner)
        self._obs: Any = None

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        self._obs = obs
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        r = self.learner.learned_reward(np.asarray(self._obs)[None], np.asarray(action)[None],
                                        np.asarray(obs)[None])
        self._obs = obs
        return obs, float(r[0]), terminated, truncated, {**info, "true_reward": reward}


def train_on_learned_reward(
    learner: Any,
    env_id: str,
    steps: int,
    seed: int = 0,
    eval_every: int = 2000,
    eval_episodes: int = 5,
    progress_bar: bool = False,
    **hyperparameters: Any,
) -> tuple[Agent, list[tuple[int, float]]]:
    """Train a fresh SAC / SoftQ on the learned reward alone; evaluate on the true reward.

    Returns
    -------
    (agent, curve)
        ``curve``: (environment steps, mean true return over ``eval_episodes``) per
        evaluation, the last one after training.
    """
    learner = load_learner(learner)
    env = LearnedRewardWrapper(make_env(env_id), learner)
    discrete = isinstance(env.action_space, gym.spaces.Discrete)
    cls = SoftQ if discrete else SAC
    inner = {k: getattr(learner.config, k) for k in ("hidden_sizes", "learning_rate",
                                                     "gamma", "learning_starts", "batch_size",
                                                     "tau")}
    if discrete:
        inner.update(temperature=learner.config.temperature,
                     target_update_interval=learner.config.target_update_interval,
                     train_freq=learner.config.train_freq)
    agent = cls(env, eval_env=make_env(env_id), tensorboard=False,
                **{**inner, "seed": seed, **hyperparameters})
    curve: list[tuple[int, float]] = []

    class Record(EvalCallback):
        def on_step(self, a: Agent) -> bool:
            before = a.last_evaluation
            go_on = super().on_step(a)
            if a.last_evaluation is not before and a.last_evaluation is not None:
                curve.append((a.num_steps, a.last_evaluation["mean_return"]))
            return go_on

    agent.learn(steps, callback=Record(eval_every, eval_episodes), progress_bar=progress_bar)
    final = agent.evaluate(max(eval_episodes, 10))
    curve.append((agent.num_steps, final["mean_return"]))
    return agent, curve
