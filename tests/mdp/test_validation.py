"""Every malformed MDP raises an MDPValidationError (a ValueError) naming the field."""

import numpy as np
import pytest
import scipy.sparse as sp

from softrl.mdp import FiniteMDP, MDPValidationError


def good():
    P = np.zeros((3, 2, 3))
    P[:, 0, 0] = 1.0
    P[:, 1, 1] = 0.5
    P[:, 1, 2] = 0.5
    return P, np.arange(3.0)


def test_accepts_dense_sparse_and_reward_shapes():
    P, r = good()
    a = FiniteMDP(P, r)
    b = FiniteMDP(sp.csr_matrix(P.reshape(6, 3)), r, n_actions=2)
    np.testing.assert_array_equal(a.transitions.toarray(), b.transitions.toarray())
    np.testing.assert_array_equal(a.reward, np.repeat(r[:, None], 2, axis=1))
    r_sas = np.random.default_rng(0).normal(size=(3, 2, 3))
    c = FiniteMDP(P, r_sas)
    np.testing.assert_allclose(c.reward, np.einsum("sat,sat->sa", P, r_sas))
    np.testing.assert_allclose(a.initial, 1 / 3)
    assert not a.reward.flags.writeable
    assert "S=3, A=2" in repr(a)


def test_terminal_rows_become_self_loops_and_rewards_vanish():
    P, r = good()
    P[2] = 0.0  # a terminal state's rows may be left empty
    mdp = FiniteMDP(P, r, terminal=[2])
    np.testing.assert_array_equal(mdp.dense_transitions()[2, :, 2], 1.0)
    assert np.all(mdp.reward[2] == 0) and mdp.initial[2] == 0
    mask = FiniteMDP(P, r, terminal=np.array([False, False, True]))
    np.testing.assert_array_equal(mask.terminal, mdp.terminal)


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda P, r: (P * 0.5, r), r"state 0, action 0 sums to 0.5"),
        (lambda P, r: (np.where(P == 1.0, np.nan, P), r), "finite"),
        (lambda P, r: (P + np.array([0.0, 1.0, -1.0]) * (P == 0.5), r), "negative"),
        (lambda P, r: (P[:, :, :2], r), "shape"),
        (lambda P, r: (P[0], r), "transitions"),
        (lambda P, r: (P, np.ones(4)), "reward"),
        (lambda P, r: (P, np.array([0.0, np.inf, 1.0])), "reward"),
        (lambda P, r: ("abc", r), "transitions"),
    ],
)
def test_malformed_transitions_and_rewards(mutate, match):
    P, r = good()
    P2, r2 = mutate(P.copy(), r.copy())
    with pytest.raises(MDPValidationError, match=match):
        FiniteMDP(P2, r2)


def test_errors_are_value_errors_and_name_the_field():
    P, r = good()
    cases = [
        (dict(initial=[0.5, 0.5]), "initial"),
        (dict(initial=[0.5, 0.6, -0.1]), "initial"),
        (dict(initial=[0.2, 0.2, 0.2]), "initial"),
        (dict(gamma=-0.1), "gamma"),
        (dict(gamma=1.5), "gamma"),
        (dict(horizon=-1), "horizon"),
        (dict(horizon=2.5), "horizon"),
        (dict(terminal=[5]), "terminal"),
        (dict(terminal=np.array([True, False])), "terminal"),
        (dict(terminal=[0, 1, 2]), "terminal"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValueError, match=field):
            FiniteMDP(P, r, **kwargs)
    with pytest.raises(MDPValidationError, match="n_actions"):
        FiniteMDP(sp.csr_matrix(P.reshape(6, 3)), r)
    with pytest.raises(MDPValidationError, match="A=4"):
        FiniteMDP(sp.csr_matrix(P.reshape(6, 3)), r, n_actions=4)


def test_replace_revalidates():
    P, r = good()
    mdp = FiniteMDP(P, r, gamma=0.9)
    assert mdp.replace(horizon=4).horizon == 4
    with pytest.raises(MDPValidationError, match="reward"):
        mdp.replace(reward=np.ones((2, 2)))
