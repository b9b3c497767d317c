"""One collector for every agent: steps a vector env and says what each step means.

It hides the two autoreset modes of Gymnasium vector envs (same-step: the real s' of a finished
copy is in ``info["final_obs"]``; next-step: the step after ``done`` only resets that copy and
is not a transition), keeps truncation apart from termination (targets bootstrap through time
limits, never through terminations), and books episode returns and lengths.

Its state (current observations, running returns, and the reset record and actions of each
copy's current episode) goes into checkpoints, so a run resumes mid-episode: the environments
built by softrl record how their episode started, and a resumed run replays it into fresh copies
(:class:`softrl.training.envs.EpisodeRecorder`), without pickling anything.
"""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import numpy as np
import torch
from gymnasium.vector import AutoresetMode, VectorEnv

from softrl.training.envs import recorders

__all__ = ["Collector", "EnvStep"]


class EnvStep(NamedTuple):
    """What one vector step produced, for the copies that made a transition."""

    obs: np.ndarray
    """s_t of every copy, shape (N, *obs_shape)."""
    next_obs: np.ndarray
    """The real s_{t+1} (the final observation where an episode ended), (N, *obs_shape)."""
    rewards: np.ndarray
    """r_t, shape (N,)."""
    terminated: np.ndarray
    """s_{t+1} is terminal (do not bootstrap), shape (N,) bool."""
    truncated: np.ndarray
    """The episode was cut (time limit): bootstrap from ``next_obs``, shape (N,) bool."""
    valid: np.ndarray
    """False for a next-step-autoreset reset step, which is not a transition, shape (N,)."""
    episode_returns: list[float]
    """Undiscounted returns of the episodes that ended at this step."""
    episode_lengths: list[int]
    """Their lengths."""


