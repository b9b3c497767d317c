"""Meta-RL (seed 004): by recurrence (:class:`RL2`), by optimization (MAML) and by a latent
task variable inferred with amortized VI (:class:`PEARL`). Task distributions live in
:mod:`softrl.envs.meta_tasks`."""

from softrl.meta.common import Episode, MetaLearner, TaskBuffer, rollout_episode
from softrl.meta.pearl import PEARL, PEARLConfig, product_of_gaussians
from softrl.meta.rl2 import RL2, RL2Config

__all__ = ["PEARL", "RL2", "Episode", "MetaLearner", "PEARLConfig", "RL2Config", "TaskBuffer",
           "product_of_gaussians", "rollout_episode"]
