"""softrl.demos: construction checks, episodes, save/load round trip, env checks, imitation
conversion, recording from an agent and the `softrl demos` command."""

import json
from dataclasses import dataclass

import gymnasium as gym
import numpy as np
import pytest

from softrl.demos import (
    DemonstrationError,
    Demonstrations,
    concatenate,
    from_imitation,
    load_demos,
    record_demos,
    save_demos,
)
from softrl.training.toy_env import POINT_MASS_DISCRETE_ID, POINT_MASS_ID


def _demos(rewards=True, env_id="CartPole-v1") -> Demonstrations:
    """Two episodes (3 and 2 transitions) of 4-d observations and discrete actions."""
    rng = np.random.default_rng(0)
    obs = rng.normal(size=(5, 4)).astype(np.float32)
    next_obs = np.roll(obs, -1, axis=0)
    return Demonstrations(obs, np.array([0, 1, 1, 0, 1]),
                          np.array([1.0, 2.0, 3.0, 4.0, 5.0]) if rewards else None, next_obs,
                          np.array([0, 0, 1, 0, 0], bool), np.array([0, 0, 0, 0, 1], bool),
                          np.array([0, 3]), env_id)


def test_episodes_returns_and_views() -> None:
    d = _demos()
    assert len(d) == 5 and d.num_episodes == 2
    assert d.episode_lengths().tolist() == [3, 2]
    np.testing.assert_allclose(d.episode_returns(), [6.0, 9.0])
    np.testing.assert_allclose(d.episode_returns(gamma=0.5), [1 + 1 + 0.75, 4 + 2.5])
    eps = list(d.episodes())
    assert [len(e) for e in eps] == [3, 2] and eps[1].actions.tolist() == [0, 1]
    assert np.shares_memory(eps[1].obs, d.obs)
    sel = d.select_episodes([1, 0])
    assert sel.actions.tolist() == [0, 1, 0, 1, 1] and sel.episode_starts.tolist() == [0, 2]
    train, val = d.split(0.5, seed=0)
    assert train.num_episodes == 1 and val.num_episodes == 1
    assert sorted([len(train), len(val)]) == [2, 3]
    both = concatenate([d, d])
    assert both.episode_starts.tolist() == [0, 3, 5, 8] and both.rewards.dtype == np.float64
    with pytest.raises(DemonstrationError, match="no rewards"):
        _demos(rewards=False).episode_returns()


@pytest.mark.parametrize("change, match", [
    ({"obs": np.zeros((0, 4))}, "empty"),
    ({"actions": np.array([0, 1, 1])}, "ragged"),
    ({"rewards": np.array([1.0, np.nan, 0, 0, 0])}, "rewards contains NaN"),
    ({"obs": np.full((5, 4), np.inf)}, "obs contains NaN or inf"),
    ({"episode_starts": np.array([1, 3])}, "episode_starts"),
    ({"episode_starts": np.array([0])}, "transition 2 is terminated"),
    ({"next_obs": np.zeros((5, 3))}, "next_obs has shape"),
    ({"obs": np.array([["a"] * 4] * 5)}, "obs must be numeric"),
])
def test_construction_errors_name_the_field(change, match) -> None:
    with pytest.raises(DemonstrationError, match=match):
        _demos().to(**change)


def test_save_load_round_trip_is_atomic_and_exact(tmp_path) -> None:
    d = _demos()
    path = save_demos(d, tmp_path / "sub" / "d.npz")
    assert [p.name for p in path.parent.iterdir()] == ["d.npz"]  # no temporary left behind
    back = load_demos(path)
    for k in ("obs", "actions", "rewards", "next_obs", "terminated", "truncated",
              "episode_starts"):
        np.testing.assert_array_equal(getattr(back, k), getattr(d, k))
        assert getattr(back, k).dtype == getattr(d, k).dtype
    assert back.env_id == "CartPole-v1"
    no_rew = load_demos(save_demos(_demos(rewards=False, env_id=None), tmp_path / "n.npz"))
    assert no_rew.rewards is None and no_rew.env_id is None


