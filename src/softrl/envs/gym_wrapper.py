"""A Gymnasium environment that samples any FiniteMDP (imports gymnasium on first use)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from softrl.mdp.finite import FiniteMDP
from softrl.mdp.validation import MDPValidationError

__all__ = ["FiniteMDPEnv"]


class FiniteMDPEnv(gym.Env):
    """Sample episodes of a :class:`~softrl.mdp.FiniteMDP` through the Gymnasium API.

    Observations and actions are ``Discrete(S)`` and ``Discrete(A)`` indices.  ``reset``
    draws s_0 ~ p(s_0); ``step(a)`` draws s' ~ p(. | s, a) from CSR row s*A + a and pays
    r(s, a) (the MDP stores the expected reward, so an r(s, a, s') given to the MDP arrives
    as its expectation).  ``terminated`` is True on entering a terminal state; ``truncated``
    is True after ``mdp.horizon`` steps when the MDP has a finite horizon (bootstrap
    through it, not through ``terminated``).  Randomness comes only from ``reset(seed=...)``.

    Parameters
    ----------
    mdp : FiniteMDP or GridWorld
        The model to sample (a GridWorld's ``.mdp``).
    max_episode_steps : int, optional
        Truncate after this many steps; defaults to ``mdp.horizon`` (None: never truncate).

    Examples
    --------
    >>> from softrl.envs import chain
    >>> env = FiniteMDPEnv(chain(5))
    >>> obs, info = env.reset(seed=0)
    >>> obs
    0
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, mdp: FiniteMDP | Any, max_episode_steps: int | None = None) -> None:
        if not isinstance(mdp, FiniteMDP) and isinstance(getattr(mdp, "mdp", None), FiniteMDP):
            mdp = mdp.mdp  # a GridWorld (or any builder result holding its FiniteMDP)
        if not isinstance(mdp, FiniteMDP):
            raise MDPValidationError(f"mdp: expected a FiniteMDP or a GridWorld, got "
                            f"{type(mdp).__name__}.")
        self.mdp = mdp
        self.max_episode_steps = mdp.horizon if max_episode_steps is None else max_episode_steps
        self.observation_space = gym.spaces.Discrete(mdp.n_states)
        self.action_space = gym.spaces.Discrete(mdp.n_actions)
        P = mdp.transitions
        self._indptr, self._indices, self._data = P.indptr, P.indices, P.data
        self._initial_cdf = np.cumsum(mdp.initial)
        self._state = 0
        self._t = 0

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Start an episode: s_0 ~ p(s_0).  Returns (s_0, {})."""
        super().reset(seed=seed)
        u = self.np_random.random() * self._initial_cdf[-1]
        state = int(np.searchsorted(self._initial_cdf, u, side="right"))
        self._state = min(state, self.mdp.n_states - 1)
        self._t = 0
        return self._state, {}

    def step(self, action: int) -> tuple[int, float, bool, bool, dict[str, Any]]:
        """Act in the current state; returns (s', r(s, a), terminated, truncated, {})."""
        a = int(action)
        if not 0 <= a < self.mdp.n_actions:
            raise ValueError(f"action: must lie in [0, {self.mdp.n_actions}), got {action!r}.")
        s = self._state
        row = s * self.mdp.n_actions + a
        lo, hi = int(self._indptr[row]), int(self._indptr[row + 1])
        cdf = np.cumsum(self._data[lo:hi])
        u = self.np_random.random() * cdf[-1]
        k = min(int(np.searchsorted(cdf, u, side="right")), hi - lo - 1)
        next_state = int(self._indices[lo + k])
        reward = float(self.mdp.reward[s, a])
        self._state = next_state
        self._t += 1
        terminated = bool(self.mdp.terminal[next_state])
        truncated = self.max_episode_steps is not None and self._t >= self.max_episode_steps
        return next_state, reward, terminated, bool(truncated), {}
