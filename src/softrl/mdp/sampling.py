"""Vectorized, seeded trajectory sampling from any policy of a FiniteMDP."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from softrl.mdp.finite import FiniteMDP
from softrl.mdp.validation import MDPValidationError, check_horizon, check_policy

__all__ = ["Trajectories", "sample_trajectories", "check_random_state"]


def check_random_state(seed) -> np.random.Generator:
    """One way to turn None, an int or a Generator into a ``np.random.Generator``."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, int | np.integer):
        return np.random.default_rng(seed)
    raise MDPValidationError(f"seed: expected None, an int or a np.random.Generator, got {seed!r}.")


@dataclass(frozen=True)
class Trajectories:
    """A batch of N trajectories padded to a common horizon H.

    Attributes
    ----------
    states : (N, H + 1) int64, s_0..s_H; -1 after the episode ended
    actions : (N, H) int64, a_0..a_{H-1}; -1 where no action was taken
    rewards : (N, H) float64, r(s_t, a_t); 0 where no action was taken
    lengths : (N,) int64, number of actions taken (H unless a terminal state was reached)
    """

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    lengths: np.ndarray

    def __len__(self) -> int:
        return self.states.shape[0]

    def returns(self, gamma: float = 1.0) -> np.ndarray:
        """sum_t gamma^t r_t per trajectory, shape (N,)."""
        return self.rewards @ (gamma ** np.arange(self.rewards.shape[1]))

    def as_lists(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """[(states (L + 1,), actions (L,)), ...]: each trajectory without padding."""
        return [
            (self.states[i, : n + 1].copy(), self.actions[i, :n].copy())
            for i, n in enumerate(self.lengths)
        ]


def _row_cumsum(P) -> np.ndarray:
    """Key k -> row(k) + cumulative probability within its row: increasing over the matrix."""
    counts = np.diff(P.indptr)
    total = np.concatenate([[0.0], np.cumsum(P.data)])
    within = total[1:] - np.repeat(total[P.indptr[:-1]], counts)
    return np.repeat(np.arange(P.shape[0]), counts) + within


def sample_trajectories(
    mdp: FiniteMDP,
    policy: np.ndarray,
    n: int,
    horizon: int | None = None,
    seed=None,
    initial: np.ndarray | None = None,
) -> Trajectories:
    """Sample ``n`` trajectories of ``policy`` (S, A) or (H, S, A) in ``mdp``, all at once.

    Episodes end at terminal states or after ``horizon`` decisions (default ``mdp.horizon``).
    The same ``seed`` gives the same trajectories.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise MDPValidationError(f"n: number of trajectories must be a positive int, got {n!r}.")
    policy_arr = np.asarray(policy)
    if horizon is None:
        horizon = policy_arr.shape[0] if policy_arr.ndim == 3 else mdp.horizon
    horizon = check_horizon(horizon)
    if horizon is None:
        raise MDPValidationError("horizon: the MDP has an infinite horizon; pass horizon=H.")
    pi = check_policy(policy, mdp.n_states, mdp.n_actions, horizon)
    rng = check_random_state(seed)
    p0 = mdp.initial if initial is None else np.asarray(initial, dtype=np.float64)
    P = mdp.transitions
    n_actions = mdp.n_actions
    key = _row_cumsum(P)
    cum_pi = np.cumsum(pi, axis=-1)

    states = np.full((n, horizon + 1), -1, dtype=np.int64)
    actions = np.full((n, horizon), -1, dtype=np.int64)
    rewards = np.zeros((n, horizon))
    s = rng.choice(mdp.n_states, size=n, p=p0)
    states[:, 0] = s
    alive = ~mdp.terminal[s]
    lengths = np.zeros(n, dtype=np.int64)
    for t in range(horizon):
        idx = np.flatnonzero(alive)
        if idx.size == 0:
            break
        st = s[idx]
        cp = cum_pi[t, st] if cum_pi.ndim == 3 else cum_pi[st]
        u = rng.random(idx.size)
        a = np.minimum((cp < (u * cp[:, -1])[:, None]).sum(axis=1), n_actions - 1)
        row = st * n_actions + a
        row_mass = key[P.indptr[row + 1] - 1] - row
        k = np.searchsorted(key, row + rng.random(idx.size) * row_mass, side="right")
        k = np.clip(k, P.indptr[row], P.indptr[row + 1] - 1)
        s_next = P.indices[k].astype(np.int64)
        actions[idx, t] = a
        rewards[idx, t] = mdp.reward[st, a]
        states[idx, t + 1] = s_next
        s[idx] = s_next
        lengths[idx] += 1
        alive[idx] = ~mdp.terminal[s_next]
    return Trajectories(states, actions, rewards, lengths)