def test_load_errors(tmp_path) -> None:
    with pytest.raises(DemonstrationError, match="no demonstrations file"):
        load_demos(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DemonstrationError, match="not a readable"):
        load_demos(tmp_path / "junk.npz")
    np.savez(tmp_path / "other.npz", obs=np.zeros((3, 2)))
    with pytest.raises(DemonstrationError, match="lacks the arrays"):
        load_demos(tmp_path / "other.npz")
    d = _demos()
    bad = {k: getattr(d, k) for k in ("obs", "actions", "next_obs", "terminated", "truncated",
                                      "episode_starts")}
    bad["actions"] = bad["actions"][:4]
    np.savez(tmp_path / "ragged.npz", **bad)
    with pytest.raises(DemonstrationError, match="ragged.npz: ragged"):
        load_demos(tmp_path / "ragged.npz")
    with pytest.raises(DemonstrationError, match="saved as .npz"):
        save_demos(d, tmp_path / "d.txt")


def test_validate_for_env(tmp_path) -> None:
    d = _demos()
    d.validate_for("CartPole-v1")
    path = save_demos(d, tmp_path / "d.npz")
    load_demos(path, env=gym.make("CartPole-v1"))
    with pytest.raises(DemonstrationError, match="recorded in 'CartPole-v1', not 'Acrobot-v1'"):
        load_demos(path, env="Acrobot-v1")
    with pytest.raises(DemonstrationError, match=r"obs have shape \(4,\).*shape \(6,\)"):
        load_demos(path, env="Acrobot-v1", check_env_id=False)
    spaces = (gym.spaces.Box(-np.inf, np.inf, (4,)), gym.spaces.Discrete(2))
    with pytest.raises(DemonstrationError, match=r"actions\[2\] = 2 is outside"):
        d.to(actions=np.array([0, 1, 2, 0, 1])).validate_for(spaces)
    with pytest.raises(DemonstrationError, match="non-integer"):
        d.to(actions=np.array([0, 1, 0.5, 0, 1])).validate_for(spaces)
    box = (gym.spaces.Box(-np.inf, np.inf, (4,)), gym.spaces.Box(-1, 1, (1,)))
    cont = d.to(actions=np.array([[0.0], [1.0], [-1.0], [0.5], [1.5]]))
    with pytest.raises(DemonstrationError, match=r"actions\[4\] component 0 = 1.5 is outside"):
        cont.validate_for(box)
    with pytest.raises(DemonstrationError, match=r"actions have shape \(1,\)"):
        cont.validate_for((box[0], gym.spaces.Box(-1, 1, (2,))))


@dataclass(frozen=True)
class Trajectory:  # the shape of imitation.data.types.Trajectory
    obs: np.ndarray
    acts: np.ndarray
    infos: object
    terminal: bool


@dataclass(frozen=True)
class TrajectoryWithRew(Trajectory):
    rews: np.ndarray


def test_from_imitation() -> None:
    t1 = TrajectoryWithRew(np.arange(8.0).reshape(4, 2), np.array([0, 1, 0]), None, True,
                           np.array([1.0, 1.0, 1.0]))
    t2 = TrajectoryWithRew(np.arange(6.0).reshape(3, 2) + 100, np.array([1, 1]), None, False,
                           np.array([0.5, 0.5]))
    d = from_imitation([t1, t2], env_id="X-v0")
    assert len(d) == 5 and d.episode_starts.tolist() == [0, 3]
    np.testing.assert_array_equal(d.obs[:3], t1.obs[:-1])
    np.testing.assert_array_equal(d.next_obs[3:], t2.obs[1:])
    assert d.terminated.tolist() == [False, False, True, False, False]
    assert d.truncated.tolist() == [False, False, False, False, True]
    np.testing.assert_allclose(d.episode_returns(), [3.0, 1.0])
    plain = from_imitation(Trajectory(t1.obs, t1.acts, None, True))
    assert plain.rewards is None and plain.num_episodes == 1
    with pytest.raises(DemonstrationError, match=r"trajectories \[1\] have no rews"):
        from_imitation([t1, Trajectory(t2.obs, t2.acts, None, False)])
    with pytest.raises(DemonstrationError, match="trajectory 0: obs has 3 rows for 3 actions"):
        from_imitation([Trajectory(t1.obs[:3], t1.acts, None, True)])
    with pytest.raises(DemonstrationError, match="no trajectories"):
        from_imitation([])


