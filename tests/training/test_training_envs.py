"""Environment construction and validation errors."""

import gymnasium as gym
import numpy as np
import pytest

from softrl.training import (
    ActionSpaceError,
    UnknownEnvironmentError,
    check_continuous_spaces,
    make_vector_env,
)


def test_unknown_id_lists_close_matches() -> None:
    with pytest.raises(UnknownEnvironmentError, match="Pendulum-v1") as info:
        make_vector_env("Pendulm-v1")
    assert isinstance(info.value, ValueError)


def test_discrete_and_unbounded_action_spaces_are_rejected() -> None:
    env = make_vector_env("CartPole-v1")
    with pytest.raises(ActionSpaceError, match="continuous"):
        check_continuous_spaces(env.single_action_space, env.single_observation_space, "SAC")
    box = gym.spaces.Box(-np.inf, np.inf, (2,))
    with pytest.raises(ActionSpaceError, match="finite"):
        check_continuous_spaces(box, box, "SAC")
    with pytest.raises(ActionSpaceError, match="observation"):
        check_continuous_spaces(gym.spaces.Box(-1, 1, (1,)), gym.spaces.Discrete(3), "SAC")


def test_inputs_become_vector_envs() -> None:
    env = make_vector_env("Pendulum-v1", n_envs=2)
    assert env.num_envs == 2
    assert check_continuous_spaces(env.single_action_space, env.single_observation_space,
                                   "SAC") == (3, 1)
    assert make_vector_env(gym.make("Pendulum-v1")).num_envs == 1
    assert make_vector_env(env) is env
    with pytest.raises(TypeError):
        make_vector_env(3)  # type: ignore[arg-type]
