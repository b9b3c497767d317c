"""Inverse RL without known dynamics: guided cost learning, AIRL and GAIL.

:mod:`softrl.irl.deep.tabular` holds the sample-based estimators with tabular rewards, checked
against the exact MaxEnt IRL of :mod:`softrl.irl`.
"""

from softrl.irl.deep.tabular import (
    TabularAIRL,
    env_trajectories,
    fit_tabular_airl,
    gcl_gradient,
    trajectory_log_prob,
    trajectory_returns,
)

__all__ = [
    "TabularAIRL",
    "env_trajectories",
    "fit_tabular_airl",
    "gcl_gradient",
    "trajectory_log_prob",
    "trajectory_returns",
]
