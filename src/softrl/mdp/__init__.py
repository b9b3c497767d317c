"""Finite MDPs: the model every exact routine takes, and its validation."""

from softrl.mdp.finite import FiniteMDP
from softrl.mdp.validation import MDPValidationError

__all__ = ["FiniteMDP", "MDPValidationError"]
