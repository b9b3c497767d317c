"""MultiGoal: the 2-D point mass of soft Q-learning's multi-modal experiment, and a transfer pair.

Haarnoja, Tang, Abbeel, Levine (2017), "Reinforcement Learning with Deep Energy-Based Policies"
(https://arxiv.org/abs/1702.08165), Section 5.1; the dynamics and reward follow the reference
code (haarnoja/softqlearning, ``softqlearning/environments/multigoal.py``).

Importing this module (``import softrl.agents`` or ``softrl.training`` does; a bare
``import softrl`` does not) registers with Gymnasium:

- ``softrl/MultiGoal-v0``: four goals at (+-5, 0) and (0, +-5), 30 steps at most;
- ``softrl/MultiGoalBlocked-v0``: the same task with one goal removed (the transfer target;
  ``gymnasium.make("softrl/MultiGoalBlocked-v0", removed_goal=k)`` removes goal k, default 0,
  the goal at (5, 0)). A policy pretrained on MultiGoal-v0 that reaches goal k must find
  another one: the removed goal no longer pays the +10 nor ends the episode, and the distance
  cost is to the nearest remaining goal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np

__all__ = ["GOALS", "MULTIGOAL_BLOCKED_ID", "MULTIGOAL_ID", "MultiGoal", "goal_histogram",
           "nearest_goal", "rollouts"]

MULTIGOAL_ID = "softrl/MultiGoal-v0"
MULTIGOAL_BLOCKED_ID = "softrl/MultiGoalBlocked-v0"

GOALS = np.array([[5.0, 0.0], [-5.0, 0.0], [0.0, 5.0], [0.0, -5.0]])
"""The four goal positions of the paper, in the order (5,0), (-5,0), (0,5), (0,-5)."""


class MultiGoal(gym.Env):
    """A point mass in the plane moved by velocity actions, rewarded for reaching any goal.

    State p in [-7, 7]^2 (the observation), starting at ``init_position`` (the origin). An
    action a in [-1, 1]^2 (clipped) moves it to p' = clip(p + a, -7, 7) (plus Gaussian noise of
    std ``noise`` if > 0). The reward is

        r(p, a, p') = -action_cost * ||a||^2 - distance_cost * min_g ||p' - g||^2
                      + goal_reward * [min_g ||p' - g|| < goal_threshold]

    over the goals g, and the episode terminates when the last indicator is 1. Registered with
    a 30-step time limit (truncation). ``info["goal"]`` is the index (into ``GOALS``) of the
    goal reached, or -1.

    Parameters
    ----------
    goals : sequence of int, optional
        Indices into ``GOALS`` of the active goals (default: all four).
    removed_goal : int, optional
        An index into ``GOALS`` to drop from ``goals`` (the transfer target).
    action_cost, distance_cost, goal_reward, goal_threshold : float
        The reward's constants (paper: 30, 1, 10, 1).
    noise : float
        Std of the Gaussian noise added to each move (paper: 0).
    init_position : (float, float)
        Start position (paper: the origin).
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(
        self,
        goals: Sequence[int] | None = None,
        removed_goal: int | None = None,
        action_cost: float = 30.0,
        distance_cost: float = 1.0,
        goal_reward: float = 10.0,
        goal_threshold: float = 1.0,
        noise: float = 0.0,
        init_position: tuple[float, float] = (0.0, 0.0),
    ) -> None:
        indices = list(range(len(GOALS))) if goals is None else [int(g) for g in goals]
        for g in indices + ([] if removed_goal is None else [removed_goal]):
            if not 0 <= int(g) < len(GOALS):
                raise ValueError(f"MultiGoal goal indices must be in 0..{len(GOALS) - 1} "
                                 f"(positions {GOALS.tolist()}); got {g!r}")
        if removed_goal is not None:
            indices = [g for g in indices if g != int(removed_goal)]
        if not indices:
            raise ValueError("MultiGoal needs at least one active goal; goals minus "
                             "removed_goal is empty")
        for name, value in (("action_cost", action_cost), ("distance_cost", distance_cost),
                            ("goal_threshold", goal_threshold), ("noise", noise)):
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"MultiGoal's {name} must be a finite number >= 0; got "
                                 f"{value!r}")
        self.goal_indices = np.array(indices)
        self.goals = GOALS[self.goal_indices]
        self.action_cost, self.distance_cost = float(action_cost), float(distance_cost)
        self.goal_reward, self.goal_threshold = float(goal_reward), float(goal_threshold)
        self.noise = float(noise)
        self.init_position = np.asarray(init_position, dtype=np.float64).reshape(2)
        self.observation_space = gym.spaces.Box(-7.0, 7.0, (2,), np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
        self.position = self.init_position.copy()

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start at ``init_position``; returns the observation (2,) and an empty info dict."""
        super().reset(seed=seed)
        self.position = self.init_position.copy()
        return self.position.astype(np.float32), {}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Move by the clipped action; reward and termination as in the class docstring."""
        a = np.clip(np.asarray(action, dtype=np.float64).reshape(2), -1.0, 1.0)
        move = a + (self.noise * self.np_random.standard_normal(2) if self.noise else 0.0)
        self.position = np.clip(self.position + move, -7.0, 7.0)
        dist = np.linalg.norm(self.goals - self.position, axis=-1)
        k = int(np.argmin(dist))
        reached = bool(dist[k] < self.goal_threshold)
        reward = (-self.action_cost * float(a @ a) - self.distance_cost * float(dist[k] ** 2)
                  + (self.goal_reward if reached else 0.0))
        info = {"goal": int(self.goal_indices[k]) if reached else -1}
        return self.position.astype(np.float32), reward, reached, False, info


def rollouts(
    act: Callable[[np.ndarray], np.ndarray], n_episodes: int = 100, seed: int = 0,
    env: MultiGoal | None = None, max_steps: int = 30,
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Run ``n_episodes`` episodes of ``act`` (observation -> action) from the start position.

    Returns
    -------
    goals : int array (n_episodes,)
        Index into ``GOALS`` of the goal each episode reached, -1 if none within ``max_steps``.
    paths : list of arrays (T_k + 1, 2)
        Visited positions, start included.
    returns : float array (n_episodes,)
        Undiscounted returns.
    """
    env = MultiGoal() if env is None else env
    goals, paths, returns = np.full(n_episodes, -1), [], np.zeros(n_episodes)
    for k in range(n_episodes):
        obs, _ = env.reset(seed=seed + k)
        path = [obs]
        for _ in range(max_steps):
            obs, reward, terminated, _, info = env.step(act(obs))
            path.append(obs)
            returns[k] += reward
            if terminated:
                goals[k] = info["goal"]
                break
        paths.append(np.asarray(path))
    return goals, paths, returns


def goal_histogram(goals: np.ndarray) -> np.ndarray:
    """Counts of episodes per goal (len(GOALS)) followed by the count of no goal reached."""
    g = np.asarray(goals)
    return np.array([int((g == k).sum()) for k in range(len(GOALS))] + [int((g < 0).sum())])


def nearest_goal(positions: np.ndarray, threshold: float = 1.0) -> np.ndarray:
    """Index into ``GOALS`` of the goal within ``threshold`` of each position (N, 2), else -1."""
    p = np.asarray(positions, dtype=np.float64).reshape(-1, 2)
    dist = np.linalg.norm(p[:, None, :] - GOALS[None], axis=-1)
    k = dist.argmin(-1)
    return np.where(dist[np.arange(len(p)), k] < threshold, k, -1)


if MULTIGOAL_ID not in gym.registry:
    gym.register(MULTIGOAL_ID, entry_point=MultiGoal, max_episode_steps=30)
if MULTIGOAL_BLOCKED_ID not in gym.registry:
    gym.register(MULTIGOAL_BLOCKED_ID, entry_point=MultiGoal, max_episode_steps=30,
                 kwargs={"removed_goal": 0})
