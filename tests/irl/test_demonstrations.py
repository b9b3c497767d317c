"""Demonstration formats, validation errors, and discounted counts against a plain loop."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from irl_helpers import random_mdp

from softrl.irl import DemonstrationError, Demonstrations, as_demonstrations
from softrl.mdp import FiniteMDP, sample_trajectories


@pytest.fixture
def chain() -> FiniteMDP:
    """4 states in a line, actions left/right, deterministic; state 3 terminal."""
    P = np.zeros((4, 2, 4))
    for s in range(4):
        P[s, 0, max(s - 1, 0)] = 1.0
        P[s, 1, min(s + 1, 3)] = 1.0
    return FiniteMDP(P, np.zeros(4), horizon=6, terminal=[3])


def test_formats_agree(chain):
    pairs = [([0, 1, 2, 3], [1, 1, 1]), ([1, 0], [0])]
    from_lists = as_demonstrations(pairs, chain)
    states = np.array([[0, 1, 2, 3], [1, 0, -1, -1]])
    actions = np.array([[1, 1, 1], [0, -1, -1]])
    from_arrays = as_demonstrations((states, actions), chain)
    objs = [SimpleNamespace(obs=np.array(s), acts=np.array(a)) for s, a in pairs]
    from_objects = as_demonstrations(objs, chain)
    again = as_demonstrations(from_lists, chain)
    for d in (from_arrays, from_objects, again):
        np.testing.assert_array_equal(d.states, from_lists.states)
        np.testing.assert_array_equal(d.actions, from_lists.actions)
        np.testing.assert_array_equal(d.lengths, [3, 1])


def test_from_sampler_and_without_final_state():
    mdp = random_mdp(0)
    trajs = sample_trajectories(mdp, np.full(mdp.shape, 1 / 3), 5, seed=1)
    d = as_demonstrations(trajs, mdp)
    np.testing.assert_array_equal(d.states, trajs.states)
    # L states for L actions: the final state is optional.
    short = as_demonstrations([(s[:-1], a) for s, a in trajs.as_lists()], mdp)
    np.testing.assert_array_equal(short.states[:, :-1], trajs.states[:, :-1])


@pytest.mark.parametrize(
    ("demos", "match"),
    [
        ([], "empty"),
        ((np.zeros((0, 3), int), np.zeros((0, 2), int)), "empty"),
        ([([0, 1], [])], "no actions"),
        ([([0, 1, 2, 3, 0], [1, 1])], "ragged"),
        ((np.array([[0, 1, 2]]), np.array([[1, 1, 1, 1]])), "ragged"),
        ([([0, 7, 0], [1, 1])], "state 7 is out of range"),
        ([([0, 1], [2])], "action 2 is out of range"),
        ([([-1, 0], [1])], "state -1 is out of range"),
        ([([0.5, 1.0], [1])], "integer"),
        ((np.array([[0, 1, 0, 1]]), np.array([[1, -1, 1]])), "padding"),
        ([([0, 2], [1])], "impossible"),
        ([([2, 3, 3], [1, 1])], "terminal"),
        ([([0] * 9, [0] * 8)], "horizon"),
        (np.zeros((2, 3), int), "ambiguous"),
        ("abc", "unsupported"),
        ([42], "demonstration 0"),
    ],
)
def test_bad_demonstrations_raise(chain, demos, match):
    with pytest.raises(DemonstrationError, match=match):
        as_demonstrations(demos, chain)


def test_error_is_a_value_error():
    assert issubclass(DemonstrationError, ValueError)


def test_counts_match_loop():
    mdp = random_mdp(3, gamma=0.9, horizon=7)
    trajs = sample_trajectories(mdp, np.full(mdp.shape, 1 / 3), 9, seed=2)
    d = as_demonstrations(trajs, mdp)
    S, A = mdp.shape
    expected = np.zeros((7, S, A))
    for states, actions in d.as_lists():
        for t, (s, a) in enumerate(zip(states[:-1], actions, strict=True)):
            expected[t, s, a] += 0.9**t / len(d)
    np.testing.assert_allclose(d.counts(S, A, 0.9, horizon=7), expected)
    np.testing.assert_allclose(d.counts(S, A, 0.9), expected.sum(axis=0))
    phi = np.random.default_rng(0).normal(size=(S, A, 2))
    np.testing.assert_allclose(d.feature_counts(phi, 0.9), np.tensordot(expected.sum(0), phi, 2))
    np.testing.assert_allclose(
        d.feature_counts(phi[:, 0], 0.9), expected.sum(axis=(0, 2)) @ phi[:, 0]
    )
    p0 = d.initial_distribution(S)
    np.testing.assert_allclose(p0, np.bincount(trajs.states[:, 0], minlength=S) / 9)


def test_demonstrations_is_frozen_dataclass():
    d = as_demonstrations([([0, 1], [1])])
    assert isinstance(d, Demonstrations) and len(d) == 1 and d.n_steps == 1
    with pytest.raises(AttributeError):
        d.lengths = np.array([2])  # type: ignore[misc]


def test_one_demonstration_error_for_tabular_and_gym_demos():
    import softrl.demos
    from softrl.mdp import MDPValidationError

    assert softrl.demos.DemonstrationError is DemonstrationError
    assert issubclass(DemonstrationError, MDPValidationError)
