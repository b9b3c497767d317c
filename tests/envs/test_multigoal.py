"""MultiGoal (issue 14): reward by hand, termination at a goal, the 30-step limit, env_checker."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import softrl.training  # noqa: F401  (registers the softrl/ environments)
from softrl.envs.multigoal import GOALS, MULTIGOAL_BLOCKED_ID, MULTIGOAL_ID, MultiGoal, nearest_goal


def test_reward_by_hand_and_clipping() -> None:
    env = MultiGoal()
    obs, _ = env.reset(seed=0)
    np.testing.assert_array_equal(obs, [0.0, 0.0])
    obs, r, term, trunc, info = env.step(np.array([0.5, -2.0]))  # clipped to (0.5, -1)
    np.testing.assert_allclose(obs, [0.5, -1.0])
    # nearest goal of (0.5, -1) is (0, -5): squared distance 0.25 + 16
    assert r == pytest.approx(-30 * (0.25 + 1.0) - 16.25)
    assert not term and not trunc and info["goal"] == -1


def test_goal_reached_terminates_with_bonus() -> None:
    env = MultiGoal(init_position=(3.5, 0.0))
    env.reset(seed=0)
    obs, r, term, _, info = env.step(np.array([1.0, 0.2]))  # to (4.5, 0.2): 0.54 from (5, 0)
    assert term and info["goal"] == 0
    assert r == pytest.approx(-30 * 1.04 - (0.25 + 0.04) + 10.0)
    assert nearest_goal(obs)[0] == 0 and nearest_goal(np.zeros(2))[0] == -1


def test_registered_30_step_truncation_and_walls() -> None:
    env = gym.make(MULTIGOAL_ID)
    env.reset(seed=1)
    for t in range(30):
        obs, _, term, trunc, _ = env.step(np.array([0.7, 0.7], np.float32))  # diagonal: no goal
        assert not term
        assert trunc == (t == 29)
    np.testing.assert_allclose(obs, [7.0, 7.0])  # clipped at the wall


def test_blocked_target_removes_the_goal() -> None:
    env = gym.make(MULTIGOAL_BLOCKED_ID)  # goal 0, (5, 0), removed
    env.reset(seed=0)
    np.testing.assert_array_equal(env.unwrapped.goals, GOALS[1:])
    for _ in range(5):
        obs, r, term, _, info = env.step(np.array([1.0, 0.0], np.float32))
    np.testing.assert_allclose(obs, [5.0, 0.0])
    assert not term and info["goal"] == -1
    assert r == pytest.approx(-30.0 - 50.0)  # nearest remaining goal (0, +-5): 25 + 25
    other = gym.make(MULTIGOAL_BLOCKED_ID, removed_goal=2).unwrapped
    assert 2 not in other.goal_indices.tolist() and len(other.goals) == 3


def test_env_checker_and_bad_arguments() -> None:
    check_env(MultiGoal(), skip_render_check=True)
    with pytest.raises(ValueError, match="goal indices"):
        MultiGoal(goals=[0, 4])
    with pytest.raises(ValueError, match="at least one active goal"):
        MultiGoal(goals=[1], removed_goal=1)
    with pytest.raises(ValueError, match="action_cost"):
        MultiGoal(action_cost=-1.0)


def test_noise_is_seeded() -> None:
    a, b = MultiGoal(noise=0.1), MultiGoal(noise=0.1)
    a.reset(seed=3)
    b.reset(seed=3)
    act = np.array([0.3, 0.1])
    np.testing.assert_array_equal(a.step(act)[0], b.step(act)[0])


def test_rollouts_and_histogram_of_a_scripted_policy() -> None:
    from softrl.envs.multigoal import goal_histogram, rollouts

    goals, paths, returns = rollouts(lambda o: np.array([0.0, 1.0], np.float32), n_episodes=3)
    np.testing.assert_array_equal(goals, [2, 2, 2])  # straight up; (0, 4) is not < 1 from (0, 5)
    assert len(paths[0]) == 6 and returns[0] == pytest.approx(
        sum(-30 - (5 - y) ** 2 for y in (1, 2, 3, 4, 5)) + 10)
    np.testing.assert_array_equal(goal_histogram(np.array([0, 2, -1, 2])), [1, 0, 2, 0, 1])
    stay, _, _ = rollouts(lambda o: np.zeros(2, np.float32), n_episodes=2)
    np.testing.assert_array_equal(stay, [-1, -1])
