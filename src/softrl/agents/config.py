"""Agent hyperparameters: frozen dataclasses that tyro reads, checked once at the boundary.

Every agent's config derives from :class:`AgentConfig` (what the training loop itself needs:
seeding, device, vector envs, logging, evaluation and checkpoint cadence) and declares the
constraints of its own fields in ``_constraints``; :func:`make_config` builds one from keyword
arguments, suggests names for typos and checks every field.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import torch

from softrl.validation import Interval, StrOptions, check_names, check_params

__all__ = ["AgentConfig", "Interval", "NonNegInt", "PositiveInt", "StrOptions", "make_config"]


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
    learning_rate: float = 3e-4
    """Adam step size."""
    gamma: float = 0.99
    """Discount factor in [0, 1]."""
    hidden_sizes: tuple[int, ...] = (256, 256)
    """Hidden layer widths of every network."""

    _constraints: ClassVar[dict[str, list[Any]]] = {
        "n_envs": [PositiveInt],
        "seed": [NonNegInt],
        "device": [str],
        "torch_threads": [NonNegInt],
        "log_every": [PositiveInt],
        "eval_every": [NonNegInt],
        "eval_episodes": [PositiveInt],
        "checkpoint_every": [NonNegInt],
        "learning_rate": [Interval(float, 0, None, closed="neither")],
        "gamma": [Interval(float, 0, 1, closed="both")],
        "hidden_sizes": [tuple],
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
        if not self.hidden_sizes or any(
            isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in self.hidden_sizes
        ):
            raise ValueError(f"The 'hidden_sizes' parameter of {owner} must be a non-empty "
                             f"tuple of integers >= 1, e.g. (256, 256). Got "
                             f"{self.hidden_sizes!r} instead.")
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
