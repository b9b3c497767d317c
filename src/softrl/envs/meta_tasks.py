"""Task distributions for meta-RL as Gymnasium environments (seed 004, "Meta-RL").

Each env holds one task and exposes ``sample_tasks(n, seed=None)`` (a list of task dicts
drawn from the task distribution) and ``set_task(task)``. An env reset before any
``set_task`` draws its task from its own ``np_random``.

- :class:`BernoulliBandit`: k arms with means ~ U[0, 1]^k (the RL^2 paper's bandits); one
  episode is a trial of n pulls (terminated after the n-th). The observation is a constant 0.
- :class:`PointNavigation`: a point robot starts at the origin, actions (dx, dy) in
  [-0.1, 0.1]^2, horizon 20 (truncated). Dense: goals ~ U[-1, 1]^2, reward -|p - g|. Sparse:
  goals on the unit upper half-circle, reward 1 - |p - g| within 0.2 of the goal and 0
  elsewhere (PEARL's sparse point robot).
- :class:`MetaTrial`: the RL^2 view. One episode of it is a trial: a fresh task and
  ``episodes_per_trial`` episodes of the inner env; its observation is
  [inner obs, one-hot previous action (or the action itself), previous reward, previous
  inner-episode done, trial start], the last entry 1 exactly at the first step of a trial.

``make_task_env("bandit-k5-n10" | "point-dense" | "point-sparse")`` builds one by name;
importing this module registers ``softrl/MetaTrial-v0`` (kwargs ``tasks`` and
``episodes_per_trial``), one id per family (``softrl/MetaTrial-bandit-k5-n10-v0``,
``softrl/MetaTrial-point-dense-v0`` and ``softrl/MetaTrial-point-sparse-v0``, two episodes per
trial for navigation), ``softrl/Bandit-v0`` and ``softrl/PointNavigation-v0``.
"""

from __future__ import annotations

import re
from typing import Any

import gymnasium as gym
import numpy as np

__all__ = [
    "TASK_NAMES",
    "BernoulliBandit",
    "MetaTaskEnv",
    "MetaTrial",
    "PointNavigation",
    "make_task_env",
    "parse_task_name",
    "trial_spec",
]

TASK_NAMES = ("bandit-k5-n10", "point-dense", "point-sparse")
"""Named task families (any ``bandit-kK-nN`` works)."""


