"""Expert demonstrations for tabular IRL: conversion, validation and discounted counts.

A demonstration is a state sequence s_0..s_L and the actions a_0..a_{L-1} taken in it.  Every
public IRL entry point calls :func:`as_demonstrations`, which accepts

* a :class:`Demonstrations` (re-validated against the MDP),
* the engine's :class:`~softrl.mdp.Trajectories` (from :func:`~softrl.mdp.sample_trajectories`),
* a pair ``(states, actions)`` of padded arrays (N, L+1) / (N, L) with ``-1`` padding,
* a list of ``(states, actions)`` pairs of variable length,
* a list of imitation-style trajectory objects with integer ``obs`` (L+1,) and ``acts`` (L,)
  (``imitation.data.types.Trajectory`` of a tabular environment),

and raises :class:`DemonstrationError` (a ``ValueError``) naming the demonstration and step of
any malformed input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from softrl.mdp import FiniteMDP, Trajectories
from softrl.mdp.validation import DemonstrationError

__all__ = ["DemonstrationError", "Demonstrations", "as_demonstrations"]


@dataclass(frozen=True, eq=False)
class Demonstrations:
    """N demonstrations padded to a common length L (``-1`` after each one ends).

    Attributes
    ----------
    states : int64 array (N, L + 1)
        s_0..s_{L_i} of demonstration i, then -1.
    actions : int64 array (N, L)
        a_0..a_{L_i - 1}, then -1.
    lengths : int64 array (N,)
        L_i, the number of actions of demonstration i (>= 1).
    """

    states: np.ndarray
    actions: np.ndarray
    lengths: np.ndarray

    def __len__(self) -> int:
        return int(self.lengths.shape[0])

    @property
    def max_length(self) -> int:
        """L, the longest demonstration's number of actions."""
        return int(self.actions.shape[1])

    @property
    def n_steps(self) -> int:
        """Total number of demonstrated (s_t, a_t) pairs."""
        return int(self.lengths.sum())

    def step_mask(self) -> np.ndarray:
        """bool (N, L): True where an action was taken (t < L_i)."""
        return np.arange(self.max_length)[None, :] < self.lengths[:, None]

    def initial_distribution(self, n_states: int) -> np.ndarray:
        """Empirical p^(s_0), shape (S,)."""
        return np.bincount(self.states[:, 0], minlength=n_states) / len(self)

    def counts(
        self, n_states: int, n_actions: int, gamma: float = 1.0, horizon: int | None = None
    ) -> np.ndarray:
        """Discounted empirical visitation, averaged over demonstrations.

        E_t(s, a) = (1/N) sum_i gamma^t 1[s_t^i = s, a_t^i = a].

        Parameters
        ----------
        n_states, n_actions : int
        gamma : float
            Discount of the counts.
        horizon : int, optional
            With a horizon H the counts are time-indexed, shape (H, S, A); without, they are
            summed over time, shape (S, A).

        Returns
        -------
        float64 array (H, S, A) or (S, A)
        """
        mask = self.step_mask()
        t = np.broadcast_to(np.arange(self.max_length), mask.shape)[mask]
        s = self.states[:, :-1][mask]
        a = self.actions[mask]
        weight = gamma ** t.astype(np.float64) / len(self)
        if horizon is None:
            flat = np.bincount(s * n_actions + a, weight, minlength=n_states * n_actions)
            return flat.reshape(n_states, n_actions)
        if self.max_length > horizon:
            raise DemonstrationError(
                f"demonstrations: the longest has {self.max_length} actions, more than the "
                f"horizon H={horizon}."
            )
        size = horizon * n_states * n_actions
        flat = np.bincount((t * n_states + s) * n_actions + a, weight, minlength=size)
        return flat.reshape(horizon, n_states, n_actions)

    def feature_counts(self, features: np.ndarray, gamma: float = 1.0) -> np.ndarray:
        """Empirical discounted feature counts (1/N) sum_i sum_t gamma^t phi(s_t, a_t), (F,).

        ``features``: (S, F) state features or (S, A, F) state-action features.
        """
        phi = np.asarray(features, dtype=np.float64)
        mask = self.step_mask()
        t = np.broadcast_to(np.arange(self.max_length), mask.shape)[mask]
        weight = gamma ** t.astype(np.float64) / len(self)
        s = self.states[:, :-1][mask]
        rows = phi[s] if phi.ndim == 2 else phi[s, self.actions[mask]]
        return weight @ rows

    def as_lists(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """[(states (L_i + 1,), actions (L_i,)), ...] without padding."""
        return [
            (self.states[i, : n + 1].copy(), self.actions[i, :n].copy())
            for i, n in enumerate(self.lengths)
        ]


def _int_vector(x: Any, what: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise DemonstrationError(f"{what}: expected a 1-D sequence of ints, got shape {arr.shape}.")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if not (np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr))):
            raise DemonstrationError(
                f"{what}: entries must be integer state/action indices, got dtype {arr.dtype}."
            )
    return arr.astype(np.int64)


