"""Shared IRL fixtures (helpers live in irl_helpers.py)."""

from __future__ import annotations

import pytest
from irl_helpers import lava_world

from softrl.inference import soft_backward
from softrl.mdp import sample_trajectories


@pytest.fixture(scope="session", params=[0.0, 0.2], ids=["deterministic", "slip0.2"])
def lava(request):
    """(mdp, features, 100 demos of the soft-optimal expert, expert policy)."""
    world, phi = lava_world(request.param)
    expert = soft_backward(world.mdp, temperature=1.0).policy
    demos = sample_trajectories(world.mdp, expert, 100, seed=0)
    return world.mdp, phi, demos, expert
