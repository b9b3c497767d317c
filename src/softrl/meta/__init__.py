"""Meta-RL (seed 004): by recurrence (:class:`RL2`), by optimization (MAML) and by a latent
task variable inferred with amortized VI (:class:`PEARL`). Task distributions live in
:mod:`softrl.envs.meta_tasks`."""

from softrl.meta.common import Episode, MetaLearner, TaskBuffer, rollout_episode
from softrl.meta.maml import MAML, EpisodeBatch, MAMLConfig, linear_feature_baseline, pg_surrogate
from softrl.meta.pearl import PEARL, PEARLConfig, product_of_gaussians, product_of_gaussians_full
from softrl.meta.rl2 import RL2, RL2Config, rl2_meta_test

__all__ = ["MAML", "PEARL", "RL2", "Episode", "EpisodeBatch", "MAMLConfig", "MetaLearner",
           "PEARLConfig", "RL2Config", "TaskBuffer", "linear_feature_baseline", "pg_surrogate",
           "product_of_gaussians", "product_of_gaussians_full", "rl2_meta_test",
           "rollout_episode"]
