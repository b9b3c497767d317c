"""FiniteMDPEnv: Gymnasium API, seeded sampling, termination and truncation."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from softrl.envs import GridWorld, chain, garnet

gym = pytest.importorskip("gymnasium")
from softrl.envs import FiniteMDPEnv  # noqa: E402  (needs gymnasium)


def test_passes_gymnasium_env_checker():
    from gymnasium.utils.env_checker import check_env

    env = FiniteMDPEnv(garnet(20, 3, 4, seed=0, horizon=10))
    check_env(env, skip_render_check=True)
    assert env.observation_space == gym.spaces.Discrete(20)
    assert env.action_space == gym.spaces.Discrete(3)


def test_seeded_rollouts_repeat():
    def rollout(seed: int) -> list[tuple[int, float]]:
        env = FiniteMDPEnv(garnet(30, 2, 3, seed=1))
        obs, _ = env.reset(seed=seed)
        out = [(obs, 0.0)]
        for t in range(50):
            obs, r, *_ = env.step(t % 2)
            out.append((obs, r))
        return out

    assert rollout(5) == rollout(5)
    assert rollout(5) != rollout(6)


def test_empirical_transition_frequencies():
    mdp = chain(3, slip=0.2)
    env = FiniteMDPEnv(mdp)
    env.reset(seed=0)
    counts = np.zeros(3)
    for _ in range(4000):
        env.reset()  # starts in state 0
        obs, reward, *_ = env.step(0)
        counts[obs] += 1
        assert reward == mdp.reward[0, 0]
    np.testing.assert_allclose(counts / counts.sum(), [0.2, 0.8, 0.0], atol=0.03)


def test_initial_distribution_is_sampled():
    mdp = garnet(4, 2, 2, seed=0).replace(initial=np.array([0.1, 0.0, 0.6, 0.3]))
    env = FiniteMDPEnv(mdp)
    env.reset(seed=0)
    starts = np.bincount([env.reset()[0] for _ in range(4000)], minlength=4) / 4000
    np.testing.assert_allclose(starts, [0.1, 0.0, 0.6, 0.3], atol=0.03)


def test_terminated_on_terminal_and_truncated_at_horizon():
    world = GridWorld.from_map("S.G", step_reward=-1.0, horizon=5)
    env = FiniteMDPEnv(world.mdp)
    env.reset(seed=0)
    assert env.step(2) == (1, -1.0, False, False, {})
    assert env.step(2) == (2, 1.0, True, False, {})
    env.reset()
    for _ in range(4):
        assert env.step(3)[3] is False  # west into the edge
    assert env.step(3)[3] is True
    never = FiniteMDPEnv(world.mdp.replace(horizon=None))
    never.reset(seed=0)
    assert not any(never.step(3)[3] for _ in range(200))
    assert FiniteMDPEnv(world.mdp, max_episode_steps=2).max_episode_steps == 2


def test_rejects_bad_input():
    env = FiniteMDPEnv(chain(3))
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action"):
        env.step(2)
    with pytest.raises(ValueError, match="mdp"):
        FiniteMDPEnv("chain")  # type: ignore[arg-type]


def test_envs_package_imports_without_gymnasium():
    code = (
        "import sys; sys.modules['gymnasium'] = None\n"
        "import softrl.envs as e\n"
        "e.garnet(10, 2, 2, seed=0); e.cliff_walk()\n"
        "try:\n    e.FiniteMDPEnv\nexcept ImportError:\n    print('lazy')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "lazy"
