"""Demonstrations for Gymnasium environments: flat transitions grouped into episodes.

A :class:`Demonstrations` holds N transitions (s_t, a_t, r_t, s_{t+1}, terminated, truncated)
of E episodes laid end to end; ``episode_starts[e]`` is the index of episode e's first
transition. Everything is checked when the object is built (:class:`DemonstrationError`, a
``ValueError`` naming the field and the fix), and :meth:`Demonstrations.validate_for` checks it
against an environment's spaces.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import gymnasium as gym
import numpy as np

from softrl.mdp.validation import DemonstrationError

__all__ = ["DemonstrationError", "Demonstrations"]


@dataclass(frozen=True, eq=False)
class Demonstrations:
    """N transitions of E demonstrated episodes, as numpy arrays.

    Attributes
    ----------
    obs : array (N, *obs_shape)
        Observations s_t.
    actions : array (N, *act_shape)
        Actions a_t as the environment takes them (int64 (N,) for a Discrete action space).
    rewards : float64 array (N,) or None
        Rewards r_t; None when the source had none.
    next_obs : array (N, *obs_shape)
        Observations s_{t+1} (the true last observation of an episode, not a reset one).
    terminated, truncated : bool arrays (N,)
        Episode ended in a terminal state / was cut (time limit). Only an episode's last
        transition may carry either flag; a last transition with neither is an episode cut
        short by the recorder.
    episode_starts : int64 array (E,)
        Index of each episode's first transition: 0 first, strictly increasing, < N.
    env_id : str or None
        The Gymnasium id the demos were recorded in, if known.
    """

    obs: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray | None
    next_obs: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    episode_starts: np.ndarray
    env_id: str | None = None
    _ends: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        obs = _numeric("obs", self.obs)
        next_obs = _numeric("next_obs", self.next_obs)
        actions = _numeric("actions", self.actions)
        n = obs.shape[0] if obs.ndim else 0
        if obs.ndim == 0 or n == 0:
            raise DemonstrationError("demonstrations are empty (obs has no transitions); "
                                     "record at least one episode")
        lengths = {"obs": n, "actions": _len(actions), "next_obs": _len(next_obs),
                   "terminated": _len(self.terminated), "truncated": _len(self.truncated)}
        if self.rewards is not None:
            lengths["rewards"] = _len(self.rewards)
        bad = {k: v for k, v in lengths.items() if v != n}
        if bad:
            raise DemonstrationError(
                f"ragged demonstrations: obs has {n} transitions but {bad}; every per-step "
                "array (obs, actions, rewards, next_obs, terminated, truncated) needs the same "
                "length N")
        if next_obs.shape != obs.shape:
            raise DemonstrationError(f"next_obs has shape {next_obs.shape}; it must match obs "
                                     f"{obs.shape}")
        rewards = None
        if self.rewards is not None:
            rewards = _numeric("rewards", self.rewards).astype(np.float64)
            if rewards.shape != (n,):
                raise DemonstrationError(f"rewards must have shape ({n},); got {rewards.shape}")
        for name, arr in (("obs", obs), ("next_obs", next_obs), ("actions", actions),
                          ("rewards", rewards)):
            if arr is not None and np.issubdtype(arr.dtype, np.floating) \
                    and not np.all(np.isfinite(arr)):
                first = int(np.argwhere(~np.isfinite(arr.reshape(n, -1)))[0, 0])
                raise DemonstrationError(
                    f"{name} contains NaN or inf (first at transition {first}); clean or "
                    "re-record the demonstrations")
        flags = {}
        for name in ("terminated", "truncated"):
            arr = np.asarray(getattr(self, name))
            if arr.shape != (n,) or not (arr.dtype == bool or np.all((arr == 0) | (arr == 1))):
                raise DemonstrationError(f"{name} must be a boolean array of shape ({n},); got "
                                         f"shape {arr.shape} dtype {arr.dtype}")
            flags[name] = arr.astype(bool)
        starts = np.asarray(self.episode_starts)
        if (starts.ndim != 1 or starts.size == 0 or not np.issubdtype(starts.dtype, np.integer)
                or starts[0] != 0 or np.any(np.diff(starts) <= 0) or starts[-1] >= n):
            raise DemonstrationError(
                f"episode_starts must be a 1-D integer array starting at 0, strictly "
                f"increasing and < N = {n}; got {starts.tolist()[:10]}")
        starts = starts.astype(np.int64)
        ends = np.append(starts[1:], n) - 1
        done = flags["terminated"] | flags["truncated"]
        mid = np.flatnonzero(done)
        mid = mid[~np.isin(mid, ends)]
        if mid.size:
            raise DemonstrationError(
                f"transition {int(mid[0])} is terminated or truncated but is not the last of its "
                "episode; episode_starts must start a new episode after every end")
        both = np.flatnonzero(flags["terminated"] & flags["truncated"])
        if both.size:
            raise DemonstrationError(f"transition {int(both[0])} is both terminated and "
                                     "truncated; an episode ends one way")
        if self.env_id is not None and not isinstance(self.env_id, str):
            raise DemonstrationError(f"env_id must be a string or None; got {self.env_id!r}")
        set_(self, "obs", obs)
        set_(self, "next_obs", next_obs)
        set_(self, "actions", actions)
        set_(self, "rewards", rewards)
        set_(self, "terminated", flags["terminated"])
        set_(self, "truncated", flags["truncated"])
        set_(self, "episode_starts", starts)
        set_(self, "_ends", ends + 1)

    # ------------------------------------------------------------------ views
    def __len__(self) -> int:
        return int(self.obs.shape[0])

    def __repr__(self) -> str:
        return (f"Demonstrations({self.num_episodes} episodes, {len(self)} transitions, "
                f"obs {self.obs.shape[1:]}, actions {self.actions.shape[1:]} {self.actions.dtype}"
                f", rewards {'yes' if self.rewards is not None else 'no'}, "
                f"env_id={self.env_id!r})")

    @property
    def num_episodes(self) -> int:
        """E, the number of episodes."""
        return int(self.episode_starts.shape[0])

    @property
    def has_rewards(self) -> bool:
        """Whether rewards were recorded."""
        return self.rewards is not None

    def episode_lengths(self) -> np.ndarray:
        """Transitions per episode, int64 (E,)."""
        return self._ends - self.episode_starts

    def episode_index(self) -> np.ndarray:
        """The episode of each transition, int64 (N,)."""
        return np.repeat(np.arange(self.num_episodes), self.episode_lengths())

    def episodes(self) -> Iterator[Demonstrations]:
        """Each episode as its own :class:`Demonstrations` (numpy views, no copies)."""
        for start, end in zip(self.episode_starts, self._ends, strict=True):
            yield self._slice(int(start), int(end))

    def episode_returns(self, gamma: float = 1.0) -> np.ndarray:
        """sum_t gamma^t r_t of each episode, float64 (E,).

        Raises
        ------
        DemonstrationError
            When the demonstrations have no rewards.
        """
        if self.rewards is None:
            raise DemonstrationError("these demonstrations have no rewards; record them with "
                                     "rewards (softrl demos) or load TrajectoryWithRew objects")
        t = np.arange(len(self)) - np.repeat(self.episode_starts, self.episode_lengths())
        return np.bincount(self.episode_index(), weights=self.rewards * gamma ** t,
                           minlength=self.num_episodes)

    def select_episodes(self, indices: Sequence[int] | np.ndarray) -> Demonstrations:
        """A copy holding the episodes ``indices`` (in that order)."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        if idx.size == 0 or np.any((idx < 0) | (idx >= self.num_episodes)):
            raise DemonstrationError(f"episode indices must be a non-empty selection of "
                                     f"0..{self.num_episodes - 1}; got {idx.tolist()[:10]}")
        return concatenate([self._slice(int(self.episode_starts[i]), int(self._ends[i]))
                            for i in idx])

    def split(self, fraction: float, seed: int = 0) -> tuple[Demonstrations, Demonstrations]:
        """Split by whole episodes into (first, second) with ``fraction`` of the episodes in
        the second part (at least one in each), shuffled by ``seed``."""
        if self.num_episodes < 2:
            raise DemonstrationError("splitting needs at least 2 episodes; record more")
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"fraction must be in (0, 1); got {fraction}")
        order = np.random.default_rng(seed).permutation(self.num_episodes)
        k = min(max(1, round(fraction * self.num_episodes)), self.num_episodes - 1)
        return self.select_episodes(np.sort(order[k:])), self.select_episodes(np.sort(order[:k]))

    def _slice(self, start: int, end: int) -> Demonstrations:
        return Demonstrations(
            self.obs[start:end], self.actions[start:end],
            None if self.rewards is None else self.rewards[start:end],
            self.next_obs[start:end], self.terminated[start:end], self.truncated[start:end],
            np.zeros(1, np.int64), self.env_id)

    # ------------------------------------------------------------------ env checks
    def validate_for(self, env: Any, check_env_id: bool = True) -> Demonstrations:
        """Check the demonstrations against an environment; return ``self``.

        Parameters
        ----------
        env : gymnasium.Env, VectorEnv, str, or (observation_space, action_space)
            The environment (an id is made with ``gymnasium.make``).
        check_env_id : bool
            Also require the recorded ``env_id`` (if any) to equal the env's id.

        Raises
        ------
        DemonstrationError
            Naming the field that does not fit: observation or action shape, dtype, or an
            action outside the action space.
        """
        obs_space, act_space, env_id = _spaces(env)
        if check_env_id and self.env_id and env_id and self.env_id != env_id:
            raise DemonstrationError(
                f"env_id: the demonstrations were recorded in {self.env_id!r}, not {env_id!r}; "
                "load demos of this env (or pass check_env_id=False if the two are the same "
                "task under different names)")
        for name in ("obs", "next_obs"):
            _check_in_space(name, getattr(self, name), obs_space, "observation", check_low=False)
        _check_in_space("actions", self.actions, act_space, "action", check_low=True)
        return self

    def to(self, **changes: Any) -> Demonstrations:
        """A copy with some fields replaced (validated again), e.g. ``demos.to(rewards=None)``."""
        return replace(self, **changes)


