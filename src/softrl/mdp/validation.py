"""Validation at the boundary: every malformed input raises a ValueError naming the field."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp

from softrl.validation import as_float_array

__all__ = [
    "DemonstrationError",
    "MDPValidationError",
    "as_transition_matrix",
    "check_transition_rows",
    "check_reward",
    "check_probability_vector",
    "check_terminal",
    "check_discount",
    "check_horizon",
    "check_temperature",
    "check_policy",
]

ROW_SUM_ATOL = 1e-8


class MDPValidationError(ValueError):
    """A finite MDP or an argument of a tabular routine is malformed."""


class DemonstrationError(MDPValidationError):
    """Demonstrations are empty, ragged, not finite, out of range, or do not fit the MDP or the
    Gymnasium environment they are used with (one class for :mod:`softrl.irl`'s tabular
    demonstrations and :mod:`softrl.demos`' recorded transitions)."""


def _finite_float_array(x, name: str) -> np.ndarray:
    return as_float_array(x, name, MDPValidationError)


def as_transition_matrix(P, n_actions: int | None) -> tuple[sp.csr_matrix, int, int]:
    """Convert to CSR (S*A, S) float64 and check the shape only.

    A CSR matrix (or array) of float64 in canonical format (sorted indices, no duplicates) and
    with no stored zeros is used as it is, without a copy: at 10^7 states its arrays are
    gigabytes. Anything else is converted into a new matrix and the caller's object is left
    untouched.
    """
    if sp.issparse(P):
        if n_actions is None:
            raise MDPValidationError(
                "transitions: a sparse matrix must have shape (S*A, S); pass n_actions=A "
                "or give a dense (S, A, S) array."
            )
        if (P.format == "csr" and P.dtype == np.float64 and P.has_canonical_format
                and not (P.data == 0).any()):
            csr = P if isinstance(P, sp.csr_matrix) else sp.csr_matrix(P, copy=False)
        else:
            csr = sp.csr_matrix(P, dtype=np.float64, copy=True)
    else:
        arr = _finite_float_array(P, "transitions")
        if arr.ndim == 3:
            if n_actions is not None and arr.shape[1] != n_actions:
                raise MDPValidationError(
                    f"transitions: shape {arr.shape} has {arr.shape[1]} actions "
                    f"but n_actions={n_actions}."
                )
            n_actions = arr.shape[1]
            arr = arr.reshape(arr.shape[0] * arr.shape[1], arr.shape[2])
        elif arr.ndim != 2 or n_actions is None:
            raise MDPValidationError(
                f"transitions: expected a dense (S, A, S) array or an (S*A, S) matrix with "
                f"n_actions, got shape {arr.shape}."
            )
        csr = sp.csr_matrix(arr)
    n_rows, n_states = csr.shape
    if n_actions < 1 or n_states < 1 or n_rows != n_states * n_actions:
        raise MDPValidationError(
            f"transitions: shape {csr.shape} is not (S*A, S) with A={n_actions}; rows must "
            f"be ordered s * A + a."
        )
    csr.sum_duplicates()
    csr.sort_indices()
    return csr, n_states, n_actions


def check_transition_rows(csr: sp.csr_matrix, n_actions: int) -> None:
    """Raise, naming (s, a), unless every row is a finite probability vector."""
    data = csr.data
    if not np.all(np.isfinite(data)):
        j = int(np.flatnonzero(~np.isfinite(data))[0])
        row = int(np.searchsorted(csr.indptr, j, side="right") - 1)
        raise MDPValidationError(
            f"transitions: p(s'={csr.indices[j]} | s={row // n_actions}, a={row % n_actions}) "
            f"is {data[j]}; probabilities must be finite."
        )
    if (data < 0).any():
        j = int(np.flatnonzero(data < 0)[0])
        row = int(np.searchsorted(csr.indptr, j, side="right") - 1)
        raise MDPValidationError(
            f"transitions: p(s'={csr.indices[j]} | s={row // n_actions}, a={row % n_actions}) "
            f"= {data[j]} is negative; probabilities must be >= 0."
        )
    sums = np.asarray(csr.sum(axis=1)).ravel()
    off = np.abs(sums - 1.0) > ROW_SUM_ATOL
    if off.any():
        row = int(np.flatnonzero(off)[0])
        raise MDPValidationError(
            f"transitions: row for state {row // n_actions}, action {row % n_actions} sums to "
            f"{sums[row]:.6g}, not 1; normalise p(. | s, a) (or mark the state terminal)."
        )
    if (data == 0).any():
        csr.eliminate_zeros()


def check_reward(reward, n_states: int, n_actions: int, P: sp.csr_matrix) -> np.ndarray:
    """Return r(s, a) as a float64 (S, A) array from r(s), r(s, a) or r(s, a, s')."""
    r = _finite_float_array(reward, "reward")
    if r.shape == (n_states,):
        return np.repeat(r[:, None], n_actions, axis=1)
    if r.shape == (n_states, n_actions):
        return r.copy()
    if r.shape == (n_states, n_actions, n_states):
        # E_{s'}[r(s,a,s')] using only the stored successors.
        flat = r.reshape(n_states * n_actions, n_states)
        rows = np.repeat(np.arange(P.shape[0]), np.diff(P.indptr))
        expected = np.bincount(rows, P.data * flat[rows, P.indices], minlength=P.shape[0])
        return expected.reshape(n_states, n_actions)
    raise MDPValidationError(
        f"reward: shape {r.shape} is none of (S,)={(n_states,)}, (S, A)={(n_states, n_actions)} "
        f"or (S, A, S)={(n_states, n_actions, n_states)}."
    )


def check_probability_vector(p, n: int, name: str) -> np.ndarray:
    """Return p as float64 (n,) if it is a probability vector, else raise naming ``name``."""
    arr = _finite_float_array(p, name)
    if arr.shape != (n,):
        raise MDPValidationError(f"{name}: expected shape ({n},), got {arr.shape}.")
    if (arr < 0).any():
        i = int(np.flatnonzero(arr < 0)[0])
        raise MDPValidationError(f"{name}: entry {i} is {arr[i]}; probabilities must be >= 0.")
    total = arr.sum()
    if abs(total - 1.0) > ROW_SUM_ATOL:
        raise MDPValidationError(f"{name}: sums to {total:.6g}, not 1; divide by its sum.")
    return arr


def check_terminal(terminal, n_states: int) -> np.ndarray:
    """Return a bool (S,) mask from a mask or a list of state indices."""
    if terminal is None:
        return np.zeros(n_states, dtype=bool)
    arr = np.asarray(terminal)
    if arr.dtype == bool:
        if arr.shape != (n_states,):
            raise MDPValidationError(
                f"terminal: a boolean mask must have shape ({n_states},), got {arr.shape}."
            )
        return arr.copy()
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise MDPValidationError("terminal: give a boolean mask or a list of state indices.")
    idx = arr.astype(np.int64).ravel()
    if idx.size and (idx.min() < 0 or idx.max() >= n_states):
        raise MDPValidationError(
            f"terminal: state indices must lie in [0, {n_states}), got {idx.min()}..{idx.max()}."
        )
    mask = np.zeros(n_states, dtype=bool)
    mask[idx] = True
    return mask


def check_discount(gamma) -> float:
    """gamma must be a real number in [0, 1] (0: myopic, only the next reward counts)."""
    if (isinstance(gamma, bool) or not isinstance(gamma, numbers.Real)
            or not (0.0 <= float(gamma) <= 1.0)):
        raise MDPValidationError(f"gamma: must be a float in [0, 1], got {gamma!r}.")
    return float(gamma)


def check_horizon(horizon) -> int | None:
    """horizon must be None (infinite) or a positive int."""
    if horizon is None:
        return None
    if isinstance(horizon, bool) or not isinstance(horizon, numbers.Integral) or horizon < 1:
        raise MDPValidationError(
            f"horizon: must be a positive int (decisions per episode) or None, got {horizon!r}."
        )
    return int(horizon)


def check_temperature(temperature, allow_zero: bool = True) -> float:
    """temperature must be a finite float >= 0 (0 is the hard-max limit)."""
    ok = isinstance(temperature, numbers.Real) and np.isfinite(temperature)
    if not ok or temperature < 0 or (temperature == 0 and not allow_zero):
        lo = "[0, inf)" if allow_zero else "(0, inf)"
        raise MDPValidationError(f"temperature: must be a float in {lo}, got {temperature!r}.")
    return float(temperature)


def check_policy(policy, n_states: int, n_actions: int, horizon: int | None = None) -> np.ndarray:
    """Return pi(a|s) as float64 (S, A) or (H, S, A) with rows on the simplex."""
    pi = _finite_float_array(policy, "policy")
    is_int = np.issubdtype(np.asarray(policy).dtype, np.integer)
    if pi.ndim == 1 and pi.shape == (n_states,) and is_int:
        idx = np.asarray(policy)
        if idx.min() < 0 or idx.max() >= n_actions:
            raise MDPValidationError(f"policy: actions must lie in [0, {n_actions}).")
        return np.eye(n_actions)[idx]
    shapes = [(n_states, n_actions)] + ([(horizon, n_states, n_actions)] if horizon else [])
    if pi.shape not in shapes:
        raise MDPValidationError(
            f"policy: expected shape {' or '.join(map(str, shapes))} (pi[..., s, a]) or an int "
            f"array of actions ({n_states},), got {pi.shape}."
        )
    if (pi < 0).any():
        raise MDPValidationError("policy: probabilities must be >= 0.")
    sums = pi.sum(axis=-1)
    if np.abs(sums - 1.0).max() > 1e-6:
        where = np.unravel_index(np.argmax(np.abs(sums - 1.0)), sums.shape)
        raise MDPValidationError(
            f"policy: pi(. | s) at index {tuple(int(i) for i in where)} sums to "
            f"{sums[where]:.6g}, not 1."
        )
    return pi
