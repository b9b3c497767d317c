"""Inverse RL without known dynamics: guided cost learning, AIRL and GAIL.

:mod:`softrl.irl.deep.tabular` holds the sample-based estimators with tabular rewards, checked
against the exact MaxEnt IRL of :mod:`softrl.irl`; :mod:`softrl.irl.deep.adversarial` the
AIRL and GAIL learners and :mod:`softrl.irl.deep.gcl` guided cost learning on Gymnasium (a
max-ent agent inside); :mod:`softrl.irl.deep.transfer` reward transfer.
"""

from softrl.irl.deep.adversarial import (
    AIRL,
    AIRLSAC,
    GAIL,
    GAILSAC,
    AdversarialMixin,
    AIRLSoftQ,
    GAILSoftQ,
)
from softrl.irl.deep.gcl import GCL, GCLSAC, GCLSoftQ
from softrl.irl.deep.tabular import (
    TabularAIRL,
    env_trajectories,
    fit_tabular_airl,
    gcl_gradient,
    trajectory_log_prob,
    trajectory_returns,
)
from softrl.irl.deep.transfer import (
    LearnedRewardWrapper,
    load_learner,
    train_on_learned_reward,
)

__all__ = [
    "AIRL",
    "AIRLSAC",
    "AIRLSoftQ",
    "AdversarialMixin",
    "GAIL",
    "GAILSAC",
    "GAILSoftQ",
    "GCL",
    "GCLSAC",
    "GCLSoftQ",
    "LearnedRewardWrapper",
    "load_learner",
    "train_on_learned_reward",
    "TabularAIRL",
    "env_trajectories",
    "fit_tabular_airl",
    "gcl_gradient",
    "trajectory_log_prob",
    "trajectory_returns",
]
