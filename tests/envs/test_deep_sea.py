"""deep_sea against trajectories recorded from bsuite 0.3.6 (bench/deep_sea_bsuite_reference.py)
and bsuite's score by hand."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from softrl.envs.deep_sea import DEEP_SEA_ID, DeepSea, deep_sea_score, deep_sea_solved_at

DATA = Path(__file__).parent / "data" / "deep_sea_bsuite.npz"


def _cases() -> tuple[dict, list[dict]]:
    data = dict(np.load(DATA))
    return data, json.loads(str(data["cases"]))


@pytest.mark.parametrize("i", range(5))
def test_step_by_step_equal_to_bsuite(i: int) -> None:
    data, cases = _cases()
    case = cases[i]
    env = DeepSea(**case)
    np.testing.assert_array_equal(env.action_mapping, data[f"{i}_mapping"])
    obs_ref, rew_ref, last_ref = data[f"{i}_obs"], data[f"{i}_rewards"], data[f"{i}_last"]
    bad_ref, ret_ref = data[f"{i}_total_bad_episodes"], data[f"{i}_denoised_return"]
    actions = iter(data[f"{i}_actions"])
    t = 0
    while t < len(obs_ref):
        obs, info = env.reset()  # bsuite's reset(): rows with reward NaN
        assert np.isnan(rew_ref[t])
        np.testing.assert_array_equal(obs, obs_ref[t])
        t += 1
        terminated = False
        while not terminated:
            obs, reward, terminated, truncated, info = env.step(int(next(actions)))
            np.testing.assert_array_equal(obs, obs_ref[t])
            assert reward == rew_ref[t]  # the same float, noise draws included
            assert terminated == bool(last_ref[t]) and not truncated
            assert info["total_bad_episodes"] == bad_ref[t]
            assert info["denoised_return"] == ret_ref[t]
            t += 1
    assert next(actions, None) is None
    assert bad_ref[-1] > 0 and ret_ref[-1] > 0  # the record covers both kinds of episode


def test_live_bsuite_when_installed() -> None:
    bsuite_env = pytest.importorskip("bsuite.environments.deep_sea")
    ref = bsuite_env.DeepSea(size=7, deterministic=False, seed=3, mapping_seed=9)
    env = DeepSea(size=7, deterministic=False, seed=3, mapping_seed=9)
    rng = np.random.default_rng(0)
    for _ in range(30):
        ts = ref.reset()
        obs, _ = env.reset()
        np.testing.assert_array_equal(obs, ts.observation)
        while not ts.last():
            a = int(rng.integers(2))
            ts = ref.step(a)
            obs, r, term, _, info = env.step(a)
            np.testing.assert_array_equal(obs, ts.observation)
            assert r == ts.reward and term == ts.last()
            assert info["total_bad_episodes"] == ref.bsuite_info()["total_bad_episodes"]


def test_optimal_policy_and_reset_seed_mapping() -> None:
    env = gym.make(DEEP_SEA_ID, size=6)
    obs, _ = env.reset(seed=5)
    same = DeepSea(6, seed=5, mapping_seed=5)
    np.testing.assert_array_equal(env.unwrapped.action_mapping, same.action_mapping)
    total, mapping = 0.0, env.unwrapped.action_mapping
    for row in range(6):
        assert obs.shape == (6, 6) and obs[row, row] == 1.0 and obs.sum() == 1.0
        obs, r, term, trunc, info = env.step(int(mapping[row, row]))
        total += r
    assert term and not trunc and obs.sum() == 0.0
    assert total == pytest.approx(0.99) == env.unwrapped.optimal_return
    assert not info["bad_episode"]
    # a later unseeded reset keeps the mapping
    env.reset()
    np.testing.assert_array_equal(env.unwrapped.action_mapping, mapping)


def test_bsuite_score_by_hand() -> None:
    assert deep_sea_solved_at([True, True, False, False, False]) == 3  # 2/3 < 0.8 first
    assert deep_sea_solved_at([True] * 5) is None
    assert deep_sea_solved_at([False]) == 1
    assert deep_sea_solved_at([True, True, True, True, False]) is None  # 4/5 is not < 0.8
    assert deep_sea_solved_at([True, True, True, True, False, False]) == 6  # 4/6 < 0.8
    # sizes 4 and 5: solved before 2^N + 100 = 116 and 132 episodes; size 6 solved too late
    assert deep_sea_score({4: 115, 5: 131, 6: 164, 7: None}) == 0.5
    with pytest.raises(ValueError, match="at least one size"):
        deep_sea_score({})


def test_errors() -> None:
    with pytest.raises(ValueError, match="'size' parameter of DeepSea"):
        DeepSea(0)
    env = DeepSea(3, mapping_seed=0)
    env.reset()
    with pytest.raises(ValueError, match="actions are 0 and 1"):
        env.step(2)
    for _ in range(3):
        env.step(0)
    with pytest.raises(RuntimeError, match="call reset"):
        env.step(0)
