"""Infrastructure shared by the deep agents: buffers, networks, seeding, logging, checkpoints."""

from softrl.data import ReplayBatch, ReplayBuffer, RolloutBatch, RolloutStorage
from softrl.envs import deep_sea as _deep_sea  # noqa: F401  (registers softrl/DeepSea-v0)
from softrl.envs import fixed_horizon as _fixed_horizon  # noqa: F401  (FixedHorizonCartPole-v0)
from softrl.envs import meta_tasks as _meta_tasks  # noqa: F401  (registers softrl/MetaTrial-v0)
from softrl.envs import multigoal as _multigoal  # noqa: F401  (registers softrl/MultiGoal-v0)
from softrl.nn import (
    EnsembleLinear,
    EnsembleMLP,
    QEnsemble,
    SquashedGaussianActor,
    ValueNetwork,
    mlp,
)
from softrl.progress import TrainingProgress
from softrl.training.checkpoint import (
    Checkpoint,
    CheckpointError,
    load_checkpoint,
    resolve_checkpoint,
    save_checkpoint,
    save_run_checkpoint,
)
from softrl.training.envs import (
    ActionSpaceError,
    UnknownEnvironmentError,
    check_continuous_spaces,
    check_env_id,
    make_vector_env,
)
from softrl.training.evaluation import evaluate_policy
from softrl.training.logger import Logger, read_metrics
from softrl.training.seeding import Rngs, make_rngs
from softrl.training.toy_env import POINT_MASS_ID, PointMass1D

__all__ = [
    "POINT_MASS_ID",
    "PointMass1D",
    "ActionSpaceError",
    "Checkpoint",
    "CheckpointError",
    "EnsembleLinear",
    "EnsembleMLP",
    "Logger",
    "QEnsemble",
    "ReplayBatch",
    "ReplayBuffer",
    "RolloutBatch",
    "RolloutStorage",
    "Rngs",
    "SquashedGaussianActor",
    "TrainingProgress",
    "UnknownEnvironmentError",
    "ValueNetwork",
    "check_continuous_spaces",
    "check_env_id",
    "evaluate_policy",
    "load_checkpoint",
    "make_rngs",
    "make_vector_env",
    "mlp",
    "read_metrics",
    "resolve_checkpoint",
    "save_checkpoint",
    "save_run_checkpoint",
]
