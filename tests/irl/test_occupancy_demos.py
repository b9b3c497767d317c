"""MCE IRL from an occupancy measure (imitation's MCEIRL takes one): fitting the exact
occupancy of a soft-optimal expert recovers the expert's policy, checked against the engine."""

import numpy as np
import pytest

from mdp_factories import make_random_mdp
from softrl.envs import gridworld
from softrl.inference import occupancy, policy_marginals, soft_backward
from softrl.irl import DemonstrationError, MaxCausalEntIRL, irl_objective
from softrl.irl.objective import occupancy_stats


def test_infinite_horizon_occupancy_recovers_the_expert() -> None:
    mdp = gridworld(3, slip=0.1, gamma=0.9).mdp
    expert = soft_backward(mdp, temperature=1.0).policy
    D = occupancy(mdp, expert)  # sum_t gamma^t p(s_t, a_t), exact
    fit = MaxCausalEntIRL("state_action", l2=0.0, max_iter=500).fit(mdp, D)
    live = ~mdp.terminal & (D.sum(axis=1) > 1e-6)
    np.testing.assert_allclose(fit.policy_[live], expert[live], atol=2e-4)
    assert fit.demonstrations_ is None
    np.testing.assert_allclose(occupancy(mdp, fit.policy_)[live], D[live], atol=1e-4)


def test_finite_horizon_per_step_counts_and_state_visitation_dual() -> None:
    mdp = gridworld(3, slip=0.1, horizon=6, gamma=1.0).mdp
    expert = soft_backward(mdp, temperature=1.0).policy
    counts = policy_marginals(mdp, expert).state_action  # (H, S, A), gamma = 1
    fit = MaxCausalEntIRL("state_action", l2=0.0, max_iter=500).fit(mdp, counts)
    reached = counts.sum(axis=-1) > 1e-6
    np.testing.assert_allclose(fit.policy_[reached], expert[reached], atol=5e-4)
    with pytest.raises(DemonstrationError, match=r"\(6, 9, 5\)"):
        MaxCausalEntIRL("state_action").fit(mdp, counts.sum(axis=0))
    inf = gridworld(3, slip=0.1, gamma=0.9).mdp
    states = occupancy(inf, soft_backward(inf, 1.0).policy).sum(axis=1)
    MaxCausalEntIRL("state", objective="dual", max_iter=5).fit(inf, states)  # accepted
    with pytest.raises(DemonstrationError, match="state-only reward"):
        MaxCausalEntIRL("state_action", max_iter=5).fit(inf, states)
    with pytest.raises(DemonstrationError, match=">= 0"):
        MaxCausalEntIRL("state_action").fit(inf, -occupancy(inf, soft_backward(inf, 1.0).policy))


@pytest.mark.parametrize("objective", ["likelihood", "dual"])
def test_occupancy_gradient_is_the_exact_feature_count_difference(objective) -> None:
    """With the expert's exact occupancy D (infinitely many demos), the gradient at any reward
    r is D - sum_t gamma^t p_r(s_t, a_t): the exact expected counts of r's soft policy."""
    mdp = gridworld(3, slip=0.1, gamma=0.9).mdp
    D = occupancy(mdp, soft_backward(mdp, temperature=1.0).policy)
    r = np.random.default_rng(0).normal(size=mdp.shape)
    ev = irl_objective(mdp, r, occupancy_stats(mdp, D), 1.0, objective)
    learner = soft_backward(mdp.replace(reward=r), temperature=1.0).policy
    np.testing.assert_allclose(ev.grad_reward, D - occupancy(mdp, learner), atol=1e-10)


def test_myopic_discount_fits_the_one_step_expert() -> None:
    """gamma = 0: the expert is pi(a|s) ∝ exp(r(s, a) / T) and MCE IRL recovers it."""
    mdp = make_random_mdp(2, S=4, A=3).replace(gamma=0.0, horizon=None)
    expert = soft_backward(mdp, temperature=1.0).policy
    np.testing.assert_allclose(expert, np.exp(mdp.reward) / np.exp(mdp.reward).sum(1)[:, None])
    fit = MaxCausalEntIRL("state_action", l2=0.0, max_iter=500).fit(mdp, occupancy(mdp, expert))
    live = mdp.initial > 1e-6
    np.testing.assert_allclose(fit.policy_[live], expert[live], atol=1e-4)
