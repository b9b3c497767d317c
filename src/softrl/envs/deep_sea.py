"""bsuite's deep_sea as a Gymnasium env, reimplemented exactly, with bsuite's score.

Deep sea (Osband et al. 2019, "Behaviour Suite for Reinforcement Learning",
https://arxiv.org/abs/1908.03568; the task of https://arxiv.org/abs/1806.03335): an N x N
grid, a block falling one row per step from the top-left corner, each action moving it one
column left or right. Action 0/1 means left/right or right/left by a fixed random mapping per
cell. Moving right costs 0.01 / N; reaching the bottom-right corner (by moving right in the
last column) pays 1, so the optimal return is 0.99 and only one of the 2^N action sequences
finds it: dithering (epsilon-greedy, Boltzmann) needs about 2^N episodes.

The dynamics, the random draws and the bookkeeping (bad episodes, denoised return) follow
``bsuite/environments/deep_sea.py`` (bsuite 0.3.6) line by line, including its use of two
``numpy.random.RandomState`` streams (``seed`` for the windy and noisy version,
``mapping_seed`` for the action mapping); ``tests/envs/test_deep_sea.py`` replays
trajectories recorded from bsuite itself. Importing this module registers
``softrl/DeepSea-v0`` (keyword ``size``, default 10).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np

__all__ = ["DEEP_SEA_ID", "DeepSea", "deep_sea_score", "deep_sea_solved_at"]

DEEP_SEA_ID = "softrl/DeepSea-v0"


class DeepSea(gym.Env):
    """bsuite's deep_sea with the Gymnasium API (observations: the N x N one-hot grid).

    Parameters
    ----------
    size : int >= 1
        N.
    deterministic : bool
        False: "windy" (a right move fails with probability 1/N) with N(0, 1) reward noise in
        the bottom corners.
    unscaled_move_cost : float
        Cost of a right move times N.
    randomize_actions : bool
        The random per-cell action mapping (False: action 1 is always right; bsuite's debug
        mode).
    seed : int, optional
        Seed of the transition and reward noise (``reset(seed=s)`` reseeds it with s).
    mapping_seed : int, optional
        Seed of the action mapping. None: drawn from the ``seed`` of the first seeded
        ``reset`` (so ``reset(seed=s)`` equals bsuite's ``DeepSea(seed=s, mapping_seed=s)``),
        or unseeded when the env is never reset with a seed.

    Notes
    -----
    Episodes last exactly N steps and end by termination; the final observation is all zeros.
    ``info`` carries bsuite's logging fields ``total_bad_episodes`` and ``denoised_return``
    (cumulative over the env's life) and ``bad_episode`` (this episode left the diagonal by a
    wrong move).
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, size: int = 10, deterministic: bool = True,
                 unscaled_move_cost: float = 0.01, randomize_actions: bool = True,
                 seed: int | None = None, mapping_seed: int | None = None) -> None:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"The 'size' parameter of DeepSea must be an integer >= 1. Got "
                             f"{size!r} instead.")
        self._size = int(size)
        self._deterministic = bool(deterministic)
        self._unscaled_move_cost = float(unscaled_move_cost)
        self._randomize = bool(randomize_actions)
        self._rng = np.random.RandomState(seed)
        self._mapping_seed = mapping_seed
        self._mapping_fixed = mapping_seed is not None or not randomize_actions
        if randomize_actions:
            self._action_mapping = np.random.RandomState(mapping_seed).binomial(
                1, 0.5, [self._size, self._size])
        else:
            warnings.warn("DeepSea is in debug mode (randomize_actions=False): action 1 is "
                          "right everywhere", stacklevel=2)
            self._action_mapping = np.ones([self._size, self._size])
        optimal_no_cost = (1.0 if self._deterministic
                           else (1 - 1 / self._size) ** (self._size - 1))
        self.optimal_return = optimal_no_cost - self._unscaled_move_cost
        self.observation_space = gym.spaces.Box(0.0, 1.0, (self._size, self._size), np.float32)
        self.action_space = gym.spaces.Discrete(2)
        self._row = 0
        self._column = 0
        self._bad_episode = False
        self.total_bad_episodes = 0
        self.denoised_return = 0.0

    @property
    def size(self) -> int:
        """N."""
        return self._size

    @property
    def action_mapping(self) -> np.ndarray:
        """(N, N) array: the action that moves right in each cell."""
        return self._action_mapping

    def _observation(self) -> np.ndarray:
        obs = np.zeros((self._size, self._size), dtype=np.float32)
        if self._row < self._size:
            obs[self._row, self._column] = 1.0
        return obs

    def _info(self) -> dict[str, Any]:
        return {"bad_episode": self._bad_episode, "total_bad_episodes": self.total_bad_episodes,
                "denoised_return": self.denoised_return}

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[np.ndarray, dict[str, Any]]:
        """Back to the top-left cell; ``seed`` reseeds the noise (and a not-yet-fixed mapping)."""
        super().reset(seed=seed)
        if seed is not None:
            self._rng = np.random.RandomState(seed)
            if not self._mapping_fixed:
                self._action_mapping = np.random.RandomState(seed).binomial(
                    1, 0.5, [self._size, self._size])
                self._mapping_fixed = True
        self._row = 0
        self._column = 0
        self._bad_episode = False
        return self._observation(), self._info()

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Fall one row, moving one column right or left (bsuite's ``_step``)."""
        if self._row >= self._size:
            raise RuntimeError("DeepSea episode is over; call reset()")
        if not self.action_space.contains(action):
            raise ValueError(f"DeepSea actions are 0 and 1; got {action!r}")
        reward = 0.0
        action_right = action == self._action_mapping[self._row, self._column]
        if self._column == self._size - 1 and action_right:
            reward += 1.0
            self.denoised_return += 1.0
        if not self._deterministic and (self._row == self._size - 1
                                        and self._column in (0, self._size - 1)):
            reward += self._rng.randn()
        if action_right:
            if self._rng.rand() > 1 / self._size or self._deterministic:
                self._column = int(np.clip(self._column + 1, 0, self._size - 1))
            reward -= self._unscaled_move_cost / self._size
        else:
            if self._row == self._column:  # was on the optimal path and left it
                self._bad_episode = True
            self._column = int(np.clip(self._column - 1, 0, self._size - 1))
        self._row += 1
        terminated = self._row == self._size
        if terminated and self._bad_episode:
            self.total_bad_episodes += 1
        return self._observation(), float(reward), terminated, False, self._info()


def deep_sea_solved_at(bad_episodes: Sequence[bool] | np.ndarray, threshold: float = 0.8
                       ) -> int | None:
    """bsuite's "episodes to solve": the first episode k (1-based) at which the fraction of bad
    episodes so far, total_bad_episodes(k) / k, is below ``threshold`` (bsuite's
    ``find_solution``, thresh=0.8); None if it never is.

    Parameters
    ----------
    bad_episodes : sequence of bool
        Whether each episode, in order, was bad (``info["bad_episode"]`` at its end).
    """
    bad = np.asarray(bad_episodes, dtype=np.float64).reshape(-1)
    if bad.size == 0:
        return None
    k = np.arange(1, bad.size + 1)
    hit = np.flatnonzero(np.cumsum(bad) / k < threshold)
    return int(hit[0] + 1) if hit.size else None


def deep_sea_score(solved_at: dict[int, int | None], forgiveness: float = 100.0) -> float:
    """bsuite's deep_sea score: the fraction of sizes N solved before 2^N + ``forgiveness``
    episodes (``analysis.score``).

    Parameters
    ----------
    solved_at : dict of int to int or None
        Size N -> :func:`deep_sea_solved_at` of its run (None: not solved).
    """
    if not solved_at:
        raise ValueError("deep_sea_score needs at least one size")
    return float(np.mean([k is not None and k < 2**n + forgiveness
                          for n, k in solved_at.items()]))


if DEEP_SEA_ID not in gym.registry:
    gym.register(DEEP_SEA_ID, entry_point=DeepSea, kwargs={"size": 10})
