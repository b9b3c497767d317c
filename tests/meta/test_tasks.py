"""Meta-RL task envs: Gymnasium's checker, reproducible task sampling, rewards by hand."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import softrl.training  # noqa: F401  (registers the envs)
from softrl.envs.meta_tasks import (
    BernoulliBandit,
    MetaTrial,
    PointNavigation,
    make_task_env,
    parse_task_name,
)


@pytest.mark.parametrize("env", [BernoulliBandit(5, 10), PointNavigation(),
                                 PointNavigation(sparse=True), MetaTrial("bandit-k5-n10"),
                                 MetaTrial("point-dense", 2)])
def test_env_checker(env) -> None:
    check_env(env, skip_render_check=True)


def test_registered_ids() -> None:
    env = gym.make("softrl/MetaTrial-v0", tasks="point-sparse", episodes_per_trial=2)
    assert env.observation_space.shape == (2 + 2 + 3,)
    assert gym.make("softrl/Bandit-v0").action_space.n == 5


def test_sample_tasks_reproducible_and_distributed() -> None:
    env = PointNavigation()
    a, b = env.sample_tasks(500, seed=3), env.sample_tasks(500, seed=3)
    assert all(np.array_equal(x["goal"], y["goal"]) for x, y in zip(a, b, strict=True))
    goals = np.array([t["goal"] for t in a])
    assert goals.min() >= -1 and goals.max() <= 1 and abs(goals.mean()) < 0.1
    assert not np.array_equal(goals, np.array([t["goal"] for t in env.sample_tasks(500, 4)]))
    sparse = np.array([t["goal"] for t in PointNavigation(sparse=True).sample_tasks(200, 0)])
    assert np.allclose(np.linalg.norm(sparse, axis=1), 1) and sparse[:, 1].min() >= 0
    first, second = PointNavigation(), PointNavigation()
    first.reset(seed=7)
    second.reset(seed=7)
    assert np.array_equal(first.sample_tasks(3)[2]["goal"], second.sample_tasks(3)[2]["goal"])
    means = np.array([t["means"] for t in BernoulliBandit(5, 10).sample_tasks(400, seed=1)])
    assert means.shape == (400, 5) and 0.45 < means.mean() < 0.55


def test_point_navigation_dynamics_and_rewards() -> None:
    env = PointNavigation()
    env.set_task({"goal": np.array([0.5, 0.0])})
    env.reset(seed=0)
    obs, r, term, trunc, _ = env.step(np.array([1.0, -0.05]))  # clipped to 0.1
    assert np.allclose(obs, [0.1, -0.05]) and np.isclose(r, -np.hypot(0.4, 0.05))
    for _ in range(19):
        obs, r, term, trunc, _ = env.step(np.array([0.1, 0.0]))
    assert trunc and not term
    sparse = PointNavigation(sparse=True)
    sparse.set_task({"goal": np.array([0.0, 1.0])})
    assert np.allclose(sparse.reward(np.array([[0.0, 0.0], [0.0, 0.9], [0.0, 0.79]])),
                       [0.0, 0.9, 0.0])
    with pytest.raises(ValueError, match="goal"):
        env.set_task({"goal": [1, 2, 3]})
    with pytest.raises(ValueError, match="means"):
        BernoulliBandit(3, 5).set_task({"means": [0.1, 2.0, 0.3]})
    with pytest.raises(ValueError, match="n_arms"):
        BernoulliBandit(1)
    with pytest.raises(ValueError, match="unknown task family"):
        parse_task_name("point-medium")


def test_bandit_rewards_follow_the_means() -> None:
    env = BernoulliBandit(3, 10_000)
    env.set_task({"means": np.array([0.1, 0.5, 0.9])})
    env.reset(seed=0)
    rewards = [env.step(2)[1] for _ in range(5000)]
    assert abs(np.mean(rewards) - 0.9) < 0.02
    env.reset()
    assert sum(env.step(0)[2] for _ in range(10_000)) == 1  # terminated at the 10,000th pull


def test_meta_trial_observation_layout_and_new_task_per_trial() -> None:
    env = MetaTrial("point-dense", episodes_per_trial=2)
    obs, info = env.reset(seed=1)
    assert obs[-1] == 1.0 and np.allclose(obs[:-1], 0)
    goal = info["task"]["goal"]
    steps = 0
    done = False
    while not done:
        obs, r, done, trunc, info = env.step(np.array([0.05, -0.1]))
        steps += 1
        assert obs[-1] == 0.0 and np.allclose(obs[2:4], [0.05, -0.1]) and obs[4] == r
        if steps == 20:  # the first inner episode ended: back at the origin, done flag set
            assert obs[5] == 1.0 and np.allclose(obs[:2], 0) and not done
    assert steps == 40 and not trunc
    obs, info2 = env.reset()
    assert not np.array_equal(goal, info2["task"]["goal"])
    # The same seed gives the same trial task.
    assert np.array_equal(MetaTrial("point-dense").reset(seed=1)[1]["task"]["goal"], goal)
    # A task given at reset is used.
    obs, info3 = env.reset(options={"task": {"goal": np.array([0.2, 0.3])}})
    assert np.allclose(info3["task"]["goal"], [0.2, 0.3])
    bandit = MetaTrial("bandit-k5-n10")
    obs, _ = bandit.reset(seed=0)
    obs, r, *_ = bandit.step(3)
    assert obs.shape == (1 + 5 + 3,) and obs[1 + 3] == 1.0 and obs[1:6].sum() == 1.0
    assert make_task_env("bandit-k3-n7").n_pulls == 7
