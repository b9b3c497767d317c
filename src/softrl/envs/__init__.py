"""Ready-made finite MDPs: gridworlds, the cliff walk, the n-chain, Garnet random MDPs.

Everything here is a :class:`~softrl.mdp.FiniteMDP` (gridworlds come wrapped in a
:class:`GridWorld` that also keeps the map geometry).  ``FiniteMDPEnv``, the Gymnasium
wrapper, is imported lazily so that this package imports without gymnasium.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from softrl.envs.chain import CHAIN_ACTIONS, chain
from softrl.envs.garnet import garnet
from softrl.envs.gridworld import (
    ACTION_DELTAS,
    ACTION_NAMES,
    SYMBOLS,
    GridWorld,
    cliff_walk,
    gridworld,
)
from softrl.envs.sutton_barto import SUTTON_BARTO_SHAPE, sutton_barto_gridworld

if TYPE_CHECKING:
    from softrl.envs.gym_wrapper import FiniteMDPEnv

__all__ = [
    "ACTION_DELTAS",
    "ACTION_NAMES",
    "CHAIN_ACTIONS",
    "SUTTON_BARTO_SHAPE",
    "SYMBOLS",
    "FiniteMDPEnv",
    "GridWorld",
    "chain",
    "cliff_walk",
    "garnet",
    "gridworld",
    "sutton_barto_gridworld",
]


def __getattr__(name: str) -> Any:
    if name == "FiniteMDPEnv":
        from softrl.envs.gym_wrapper import FiniteMDPEnv

        return FiniteMDPEnv
    raise AttributeError(f"module 'softrl.envs' has no attribute {name!r}")
