"""Hyperparameter checks of the IRL estimators, with scikit-learn's error messages."""

from __future__ import annotations

from typing import Any

import numpy as np

from softrl.mdp import MDPValidationError

__all__ = ["check_positive_int", "check_nonnegative_float"]


def check_positive_int(value: Any, name: str, owner: str) -> int:
    """Return ``value`` if it is an int >= 1 (not a bool), else raise naming ``name``:
    "The 'max_iter' parameter of SoftIRL must be a positive int. Got 0 instead."

    Examples
    --------
    >>> check_positive_int(200, "max_iter", "SoftIRL")
    200
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise MDPValidationError(
            f"The {name!r} parameter of {owner} must be a positive int. Got {value!r} instead."
        )
    return int(value)


def check_nonnegative_float(value: Any, name: str, owner: str, strict: bool = False) -> float:
    """Return ``value`` as a float if it is finite and >= 0 (> 0 with ``strict``), else raise.

    The message names the parameter, the interval and the value, e.g. "The 'l2' parameter of
    SoftIRL must be a float in [0, inf). Got -1.0 instead."
    """
    ok = (
        not isinstance(value, bool)
        and isinstance(value, int | float | np.integer | np.floating)
        and bool(np.isfinite(value))
        and (value > 0 if strict else value >= 0)
    )
    if not ok:
        interval = "(0, inf)" if strict else "[0, inf)"
        raise MDPValidationError(
            f"The {name!r} parameter of {owner} must be a float in {interval}. "
            f"Got {value!r} instead."
        )
    return float(value)