class Collector:
    """Steps ``envs`` with given actions and tracks episodes.

    Parameters
    ----------
    envs : gymnasium.vector.VectorEnv
        Same-step or next-step autoreset.
    """

    def __init__(self, envs: VectorEnv) -> None:
        self.envs = envs
        self.n_envs = envs.num_envs
        self.next_step_autoreset = (
            envs.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
            == AutoresetMode.NEXT_STEP
        )
        self.obs: np.ndarray | None = None  # None: envs must be reset before stepping
        self.returns = np.zeros(self.n_envs)
        self.lengths = np.zeros(self.n_envs, dtype=np.int64)
        self._skip = np.zeros(self.n_envs, dtype=bool)
        self.steps = 0  # vector steps taken (for error messages)

    def observations(self, rng: np.random.Generator) -> np.ndarray:
        """The current observations s_t, (N, *obs_shape); resets the envs on first use with
        seeds ``k, k + 1, ...`` where ``k`` is drawn from ``rng``."""
        if self.obs is None:
            seed = int(rng.integers(2**31 - 1))
            self.obs, _ = self.envs.reset(seed=[seed + i for i in range(self.n_envs)])
            self.returns[:] = 0.0
            self.lengths[:] = 0
            self._skip[:] = False
        return self.obs

    def step(self, actions: np.ndarray) -> EnvStep:
        """Apply ``actions`` (already in the env's action space) to every copy."""
        assert self.obs is not None, "call observations() first"
        obs = self.obs
        next_obs, rewards, terminated, truncated, infos = self.envs.step(actions)
        terminated, truncated = np.asarray(terminated), np.asarray(truncated)
        rewards = np.asarray(rewards)
        self.steps += 1
        _check_finite(next_obs, rewards, self.steps)
        done = np.logical_or(terminated, truncated)
        # Same-step autoreset: next_obs of a finished copy is already the next episode's first
        # observation; the real s' is in infos["final_obs"].
        real_next = np.array(next_obs, dtype=np.float32, copy=True)
        if not self.next_step_autoreset and done.any():
            for i in np.flatnonzero(done):
                real_next[i] = np.asarray(infos["final_obs"][i])
        valid = ~self._skip
        self.returns[valid] += rewards[valid]
        self.lengths[valid] += 1
        ended = np.flatnonzero(done & valid)
        ep_returns = [float(self.returns[i]) for i in ended]
        ep_lengths = [int(self.lengths[i]) for i in ended]
        self.returns[ended] = 0.0
        self.lengths[ended] = 0
        if self.next_step_autoreset:
            self._skip = done & valid
        self.obs = next_obs
        return EnvStep(obs, real_next, rewards, terminated, truncated, valid, ep_returns,
                       ep_lengths)

    # ------------------------------------------------------------------ checkpoints
    def state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(JSON-friendly meta, tensors) that :meth:`restore` rebuilds the collector from."""
        recs = recorders(self.envs)
        meta: dict[str, Any] = {"started": self.obs is not None, "episodes": None}
        tensors: dict[str, Any] = {
            "returns": torch.from_numpy(self.returns.copy()),
            "lengths": torch.from_numpy(self.lengths.copy()),
            "skip": torch.from_numpy(self._skip.copy()),
        }
        if self.obs is not None:
            tensors["obs"] = torch.from_numpy(np.array(self.obs, copy=True))
            if recs is not None:
                episodes = [r.episode_state() for r in recs]
                meta["episodes"] = [
                    {k: e[k] for k in ("seed", "rng_state", "options")} for e in episodes
                ]
                for i, e in enumerate(episodes):
                    tensors[f"actions_{i}"] = torch.from_numpy(np.ascontiguousarray(e["actions"]))
        return meta, tensors

    def restore(self, meta: dict[str, Any], tensors: dict[str, Any]) -> None:
        """Continue the saved episodes exactly where possible, else restart them (warning)."""
        self.obs = None
        if not meta.get("started"):
            return
        recs = recorders(self.envs)
        episodes = meta.get("episodes")
        if recs is None or episodes is None or len(episodes) != len(recs):
            warnings.warn(
                "the environments cannot be rebuilt mid-episode (a vector env built outside "
                "softrl, or a checkpoint without episode records); their episodes restart, so "
                "the resumed run differs from an uninterrupted one",
                RuntimeWarning, stacklevel=3,
            )
            return
        saved_obs = tensors["obs"].numpy()
        obs = np.empty_like(saved_obs)
        dones = np.zeros(self.n_envs, dtype=bool)
        for i, (rec, ep) in enumerate(zip(recs, episodes, strict=True)):
            o, dones[i] = rec.replay({**ep, "actions": tensors[f"actions_{i}"].numpy()})
            obs[i] = np.asarray(o)
        if not np.array_equal(obs, saved_obs):
            warnings.warn(
                "replaying the saved episodes did not reproduce the saved observations (the "
                "environment is not deterministic given its seed and actions); episodes restart",
                RuntimeWarning, stacklevel=3,
            )
            return
        self.returns[:] = tensors["returns"].numpy()
        self.lengths[:] = tensors["lengths"].numpy()
        self._skip[:] = tensors["skip"].numpy()
        if self.next_step_autoreset:  # a copy that ended waits for its reset step
            self.envs._autoreset_envs = self._skip.copy()  # noqa: SLF001 (SyncVectorEnv)
        self.obs = saved_obs


def _check_finite(obs: Any, rewards: np.ndarray, step: int) -> None:
    """Raise when an env returns NaN or inf (Stable-Baselines3's VecCheckNan, built in)."""
    if not np.isfinite(rewards).all():
        i = int(np.flatnonzero(~np.isfinite(rewards))[0])
        raise ValueError(f"environment copy {i} returned the reward {rewards[i]} at vector step "
                         f"{step}; rewards must be finite (check the env or its wrappers)")
    arr = np.asarray(obs)
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        i = int(np.argwhere(~np.isfinite(arr.reshape(len(arr), -1)))[0][0])
        raise ValueError(f"environment copy {i} returned an observation with NaN or inf at "
                         f"vector step {step}; check the env (or normalize its observations)")
