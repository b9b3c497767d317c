"""Gymnasium environment construction with validation at the boundary."""

from __future__ import annotations

import copy
import dataclasses
import difflib
import importlib
import json
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.envs.registration import EnvSpec, WrapperSpec
from gymnasium.vector import AutoresetMode, VectorEnv


class UnknownEnvironmentError(ValueError):
    """An environment id that is not in ``gymnasium.registry``."""


class ActionSpaceError(ValueError):
    """An environment whose action (or observation) space the agent cannot handle."""


def check_env_id(env_id: str) -> None:
    """Raise :class:`UnknownEnvironmentError` listing close matches if ``env_id`` is unknown.

    ``"module:EnvName-v0"`` (Gymnasium's form for third-party envs) imports ``module`` first,
    which registers its environments, exactly as ``gymnasium.make`` does.
    """
    if not isinstance(env_id, str) or not env_id:
        raise UnknownEnvironmentError(f"an environment id must be a non-empty string; got "
                                      f"{env_id!r}")
    name = env_id
    if ":" in env_id:
        module, name = env_id.split(":", 1)
        try:
            importlib.import_module(module)
        except ImportError as err:
            raise UnknownEnvironmentError(
                f"cannot import module {module!r} of the environment id {env_id!r}: {err}. "
                "Install the package that provides it, or check the spelling."
            ) from err
    if name in gym.registry:
        return
    matches = difflib.get_close_matches(name, list(gym.registry), n=5, cutoff=0.5)
    hint = f" Did you mean: {', '.join(matches)}?" if matches else ""
    raise UnknownEnvironmentError(
        f"unknown Gymnasium environment id {env_id!r}.{hint} "
        "(Registered ids are in gymnasium.registry; a third-party env is written "
        "'module:EnvName-v0' so that its module is imported first.)"
    )


