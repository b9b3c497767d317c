"""Validation at the boundary, one way for all of softrl (scikit-learn's
``_param_validation`` is the model).

Constraints are small objects (:class:`Interval`, :class:`StrOptions`, a type, or ``None``);
:func:`check_params` checks a dict of hyperparameters against lists of them, :func:`check_scalar`
one value, :func:`check_names` suggests the right name for a typo, and :func:`as_float_array`
converts an array once at a public entry (refusing strings and objects instead of converting
them). Every error names the parameter, what it must be and what it got; callers pass their
own ``ValueError`` subclass (``MDPValidationError``, ...).

Example
-------
>>> check_scalar(0.5, "temperature", Interval(float, 0, None, closed="left"), "soft_backward")
0.5
>>> check_scalar(-0.1, "temperature", Interval(float, 0, None, closed="left"), "soft_backward")
Traceback (most recent call last):
...
ValueError: The 'temperature' parameter of soft_backward must be a float in the range [0, inf). Got -0.1 instead.
"""  # noqa: E501

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from numbers import Integral, Real
from typing import Any

import numpy as np

__all__ = [
    "POSITIVE_INT",
    "PROBABILITY",
    "REAL",
    "Interval",
    "StrOptions",
    "as_float_array",
    "check_names",
    "check_params",
    "check_scalar",
]


class Interval:
    """Numbers of ``type_`` (int or float) between ``left`` and ``right`` (None: unbounded).

    Bools are never numbers here, floats must be finite, and ``closed`` is one of "left",
    "right", "both" or "neither".
    """

    def __init__(self, type_: type, left: float | None, right: float | None, *,
                 closed: str = "both") -> None:
        if type_ not in (int, float) or closed not in ("left", "right", "both", "neither"):
            raise ValueError(f"Interval(type_={type_!r}, closed={closed!r}): type_ must be int "
                             "or float and closed one of 'left', 'right', 'both', 'neither'")
        self.type, self.left, self.right, self.closed = type_, left, right, closed

    def is_satisfied_by(self, value: Any) -> bool:
        """Whether ``value`` lies in the interval (and has the right type)."""
        kind = Integral if self.type is int else Real
        if isinstance(value, bool) or not isinstance(value, kind):
            return False
        if not math.isfinite(value):
            return False
        lo_in, hi_in = self.closed in ("left", "both"), self.closed in ("right", "both")
        lo = self.left is None or (value >= self.left if lo_in else value > self.left)
        hi = self.right is None or (value <= self.right if hi_in else value < self.right)
        return lo and hi

    def __str__(self) -> str:
        lb = "[" if self.closed in ("left", "both") and self.left is not None else "("
        rb = "]" if self.closed in ("right", "both") and self.right is not None else ")"
        left = "-inf" if self.left is None else self.left
        right = "inf" if self.right is None else self.right
        kind = "an int" if self.type is int else "a float"
        return f"{kind} in the range {lb}{left}, {right}{rb}"


class StrOptions:
    """One of a set of strings."""

    def __init__(self, options: Iterable[str]) -> None:
        self.options = set(options)

    def is_satisfied_by(self, value: Any) -> bool:
        """Whether ``value`` is one of the options."""
        return isinstance(value, str) and value in self.options

    def __str__(self) -> str:
        return "a str among " + ", ".join(map(repr, sorted(self.options)))


POSITIVE_INT = Interval(int, 1, None)
PROBABILITY = Interval(float, 0, 1)
REAL = Interval(float, None, None)


def _satisfied(constraint: Any, value: Any) -> bool:
    if constraint is None:
        return value is None
    if isinstance(constraint, type):
        return isinstance(value, constraint)
    return constraint.is_satisfied_by(value)


def _describe(constraints: list[Any]) -> str:
    words = ["None" if c is None else f"an instance of {c.__name__}" if isinstance(c, type)
             else str(c) for c in constraints]
    return " or ".join(words)


def _message(name: str, owner: str | None, requirement: str, value: Any) -> str:
    if owner:
        return f"The {name!r} parameter of {owner} must be {requirement}. Got {value!r} instead."
    return f"{name}: must be {requirement}, got {value!r}."


def check_scalar(value: Any, name: str, constraint: Any, owner: str | None = None,
                 error: type[ValueError] = ValueError) -> Any:
    """Return ``value`` (as int or float for an :class:`Interval`) if it satisfies
    ``constraint`` (one constraint or a list), else raise ``error`` naming ``name``."""
    options = constraint if isinstance(constraint, list) else [constraint]
    if not any(_satisfied(c, value) for c in options):
        raise error(_message(name, owner, _describe(options), value))
    for c in options:
        if isinstance(c, Interval) and c.is_satisfied_by(value):
            return int(value) if c.type is int else float(value)
    return value


def check_params(owner: str, params: Mapping[str, Any], constraints: Mapping[str, list[Any]],
                 error: type[ValueError] = ValueError) -> None:
    """Check each ``params[name]`` against ``constraints[name]`` (any one may hold)."""
    for name, options in constraints.items():
        check_scalar(params[name], name, list(options), owner, error)


def check_names(owner: str, given: Iterable[str], valid: Iterable[str],
                what: str = "parameter", error: type[ValueError] = ValueError) -> None:
    """Raise ``error`` with close matches for a name of ``given`` that is not in ``valid``."""
    valid = sorted(valid)
    for name in given:
        if name not in valid:
            close = difflib.get_close_matches(name, valid, n=3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise error(f"{owner} has no {what} {name!r}.{hint} "
                        f"Valid names: {', '.join(valid)}.")


def as_float_array(x: Any, name: str, error: type[ValueError] = ValueError,
                   finite: bool = True) -> np.ndarray:
    """``x`` as a float64 array; strings, bytes and objects are refused, never converted.

    With ``finite``, the first NaN or inf is reported with its index.
    """
    raw = x if isinstance(x, np.ndarray) else None
    if raw is None:
        try:
            raw = np.asarray(x)
        except (TypeError, ValueError) as exc:
            raise error(f"{name}: cannot read as an array ({exc}).") from None
    if raw.dtype.kind not in "biuf":
        raise error(f"{name}: must hold numbers; got an array of dtype {raw.dtype} "
                    f"(e.g. {raw.flat[0]!r} at index 0)." if raw.size else
                    f"{name}: must hold numbers; got an array of dtype {raw.dtype}.")
    arr = raw.astype(np.float64, copy=False)
    if finite:
        bad = ~np.isfinite(arr)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            raise error(f"{name}: entry {idx} is {arr[idx]}; every entry must be finite "
                        "(no NaN or inf).")
    return arr