def concatenate(parts: Sequence[Demonstrations]) -> Demonstrations:
    """Demonstrations of several sources laid end to end (same shapes, same env)."""
    parts = list(parts)
    if not parts:
        raise DemonstrationError("nothing to concatenate: pass at least one Demonstrations")
    ids = {p.env_id for p in parts if p.env_id is not None}
    if len(ids) > 1:
        raise DemonstrationError(f"env_id: cannot concatenate demos of different envs {ids}")
    with_rewards = [p.rewards is not None for p in parts]
    if any(with_rewards) and not all(with_rewards):
        raise DemonstrationError("rewards: some parts have rewards and others not; drop them "
                                 "with demos.to(rewards=None) first")
    for p in parts[1:]:
        if p.obs.shape[1:] != parts[0].obs.shape[1:] or \
                p.actions.shape[1:] != parts[0].actions.shape[1:]:
            raise DemonstrationError(
                f"obs/actions: parts have shapes {parts[0].obs.shape[1:]}/"
                f"{parts[0].actions.shape[1:]} and {p.obs.shape[1:]}/{p.actions.shape[1:]}")
    offsets = np.cumsum([0] + [len(p) for p in parts[:-1]])
    return Demonstrations(
        np.concatenate([p.obs for p in parts]), np.concatenate([p.actions for p in parts]),
        np.concatenate([p.rewards for p in parts]) if all(with_rewards) else None,
        np.concatenate([p.next_obs for p in parts]),
        np.concatenate([p.terminated for p in parts]),
        np.concatenate([p.truncated for p in parts]),
        np.concatenate([p.episode_starts + o for p, o in zip(parts, offsets, strict=True)]),
        ids.pop() if ids else None)


