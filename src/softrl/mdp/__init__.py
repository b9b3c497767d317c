"""Finite MDPs: the model every exact routine takes, its validation, and sampling."""

from softrl.mdp.finite import FiniteMDP
from softrl.mdp.sampling import Trajectories, check_random_state, sample_trajectories
from softrl.mdp.validation import MDPValidationError

__all__ = [
    "FiniteMDP",
    "MDPValidationError",
    "Trajectories",
    "check_random_state",
    "sample_trajectories",
]
