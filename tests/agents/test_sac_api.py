"""SAC's Stable-Baselines3-style API: learn, predict, evaluate, variants, vector envs."""

import gymnasium as gym
import numpy as np
import pytest
from sac_fast import SMALL, TOY_ID

from softrl.agents import SAC
from softrl.training.toy_env import PointMass1D

NO_UPDATES = {**SMALL, "learning_starts": 10**6}  # collect only: fast checks of the env loop


def test_learn_returns_self_and_predict_shapes() -> None:
    agent = SAC("Pendulum-v1", seed=0, **SMALL)
    assert agent.learn(120) is agent
    assert agent.num_steps == 120 and agent.num_updates == 120 - SMALL["learning_starts"]
    obs = np.zeros(3, np.float32)
    single, state = agent.predict(obs, deterministic=True)
    assert state is None
    assert single.shape == (1,) and np.all(np.abs(single) <= 2.0)
    np.testing.assert_array_equal(single, agent.act(obs, deterministic=True))
    batch = agent.act(np.zeros((4, 3), np.float32))
    assert batch.shape == (4, 1) and np.all(np.abs(batch) <= 2.0)
    result = agent.evaluate(2)
    assert set(result) >= {"mean_return", "std_return", "mean_length"}
    assert result["mean_length"] == 200


def test_actions_are_rescaled_to_env_bounds() -> None:
    agent = SAC("MountainCarContinuous-v0", seed=0, **NO_UPDATES)
    low, high = agent.action_low.numpy(), agent.action_high.numpy()
    assert np.allclose(agent._to_env_action(agent.action_low * 0 - 1), low)
    assert np.allclose(agent._to_env_action(agent.action_low * 0 + 1), high)


def test_same_step_vector_env_stores_every_transition() -> None:
    agent = SAC(TOY_ID, seed=0, n_envs=3, **NO_UPDATES)
    agent.learn(60)  # 20 vector steps, each copy finishes 2 episodes of 10 steps
    assert agent.num_steps == 60 and len(agent.buffer) == 60 and agent.num_episodes == 6
    # Episode ends are truncations (time limit): never stored as terminal.
    assert agent.buffer.data[:60, -1].sum() == 0
    # The stored s' of the last step of an episode is the final obs, not the next reset obs.
    data = agent.buffer.data[:60].numpy()
    obs, next_obs = data[:, 0], data[:, 3]
    # Rows are stored step by step, 3 copies per step, so row r + 3 follows row r in its copy:
    # s' of row r is s of row r + 3 except across the 3 episode ends at step 10. Had the reset
    # observation been stored as s', those 3 pairs would match too.
    same = np.isclose(next_obs[:-3], obs[3:]).sum()
    assert same == 57 - 3


def test_next_step_autoreset_vector_env_skips_reset_steps() -> None:
    envs = gym.make_vec(TOY_ID, num_envs=2, vectorization_mode="sync")  # NEXT_STEP autoreset
    agent = SAC(envs, seed=0, **NO_UPDATES)
    agent.learn(2 * 21)  # 21 vector steps: 10, a reset step, 10 more
    assert agent.num_episodes == 4
    assert len(agent.buffer) == 2 * 21 - 2
    with pytest.raises(ValueError, match="registered id"):  # no spec to rebuild it from
        SAC(gym.vector.SyncVectorEnv([PointMass1D]), seed=0, **NO_UPDATES).evaluate(1)


def test_temperature_fixed_or_learned() -> None:
    fixed = SAC(TOY_ID, seed=0, temperature=0.1, **SMALL).learn(100)
    assert fixed.log_temperature.exp().item() == pytest.approx(0.1)
    learned = SAC(TOY_ID, seed=0, **SMALL).learn(100)
    assert learned.log_temperature.exp().item() != pytest.approx(1.0)


def test_v_network_variant_has_value_networks() -> None:
    agent = SAC(TOY_ID, seed=0, variant="v_network", **SMALL).learn(100)
    assert agent.value is not None and agent.value_target is not None
    assert agent.critic_target is None
    assert "losses/value" in agent._last_losses


def test_same_seed_same_run() -> None:
    a = SAC(TOY_ID, seed=3, **SMALL).learn(120)
    b = SAC(TOY_ID, seed=3, **SMALL).learn(120)
    c = SAC(TOY_ID, seed=4, **SMALL).learn(120)
    obs = np.linspace(-1, 1, 5, dtype=np.float32)[:, None]
    np.testing.assert_array_equal(a.act(obs, True), b.act(obs, True))
    assert not np.array_equal(a.act(obs, True), c.act(obs, True))