def _from_pairs(pairs: Sequence[tuple[Any, Any]]) -> Demonstrations:
    """Pad a list of (states, actions) of variable length."""
    if len(pairs) == 0:
        raise DemonstrationError("demonstrations: the set is empty; give at least one.")
    states_list, actions_list = [], []
    for i, (states, actions) in enumerate(pairs):
        s = _int_vector(states, f"demonstration {i} states")
        a = _int_vector(actions, f"demonstration {i} actions")
        if a.size == 0:
            raise DemonstrationError(f"demonstration {i}: has no actions; each needs >= 1 step.")
        if s.size == a.size:
            s = np.concatenate([s, [-1]])  # the final state was not recorded
        elif s.size != a.size + 1:
            raise DemonstrationError(
                f"demonstration {i}: ragged, {s.size} states for {a.size} actions; give L "
                f"or L + 1 states for L actions."
            )
        states_list.append(s)
        actions_list.append(a)
    n = len(actions_list)
    lengths = np.array([a.size for a in actions_list], dtype=np.int64)
    L = int(lengths.max())
    states = np.full((n, L + 1), -1, dtype=np.int64)
    actions = np.full((n, L), -1, dtype=np.int64)
    for i, (s, a) in enumerate(zip(states_list, actions_list, strict=True)):
        states[i, : s.size] = s
        actions[i, : a.size] = a
    return Demonstrations(states, actions, lengths)


def _from_padded(states: Any, actions: Any, lengths: Any = None) -> Demonstrations:
    """Padded arrays (N, L + 1), (N, L); lengths from the -1 padding when not given."""
    S = np.asarray(states)
    A = np.asarray(actions)
    if S.ndim != 2 or A.ndim != 2:
        raise DemonstrationError(
            f"demonstrations: padded arrays must be 2-D, got states {S.shape} and actions "
            f"{A.shape}."
        )
    S = _int_vector(S.ravel(), "states").reshape(S.shape)
    A = _int_vector(A.ravel(), "actions").reshape(A.shape)
    if S.shape[0] != A.shape[0]:
        raise DemonstrationError(
            f"demonstrations: {S.shape[0]} state rows but {A.shape[0]} action rows."
        )
    if S.shape[1] == A.shape[1]:
        S = np.concatenate([S, np.full((S.shape[0], 1), -1, dtype=np.int64)], axis=1)
    elif S.shape[1] != A.shape[1] + 1:
        raise DemonstrationError(
            f"demonstrations: states {S.shape} and actions {A.shape} are ragged; expected "
            f"(N, L + 1) and (N, L)."
        )
    if lengths is None:
        taken = A >= 0
        lengths = taken.sum(axis=1)
        mask = np.arange(A.shape[1])[None, :] < lengths[:, None]
        if (taken != mask).any():
            i = int(np.flatnonzero((taken != mask).any(axis=1))[0])
            raise DemonstrationError(
                f"demonstration {i}: padding (-1) is followed by actions; pad only at the end "
                f"or pass lengths."
            )
    lengths = np.asarray(lengths, dtype=np.int64)
    if lengths.shape != (A.shape[0],):
        raise DemonstrationError(f"lengths: expected shape ({A.shape[0]},), got {lengths.shape}.")
    pairs = []
    for i, n in enumerate(lengths):
        if not 0 <= n <= A.shape[1]:
            raise DemonstrationError(f"demonstration {i}: length {n} outside [0, {A.shape[1]}].")
        pairs.append((S[i, : n + 1], A[i, :n]))
    return _from_pairs(pairs)


