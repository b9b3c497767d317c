"""Policy evaluation by Monte Carlo rollouts."""

from __future__ import annotations

from collections.abc import Callable

import gymnasium as gym
import numpy as np


def evaluate_policy(
    act: Callable[[np.ndarray], np.ndarray],
    env: gym.Env,
    n_episodes: int = 10,
    seed: int | None = 0,
    max_episode_steps: int = 1_000_000,
) -> dict[str, float]:
    """Roll out ``n_episodes`` full episodes and summarize the undiscounted returns.

    Parameters
    ----------
    act : callable
        Maps one observation, shape (obs_dim,), to one action in the env's bounds.
    env : gymnasium.Env
        A single (non-vector) environment.
    n_episodes : int
        Number of episodes, >= 1.
    seed : int or None
        Episode ``k`` is reset with ``seed + k`` (so evaluations are repeatable).
    max_episode_steps : int
        An episode still running after this many steps is an error (an env without a time
        limit that never terminates would otherwise run forever).

    Returns
    -------
    dict
        ``mean_return``, ``std_return``, ``min_return``, ``max_return``, ``mean_length``.
    """
    if n_episodes < 1:
        raise ValueError(f"n_episodes must be a positive integer; got {n_episodes}")
    if isinstance(env, gym.vector.VectorEnv):
        raise ValueError("evaluation runs on a single gymnasium.Env, not a vector env; pass one "
                         "copy, e.g. gymnasium.make(env_id) with the same wrappers")
    returns, lengths = [], []
    for k in range(n_episodes):
        obs, _ = env.reset(seed=None if seed is None else seed + k)
        total, length, done = 0.0, 0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(act(obs))
            total += float(reward)
            length += 1
            done = bool(terminated or truncated)
            if length >= max_episode_steps and not done:
                raise ValueError(
                    f"evaluation episode {k} has not ended after {length} steps; the env "
                    "needs a time limit (gymnasium.wrappers.TimeLimit) or termination")
        returns.append(total)
        lengths.append(length)
    r = np.asarray(returns)
    return {
        "mean_return": float(r.mean()),
        "std_return": float(r.std()),
        "min_return": float(r.min()),
        "max_return": float(r.max()),
        "mean_length": float(np.mean(lengths)),
    }
