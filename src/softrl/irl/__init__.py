"""Inverse RL on finite MDPs: MaxEnt, maximum causal entropy and feature matching.

Estimators follow scikit-learn: ``fit(mdp, demonstrations) -> self``, learned attributes end
in ``_``.  Gymnasium is not imported here.
"""

from softrl.irl.demonstrations import DemonstrationError, Demonstrations, as_demonstrations
from softrl.irl.feature_matching import FeatureMatchingIRL
from softrl.irl.maxent import MaxCausalEntIRL, MaxEntIRL, SoftIRL
from softrl.irl.metrics import (
    canonicalize_reward,
    demo_log_likelihood,
    epic_distance,
    expected_value_difference,
    feature_count_gap,
    optimal_policy,
    policy_value,
)
from softrl.irl.objective import DemoStats, IRLEvaluation, demo_stats, irl_objective
from softrl.irl.rewards import LinearReward, NeuralReward, RewardModel, TabularReward

__all__ = [
    "DemoStats",
    "DemonstrationError",
    "Demonstrations",
    "FeatureMatchingIRL",
    "IRLEvaluation",
    "LinearReward",
    "MaxCausalEntIRL",
    "MaxEntIRL",
    "NeuralReward",
    "RewardModel",
    "SoftIRL",
    "TabularReward",
    "as_demonstrations",
    "canonicalize_reward",
    "demo_log_likelihood",
    "demo_stats",
    "epic_distance",
    "expected_value_difference",
    "feature_count_gap",
    "irl_objective",
    "optimal_policy",
    "policy_value",
]
