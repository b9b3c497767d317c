"""mce_occupancy: the checkpointed finite-horizon pass equals the full-array one."""

import numpy as np
import pytest

from mdp_factories import make_random_mdp
from softrl.envs import gridworld
from softrl.inference import policy_marginals, soft_backward
from softrl.inference.large import mce_occupancy
from softrl.mdp import MDPValidationError


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("terminal", [None, [1, 4]])
def test_matches_soft_backward_and_policy_marginals(seed, terminal):
    mdp = make_random_mdp(seed, S=7, A=3, gamma=0.95, horizon=9, terminal=terminal,
                          density=0.6)  # fmt: skip
    sol = soft_backward(mdp, 0.6)
    ref = policy_marginals(mdp, sol.policy).visitation(0.95)
    for store_policy in (False, True):
        V0, occ = mce_occupancy(mdp, 0.6, store_policy=store_policy)
        np.testing.assert_allclose(V0, sol.V[0], rtol=0, atol=1e-12)
        np.testing.assert_allclose(occ, ref, rtol=0, atol=1e-12)
        if terminal is not None:
            assert (occ[terminal] == 0).all()


def test_stored_and_recomputed_policy_give_the_same_bits(monkeypatch):
    from softrl.inference import large

    mdp = gridworld(9, slip=0.1, horizon=15).mdp
    kept = mce_occupancy(mdp, 0.8, store_policy=True)
    recomputed = mce_occupancy(mdp, 0.8, store_policy=False)
    assert all(np.array_equal(a, b) for a, b in zip(kept, recomputed, strict=True))
    monkeypatch.setattr(large, "STORE_POLICY_MAX_BYTES", 0)  # the default then recomputes
    assert all(np.array_equal(a, b) for a, b in zip(mce_occupancy(mdp, 0.8), kept, strict=True))


def test_reward_initial_prior_and_horizon_overrides():
    world = gridworld(5, slip=0.2, gamma=1.0)
    mdp = world.mdp
    rng = np.random.default_rng(0)
    reward = rng.normal(size=mdp.shape)
    initial = rng.dirichlet(np.ones(mdp.n_states))
    prior = rng.dirichlet(np.ones(5), size=mdp.n_states)
    other = mdp.replace(reward=reward, horizon=12)
    sol = soft_backward(other, 2.0, action_prior=prior)
    ref = policy_marginals(other, sol.policy, initial=initial).visitation(1.0)
    V0, occ = mce_occupancy(mdp, 2.0, reward=reward, horizon=12, initial=initial,
                            action_prior=prior)  # fmt: skip
    np.testing.assert_allclose(V0, sol.V[0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(occ, ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(occ.sum(), 12.0, rtol=1e-12)  # gamma = 1: one unit per step


def test_bad_arguments():
    mdp = make_random_mdp(0, horizon=3)
    with pytest.raises(MDPValidationError, match="temperature"):
        mce_occupancy(mdp, 0.0)
    with pytest.raises(MDPValidationError, match="horizon"):
        mce_occupancy(mdp.replace(horizon=None), 1.0)
    with pytest.raises(MDPValidationError, match="reward"):
        mce_occupancy(mdp, 1.0, reward=np.zeros(3))
    with pytest.raises(MDPValidationError, match="initial"):
        mce_occupancy(mdp, 1.0, initial=np.ones(5))
    with pytest.raises(MDPValidationError, match="store_policy"):
        mce_occupancy(mdp, 1.0, store_policy="yes")
