"""Nothing lost, nothing surprising (issue 12): save/load/resume/corrupt-checkpoint round trips
run on EVERY agent of tests/agents/agent_zoo.py, so a new agent cannot reintroduce them."""

import warnings

import gymnasium as gym
import numpy as np
import pytest
import torch
from agent_zoo import ENV_IDS, ZOO

from softrl.agents import load_agent
from softrl.training import CheckpointError, read_metrics

AGENTS = sorted(ZOO)


def same_params(a, b) -> bool:
    pa, pb = a.get_parameters(), b.get_parameters()
    return pa.keys() == pb.keys() and all(
        torch.equal(pa[n][k], pb[n][k]) for n in pa for k in pa[n])


@pytest.mark.parametrize("name", AGENTS)
def test_save_load_round_trip_and_sb3_predict(name, tmp_path) -> None:
    agent = ZOO[name](seed=0).learn(120)
    agent.save(tmp_path / "m")
    loaded = load_agent(tmp_path / "m")
    assert type(loaded) is type(agent) and loaded.config == agent.config
    assert same_params(agent, loaded)
    obs = np.linspace(-1, 1, 6, dtype=np.float32)[:, None]
    action, state = loaded.predict(obs, deterministic=True)  # Stable-Baselines3's habit
    assert state is None and action.shape[0] == 6
    np.testing.assert_array_equal(action, agent.act(obs, deterministic=True))


@pytest.mark.parametrize("name", AGENTS)
def test_checkpoint_cadence_does_not_change_training(name, tmp_path) -> None:
    plain = ZOO[name](seed=1, checkpoint_every=0).learn(240)
    checkpointed = ZOO[name](seed=1, run_dir=tmp_path / "r", checkpoint_every=45).learn(240)
    assert same_params(plain, checkpointed)
    # Episodes are not cut by checkpoints: 24 episodes of 10 steps, all logged.
    assert len(read_metrics(tmp_path / "r")["charts/episodic_return"][0]) == 24


@pytest.mark.parametrize("name", AGENTS)
def test_save_load_learn_equals_one_longer_learn(name, tmp_path) -> None:
    first = ZOO[name](seed=4).learn(105)  # mid-episode for agents that step one at a time
    first.save(tmp_path / "m")
    second = load_agent(tmp_path / "m").learn(110)
    whole = ZOO[name](seed=4).learn(second.num_steps)
    assert same_params(whole, second)
    assert (whole.num_steps, whole.num_updates, whole.num_episodes) == (
        second.num_steps, second.num_updates, second.num_episodes)


@pytest.mark.parametrize("name", AGENTS)
def test_killed_run_resumes_to_the_same_numbers(name, tmp_path) -> None:
    full = ZOO[name](seed=5, run_dir=tmp_path / "full", checkpoint_every=60).learn(300)
    ZOO[name](seed=5, run_dir=tmp_path / "cut", checkpoint_every=60).learn(250)  # killed
    resumed = load_agent(tmp_path / "cut", run_dir=tmp_path / "cut")
    assert resumed.num_steps == 240
    resumed.learn(full.num_steps - 240)
    assert same_params(full, resumed)
    a, b = read_metrics(tmp_path / "full"), read_metrics(tmp_path / "cut")
    assert a["charts/episodic_return"] == b["charts/episodic_return"]


@pytest.mark.parametrize("name", AGENTS)
def test_save_never_destroys_what_softrl_did_not_write(name, tmp_path) -> None:
    agent = ZOO[name](seed=0)
    user_dir = tmp_path / "mine"
    user_dir.mkdir()
    (user_dir / "notes.txt").write_text("precious")
    with pytest.raises(CheckpointError, match="not a softrl checkpoint"):
        agent.save(user_dir)
    assert (user_dir / "notes.txt").read_text() == "precious"
    user_file = tmp_path / "model"
    user_file.write_text("also precious")
    with pytest.raises(CheckpointError, match="a file of that name exists"):
        agent.save(user_file)
    assert user_file.read_text() == "also precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "model"]
    # An earlier checkpoint is replaced atomically, but not if a user's file sits inside it.
    path = agent.save(tmp_path / "ckpt")
    agent.learn(30).save(path)
    assert load_agent(path).num_steps == agent.num_steps >= 30
    (path / "README").write_text("mine")
    with pytest.raises(CheckpointError, match="README"):
        agent.save(path)
    assert (path / "README").read_text() == "mine"