# ---------------------------------------------------------------------- helpers
def _len(x: Any) -> int:
    shape = np.shape(x)
    return int(shape[0]) if shape else 0


def _numeric(name: str, x: Any) -> np.ndarray:
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as err:  # ragged nested lists
        raise DemonstrationError(f"{name} is not a rectangular array ({err}); give every "
                                 "transition the same shape") from err
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise DemonstrationError(f"{name} must be numeric; got dtype {arr.dtype} (ragged or "
                                 "non-numeric data; dict observations are not supported)")
    return arr


def _spaces(env: Any) -> tuple[gym.Space, gym.Space, str | None]:
    if isinstance(env, tuple) and len(env) == 2:
        return env[0], env[1], None
    if isinstance(env, str):
        from softrl.training.envs import make_env

        made = make_env(env)
        try:
            return made.observation_space, made.action_space, env
        finally:
            made.close()
    if isinstance(env, gym.vector.VectorEnv):
        subs = getattr(env, "envs", None)
        spec = getattr(env, "spec", None) or (subs[0].spec if subs else None)
        return (env.single_observation_space, env.single_action_space,
                None if spec is None else spec.id)
    if isinstance(env, gym.Env):
        spec = env.spec
        return env.observation_space, env.action_space, None if spec is None else spec.id
    raise TypeError(f"validate_for needs a gymnasium.Env, VectorEnv, env id or (observation "
                    f"space, action space); got {type(env).__name__}")


