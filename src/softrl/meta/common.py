"""What the meta-learners that own their loop (PEARL, MAML) share: the task family and its
train/test split, seeding, episodes, per-task buffers, logs, checkpoints and meta-testing."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
import torch
from torch import Tensor, nn

from softrl.envs.meta_tasks import MetaTaskEnv, make_task_env
from softrl.training.checkpoint import load_checkpoint, save_checkpoint
from softrl.training.logger import Logger
from softrl.training.seeding import make_rngs, rng_state, set_rng_state
from softrl.validation import check_names

__all__ = ["Episode", "MetaLearner", "TaskBuffer", "rollout_episode"]


@dataclass
class Episode:
    """One episode's transitions, arrays with leading length L."""

    obs: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    next_obs: np.ndarray
    dense_rewards: np.ndarray | None = None
    """``info["dense_reward"]`` of each step where the env reports one (the point robot's
    -|p - g|, also on the sparse task), else None."""

    def __len__(self) -> int:
        return len(self.rewards)

    def total_reward(self) -> float:
        """Undiscounted return."""
        return float(self.rewards.sum())

    def context(self) -> np.ndarray:
        """PEARL's context rows (s, a, r), shape (L, obs + action + 1), float32."""
        return np.concatenate([self.obs, self.actions, self.rewards[:, None]], 1).astype(
            np.float32)


def rollout_episode(env: gym.Env, act: Callable[[np.ndarray], np.ndarray],
                    seed: int | None = None, max_steps: int = 100_000) -> Episode:
    """Run ``act`` for one episode of ``env`` (reset with ``seed``)."""
    obs, _ = env.reset(seed=seed)
    rows: list[tuple[np.ndarray, np.ndarray, float, np.ndarray, float | None]] = []
    for _ in range(max_steps):
        action = act(obs)
        nxt, reward, terminated, truncated, info = env.step(action)
        rows.append((np.asarray(obs, np.float32), np.asarray(action, np.float32).reshape(-1),
                     float(reward), np.asarray(nxt, np.float32), info.get("dense_reward")))
        obs = nxt
        if terminated or truncated:
            break
    o, a, r, n, d = zip(*rows, strict=True)
    dense = None if any(x is None for x in d) else np.asarray(d, np.float32)
    return Episode(np.stack(o), np.stack(a), np.asarray(r, np.float32), np.stack(n), dense)


class TaskBuffer:
    """The transitions (s, a, r, s') collected on one task (grows without bound; meta-RL
    tasks are short)."""

    def __init__(self, obs_dim: int, action_dim: int) -> None:
        self.obs = np.zeros((0, obs_dim), np.float32)
        self.actions = np.zeros((0, action_dim), np.float32)
        self.rewards = np.zeros(0, np.float32)
        self.next_obs = np.zeros((0, obs_dim), np.float32)
        self.dense_rewards = np.zeros(0, np.float32)  # the env's reward where it has none

    def __len__(self) -> int:
        return len(self.rewards)

    def clear(self) -> None:
        """Drop every transition (PEARL refills its context buffers with recent episodes)."""
        self.__init__(self.obs.shape[1], self.actions.shape[1])  # type: ignore[misc]

    def add(self, ep: Episode) -> None:
        """Append an episode."""
        self.obs = np.concatenate([self.obs, ep.obs])
        self.actions = np.concatenate([self.actions, ep.actions])
        self.rewards = np.concatenate([self.rewards, ep.rewards])
        self.next_obs = np.concatenate([self.next_obs, ep.next_obs])
        dense = ep.rewards if ep.dense_rewards is None else ep.dense_rewards
        self.dense_rewards = np.concatenate([self.dense_rewards, dense])

    def sample(self, n: int, rng: np.random.Generator, device: torch.device
               ) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        """n transitions drawn uniformly with replacement: (s, a, r, s', dense r) tensors
        (the last is the env's ``info["dense_reward"]``, or r where it reports none)."""
        i = rng.integers(len(self), size=n)
        return tuple(torch.as_tensor(x[i], device=device)  # type: ignore[return-value]
                     for x in (self.obs, self.actions, self.rewards, self.next_obs,
                               self.dense_rewards))

    def sample_context(self, n: int, rng: np.random.Generator, device: torch.device) -> Tensor:
        """n context rows (s, a, r) drawn uniformly with replacement, (n, obs + action + 1)."""
        i = rng.integers(len(self), size=n)
        return torch.as_tensor(np.concatenate([self.obs[i], self.actions[i],
                                               self.rewards[i, None]], 1), device=device)

    def state(self) -> dict[str, Tensor]:
        """Tensors to checkpoint."""
        return {k: torch.from_numpy(getattr(self, k).copy())
                for k in ("obs", "actions", "rewards", "next_obs", "dense_rewards")}

    def load(self, state: dict[str, Tensor]) -> None:
        """Restore :meth:`state`."""
        for k, v in state.items():
            setattr(self, k, v.numpy().astype(np.float32))