def _validate(demos: Demonstrations, mdp: FiniteMDP) -> Demonstrations:
    """Raise on out-of-range indices, actions in terminal states, impossible transitions."""
    n_states, n_actions = mdp.shape
    mask = demos.step_mask()
    for name, arr, n, valid in (
        ("state", demos.states[:, :-1], n_states, mask),
        ("action", demos.actions, n_actions, mask),
    ):
        bad = valid & ((arr < 0) | (arr >= n))
        if bad.any():
            i, t = (int(x) for x in np.argwhere(bad)[0])
            raise DemonstrationError(
                f"demonstration {i}, step {t}: {name} {arr[i, t]} is out of range [0, {n})."
            )
    last = demos.states[np.arange(len(demos)), demos.lengths]
    bad_last = (last < -1) | (last >= n_states)
    if bad_last.any():
        i = int(np.flatnonzero(bad_last)[0])
        raise DemonstrationError(
            f"demonstration {i}: final state {last[i]} is out of range [0, {n_states})."
        )
    in_terminal = mask & mdp.terminal[np.maximum(demos.states[:, :-1], 0)]
    if in_terminal.any():
        i, t = (int(x) for x in np.argwhere(in_terminal)[0])
        raise DemonstrationError(
            f"demonstration {i}, step {t}: acts in terminal state {demos.states[i, t]}; an "
            f"episode ends when it reaches a terminal state."
        )
    # Observed transitions must have positive probability under the MDP.
    nxt = demos.states[:, 1:]
    seen = mask & (nxt >= 0)
    if seen.any():
        rows = (demos.states[:, :-1] * n_actions + demos.actions)[seen]
        prob = np.asarray(mdp.transitions[rows, nxt[seen]]).ravel()
        if (prob <= 0).any():
            k = int(np.flatnonzero(prob <= 0)[0])
            i, t = (int(x) for x in np.argwhere(seen)[k])
            raise DemonstrationError(
                f"demonstration {i}, step {t}: p(s'={nxt[i, t]} | s={demos.states[i, t]}, "
                f"a={demos.actions[i, t]}) = 0; the demonstration is impossible under the "
                f"MDP's dynamics."
            )
    if mdp.horizon is not None and demos.max_length > mdp.horizon:
        i = int(np.argmax(demos.lengths))
        raise DemonstrationError(
            f"demonstration {i}: {demos.lengths[i]} actions, more than the MDP's horizon "
            f"H={mdp.horizon}."
        )
    return demos


def as_demonstrations(demos: Any, mdp: FiniteMDP | None = None) -> Demonstrations:
    """Convert any supported demonstration format and validate it against ``mdp``.

    Parameters
    ----------
    demos : Demonstrations, Trajectories, (states, actions) arrays, or a list of
        (states, actions) pairs or of objects with ``obs`` / ``acts``
        See the module docstring.  States are (L + 1,) or (L,) per demonstration (the final
        state may be left out); actions (L,).
    mdp : FiniteMDP, optional
        When given, states and actions must be in range, no action may be taken in a terminal
        state, every observed transition must have p(s'|s,a) > 0, and no demonstration may be
        longer than ``mdp.horizon``.

    Returns
    -------
    Demonstrations

    Raises
    ------
    DemonstrationError
        On an empty set, ragged lengths, out-of-range indices or impossible transitions.

    Examples
    --------
    >>> d = as_demonstrations([([0, 1, 2], [1, 1]), ([0, 0], [0])])
    >>> d.lengths.tolist(), d.states.shape
    ([2, 1], (2, 3))
    """
    if isinstance(demos, Demonstrations):
        out = _from_padded(demos.states, demos.actions, demos.lengths)
    elif isinstance(demos, Trajectories):
        out = _from_padded(demos.states, demos.actions, demos.lengths)
    elif isinstance(demos, np.ndarray):
        raise DemonstrationError(
            "demonstrations: a single array is ambiguous; pass (states, actions)."
        )
    elif (
        isinstance(demos, tuple)
        and len(demos) == 2
        and all(isinstance(x, np.ndarray) and x.ndim == 2 for x in demos)
    ):
        out = _from_padded(*demos)
    elif isinstance(demos, Sequence) and not isinstance(demos, str | bytes):
        if len(demos) == 0:
            raise DemonstrationError("demonstrations: the set is empty; give at least one.")
        pairs = []
        for i, item in enumerate(demos):
            if hasattr(item, "obs") and hasattr(item, "acts"):
                pairs.append((item.obs, item.acts))
            elif isinstance(item, Sequence | np.ndarray) and len(item) == 2:
                pairs.append((item[0], item[1]))
            else:
                raise DemonstrationError(
                    f"demonstration {i}: expected a (states, actions) pair or an object with "
                    f"obs and acts, got {type(item).__name__}."
                )
        out = _from_pairs(pairs)
    else:
        raise DemonstrationError(
            f"demonstrations: unsupported type {type(demos).__name__}; see as_demonstrations."
        )
    if len(out) == 0:
        raise DemonstrationError("demonstrations: the set is empty; give at least one.")
    if (out.lengths < 1).any():
        i = int(np.flatnonzero(out.lengths < 1)[0])
        raise DemonstrationError(f"demonstration {i}: has no actions; each needs >= 1 step.")
    return out if mdp is None else _validate(out, mdp)
