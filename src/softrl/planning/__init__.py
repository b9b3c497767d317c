"""Hard planning, the zero-temperature limit of the soft backward pass."""

from softrl.planning.hard import (
    PlanningResult,
    greedy_policy,
    policy_evaluation,
    policy_iteration,
    value_iteration,
)

__all__ = [
    "PlanningResult",
    "greedy_policy",
    "policy_evaluation",
    "policy_iteration",
    "value_iteration",
]
