"""Tiny control tasks for fast smoke tests of deep agents.

Importing this module registers ``softrl/PointMass1D-v0`` (continuous actions) and
``softrl/PointMass1DDiscrete-v0`` (three discrete actions) with Gymnasium.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

POINT_MASS_ID = "softrl/PointMass1D-v0"
POINT_MASS_DISCRETE_ID = "softrl/PointMass1DDiscrete-v0"


class PointMass1D(gym.Env):
    """Position p in [-1, 1]; action a in [-1, 1] moves p to clip(p + a/2); reward -p'^2.

    Episodes start at p ~ U(-1, 1) and are truncated after 10 steps (registered with a time
    limit), never terminated. A uniformly random policy scores about -3.5 per episode; moving
    to 0 and staying there scores about -0.1.
    """

    def __init__(self) -> None:
        self.observation_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
        self.p = 0.0

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start at a uniform position; returns observation (1,) and an empty info dict."""
        super().reset(seed=seed)
        self.p = float(self.np_random.uniform(-1.0, 1.0))
        return np.array([self.p], np.float32), {}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Move by half the action; reward is minus the squared distance to 0."""
        a = float(np.clip(np.asarray(action, dtype=np.float64).reshape(-1)[0], -1.0, 1.0))
        self.p = float(np.clip(self.p + 0.5 * a, -1.0, 1.0))
        return np.array([self.p], np.float32), -self.p**2, False, False, {}


class PointMass1DDiscrete(PointMass1D):
    """The point mass with actions {0: move -1/2, 1: stay, 2: move +1/2} (a Discrete(3) space).

    A uniformly random policy scores about -3.5 per episode, moving to 0 about -0.1.
    """

    def __init__(self) -> None:
        super().__init__()
        self.action_space = gym.spaces.Discrete(3)

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Move by (action - 1) / 2; reward is minus the squared distance to 0."""
        return super().step(np.array([float(int(action) - 1)]))


if POINT_MASS_ID not in gym.registry:
    gym.register(POINT_MASS_ID, entry_point=PointMass1D, max_episode_steps=10)
if POINT_MASS_DISCRETE_ID not in gym.registry:
    gym.register(POINT_MASS_DISCRETE_ID, entry_point=PointMass1DDiscrete, max_episode_steps=10)
