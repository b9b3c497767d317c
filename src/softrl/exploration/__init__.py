"""Exploration bonuses as plug-ins for every softrl agent (seed 004's exploration chapter).

Pass one as ``exploration=`` to any agent: its ``reward(obs, actions, next_obs)`` is added to
the environment reward, its ``update(batch)`` trains it beside the agent, and it is saved and
restored with the agent's checkpoints.

>>> from softrl.agents import SoftQ
>>> from softrl.exploration import RNDBonus
>>> agent = SoftQ("MountainCar-v0", exploration=RNDBonus(scale=0.1))  # doctest: +SKIP
"""

from softrl.exploration.base import BONUSES, Bonus, make_bonus
from softrl.exploration.counts import CountBonus, SimHashBonus
from softrl.exploration.learned import ExemplarBonus, RNDBonus, RunningMeanStd, exemplar_density
from softrl.exploration.pseudo_counts import (
    BinnedDensity,
    EmpiricalDensity,
    PseudoCountBonus,
    pseudo_count,
)

__all__ = [
    "BONUSES",
    "BinnedDensity",
    "Bonus",
    "CountBonus",
    "EmpiricalDensity",
    "ExemplarBonus",
    "PseudoCountBonus",
    "RNDBonus",
    "RunningMeanStd",
    "SimHashBonus",
    "exemplar_density",
    "make_bonus",
    "pseudo_count",
]