def _expert(tmp_path, env_id):
    from softrl.agents import SAC, SoftQ

    cls = SAC if env_id == POINT_MASS_ID else SoftQ
    agent = cls(env_id, run_dir=tmp_path / "run", tensorboard=False, hidden_sizes=(16,),
                learning_starts=10, batch_size=8, torch_threads=1, checkpoint_every=20)
    return agent.learn(20)


@pytest.mark.parametrize("env_id", [POINT_MASS_ID, POINT_MASS_DISCRETE_ID])
def test_record_demos_from_agent_and_run_dir(tmp_path, env_id) -> None:
    agent = _expert(tmp_path, env_id)
    d = record_demos(agent, 3, seed=5)
    assert d.num_episodes == 3 and len(d) == 30 and d.env_id == env_id  # 10-step episodes
    assert d.truncated[d.episode_starts[1:] - 1].all() and not d.terminated.any()
    inner = np.setdiff1d(np.arange(29), d.episode_starts[1:] - 1)  # s_{t+1} is the next s_t
    np.testing.assert_array_equal(d.next_obs[inner], d.obs[inner + 1])
    if env_id == POINT_MASS_DISCRETE_ID:
        assert d.actions.dtype == np.int64 and d.actions.shape == (30,)
    else:
        assert d.actions.shape == (30, 1) and np.all(np.abs(d.actions) <= 1)
    evaluation = agent.evaluate(3, seed=5)  # same resets, same deterministic policy
    assert d.episode_returns().mean() == pytest.approx(evaluation["mean_return"], rel=1e-5)
    again = record_demos(tmp_path / "run", 3, seed=5)  # from the run directory
    np.testing.assert_array_equal(again.obs, d.obs)
    s1 = record_demos(agent, 2, deterministic=False, seed=1)
    s2 = record_demos(agent, 2, deterministic=False, seed=1)
    np.testing.assert_array_equal(s1.actions, s2.actions)
    with pytest.raises(ValueError, match="episodes must be an integer >= 1"):
        record_demos(agent, 0)


def test_cli_demos(tmp_path, capsys) -> None:
    from softrl.cli.main import main

    _expert(tmp_path, POINT_MASS_DISCRETE_ID)
    out = tmp_path / "demos.npz"
    assert main(["demos", str(tmp_path / "run"), "--episodes", "2", "--out", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["episodes"] == 2 and summary["transitions"] == 20
    d = load_demos(out, env=POINT_MASS_DISCRETE_ID)
    assert d.episode_returns().mean() == pytest.approx(summary["mean_return"])
    assert main(["demos", str(tmp_path / "run"), "--episodes", "2", "--out", str(out)]) == 2
    assert "exists; pass --overwrite" in capsys.readouterr().err
    assert main(["demos", str(tmp_path / "nothing"), "--out", str(tmp_path / "x.npz")]) == 2
    assert "softrl demos: error" in capsys.readouterr().err


def test_record_demos_from_a_policy_function() -> None:
    env = gym.make(POINT_MASS_DISCRETE_ID)
    d = record_demos(lambda obs: 0 if obs[0] > 0.25 else (2 if obs[0] < -0.25 else 1), 4,
                     env=env, seed=3)
    assert d.num_episodes == 4 and d.env_id == POINT_MASS_DISCRETE_ID
    assert np.all(np.abs(d.next_obs[d.episode_starts + 3, 0]) <= 0.25)  # reached the middle
    with pytest.raises(ValueError, match="needs env="):
        record_demos(lambda obs: 0, 1)
