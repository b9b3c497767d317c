"""Exact inference in the optimality-variable model p(O_t|s_t,a_t) = exp(r(s_t,a_t)/T)."""

from softrl.inference.backward import fold_action_prior, soft_backward, soft_bellman_step
from softrl.inference.solution import SoftSolution, log_policy_from_q

__all__ = [
    "SoftSolution",
    "fold_action_prior",
    "log_policy_from_q",
    "soft_backward",
    "soft_bellman_step",
]

from softrl.inference.evidence import elbo, log_evidence  # noqa: E402
from softrl.inference.forward import (  # noqa: E402
    Marginals,
    expected_feature_counts,
    forward_messages,
    occupancy,
    policy_marginals,
    posterior_marginals,
)

__all__ += [
    "Marginals",
    "elbo",
    "expected_feature_counts",
    "forward_messages",
    "log_evidence",
    "occupancy",
    "policy_marginals",
    "posterior_marginals",
]
