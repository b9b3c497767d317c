"""The plug-in interface of exploration bonuses, and their registry.

A bonus is a small :class:`torch.nn.Module` that any softrl agent takes as
``exploration=``: the agent adds ``bonus.reward(obs, actions, next_obs)`` to the environment
reward before the transition is stored (off-policy) or before GAE (on-policy), and calls
``bonus.update(batch)`` with the batches it trains on, so learned bonuses (RND, a density
model, an exemplar classifier) train beside the agent. Seed 004:
r^+(s, a) = r(s, a) + B(N(s)), with B decreasing in the (pseudo-)count N. Every bonus here
scores the state the transition reached, s' = ``next_obs``: that is where the novelty is.

A bonus is rebuilt from :meth:`Bonus.spec` (its kind and constructor arguments, JSON) when a
checkpoint is loaded, and its learned state (networks, running statistics, counts, optimizer)
travels in ``state_dict()``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import Tensor, nn

__all__ = ["BONUSES", "Bonus", "make_bonus"]

BONUSES: dict[str, type[Bonus]] = {}
"""Bonus kind -> class (every concrete bonus registers itself)."""


class Bonus(nn.Module):
    """Base of the exploration bonuses: ``reward`` scores transitions, ``update`` learns.

    Subclasses set ``kind``, call ``super().__init__(**their JSON-able arguments)`` so that
    :meth:`spec` can rebuild them, and define :meth:`reward`; learned bonuses also define
    :meth:`update`.

    Parameters
    ----------
    scale : float
        The bonus weight beta (> 0).
    """

    kind: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            BONUSES[cls.kind] = cls

    def __init__(self, scale: float = 1.0, **params: Any) -> None:
        super().__init__()
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
            raise ValueError(f"The 'scale' parameter of {type(self).__name__} must be a float "
                             f"> 0. Got {scale!r} instead.")
        self.scale = float(scale)
        self._params = {"scale": self.scale, **params}

    def spec(self) -> dict[str, Any]:
        """``{"kind": ..., "params": {...}}``: what :func:`make_bonus` rebuilds this from."""
        return {"kind": self.kind, "params": dict(self._params)}

    def setup(self, obs_dim: int) -> None:
        """Build what depends on the observation width (agents call it before loading a
        checkpoint; default: nothing to build)."""

    def reward(self, obs: Tensor, actions: Tensor, next_obs: Tensor) -> Tensor:
        """The bonus of a batch of transitions, shape (B,); counting bonuses also count them."""
        raise TypeError(f"{type(self).__name__} must define reward(obs, actions, next_obs)")

    def update(self, batch: Any) -> dict[str, Tensor]:
        """Train on a batch with fields ``obs``, ``actions``, ``next_obs``; returns losses
        (default: nothing to learn)."""
        return {}


def make_bonus(spec: dict[str, Any]) -> Bonus:
    """Rebuild a bonus from :meth:`Bonus.spec`."""
    import softrl.exploration  # noqa: F401 - registers every bonus

    kind = spec.get("kind") if isinstance(spec, dict) else None
    if kind not in BONUSES:
        raise ValueError(f"unknown exploration bonus kind {kind!r}; known: {sorted(BONUSES)}")
    return BONUSES[kind](**spec.get("params", {}))


def _generator(seed: int) -> torch.Generator:
    """A CPU generator for initializing a bonus's random parts (independent of the agent)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"The 'seed' parameter of an exploration bonus must be an integer "
                         f">= 0. Got {seed!r} instead.")
    gen = torch.Generator()
    gen.manual_seed(seed)
    return gen
