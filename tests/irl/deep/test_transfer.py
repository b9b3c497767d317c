"""Reward transfer: the wrapper pays the learned reward of the transition it just made and
keeps the true one in info; a fresh agent trains on it and is scored on the true reward."""

import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from helpers import point_mass_demos  # noqa: E402

from softrl.agents import SAC  # noqa: E402
from softrl.irl.deep import AIRL, LearnedRewardWrapper, train_on_learned_reward  # noqa: E402
from softrl.training.toy_env import POINT_MASS_ID  # noqa: E402

FAST = dict(hidden_sizes=(16,), disc_hidden_sizes=(16,), learning_starts=40, disc_every=40,
            disc_steps=2, batch_size=16, disc_batch_size=16, torch_threads=1)


@pytest.fixture(scope="module")
def learner():
    return AIRL(POINT_MASS_ID, demonstrations=point_mass_demos(5), seed=0, **FAST).learn(80)


def test_wrapper_pays_the_learned_reward(learner) -> None:
    env = LearnedRewardWrapper(gym.make(POINT_MASS_ID), learner)
    true_env = gym.make(POINT_MASS_ID)
    obs, _ = env.reset(seed=4)
    true_env.reset(seed=4)
    for a in (0.3, -1.0, 0.7):
        action = np.array([a], np.float32)
        nxt, r, *_, info = env.step(action)
        _, true_r, *_ = true_env.step(action)
        assert r == pytest.approx(float(learner.learned_reward(obs[None], action[None])[0]))
        assert info["true_reward"] == true_r
        obs = nxt


def test_fresh_agent_on_the_learned_reward(learner) -> None:
    agent, curve = train_on_learned_reward(learner, POINT_MASS_ID, 60, seed=1,
                                           eval_every=30, eval_episodes=2)
    assert isinstance(agent, SAC) and agent.num_steps == 60
    assert [s for s, _ in curve] == [30, 60, 60]
    assert all(np.isfinite(v) for _, v in curve)


def test_not_a_learner_is_refused() -> None:
    with pytest.raises(ValueError, match="AIRL/GAIL learner"):
        LearnedRewardWrapper(gym.make(POINT_MASS_ID), SAC(POINT_MASS_ID))
