"""The exploration hook of the agent skeleton: r + B(s') stored / in the returns, bonus trained,
checkpointed and rebuilt."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

from softrl.agents import EntropyPG, SoftQ
from softrl.exploration import CountBonus, RNDBonus, SimHashBonus
from softrl.training.toy_env import POINT_MASS_DISCRETE_ID

SMALL = {"torch_threads": 1, "hidden_sizes": (16,), "batch_size": 16, "learning_starts": 30,
         "train_freq": 1, "target_update_interval": 10, "log_every": 20}


def _count_bonus_by_hand(next_obs: np.ndarray, scale: float) -> np.ndarray:
    keys = [row.tobytes() for row in next_obs.astype(np.float32)]
    return np.array([scale / np.sqrt(keys[: i + 1].count(k)) for i, k in enumerate(keys)])


def test_off_policy_stores_reward_plus_count_bonus() -> None:
    env = lambda: gym.make("softrl/DeepSea-v0", size=4)  # noqa: E731
    plain = SoftQ(env(), seed=3, **{**SMALL, "learning_starts": 200}).learn(80)
    bonus = SoftQ(env(), seed=3, exploration=CountBonus(scale=0.5),
                  **{**SMALL, "learning_starts": 200}).learn(80)
    n = plain.buffer.size
    a, b = plain.buffer.data[:n].numpy(), bonus.buffer.data[:n].numpy()
    r = plain.buffer._slices[2]  # noqa: SLF001
    nxt = plain.buffer._slices[3]  # noqa: SLF001
    np.testing.assert_array_equal(np.delete(a, r, axis=1), np.delete(b, r, axis=1))
    np.testing.assert_allclose(b[:, r] - a[:, r], _count_bonus_by_hand(a[:, nxt], 0.5),
                               rtol=1e-6, atol=1e-7)
    assert bonus.exploration.n_keys == len({row.tobytes() for row in a[:, nxt]})


def test_on_policy_returns_include_the_bonus() -> None:
    captured: dict[str, list[torch.Tensor]] = {"plain": [], "bonus": []}
    agents = {}
    for name, exploration in (("plain", None), ("bonus", SimHashBonus(0.2, n_bits=64))):
        agent = EntropyPG(POINT_MASS_DISCRETE_ID, seed=1, n_steps=12, n_envs=2,
                          hidden_sizes=(16,), torch_threads=1, exploration=exploration)
        agent.train_on_rollout = (lambda roll, key=name: captured[key].append(
            roll.rewards.clone()) or {})
        agents[name] = agent.learn(24)
    obs_dim = 1
    next_obs = []  # the s' of each step in rollout order, from a fresh replay of the same run
    replay = EntropyPG(POINT_MASS_DISCRETE_ID, seed=1, n_steps=12, n_envs=2,
                       hidden_sizes=(16,), torch_threads=1)
    replay.train_on_rollout = lambda roll: {}
    original = replay.collector.step

    def spy(actions):
        step = original(actions)
        next_obs.append(step.next_obs.reshape(2, obs_dim))
        return step

    replay.collector.step = spy
    replay.learn(12)
    diff = (captured["bonus"][0] - captured["plain"][0]).numpy()  # (n_steps, n_envs)
    by_hand = SimHashBonus(0.2, n_bits=64)
    expected = np.stack([by_hand.reward(None, None, torch.as_tensor(x)).numpy()
                         for x in next_obs])
    np.testing.assert_allclose(diff, expected, rtol=1e-5, atol=1e-6)


def test_learned_bonus_trains_and_resumes_exactly(tmp_path) -> None:
    full = SoftQ(POINT_MASS_DISCRETE_ID, seed=2, exploration=RNDBonus(0.1, hidden_sizes=(8,),
                                                                      out_dim=4), **SMALL)
    full.learn(120)
    first = SoftQ(POINT_MASS_DISCRETE_ID, seed=2, exploration=RNDBonus(0.1, hidden_sizes=(8,),
                                                                       out_dim=4), **SMALL)
    first.learn(60).save(tmp_path / "ckpt")
    second = SoftQ.load(tmp_path / "ckpt")
    assert isinstance(second.exploration, RNDBonus)
    second.learn(60)
    for k, v in full.exploration.state_dict().items():
        if k != "_extra_state":
            torch.testing.assert_close(v, second.exploration.state_dict()[k], rtol=0, atol=0)
    for k, v in full.q.state_dict().items():
        torch.testing.assert_close(v, second.q.state_dict()[k], rtol=0, atol=0)
    assert "losses/rnd" in full._last_losses  # noqa: SLF001
    assert full._log_values()["charts/exploration_bonus"] > 0  # noqa: SLF001


def test_bad_exploration_object_is_refused() -> None:
    with pytest.raises(ValueError, match="exploration must be a softrl.exploration.Bonus"):
        SoftQ(POINT_MASS_DISCRETE_ID, exploration="rnd")