class MetaTaskEnv(gym.Env):
    """A Gymnasium env with a task distribution: ``sample_tasks`` / ``set_task`` /
    ``get_task``."""

    task: dict[str, np.ndarray] | None = None

    def _draw(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        raise TypeError(f"{type(self).__name__} must define _draw")

    def _check_task(self, task: dict[str, Any]) -> dict[str, np.ndarray]:
        raise TypeError(f"{type(self).__name__} must define _check_task")

    def sample_tasks(self, n: int, seed: int | None = None) -> list[dict[str, np.ndarray]]:
        """n tasks from the task distribution (from ``seed`` if given, else from the env's
        ``np_random``)."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be an integer >= 1; got {n!r}")
        rng = self.np_random if seed is None else np.random.default_rng(seed)
        return [self._draw(rng) for _ in range(n)]

    def set_task(self, task: dict[str, Any]) -> None:
        """Switch to ``task`` (a dict from :meth:`sample_tasks`); takes effect at once."""
        self.task = self._check_task(task)

    def get_task(self) -> dict[str, np.ndarray] | None:
        """The current task (None before the first reset or set_task)."""
        return None if self.task is None else {k: v.copy() for k, v in self.task.items()}


class BernoulliBandit(MetaTaskEnv):
    """k-armed Bernoulli bandit, a trial of n pulls per episode (module docstring).

    Parameters
    ----------
    n_arms : int
        k >= 2.
    n_pulls : int
        n >= 1 pulls per episode.
    """

    def __init__(self, n_arms: int = 5, n_pulls: int = 10) -> None:
        for name, value, low in (("n_arms", n_arms, 2), ("n_pulls", n_pulls, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}; got {value!r}")
        self.n_arms, self.n_pulls = n_arms, n_pulls
        self.observation_space = gym.spaces.Box(0.0, 1.0, (1,), np.float32)
        self.action_space = gym.spaces.Discrete(n_arms)
        self.t = 0

    def _draw(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        return {"means": rng.uniform(0.0, 1.0, self.n_arms)}

    def _check_task(self, task: dict[str, Any]) -> dict[str, np.ndarray]:
        means = np.asarray(task.get("means") if isinstance(task, dict) else None, dtype=float)
        if means.shape != (self.n_arms,) or np.any(means < 0) or np.any(means > 1):
            raise ValueError(f"a bandit task is {{'means': array of {self.n_arms} "
                             f"probabilities in [0, 1]}}; got {task!r}")
        return {"means": means.copy()}

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start a trial of n pulls (the task is kept)."""
        super().reset(seed=seed)
        if self.task is None:
            self.task = self._draw(self.np_random)
        self.t = 0
        return np.zeros(1, np.float32), {}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Pull arm ``action``: reward 1 with probability means[action], else 0."""
        a = int(action)
        if not 0 <= a < self.n_arms:
            raise ValueError(f"action must be an arm in [0, {self.n_arms}); got {action!r}")
        assert self.task is not None
        reward = float(self.np_random.random() < self.task["means"][a])
        self.t += 1
        return np.zeros(1, np.float32), reward, self.t >= self.n_pulls, False, {}


class PointNavigation(MetaTaskEnv):
    """2-D point robot with a random goal, dense or sparse reward (module docstring).

    Parameters
    ----------
    sparse : bool
        Goals on the unit upper half-circle and reward only within ``goal_radius``.
    horizon : int
        Steps per episode (truncated after).
    max_action : float
        Bound of each action component.
    goal_radius : float
        Radius of the sparse reward.
    """

    def __init__(self, sparse: bool = False, horizon: int = 20, max_action: float = 0.1,
                 goal_radius: float = 0.2) -> None:
        if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
            raise ValueError(f"horizon must be an integer >= 1; got {horizon!r}")
        if not max_action > 0 or not goal_radius > 0:
            raise ValueError(f"max_action and goal_radius must be > 0; got {max_action!r}, "
                             f"{goal_radius!r}")
        self.sparse, self.horizon = bool(sparse), horizon
        self.max_action, self.goal_radius = float(max_action), float(goal_radius)
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (2,), np.float32)
        self.action_space = gym.spaces.Box(-self.max_action, self.max_action, (2,), np.float32)
        self.position = np.zeros(2)
        self.t = 0

    def _draw(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        if self.sparse:
            angle = rng.uniform(0.0, np.pi)
            return {"goal": np.array([np.cos(angle), np.sin(angle)])}
        return {"goal": rng.uniform(-1.0, 1.0, 2)}

    def _check_task(self, task: dict[str, Any]) -> dict[str, np.ndarray]:
        goal = np.asarray(task.get("goal") if isinstance(task, dict) else None, dtype=float)
        if goal.shape != (2,) or not np.all(np.isfinite(goal)):
            raise ValueError(f"a navigation task is {{'goal': finite array of shape (2,)}}; "
                             f"got {task!r}")
        return {"goal": goal.copy()}

    def reward(self, position: np.ndarray) -> np.ndarray:
        """Reward at position(s) (..., 2) for the current goal."""
        assert self.task is not None
        dist = np.linalg.norm(np.asarray(position) - self.task["goal"], axis=-1)
        if not self.sparse:
            return -dist
        return np.where(dist <= self.goal_radius, 1.0 - dist, 0.0)

    def goal_seeking_return(self, tasks: list[dict[str, Any]]) -> float:
        """Mean return over ``tasks`` of a = clip(goal - p, -max_action, max_action): straight to
        the goal at full speed, then stay.  On the dense task this is the optimum (each step
        reaches the point of the reachable box closest to the goal), the reference of the
        meta-RL benches.  Leaves the env on the last task."""
        total = []
        for task in tasks:
            self.set_task(task)
            obs, _ = self.reset()
            ret, done = 0.0, False
            while not done:
                obs, reward, terminated, truncated, _ = self.step(
                    np.clip(self.task["goal"] - obs, -self.max_action, self.max_action))
                ret += reward
                done = terminated or truncated
            total.append(ret)
        return float(np.mean(total))

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[np.ndarray, dict[str, Any]]:
        """Back to the origin (the task is kept)."""
        super().reset(seed=seed)
        if self.task is None:
            self.task = self._draw(self.np_random)
        self.position = np.zeros(2)
        self.t = 0
        return self.position.astype(np.float32), {}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Move by the clipped action; reward at the new position."""
        a = np.clip(np.asarray(action, dtype=np.float64).reshape(-1), -self.max_action,
                    self.max_action)
        if a.shape != (2,) or not np.all(np.isfinite(a)):
            raise ValueError(f"action must be 2 finite numbers; got {action!r}")
        self.position = self.position + a
        self.t += 1
        reward = float(self.reward(self.position))
        # The dense reward -|p - g| in both variants: PEARL's sparse point robot trains its
        # critic on it while the encoder and the returns see the sparse reward.
        info = {"dense_reward": -float(np.linalg.norm(self.position - self.task["goal"]))}
        return self.position.astype(np.float32), reward, False, self.t >= self.horizon, info


def parse_task_name(name: str) -> tuple[str, dict[str, Any]]:
    """("bandit" | "point", constructor kwargs) for a task-family name (see TASK_NAMES)."""
    m = re.fullmatch(r"bandit-k(\d+)-n(\d+)", str(name))
    if m:
        return "bandit", {"n_arms": int(m.group(1)), "n_pulls": int(m.group(2))}
    if name in ("point-dense", "point-sparse"):
        return "point", {"sparse": name == "point-sparse"}
    raise ValueError(f"unknown task family {name!r}; use one of {list(TASK_NAMES)} (any "
                     "bandit-kK-nN)")


def make_task_env(name: str) -> MetaTaskEnv:
    """A fresh task env by family name: ``bandit-k5-n10``, ``point-dense``, ``point-sparse``."""
    family, kwargs = parse_task_name(name)
    return BernoulliBandit(**kwargs) if family == "bandit" else PointNavigation(**kwargs)


class MetaTrial(gym.Env):
    """RL^2's trial env: a new task per episode, ``episodes_per_trial`` inner episodes, and the
    previous action, reward and done in the observation (module docstring).

    Parameters
    ----------
    tasks : str or MetaTaskEnv
        Task family name or a task env.
    episodes_per_trial : int
        Inner episodes per trial (1 for the bandits, whose episode already has n pulls).
    """

    def __init__(self, tasks: str | MetaTaskEnv = "bandit-k5-n10",
                 episodes_per_trial: int = 1) -> None:
        self.inner = make_task_env(tasks) if isinstance(tasks, str) else tasks
        if not isinstance(self.inner, MetaTaskEnv):
            raise ValueError(f"tasks must be a task family name or a MetaTaskEnv; got {tasks!r}")
        if (isinstance(episodes_per_trial, bool) or not isinstance(episodes_per_trial, int)
                or episodes_per_trial < 1):
            raise ValueError(f"episodes_per_trial must be an integer >= 1; got "
                             f"{episodes_per_trial!r}")
        self.tasks_name = tasks if isinstance(tasks, str) else type(tasks).__name__
        self.episodes_per_trial = episodes_per_trial
        self.action_space = self.inner.action_space
        self.discrete = isinstance(self.action_space, gym.spaces.Discrete)
        self.action_width = int(self.action_space.n) if self.discrete else int(
            np.prod(self.action_space.shape))
        inner_dim = int(np.prod(self.inner.observation_space.shape))
        self.obs_dim = inner_dim + self.action_width + 3
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (self.obs_dim,), np.float32)
        self.episode = 0

    def _obs(self, inner_obs: np.ndarray, action: Any, reward: float, done: bool,
             start: bool) -> np.ndarray:
        prev = np.zeros(self.action_width, np.float32)
        if action is not None:
            if self.discrete:
                prev[int(action)] = 1.0
            else:
                prev[:] = np.asarray(action, np.float32).reshape(-1)
        return np.concatenate([np.asarray(inner_obs, np.float32).reshape(-1), prev,
                               [reward, float(done), float(start)]]).astype(np.float32)

    def set_task(self, task: dict[str, Any]) -> None:
        """Fix the task of the current trial (a new trial draws a new one at reset unless
        ``options={"task": task}`` is given)."""
        self.inner.set_task(task)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start a trial: a new task (``options["task"]`` or one drawn from ``np_random``)."""
        super().reset(seed=seed)
        task = (options or {}).get("task")
        self.inner.set_task(task if task is not None else self.inner._draw(self.np_random))
        inner_obs, _ = self.inner.reset(seed=int(self.np_random.integers(2**31)))
        self.episode = 0
        return self._obs(inner_obs, None, 0.0, False, True), {"task": self.inner.get_task()}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """One inner step; an inner episode's end starts the next one in the same task, the
        last one ends the trial (terminated: nothing of this task follows)."""
        inner_obs, reward, term, trunc, info = self.inner.step(action)
        info = {**info, "episode_in_trial": self.episode}
        done = bool(term or trunc)
        if done:
            self.episode += 1
            if self.episode >= self.episodes_per_trial:
                return self._obs(inner_obs, action, reward, True, False), reward, True, False, info
            inner_obs, _ = self.inner.reset()
        return self._obs(inner_obs, action, reward, done, False), reward, False, False, info


gym.register("softrl/MetaTrial-v0", entry_point=MetaTrial)
gym.register("softrl/Bandit-v0", entry_point=BernoulliBandit)
gym.register("softrl/PointNavigation-v0", entry_point=PointNavigation)
for _name in TASK_NAMES:
    gym.register(f"softrl/MetaTrial-{_name}-v0", entry_point=MetaTrial,
                 kwargs={"tasks": _name,
                         "episodes_per_trial": 1 if _name.startswith("bandit") else 2})


def trial_spec(tasks: str, episodes_per_trial: int | None = None) -> gym.envs.registration.EnvSpec:
    """The EnvSpec of ``softrl/MetaTrial-v0`` for a task family (default episodes per trial:
    1 for bandits, 2 for navigation); agents save it, so a checkpoint rebuilds the same env."""
    import dataclasses

    family, _ = parse_task_name(tasks)
    n = episodes_per_trial if episodes_per_trial is not None else (
        1 if family == "bandit" else 2)
    return dataclasses.replace(gym.spec("softrl/MetaTrial-v0"),
                               kwargs={"tasks": tasks, "episodes_per_trial": n})
