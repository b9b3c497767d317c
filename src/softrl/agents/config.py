"""Agent hyperparameters: frozen dataclasses that tyro reads, checked once at the boundary.

Every agent's config derives from :class:`AgentConfig` (what the training loop itself needs:
seeding, device, vector envs, logging, evaluation and checkpoint cadence) and declares the
constraints of its own fields in ``_constraints``; :func:`make_config` builds one from keyword
arguments, suggests names for typos and checks every field.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, ClassVar, TypeVar

import torch

__all__ = ["AgentConfig", "Interval", "NonNegInt", "PositiveInt", "StrOptions", "make_config"]


class Interval:
    """Numbers of ``type_`` (int or float; bools excluded, NaN excluded) in an interval."""

    def __init__(self, type_: type, left: float | None, right: float | None, *,
                 closed: str = "both") -> None:
        self.type, self.left, self.right, self.closed = type_, left, right, closed

    def is_satisfied_by(self, v: Any) -> bool:
        if isinstance(v, bool) or not isinstance(v, Integral if self.type is int else Real):
            return False
        if v != v:  # NaN
            return False
        lo_in = self.closed in ("left", "both")
        hi_in = self.closed in ("right", "both")
        lo = self.left is None or (v >= self.left if lo_in else v > self.left)
        hi = self.right is None or (v <= self.right if hi_in else v < self.right)
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

    def __init__(self, options: set[str]) -> None:
        self.options = set(options)

    def is_satisfied_by(self, v: Any) -> bool:
        return isinstance(v, str) and v in self.options

    def __str__(self) -> str:
        return "a str among " + ", ".join(map(repr, sorted(self.options)))


def _satisfied(constraint: Any, value: Any) -> bool:
    if constraint is None:
        return value is None
    if isinstance(constraint, type):
        return isinstance(value, constraint)
    return constraint.is_satisfied_by(value)


def _describe(constraint: Any) -> str:
    if constraint is None:
        return "None"
    return f"an instance of {constraint.__name__}" if isinstance(constraint, type) \
        else str(constraint)


def check_params(owner: str, params: dict[str, Any], constraints: dict[str, list[Any]]) -> None:
    """Raise ValueError in scikit-learn's form for the first parameter no constraint admits."""
    for name, options in constraints.items():
        value = params[name]
        if not any(_satisfied(c, value) for c in options):
            allowed = " or ".join(_describe(c) for c in options)
            raise ValueError(f"The {name!r} parameter of {owner} must be {allowed}. "
                             f"Got {value!r} instead.")


def check_names(owner: str, given: Any, valid: list[str], what: str = "parameter") -> None:
    """Raise ValueError with close matches for a name that is not in ``valid``."""
    for name in given:
        if name not in valid:
            close = difflib.get_close_matches(name, valid, n=3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ValueError(f"{owner} has no {what} {name!r}.{hint} "
                             f"Valid names: {', '.join(valid)}.")


PositiveInt = Interval(int, 1, None, closed="left")
NonNegInt = Interval(int, 0, None, closed="left")


@dataclass(frozen=True)
class AgentConfig:
    """Hyperparameters shared by every agent (the training loop's own)."""

    n_envs: int = 1
    """Parallel environment copies when the env is given by id."""
    seed: int = 0
    """Seed of the network initialization, exploration, replay sampling and env resets."""
    device: str = "cpu"
    """Torch device ("cpu", "cuda", "cuda:1", ...)."""
    torch_threads: int = 0
    """Torch intra-op threads, set process-wide (0 leaves torch's default; 1 is best on a busy
    CPU, where several OpenMP threads slow every matmul down)."""
    log_every: int = 1000
    """Environment steps between logged losses and steps/s."""
    eval_every: int = 0
    """Environment steps between evaluations during learn (0: never)."""
    eval_episodes: int = 5
    """Episodes per evaluation during learn."""
    checkpoint_every: int = 10_000
    """Environment steps between checkpoints when the agent has a run_dir (0: never)."""

    _constraints: ClassVar[dict[str, list[Any]]] = {
        "n_envs": [PositiveInt],
        "seed": [NonNegInt],
        "device": [str],
        "torch_threads": [NonNegInt],
        "log_every": [PositiveInt],
        "eval_every": [NonNegInt],
        "eval_episodes": [PositiveInt],
        "checkpoint_every": [NonNegInt],
    }

    def validate(self, owner: str) -> None:
        """Raise ValueError naming the first invalid field (scikit-learn's message form)."""
        constraints: dict[str, list[Any]] = {}
        for klass in reversed(type(self).__mro__):
            constraints.update(getattr(klass, "_constraints", {}) if klass is not object else {})
        check_params(owner, dataclasses.asdict(self), constraints)
        try:
            torch.device(self.device)
        except (RuntimeError, TypeError) as err:
            raise ValueError(f"The 'device' parameter of {owner} must be a torch device such as "
                             f"'cpu' or 'cuda'. Got {self.device!r} instead.") from err
        if torch.device(self.device).type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"The 'device' parameter of {owner} is {self.device!r}, but CUDA "
                             "is not available on this machine; use device='cpu'.")


C = TypeVar("C", bound=AgentConfig)


def make_config(config_class: type[C], owner: str, **hyperparameters: Any) -> C:
    """Build and validate ``config_class`` from keyword arguments.

    Unknown names raise ValueError with close matches; lists become tuples where the field is a
    tuple (JSON and TOML files have no tuples).
    """
    fields = {f.name: f for f in dataclasses.fields(config_class)}
    check_names(owner, hyperparameters, sorted(fields), what="hyperparameter")
    for name, value in hyperparameters.items():
        if isinstance(value, list) and "tuple" in str(fields[name].type):
            hyperparameters[name] = tuple(value)
    config = config_class(**hyperparameters)
    config.validate(owner)
    return config
