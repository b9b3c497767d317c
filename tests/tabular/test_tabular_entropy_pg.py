"""Tabular entropy-regularized policy gradient reaches the exact soft-optimal policy."""

import numpy as np
import pytest

from mdp_factories import make_random_mdp
from softrl.envs import gridworld
from softrl.inference import policy_marginals, soft_backward
from softrl.mdp import MDPValidationError
from softrl.tabular import entropy_pg


@pytest.mark.parametrize("estimator", ["reinforce", "actor_critic"])
@pytest.mark.parametrize("which", ["random", "gridworld"])
def test_reaches_the_soft_optimal_policy(estimator, which) -> None:
    if which == "random":
        mdp = make_random_mdp(0, S=4, A=2, gamma=1.0, horizon=3)
    else:
        mdp = gridworld(2, slip=0.1, horizon=3, gamma=1.0).mdp
    T = 1.0
    result = entropy_pg(mdp, T, 1200, episodes_per_iteration=128, lr=0.3,
                        estimator=estimator, record_every=400)
    assert result.kl[-1] < 1e-3
    # The optimum of E[sum r - T log pi] is the soft value of the start distribution.
    best = float(mdp.initial @ soft_backward(mdp, temperature=T).V[0])
    assert abs(result.objective[-1] - best) < 1e-2
    # ... which the uniform start policy is far from (the test can fail).
    uniform = np.full(result.policy.shape, 1.0 / mdp.n_actions)
    m = policy_marginals(mdp, uniform).state_action
    assert best - (m * (mdp.reward - T * np.log(uniform))).sum() > 0.05
    assert np.allclose(result.policy.sum(-1), 1.0)


def test_arguments_are_checked() -> None:
    mdp = make_random_mdp(0, S=3, A=2, gamma=1.0, horizon=2)
    with pytest.raises(MDPValidationError, match="finite horizon"):
        entropy_pg(mdp.replace(horizon=None, gamma=0.9), 1.0, 10)
    with pytest.raises(MDPValidationError, match="'estimator'"):
        entropy_pg(mdp, 1.0, 10, estimator="ppo")
    with pytest.raises(MDPValidationError, match="'temperature'"):
        entropy_pg(mdp, -1.0, 10)
    with pytest.raises(MDPValidationError, match="'lr'"):
        entropy_pg(mdp, 1.0, 10, lr=0.0)
    with pytest.raises(ValueError, match="gamma"):
        mdp.replace(gamma=-0.1)


@pytest.mark.parametrize("estimator", ["reinforce", "actor_critic"])
def test_same_seed_same_policy_and_extreme_inputs_stay_finite(estimator) -> None:
    mdp = make_random_mdp(0, S=4, A=2, gamma=1.0, horizon=3)
    a = entropy_pg(mdp, 0.5, 20, estimator=estimator, seed=3)
    b = entropy_pg(mdp, 0.5, 20, estimator=estimator, seed=3)
    np.testing.assert_array_equal(a.policy, b.policy)
    big = entropy_pg(mdp.replace(reward=1e4 * mdp.reward), 1e-6, 20, estimator=estimator,
                     record_every=10)
    assert np.isfinite(big.policy).all() and np.isfinite(big.kl).all()
    assert np.isfinite(big.objective).all()
