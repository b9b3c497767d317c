"""The n-chain of Strens (2000)."""

from __future__ import annotations

import numpy as np
import pytest

from softrl.envs import CHAIN_ACTIONS, chain
from softrl.mdp.validation import MDPValidationError

FORWARD, BACK = range(2)


def test_transitions_and_rewards():
    mdp = chain(3, slip=0.2, small_reward=2.0, big_reward=10.0)
    assert CHAIN_ACTIONS == ("forward", "back")
    P = mdp.dense_transitions()
    np.testing.assert_allclose(P[0, FORWARD], [0.2, 0.8, 0.0])
    np.testing.assert_allclose(P[1, FORWARD], [0.2, 0.0, 0.8])
    np.testing.assert_allclose(P[2, FORWARD], [0.2, 0.0, 0.8])
    np.testing.assert_allclose(P[1, BACK], [0.8, 0.0, 0.2])  # a slip moves forward
    np.testing.assert_allclose(P[2, BACK], [0.8, 0.0, 0.2])
    np.testing.assert_allclose(mdp.reward[:, FORWARD], [0.4, 0.4, 8.4])
    np.testing.assert_allclose(mdp.reward[:, BACK], [1.6, 1.6, 3.6])
    np.testing.assert_array_equal(mdp.initial, [1.0, 0.0, 0.0])


def test_optimal_policy_walks_forward_and_greedy_goes_back():
    mdp = chain(5, slip=0.2, gamma=0.99)
    P = mdp.dense_transitions()
    v = np.zeros(5)
    for _ in range(3000):
        q = mdp.reward + mdp.gamma * P @ v
        v = q.max(axis=1)
    assert (q.argmax(axis=1) == FORWARD).all()
    assert (mdp.reward[:4].argmax(axis=1) == BACK).all()  # the myopic bait


def test_no_slip_is_deterministic():
    mdp = chain(4, slip=0.0)
    assert mdp.transitions.nnz == 8


@pytest.mark.parametrize(("kwargs", "match"), [({"n": 1}, "n"), ({"slip": 1.2}, "slip")])
def test_bad_arguments(kwargs: dict, match: str):
    with pytest.raises(MDPValidationError, match=match):
        chain(**kwargs)