class EpisodeRecorder(gym.Wrapper):
    """Records what it takes to rebuild the current episode: how it was reset, and its actions.

    At each reset it stores the reset seed, or (for ``seed=None``) the state of the
    environment's ``np_random`` just before the reset; each step appends the action.  Replaying
    them (:meth:`replay`) into a fresh copy of the same environment recreates the episode's
    state exactly for any environment that draws its randomness from ``np_random``, which is
    how checkpoints resume mid-episode without pickling the environment.
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.reset_seed: int | None = None
        self.reset_rng_state: dict[str, Any] | None = None
        self.reset_options: dict[str, Any] | None = None
        self.actions: list[np.ndarray] = []

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        self.reset_seed, self.reset_options = seed, options
        self.reset_rng_state = (
            None if seed is not None else copy.deepcopy(self.env.np_random.bit_generator.state)
        )
        self.actions = []
        return self.env.reset(seed=seed, options=options)

    def step(self, action):
        self.actions.append(np.array(action, copy=True))
        return self.env.step(action)

    def episode_state(self) -> dict[str, Any]:
        """JSON-friendly reset record plus the actions as one array (steps, *action_shape)."""
        actions = (np.stack(self.actions) if self.actions else
                   np.zeros((0, *self.action_space.shape), self.action_space.dtype))
        return {"seed": self.reset_seed, "rng_state": self.reset_rng_state,
                "options": self.reset_options, "actions": actions}

    def replay(self, state: dict[str, Any]) -> tuple[Any, bool]:
        """Reset as recorded and step through the recorded actions.

        Returns
        -------
        (obs, done) : the observation after the last action and whether the episode ended.
        """
        if state["rng_state"] is not None:
            rng = np.random.Generator(np.random.PCG64())
            rng.bit_generator.state = copy.deepcopy(state["rng_state"])
            self.env.np_random = rng
        obs, _ = self.reset(seed=state["seed"], options=state["options"])
        if state["rng_state"] is not None:
            self.reset_rng_state = copy.deepcopy(state["rng_state"])
        done = False
        for action in np.asarray(state["actions"]):
            obs, _, terminated, truncated, _ = self.step(action)
            done = bool(terminated or truncated)
        return obs, done


def make_env(env_id: str | EnvSpec, **kwargs: Any) -> gym.Env:
    """``gymnasium.make`` with one-line errors (unknown id, missing optional dependency)."""
    if isinstance(env_id, str):
        check_env_id(env_id)
    try:
        return gym.make(env_id, **kwargs)
    except gym.error.DependencyNotInstalled as err:
        raise MissingDependencyError(
            f"environment {_spec_id(env_id)!r} needs a package that is not installed: {err}"
        ) from err


class MissingDependencyError(ValueError):
    """An environment whose optional dependency (MuJoCo, Box2D, ...) is not installed."""


def _spec_id(env_id: str | EnvSpec) -> str:
    return env_id if isinstance(env_id, str) else env_id.id


def make_vector_env(
    env: str | EnvSpec | gym.Env | VectorEnv,
    n_envs: int = 1,
    env_kwargs: dict[str, Any] | None = None,
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
        recorded = EpisodeRecorder(env)
        return gym.vector.SyncVectorEnv([lambda: recorded],
                                        autoreset_mode=AutoresetMode.SAME_STEP)
    if isinstance(env, (str, EnvSpec)):
        if isinstance(env, str):
            check_env_id(env)
        try:
            return gym.make_vec(
                env,
                num_envs=n_envs,
                vectorization_mode="sync",
                vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP},
                wrappers=[EpisodeRecorder],
                **(env_kwargs or {}),
            )
        except gym.error.DependencyNotInstalled as err:
            raise MissingDependencyError(
                f"environment {_spec_id(env)!r} needs a package that is not installed: {err}"
            ) from err
    raise TypeError(f"expected an env id, gymnasium.Env or VectorEnv; got {type(env).__name__}")


def recorders(envs: VectorEnv) -> list[EpisodeRecorder] | None:
    """The :class:`EpisodeRecorder` of each copy, or None when ``envs`` was not built here."""
    subs = getattr(envs, "envs", None)
    if not isinstance(envs, gym.vector.SyncVectorEnv) or not subs:
        return None
    found = [e if isinstance(e, EpisodeRecorder) else None for e in subs]
    return None if any(e is None for e in found) else found  # type: ignore[return-value]


def env_spec_of(env: gym.Env | VectorEnv | str) -> EnvSpec | None:
    """The spec that rebuilds ``env`` with its wrappers (None if it has none or can't)."""
    if isinstance(env, str):
        return None
    if isinstance(env, VectorEnv):
        subs = getattr(env, "envs", None)
        spec = subs[0].spec if subs else None
    else:
        spec = env.spec
    if spec is None or spec_record(spec) is None:
        return None
    # The recorder is softrl's own bookkeeping, not part of the user's environment.
    wrappers = tuple(w for w in spec.additional_wrappers if w.name != "EpisodeRecorder")
    return dataclasses.replace(spec, additional_wrappers=wrappers)


def spec_record(spec: EnvSpec) -> dict[str, Any] | None:
    """A JSON-friendly record of ``spec`` for checkpoints (None if it cannot be rebuilt).

    Registered ids whose entry point is a class (not a ``"module:Class"`` string) are kept by
    id: the registry supplies the entry point again when the record is read.
    """
    if spec.id not in gym.registry:
        return None
    wrappers = []
    for w in spec.additional_wrappers:
        if not isinstance(w.entry_point, str) or w.name == "EpisodeRecorder":
            if w.name == "EpisodeRecorder":
                continue
            return None
        wrappers.append({"name": w.name, "entry_point": w.entry_point, "kwargs": w.kwargs})
    record = {"id": spec.id, "kwargs": spec.kwargs, "max_episode_steps": spec.max_episode_steps,
              "additional_wrappers": wrappers}
    try:
        json.dumps(record)
    except (TypeError, ValueError):
        return None
    return record


def spec_from_record(record: dict[str, Any]) -> EnvSpec:
    """The :class:`EnvSpec` that :func:`spec_record` described."""
    check_env_id(record["id"])
    base = gym.spec(record["id"])
    wrappers = tuple(WrapperSpec(w["name"], w["entry_point"], w["kwargs"])
                     for w in record["additional_wrappers"])
    return dataclasses.replace(base, kwargs=record["kwargs"],
                               max_episode_steps=record["max_episode_steps"],
                               additional_wrappers=wrappers)


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


def check_discrete_spaces(
    action_space: gym.Space, observation_space: gym.Space, agent: str
) -> tuple[int, int]:
    """Validate a Discrete action space and a Box or Discrete observation space.

    Returns
    -------
    (obs_dim, n_actions) : tuple of int
        Flat observation size (one-hot size for Discrete observations) and number of actions.
    """
    if not isinstance(action_space, gym.spaces.Discrete):
        raise ActionSpaceError(
            f"{agent} needs a discrete (Discrete) action space; this environment has "
            f"{action_space}. Use SAC for continuous (Box) actions."
        )
    if isinstance(observation_space, gym.spaces.Discrete):
        return int(observation_space.n), int(action_space.n)
    if not isinstance(observation_space, gym.spaces.Box):
        raise ActionSpaceError(
            f"{agent} needs a Box or Discrete observation space; got {observation_space}. "
            "Use gymnasium.wrappers.FlattenObservation."
        )
    return int(np.prod(observation_space.shape)), int(action_space.n)
