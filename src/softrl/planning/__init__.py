"""Planning: hard planning (the zero-temperature limit) and large-MDP soft value iteration."""

from softrl.planning.hard import (
    PlanningResult,
    greedy_policy,
    policy_evaluation,
    policy_iteration,
    value_iteration,
)
from softrl.planning.soft import (
    SOLVER_METHODS,
    SolverSolution,
    discounted_occupancy,
    soft_value_iteration,
)

__all__ = [
    "SOLVER_METHODS",
    "PlanningResult",
    "SolverSolution",
    "discounted_occupancy",
    "greedy_policy",
    "policy_evaluation",
    "policy_iteration",
    "soft_value_iteration",
    "value_iteration",
]
