"""Argument checks shared by the environment builders; errors name the parameter."""

from __future__ import annotations

import numbers

from softrl.mdp.validation import MDPValidationError

__all__ = ["check_int", "check_probability", "check_real"]


def check_int(value: object, name: str, low: int = 1) -> int:
    """Return ``value`` as an int if it is an integer >= ``low``, else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise MDPValidationError(f"{name}: must be an int >= {low}, got {value!r}.")
    return int(value)


def check_probability(value: object, name: str) -> float:
    """Return ``value`` as a float if it lies in [0, 1], else raise naming ``name``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not (0.0 <= float(value) <= 1.0)
    ):
        raise MDPValidationError(f"{name}: must be a float in [0, 1], got {value!r}.")
    return float(value)


def check_real(value: object, name: str) -> float:
    """Return ``value`` as a float if it is a finite real number, else raise naming ``name``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not float("-inf") < float(value) < float("inf")
    ):
        raise MDPValidationError(f"{name}: must be a finite float, got {value!r}.")
    return float(value)
