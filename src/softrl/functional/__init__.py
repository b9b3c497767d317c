"""Pure torch functions for max-entropy deep RL: soft values, policy densities, SAC losses."""

from softrl.functional.entropy_pg import (
    entropy_pg_loss,
    soft_reinforce_loss,
    soft_returns_to_go,
    soft_rewards,
)
from softrl.functional.irl import (
    airl_logits,
    airl_reward,
    discriminator_accuracy,
    discriminator_loss,
    gail_reward,
    gcl_log_weights,
    gcl_loss,
    gcl_normalized_weights,
    mixture_log_proposal,
    shaped_reward,
)
from softrl.functional.returns import discounted_returns, gae
from softrl.functional.sac import (
    actor_loss,
    critic_loss,
    polyak_update,
    q_target_from_value,
    soft_q_target,
    soft_v_target,
    temperature_loss,
    value_loss,
)
from softrl.functional.soft_q import (
    boltzmann_log_policy,
    munchausen_bonus,
    sample_categorical,
    soft_dqn_target,
    soft_q_loss,
)
from softrl.functional.soft_value import soft_value
from softrl.functional.squashed_gaussian import (
    gaussian_log_prob,
    squashed_gaussian_log_prob,
    squashed_gaussian_sample,
    tanh_log_det_jacobian,
)
from softrl.functional.svgd import (
    importance_sampled_soft_value,
    median_bandwidth,
    rbf_kernel,
    sql_q_target,
    svgd_direction,
    svgd_policy_loss,
    uniform_log_density,
)

__all__ = [
    "importance_sampled_soft_value",
    "median_bandwidth",
    "rbf_kernel",
    "sql_q_target",
    "svgd_direction",
    "svgd_policy_loss",
    "uniform_log_density",
    "airl_logits",
    "airl_reward",
    "discriminator_accuracy",
    "discriminator_loss",
    "gail_reward",
    "gcl_log_weights",
    "gcl_loss",
    "gcl_normalized_weights",
    "mixture_log_proposal",
    "shaped_reward",
    "actor_loss",
    "boltzmann_log_policy",
    "critic_loss",
    "discounted_returns",
    "entropy_pg_loss",
    "gae",
    "munchausen_bonus",
    "gaussian_log_prob",
    "polyak_update",
    "q_target_from_value",
    "sample_categorical",
    "soft_dqn_target",
    "soft_q_loss",
    "soft_q_target",
    "soft_reinforce_loss",
    "soft_returns_to_go",
    "soft_rewards",
    "soft_v_target",
    "soft_value",
    "squashed_gaussian_log_prob",
    "squashed_gaussian_sample",
    "tanh_log_det_jacobian",
    "temperature_loss",
    "value_loss",
]