class MetaLearner:
    """Base of PEARL and MAML: a task family with fixed train and test tasks, a ``fit`` loop
    of iterations with logs (``run_dir/metrics.csv``) and checkpoints, and ``meta_test``.

    A subclass sets ``kind`` and ``config_class`` (a frozen dataclass with ``seed``,
    ``n_train_tasks``, ``n_test_tasks``, ``device`` and a ``validate()``) and defines
    ``_build``, ``_modules``, ``_optimizers``, ``_start`` (data before the first iteration),
    ``_iteration`` (collect + update; returns losses) and ``adapt(task, n_episodes, seed)``.
    """

    kind: ClassVar[str] = ""
    config_class: ClassVar[type] = object

    def __init__(self, tasks: str | MetaTaskEnv = "point-dense",
                 run_dir: str | os.PathLike | None = None, **hyperparameters: Any) -> None:
        fields = {f.name: f for f in dataclasses.fields(self.config_class)}
        check_names(self.kind, hyperparameters, sorted(fields), what="hyperparameter")
        for name, value in hyperparameters.items():
            if isinstance(value, list) and "tuple" in str(fields[name].type):
                hyperparameters[name] = tuple(value)
        self.config = c = self.config_class(**hyperparameters)
        c.validate()
        self.tasks_name = tasks if isinstance(tasks, str) else type(tasks).__name__
        self.env = make_task_env(tasks) if isinstance(tasks, str) else tasks
        if not isinstance(self.env, MetaTaskEnv):
            raise ValueError(f"tasks must be a task family name or a MetaTaskEnv; got {tasks!r}")
        space = self.env.action_space
        if not isinstance(space, gym.spaces.Box):
            raise ValueError(f"{self.kind} needs a task family with Box actions (point-dense, "
                             f"point-sparse); {self.tasks_name!r} has {space}. Use RL2 for the "
                             "bandits.")
        self.obs_dim = int(np.prod(self.env.observation_space.shape))
        self.action_dim = int(np.prod(space.shape))
        self.train_tasks = self.env.sample_tasks(c.n_train_tasks, seed=c.seed)
        self.test_tasks = self.env.sample_tasks(c.n_test_tasks, seed=c.seed + 100_000)
        self.task_dim = int(sum(np.size(v) for v in self.train_tasks[0].values()))
        self.device = torch.device(c.device)
        self.rngs = make_rngs(c.seed, self.device)
        self.run_dir = None if run_dir is None else Path(run_dir)
        self.num_steps = self.num_updates = self.iteration = 0
        self.started = False
        self._build()
        for m in self._modules().values():
            m.to(self.device)
        self._low = torch.as_tensor(space.low.reshape(-1), dtype=torch.float32)
        self._high = torch.as_tensor(space.high.reshape(-1), dtype=torch.float32)

    # ------------------------------------------------------------------ for subclasses
    def _build(self) -> None:
        raise TypeError(f"{type(self).__name__} must define _build")

    def _modules(self) -> dict[str, nn.Module]:
        return {}

    def _optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {}

    def _start(self) -> None:
        """Collect what the first iteration needs (default: nothing)."""

    def _iteration(self) -> dict[str, float]:
        raise TypeError(f"{type(self).__name__} must define _iteration")

    def _buffers(self) -> dict[str, dict[str, Tensor]]:
        bufs: dict[str, dict[str, Tensor]] = {}
        for name in ("rl_buffers", "context_buffers"):
            for i, b in enumerate(getattr(self, name, [])):
                bufs[f"{name}_{i}"] = b.state()
        return bufs

    def adapt(self, task: dict[str, Any], n_episodes: int, seed: int,
              deterministic: bool = True) -> list[float]:
        """Returns of ``n_episodes`` successive adaptation episodes on one task."""
        raise TypeError(f"{type(self).__name__} must define adapt")

    # ------------------------------------------------------------------ helpers
    def scale_action(self, a: Tensor) -> np.ndarray:
        """A squashed action in (-1, 1) -> the env's [low, high]."""
        a = a.detach().cpu()
        return (self._low + 0.5 * (a + 1.0) * (self._high - self._low)).numpy()

    def normalize_action(self, a: Tensor) -> Tensor:
        """An env action in [low, high] -> (-1, 1) (the inverse of :meth:`scale_action`)."""
        low, high = self._low.to(a.device), self._high.to(a.device)
        return (2.0 * (a - low) / (high - low) - 1.0).clamp(-1.0, 1.0)

    def task_tensor(self, task: dict[str, Any]) -> Tensor:
        """The task's parameters as one flat float32 vector (the oracle's input)."""
        return torch.as_tensor(np.concatenate([np.ravel(v) for v in task.values()]),
                               dtype=torch.float32, device=self.device)

    def _episode_seed(self) -> int:
        return int(self.rngs.np.integers(2**31))

    # ------------------------------------------------------------------ public API
    def fit(self, n_iterations: int, checkpoint_every: int = 0,
            callback: Callable[[MetaLearner, dict[str, float]], bool | None] | None = None,
            ) -> MetaLearner:
        """Run ``n_iterations`` more iterations; returns ``self``.

        Each iteration appends a row (env steps, losses) to ``run_dir/metrics.csv``;
        ``checkpoint_every`` > 0 also checkpoints to ``run_dir/checkpoint`` that often.
        ``callback(learner, losses)`` returning False stops early.
        """
        if isinstance(n_iterations, bool) or not isinstance(n_iterations, int) or \
                n_iterations < 0:
            raise ValueError(f"n_iterations must be an integer >= 0; got {n_iterations!r}")
        logger = Logger(self.run_dir, tensorboard=False, resume_step=self.num_steps) \
            if self.run_dir is not None else None
        try:
            if not self.started:
                self._start()
                self.started = True
            for _ in range(n_iterations):
                losses = self._iteration()
                self.iteration += 1
                if logger is not None:
                    logger.log(self.num_steps, {"iteration": self.iteration, **losses})
                if checkpoint_every and self.run_dir is not None and \
                        self.iteration % checkpoint_every == 0:
                    self.save(self.run_dir / "checkpoint")
                if callback is not None and callback(self, losses) is False:
                    break
        finally:
            if logger is not None:
                logger.close()
        return self

    def meta_test(self, tasks: list[dict[str, Any]] | None = None, n_episodes: int = 3,
                  seed: int = 0, deterministic: bool = True) -> dict[str, Any]:
        """Adapt on each held-out task (default: ``test_tasks``) for ``n_episodes`` episodes.

        Returns
        -------
        dict
            ``returns`` (n_tasks, n_episodes) array and ``mean_returns`` per adaptation
            episode (list).
        """
        if isinstance(n_episodes, bool) or not isinstance(n_episodes, int) or n_episodes < 1:
            raise ValueError(f"n_episodes must be an integer >= 1; got {n_episodes!r}")
        tasks = self.test_tasks if tasks is None else tasks
        saved = rng_state(self.rngs)
        self.rngs.np.bit_generator.state = np.random.default_rng(seed).bit_generator.state
        self.rngs.torch.manual_seed(seed)
        try:
            returns = np.array([self.adapt(t, n_episodes, seed + 1000 * i, deterministic)
                                for i, t in enumerate(tasks)])
        finally:  # meta-testing never changes what training computes next
            set_rng_state(self.rngs, *saved)
        return {"returns": returns, "mean_returns": returns.mean(0).tolist()}

    def save(self, path: str | os.PathLike) -> Path:
        """Write an atomic checkpoint directory (networks, optimizers, buffers, RNGs)."""
        states: dict[str, Any] = {k: m.state_dict() for k, m in self._modules().items()}
        states.update({k: o.state_dict() for k, o in self._optimizers().items()})
        states.update(self._buffers())
        np_state, torch_state = rng_state(self.rngs)
        states["rng"] = {"torch": torch_state.cpu()}
        meta = {"kind": self.kind, "tasks": self.tasks_name, "num_steps": self.num_steps,
                "num_updates": self.num_updates, "iteration": self.iteration,
                "started": self.started, "np_rng_state": np_state}
        return save_checkpoint(path, dataclasses.asdict(self.config), states, meta)

    @classmethod
    def load(cls, path: str | os.PathLike, run_dir: str | os.PathLike | None = None
             ) -> MetaLearner:
        """Rebuild a learner from :meth:`save`'s directory (training resumes exactly)."""
        ckpt = load_checkpoint(path, kind=cls.kind)
        meta = ckpt.meta
        learner = cls(meta["tasks"], run_dir=run_dir, **ckpt.config)
        for k, m in learner._modules().items():
            m.load_state_dict(ckpt.states[k])
        for k, o in learner._optimizers().items():
            o.load_state_dict(ckpt.states[k])
        for name in ("rl_buffers", "context_buffers"):
            for i, b in enumerate(getattr(learner, name, [])):
                b.load(ckpt.states[f"{name}_{i}"])
        set_rng_state(learner.rngs, meta["np_rng_state"], ckpt.states["rng"]["torch"])
        learner.num_steps, learner.num_updates = int(meta["num_steps"]), int(meta["num_updates"])
        learner.iteration, learner.started = int(meta["iteration"]), bool(meta["started"])
        return learner
