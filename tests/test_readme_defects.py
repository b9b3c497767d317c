"""Issue 12: what the README promised a new user and did not hold."""

import numpy as np
import pytest

from softrl.envs import FiniteMDPEnv, gridworld, sutton_barto_gridworld
from softrl.inference import soft_backward
from softrl.irl import FeatureMatchingIRL, LinearReward, MaxCausalEntIRL
from softrl.mdp import sample_trajectories
from softrl.planning import value_iteration


def test_finite_mdp_env_takes_a_gridworld() -> None:
    world = gridworld(3, slip=0.0, horizon=5)
    env = FiniteMDPEnv(world)
    assert env.mdp is world.mdp
    obs, _ = env.reset(seed=0)
    assert 0 <= obs < world.mdp.n_states
    with pytest.raises(ValueError, match="FiniteMDP or a GridWorld"):
        FiniteMDPEnv("grid")


def test_plot_grid_values_takes_value_iterations_integer_policy(tmp_path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from softrl.plot import plot_grid_values

    mdp = sutton_barto_gridworld()
    result = value_iteration(mdp)
    ax = plot_grid_values((5, 5), result.V, result.policy)
    # One arrow per state, pointing along the greedy action only.
    quivers = [c for c in ax.collections if c.__class__.__name__ == "Quiver"]
    lengths = sum(np.hypot(q.U, q.V) for q in quivers)
    np.testing.assert_allclose(lengths, 1.0)
    ax.figure.savefig(tmp_path / "vi.png")
    with pytest.raises(ValueError, match="integer actions"):
        plot_grid_values((5, 5), result.V, result.V)


def test_feature_matching_takes_the_feature_specs_of_the_other_estimators() -> None:
    world = gridworld(4, slip=0.0, horizon=12, gamma=1.0)
    mdp = world.mdp
    expert = soft_backward(mdp, temperature=0.1).policy
    demos = sample_trajectories(mdp, expert, 50, seed=0)
    by_name = FeatureMatchingIRL("state", max_iter=20, verbose=True).fit(mdp, demos)
    by_array = FeatureMatchingIRL(np.eye(mdp.n_states), max_iter=20).fit(mdp, demos)
    by_model = FeatureMatchingIRL(LinearReward(np.eye(mdp.n_states)), max_iter=20).fit(mdp,
                                                                                        demos)
    np.testing.assert_allclose(by_name.reward_, by_array.reward_)
    assert by_name.params_ is by_name.weights_  # the README's shared attribute names
    np.testing.assert_allclose(by_model.reward_, by_array.reward_)
    sa = FeatureMatchingIRL("state_action", max_iter=5).fit(mdp, demos)
    assert sa.reward_.shape == mdp.shape
    with pytest.raises(ValueError, match="'features' parameter"):
        FeatureMatchingIRL("stat").fit(mdp, demos)
    with pytest.raises(ValueError, match="numeric"):
        FeatureMatchingIRL(np.array([["a"]])).fit(mdp, demos)
    # MaxEnt-family estimators keep their l2 and verbose.
    MaxCausalEntIRL("state", l2=1e-2, verbose=False, max_iter=3).fit(mdp, demos)
