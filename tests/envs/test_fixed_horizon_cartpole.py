"""softrl/FixedHorizonCartPole-v0 against CartPole-v1 and seals' definition."""

from __future__ import annotations

import math
import warnings

import gymnasium as gym
import numpy as np

import softrl.training  # noqa: F401  (registers the env)
from softrl.envs.fixed_horizon import FIXED_HORIZON_CARTPOLE_ID, FixedHorizonCartPole


def test_same_dynamics_as_cartpole_v1_until_it_would_terminate() -> None:
    fixed, v1 = gym.make(FIXED_HORIZON_CARTPOLE_ID), gym.make("CartPole-v1")
    rng = np.random.default_rng(0)
    for seed in range(3):
        o1, _ = fixed.reset(seed=seed)
        o2, _ = v1.reset(seed=seed)
        np.testing.assert_array_equal(o1, o2)
        while True:
            a = int(rng.integers(2))
            o1, r1, te1, tr1, _ = fixed.step(a)
            o2, r2, te2, tr2, _ = v1.step(a)
            np.testing.assert_allclose(o1, o2, rtol=0, atol=1e-6)
            if te2:
                assert r1 == 0.0 and not te1  # failed state: no reward, no termination
                break
            assert r1 == r2 == 1.0 and not te1 and not tr1


def test_never_terminates_truncates_at_500_and_pays_only_ok_states() -> None:
    env = gym.make(FIXED_HORIZON_CARTPOLE_ID)
    env.reset(seed=1)
    rewards, steps = [], 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # CartPoleEnv's "stepped after terminated" is silenced
        while True:
            obs, r, te, tr, _ = env.step(1)  # always push right: fails in a few dozen steps
            steps += 1
            assert not te
            x, theta = float(obs[0]), float(obs[2])
            assert -math.pi <= theta < math.pi
            ok = abs(x) < 2.4 and abs(theta) < 12 * 2 * math.pi / 360
            assert r == (1.0 if ok else 0.0)
            rewards.append(r)
            if tr:
                break
    assert steps == 500
    assert 0 < sum(rewards) < 100


def test_observation_space_holds_every_observation() -> None:
    env = FixedHorizonCartPole()
    obs, _ = env.reset(seed=0)
    assert obs.dtype == np.float32 and env.observation_space.contains(obs)
    for _ in range(300):
        obs, *_ = env.step(0)
        assert env.observation_space.contains(obs)


def test_scripted_linear_controller_keeps_every_reward() -> None:
    steps = 500
    env = gym.make(FIXED_HORIZON_CARTPOLE_ID)
    obs, _ = env.reset(seed=0)
    total = 0.0
    for _ in range(steps):
        x, xd, th, thd = (float(v) for v in obs)
        obs, r, *_ = env.step(int(10 * th + 2 * thd + 0.1 * x + 0.5 * xd > 0))
        total += r
    assert total == steps
