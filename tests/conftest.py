"""Shared fixtures."""

import pytest

from mdp_factories import make_random_mdp


@pytest.fixture
def random_mdp():
    """The factory make_random_mdp(seed, S, A, gamma, horizon, terminal, density)."""
    return make_random_mdp
