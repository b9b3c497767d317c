"""CartPole with a fixed horizon: the variant imitation and seals use to benchmark IRL.

Importing this module (``import softrl.agents`` or ``softrl.training`` does; a bare
``import softrl`` does not) registers with Gymnasium:

- ``softrl/FixedHorizonCartPole-v0``: CartPole-v1's dynamics, never ``terminated``, truncated
  after 500 steps; the reward is 1 while the state is "ok" (|x| < 2.4 and |theta| < 12 degrees,
  theta wrapped to [-pi, pi)) and 0 otherwise. It is seals' ``seals/CartPole-v0``
  (``seals.classic_control.FixedHorizonCartPole``), written here so that softrl needs no seals.

Why it matters for inverse RL: with CartPole-v1's early termination every episode's length
tells the policy's quality, and a learned reward that is positive everywhere (or negative
everywhere) already encodes "survive" (or "fall") through the absorbing state, whatever it
learned about the states themselves; with a fixed horizon the reward alone must say what is
good (Fu et al. 2018 and the seals documentation). The scores on both variants are reported.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.envs.classic_control.cartpole import CartPoleEnv

__all__ = ["FIXED_HORIZON_CARTPOLE_ID", "FixedHorizonCartPole"]

FIXED_HORIZON_CARTPOLE_ID = "softrl/FixedHorizonCartPole-v0"


class FixedHorizonCartPole(CartPoleEnv):
    """CartPole-v1 without termination; reward 1 in an ok state, else 0 (module docstring)."""

    def __init__(self, render_mode: str | None = None) -> None:
        super().__init__(render_mode=render_mode)
        big = np.finfo(np.float32).max
        high = np.array([big, big, math.pi, big], dtype=np.float32)
        self.observation_space = gym.spaces.Box(-high, high, dtype=np.float32)

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        obs, info = super().reset(seed=seed, options=options)
        return obs.astype(np.float32), info

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        with warnings.catch_warnings():  # CartPoleEnv warns when stepped after its own end
            warnings.filterwarnings("ignore", ".*You are calling 'step\\(\\)'.*")
            super().step(action)
        x, x_dot, theta, theta_dot = (float(v) for v in self.state)
        theta = (theta + math.pi) % (2 * math.pi) - math.pi
        self.state = np.array([x, x_dot, theta, theta_dot], dtype=np.float64)
        ok = abs(x) < self.x_threshold and abs(theta) < self.theta_threshold_radians
        return self.state.astype(np.float32), 1.0 if ok else 0.0, False, False, {}


if FIXED_HORIZON_CARTPOLE_ID not in gym.registry:
    gym.register(FIXED_HORIZON_CARTPOLE_ID, entry_point=FixedHorizonCartPole,
                 max_episode_steps=500)
