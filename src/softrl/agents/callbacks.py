"""Callbacks for ``learn`` (Stable-Baselines3's habits, without feeding them ``locals()``).

A callback sees the agent: ``agent.num_steps``, ``agent.logger`` (metrics of this ``learn``),
``agent.last_evaluation`` and the agent's methods. ``on_step`` runs after every iteration of the
training loop (one vector env step for off-policy agents, one rollout for on-policy agents) and
returns False to stop training.

Example
-------
>>> from softrl.agents import SAC, EvalCallback, StopOnReward, CheckpointCallback
>>> agent = SAC("Pendulum-v1")                                      # doctest: +SKIP
>>> agent.learn(50_000, callback=[                                  # doctest: +SKIP
...     EvalCallback(every=5_000, n_episodes=5, best_model_path="out/best"),
...     StopOnReward(-200.0),
...     CheckpointCallback(every=10_000, path="out/checkpoints")])
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gymnasium as gym

if TYPE_CHECKING:
    from softrl.agents.base import Agent

__all__ = [
    "Callback",
    "CallbackList",
    "CheckpointCallback",
    "EvalCallback",
    "StopOnReward",
    "as_callback_list",
]


class Callback:
    """Base class: override any of the three hooks."""

    def on_training_start(self, agent: Agent) -> None:
        """Called once at the start of ``learn``."""

    def on_step(self, agent: Agent) -> bool:
        """Called after each training-loop iteration; return False to stop training."""
        return True

    def on_training_end(self, agent: Agent) -> None:
        """Called once when ``learn`` ends (also after a stop)."""


class _Every(Callback):
    """A callback that fires each time ``num_steps`` crosses a multiple of ``every``."""

    def __init__(self, every: int) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"'every' must be an integer >= 1 (environment steps); got {every!r}")
        self.every = every
        self._mark = 0

    def on_training_start(self, agent: Agent) -> None:
        self._mark = agent.num_steps // self.every

    def _due(self, agent: Agent) -> bool:
        mark = agent.num_steps // self.every
        due, self._mark = mark > self._mark, mark
        return due


class EvalCallback(_Every):
    """Evaluate every ``every`` env steps, log ``eval/*`` and keep the best model.

    Parameters
    ----------
    every : int
        Environment steps between evaluations.
    n_episodes : int
        Episodes per evaluation.
    eval_env : gymnasium.Env, optional
        Where to evaluate (default: the agent's evaluation env, see ``Agent.evaluate``).
    best_model_path : path, optional
        When given, the agent is saved there (atomically) each time the mean return beats the
        best so far.
    deterministic : bool
        Act with the policy's mode.
    """

    def __init__(
        self,
        every: int,
        n_episodes: int = 5,
        eval_env: gym.Env | None = None,
        best_model_path: str | os.PathLike | None = None,
        deterministic: bool = True,
    ) -> None:
        super().__init__(every)
        if isinstance(n_episodes, bool) or not isinstance(n_episodes, int) or n_episodes < 1:
            raise ValueError(f"'n_episodes' must be an integer >= 1; got {n_episodes!r}")
        self.n_episodes = n_episodes
        self.eval_env = eval_env
        self.best_model_path = None if best_model_path is None else Path(best_model_path)
        self.deterministic = deterministic
        self.best_mean_return = -float("inf")

    def on_step(self, agent: Agent) -> bool:
        if self._due(agent):
            result = agent.evaluate(self.n_episodes, env=self.eval_env,
                                    deterministic=self.deterministic)
            if agent.logger is not None:
                agent.logger.log(agent.num_steps, {f"eval/{k}": v for k, v in result.items()})
            if result["mean_return"] > self.best_mean_return:
                self.best_mean_return = result["mean_return"]
                if self.best_model_path is not None:
                    agent.save(self.best_model_path, include_buffer=False)
        return True


class CheckpointCallback(_Every):
    """Write a checkpoint every ``every`` env steps (atomically).

    Parameters
    ----------
    every : int
        Environment steps between checkpoints.
    path : path, optional
        Directory receiving ``step_000001000``-style checkpoints (default: the agent's
        ``run_dir/checkpoints``, whose latest one ``--resume`` and ``Agent.load`` pick up).
    include_buffer : bool
        Also save the replay buffer (needed for an exact resume of off-policy agents).
    keep : int
        Checkpoints to keep (the oldest are removed; 0 keeps all).
    """

    def __init__(self, every: int, path: str | os.PathLike | None = None,
                 include_buffer: bool = True, keep: int = 2) -> None:
        super().__init__(every)
        self.path = None if path is None else Path(path)
        self.include_buffer = include_buffer
        self.keep = keep

    def on_training_start(self, agent: Agent) -> None:
        super().on_training_start(agent)
        if self.path is None and agent.run_dir is None:
            raise ValueError("CheckpointCallback needs a path= or an agent with a run_dir")

    def on_step(self, agent: Agent) -> bool:
        if self._due(agent):
            agent.checkpoint(self.path, include_buffer=self.include_buffer, keep=self.keep)
        return True


class StopOnReward(Callback):
    """Stop training once the latest evaluation's mean return reaches ``threshold``.

    It reads ``agent.last_evaluation`` (set by any evaluation: an :class:`EvalCallback`, the
    ``eval_every`` hyperparameter or a call to ``evaluate``), so put it after an evaluating
    callback. With ``use_training_returns=True`` it reads the mean return of the last 20
    training episodes instead.
    """

    def __init__(self, threshold: float, use_training_returns: bool = False) -> None:
        self.threshold = float(threshold)
        self.use_training_returns = use_training_returns

    def on_step(self, agent: Agent) -> bool:
        if self.use_training_returns:
            value = agent.recent_return()
        else:
            last = agent.last_evaluation
            value = None if last is None else last["mean_return"]
        return value is None or value < self.threshold


class CallbackList(Callback):
    """Runs callbacks in order; training stops when any ``on_step`` returns False."""

    def __init__(self, callbacks: Sequence[Callback]) -> None:
        self.callbacks = list(callbacks)

    def on_training_start(self, agent: Agent) -> None:
        for cb in self.callbacks:
            cb.on_training_start(agent)

    def on_step(self, agent: Agent) -> bool:
        go_on = True
        for cb in self.callbacks:
            go_on = cb.on_step(agent) is not False and go_on
        return go_on

    def on_training_end(self, agent: Agent) -> None:
        for cb in self.callbacks:
            cb.on_training_end(agent)


def as_callback_list(callback: Callback | Iterable[Callback] | None) -> list[Callback]:
    """Normalize ``learn``'s ``callback=`` argument to a list, checking each element."""
    if callback is None:
        return []
    items: list[Any] = [callback] if isinstance(callback, Callback) else list(callback)
    for cb in items:
        if not isinstance(cb, Callback):
            raise ValueError(f"callback must be a softrl.agents.Callback (or a list of them); "
                             f"got {type(cb).__name__}")
    return items
