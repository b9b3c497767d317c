"""Bad gridworld input raises a ValueError (MDPValidationError) that names the field."""

from __future__ import annotations

import numpy as np
import pytest

from softrl.envs import GridWorld, cliff_walk, gridworld
from softrl.mdp.validation import MDPValidationError


@pytest.mark.parametrize(
    ("layout", "match"),
    [
        ("S.x\n...", r"layout: unknown symbol 'x' at row 0, column 2"),
        ("S..\n..", r"layout: row 1 has 2 cells but row 0 has 3"),
        ("##G\n#T#", r"layout: no free cell"),
        ("###", r"layout: no free cell"),
        ("\n  \n", r"layout: the map is empty"),
        (42, r"layout: must be a string or a sequence of strings"),
    ],
)
def test_bad_layout(layout, match: str):
    with pytest.raises(MDPValidationError, match=match):
        GridWorld.from_map(layout)


def test_errors_are_value_errors():
    with pytest.raises(ValueError, match="layout"):
        GridWorld.from_map("S.?")


@pytest.mark.parametrize("slip", [-0.1, 1.5, float("nan"), "0.1", True])
def test_slip_outside_unit_interval(slip):
    with pytest.raises(MDPValidationError, match=r"slip: must be a float in the range \[0, 1\]"):
        GridWorld.from_map("S.G", slip=slip)
    with pytest.raises(MDPValidationError, match="slip"):
        gridworld(3, slip=slip)
    with pytest.raises(MDPValidationError, match="slip"):
        cliff_walk(slip=slip)


@pytest.mark.parametrize("n_actions", [3, 6, 4.0, True])
def test_bad_n_actions(n_actions):
    with pytest.raises(MDPValidationError, match="n_actions"):
        GridWorld.from_map("S.G", n_actions=n_actions)


@pytest.mark.parametrize("name", ["goal_reward", "trap_reward", "step_reward", "cliff_reward"])
def test_bad_symbol_reward(name: str):
    with pytest.raises(MDPValidationError, match=name):
        GridWorld.from_map("S.G", **{name: float("inf")})


def test_bad_gamma_horizon_and_reward_shape():
    with pytest.raises(MDPValidationError, match="gamma"):
        GridWorld.from_map("S.G", gamma=1.5)
    with pytest.raises(MDPValidationError, match="horizon"):
        GridWorld.from_map("S.G", horizon=0)
    with pytest.raises(MDPValidationError, match="reward"):
        GridWorld.from_map("S.G", reward=np.zeros(7))


def test_open_grid_arguments():
    with pytest.raises(MDPValidationError, match=r"n: must be an int in the range \[1, inf\)"):
        gridworld(0)
    with pytest.raises(MDPValidationError, match="m: must be an int"):
        gridworld(3, 2.5)
    with pytest.raises(MDPValidationError, match=r"goal: \(3, 0\) lies outside"):
        gridworld(3, goal=(3, 0))
    with pytest.raises(MDPValidationError, match="start"):
        gridworld(3, start=(0,))
    with pytest.raises(MDPValidationError, match="n_rows"):
        cliff_walk(n_rows=1)
    with pytest.raises(MDPValidationError, match="n_cols"):
        cliff_walk(n_cols=2)


def test_geometry_helper_arguments():
    world = GridWorld.from_map("S#\n.G")
    with pytest.raises(MDPValidationError, match="values: last axis must have length S=3"):
        world.to_grid(np.zeros(4))
    with pytest.raises(MDPValidationError, match=r"\(row, col\): \(0, 1\) is not a state"):
        world.state_of(0, 1)
    with pytest.raises(MDPValidationError, match=r"\(row, col\)"):
        world.state_of(5, 0)
    with pytest.raises(MDPValidationError, match="kind"):
        world.state_features("rbf")  # type: ignore[arg-type]
