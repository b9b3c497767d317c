"""Gymnasium environment construction with validation at the boundary."""

from __future__ import annotations

import difflib
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv


class UnknownEnvironmentError(ValueError):
    """An environment id that is not in ``gymnasium.registry``."""


class ActionSpaceError(ValueError):
    """An environment whose action (or observation) space the agent cannot handle."""


def check_env_id(env_id: str) -> None:
    """Raise :class:`UnknownEnvironmentError` listing close matches if ``env_id`` is unknown."""
    if env_id in gym.registry:
        return
    matches = difflib.get_close_matches(env_id, list(gym.registry), n=5, cutoff=0.5)
    hint = f" Did you mean: {', '.join(matches)}?" if matches else ""
    raise UnknownEnvironmentError(
        f"unknown Gymnasium environment id {env_id!r}.{hint} "
        "(Registered ids are in gymnasium.registry; third-party envs must be imported first.)"
    )


def make_vector_env(
    env: str | gym.Env | VectorEnv, n_envs: int = 1, env_kwargs: dict[str, Any] | None = None
) -> VectorEnv:
    """Return a vector env from an id, a single env, or a vector env (passed through).

    Envs built here use same-step autoreset (the final observation is in
    ``info["final_obs"]``); a vector env passed in may use next-step or same-step autoreset.

    Parameters
    ----------
    env : str, gymnasium.Env or gymnasium.vector.VectorEnv
        Registered id, environment instance, or vector environment.
    n_envs : int
        Number of copies when ``env`` is an id.
    env_kwargs : dict, optional
        Keyword arguments for ``gymnasium.make_vec`` when ``env`` is an id.

    Returns
    -------
    gymnasium.vector.VectorEnv
    """
    if isinstance(env, VectorEnv):
        mode = env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
        if mode not in (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP):
            raise ValueError(
                f"vector env autoreset mode {mode} is not supported; use NEXT_STEP or SAME_STEP"
            )
        return env
    if isinstance(env, gym.Env):
        if n_envs != 1:
            raise ValueError("n_envs > 1 needs an environment id, not an environment instance")
        return gym.vector.SyncVectorEnv([lambda: env], autoreset_mode=AutoresetMode.SAME_STEP)
    if isinstance(env, str):
        check_env_id(env)
        return gym.make_vec(
            env,
            num_envs=n_envs,
            vectorization_mode="sync",
            vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP},
            **(env_kwargs or {}),
        )
    raise TypeError(f"expected an env id, gymnasium.Env or VectorEnv; got {type(env).__name__}")


def check_continuous_spaces(
    action_space: gym.Space, observation_space: gym.Space, agent: str
) -> tuple[int, int]:
    """Validate a Box action space with finite bounds and a Box observation space.

    Parameters
    ----------
    action_space, observation_space : gymnasium.Space
        Single-env spaces.
    agent : str
        Agent name for the error message.

    Returns
    -------
    (obs_dim, action_dim) : tuple of int
        Flattened sizes.
    """
    if not isinstance(action_space, gym.spaces.Box):
        raise ActionSpaceError(
            f"{agent} needs a continuous (Box) action space; this environment has "
            f"{action_space}. Use an agent for discrete actions, or wrap the environment so its "
            "actions are a Box."
        )
    if not (np.all(np.isfinite(action_space.low)) and np.all(np.isfinite(action_space.high))):
        raise ActionSpaceError(
            f"{agent} squashes actions into the action-space bounds, which must be finite; "
            f"got {action_space}. Wrap the env with gymnasium.wrappers.RescaleAction."
        )
    if not isinstance(observation_space, gym.spaces.Box):
        raise ActionSpaceError(
            f"{agent} needs a Box observation space; got {observation_space}. "
            "Use gymnasium.wrappers.FlattenObservation."
        )
    return int(np.prod(observation_space.shape)), int(np.prod(action_space.shape))


def env_id_of(env: gym.Env | VectorEnv | str) -> str | None:
    """The registered id behind ``env`` (None if it was not made from the registry)."""
    if isinstance(env, str):
        return env
    spec = getattr(env, "spec", None)
    return None if spec is None else spec.id