@pytest.mark.parametrize("name", AGENTS)
def test_existing_run_dir_is_refused_unless_resumed(name, tmp_path) -> None:
    run = tmp_path / "run"
    ZOO[name](seed=0, run_dir=run, checkpoint_every=30).learn(60)
    rows = (run / "metrics.csv").read_text()
    with pytest.raises(ValueError, match="already holds a run"):
        ZOO[name](seed=0, run_dir=run)
    assert (run / "metrics.csv").read_text() == rows
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        ZOO[name](seed=0, run_dir=tmp_path / "file")
    assert load_agent(run, run_dir=run).num_steps == 60


@pytest.mark.parametrize("name", AGENTS)
def test_corrupt_latest_checkpoint_falls_back_with_a_warning(name, tmp_path) -> None:
    run = tmp_path / "run"
    ZOO[name](seed=0, run_dir=run, checkpoint_every=40).learn(80)
    latest = run / "checkpoints" / "step_000000080"
    victim = next(p for p in sorted(latest.glob("*.pt")))
    victim.write_bytes(victim.read_bytes()[:50])
    with pytest.warns(RuntimeWarning, match="step_000000080"):
        agent = load_agent(run)
    assert agent.num_steps == 40
    with pytest.raises(CheckpointError) as info:
        load_agent(run, step=80)
    assert "weights_only" not in str(info.value) and "corrupt" in str(info.value)
    assert load_agent(run, step=40).num_steps == 40
    with pytest.raises(CheckpointError, match="steps: 40, 80"):
        load_agent(run, step=7)


@pytest.mark.parametrize("name", AGENTS)
def test_evaluation_uses_the_users_wrapped_env(name, tmp_path) -> None:
    # A wrapper its spec can rebuild (after save/load too): episodes cut at 4 steps, not 10.
    agent = ZOO[name](seed=0, env=gym.wrappers.TimeLimit(gym.make(ENV_IDS[name]), 4)).learn(40)
    assert agent.evaluate(2)["mean_length"] == 4
    agent.save(tmp_path / "m")
    assert load_agent(tmp_path / "m").evaluate(2)["mean_length"] == 4
    # A wrapper no spec can rebuild (a lambda): evaluated in a copy of the user's env.
    scaled = gym.wrappers.TransformReward(gym.make(ENV_IDS[name]), lambda r: 100.0 * r)
    agent, bare = ZOO[name](seed=0, env=scaled), ZOO[name](seed=0)
    assert agent.evaluate(3)["mean_return"] == pytest.approx(100 * bare.evaluate(3)["mean_return"])


@pytest.mark.parametrize("name", AGENTS)
def test_predict_rejects_bad_observations(name) -> None:
    agent = ZOO[name](seed=0)
    with pytest.raises(ValueError, match=r"expected \(1,\)"):
        agent.predict(np.zeros((2, 3, 1), np.float32))
    with pytest.raises(ValueError, match="expected"):
        agent.predict(np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="NaN"):
        agent.predict(np.array([np.nan], np.float32))
    with pytest.raises(ValueError, match="numeric"):
        agent.predict(np.array(["a"]))


@pytest.mark.parametrize("name", AGENTS)
def test_same_seed_same_numbers(name) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a, b = ZOO[name](seed=7).learn(130), ZOO[name](seed=7).learn(130)
    assert same_params(a, b)


class _NaNAfter(gym.Wrapper):
    """Returns a NaN observation at the 7th step."""

    def reset(self, **kwargs):
        self.t = 0
        return self.env.reset(**kwargs)

    def step(self, action):
        self.t += 1
        obs, r, term, trunc, info = self.env.step(action)
        return (obs * np.nan if self.t == 7 else obs), r, term, trunc, info


@pytest.mark.parametrize("name", AGENTS)
def test_nan_from_the_env_stops_training_naming_the_step(name) -> None:
    agent = ZOO[name](seed=0, env=_NaNAfter(gym.make(ENV_IDS[name])))
    with pytest.raises(ValueError, match="NaN or inf at vector step 7"):
        agent.learn(100)