def _check_in_space(name: str, arr: np.ndarray, space: gym.Space, what: str,
                    check_low: bool) -> None:
    """Shape, dtype and (for actions and Discrete observations) range of ``arr``."""
    n = arr.shape[0]
    if isinstance(space, gym.spaces.Discrete):
        if arr.shape not in ((n,), (n, 1)):
            raise DemonstrationError(f"{name} have shape {arr.shape[1:]} per transition; the "
                                     f"{what} space {space} takes scalars")
        if not np.issubdtype(arr.dtype, np.integer) and not np.all(arr == np.round(arr)):
            raise DemonstrationError(f"{name} have dtype {arr.dtype} with non-integer values; "
                                     f"the {what} space {space} takes integers")
        lo, hi = int(space.start), int(space.start + space.n)
        out = np.flatnonzero((arr.reshape(n) < lo) | (arr.reshape(n) >= hi))
        if out.size:
            raise DemonstrationError(f"{name}[{int(out[0])}] = {arr.reshape(n)[out[0]]} is "
                                     f"outside the {what} space {space}")
        return
    if isinstance(space, gym.spaces.Box):
        if arr.shape[1:] != space.shape:
            raise DemonstrationError(
                f"{name} have shape {arr.shape[1:]} per transition; the env's {what} space "
                f"{space} has shape {space.shape}. These demos are for another env")
        if np.issubdtype(space.dtype, np.integer) and not np.issubdtype(arr.dtype, np.integer) \
                and not np.all(arr == np.round(arr)):
            raise DemonstrationError(f"{name} have dtype {arr.dtype}; the {what} space {space} "
                                     "holds integers")
        if check_low:
            flat = arr.reshape(n, -1).astype(np.float64)
            low = np.broadcast_to(space.low, space.shape).reshape(-1)
            high = np.broadcast_to(space.high, space.shape).reshape(-1)
            tol = 1e-6 * np.maximum(1.0, np.abs(np.where(np.isfinite(high), high, 0)))
            out = np.argwhere((flat < low - tol) | (flat > high + tol))
            if out.size:
                i, j = map(int, out[0])
                raise DemonstrationError(
                    f"{name}[{i}] component {j} = {flat[i, j]:g} is outside the {what} space "
                    f"bounds [{low[j]:g}, {high[j]:g}]; record actions in the env's units")
        return
    raise DemonstrationError(f"{what} space {space} is not supported (Box or Discrete only)")
