"""Garnet random MDPs: reproducibility, exact branching, sampling law, size."""

from __future__ import annotations

import numpy as np
import pytest

from softrl.envs import garnet
from softrl.mdp.validation import MDPValidationError


def successors(mdp) -> np.ndarray:
    P = mdp.transitions
    return P.indices.reshape(P.shape[0], -1)


@pytest.mark.parametrize(("n_states", "branching"), [(50, 3), (6, 5), (4, 4), (7, 1)])
def test_structure(n_states: int, branching: int):
    mdp = garnet(n_states, 3, branching, seed=1)
    P = mdp.transitions
    assert mdp.shape == (n_states, 3) and mdp.gamma == 0.99 and not mdp.terminal.any()
    np.testing.assert_array_equal(np.diff(P.indptr), branching)
    succ = successors(mdp)
    assert (np.diff(succ, axis=1) > 0).all()  # distinct and sorted
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-12)
    assert (P.data > 0).all()
    np.testing.assert_allclose(mdp.initial, np.full(n_states, 1 / n_states))


def test_same_seed_same_mdp_and_different_seed_differs():
    a, b, c = garnet(300, 4, 5, seed=7), garnet(300, 4, 5, seed=7), garnet(300, 4, 5, seed=8)
    for x in ("data", "indices", "indptr"):
        np.testing.assert_array_equal(getattr(a.transitions, x), getattr(b.transitions, x))
    np.testing.assert_array_equal(a.reward, b.reward)
    assert not np.array_equal(a.transitions.indices, c.transitions.indices)
    g = np.random.default_rng(7)
    np.testing.assert_array_equal(garnet(300, 4, 5, seed=g).reward, a.reward)


def test_int32_indices_and_direct_csr():
    P = garnet(1000, 2, 3, seed=0).transitions
    assert P.indices.dtype == np.int32 and P.indptr.dtype == np.int32
    assert P.nnz == 1000 * 2 * 3


@pytest.mark.parametrize(("n_states", "branching"), [(40, 3), (8, 5)])  # both samplers
def test_successor_sets_are_uniform(n_states: int, branching: int):
    succ = successors(garnet(n_states, 2000 // n_states * 5, branching, seed=3))
    freq = np.bincount(succ.ravel(), minlength=n_states) / succ.shape[0]
    np.testing.assert_allclose(freq, branching / n_states, atol=0.04)


def test_probabilities_are_uniform_split():
    P = garnet(50, 200, 2, seed=4).transitions  # Dirichlet(1, 1): first weight ~ U[0, 1]
    first = P.data.reshape(-1, 2)[:, 0]
    assert abs(first.mean() - 0.5) < 0.02 and abs(first.var() - 1 / 12) < 0.01
    peaked = garnet(50, 200, 2, seed=4, concentration=50.0).transitions.data
    assert peaked.reshape(-1, 2)[:, 0].std() < 0.1


def test_reward_kinds():
    normal = garnet(400, 5, 2, seed=0).reward
    assert normal.shape == (400, 5) and abs(normal.mean()) < 0.1 and abs(normal.std() - 1) < 0.1
    uniform = garnet(400, 5, 2, seed=0, reward="uniform").reward
    assert uniform.min() >= 0 and uniform.max() < 1
    state = garnet(400, 5, 2, seed=0, reward="state").reward
    assert (state == state[:, :1]).all()
    given = np.arange(400.0)
    np.testing.assert_array_equal(garnet(400, 5, 2, seed=0, reward=given).reward[:, 2], given)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_states": 0}, "n_states"),
        ({"n_actions": 1.5}, "n_actions"),
        ({"branching": 11}, "branching"),
        ({"branching": 0}, "branching"),
        ({"reward": "cauchy"}, "reward"),
        ({"concentration": 0.0}, "concentration"),
        ({"gamma": -0.1}, "gamma"),
    ],
)
def test_bad_arguments(kwargs: dict, match: str):
    args = {"n_states": 10, "n_actions": 2, "branching": 3, **kwargs}
    with pytest.raises(MDPValidationError, match=match):
        garnet(**args)


@pytest.mark.slow
def test_million_states():
    mdp = garnet(1_000_000, 5, 5, seed=0)
    P = mdp.transitions
    assert P.shape == (5_000_000, 1_000_000) and P.nnz == 25_000_000
    assert P.indices.dtype == np.int32
    assert (P.indices.reshape(-1, 5)[:, 1:] > P.indices.reshape(-1, 5)[:, :-1]).all()
