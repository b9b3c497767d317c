"""AIRL and GAIL learners: the discriminator's reward replaces the env's in the inner agent's
updates, checkpoints hold the discriminator and the demonstrations, resume equals an
uninterrupted run, bad demonstrations are refused with the field named."""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from helpers import point_mass_demos  # noqa: E402

from softrl.agents import load_agent  # noqa: E402
from softrl.demos import DemonstrationError, save_demos  # noqa: E402
from softrl.irl.deep import AIRL, AIRLSAC, GAIL, GAILSAC, AIRLSoftQ, GAILSoftQ  # noqa: E402
from softrl.training.toy_env import POINT_MASS_DISCRETE_ID, POINT_MASS_ID  # noqa: E402

FAST = dict(hidden_sizes=(16,), disc_hidden_sizes=(16,), learning_starts=40, disc_every=40,
            disc_steps=2, batch_size=16, disc_batch_size=16, disc_recent=200,
            torch_threads=1, log_every=50)


def same_params(a, b) -> bool:
    pa, pb = a.get_parameters(), b.get_parameters()
    return pa.keys() == pb.keys() and all(
        torch.equal(pa[n][k], pb[n][k]) for n in pa for k in pa[n])


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("demos")
    return {False: save_demos(point_mass_demos(10), root / "c.npz"),
            True: save_demos(point_mass_demos(10, discrete=True), root / "d.npz")}


@pytest.mark.parametrize("factory,discrete,cls", [
    (AIRL, False, AIRLSAC), (AIRL, True, AIRLSoftQ), (GAIL, False, GAILSAC),
    (GAIL, True, GAILSoftQ)])
def test_inner_agent_learns_from_the_discriminator_reward(factory, discrete, cls,
                                                          demo_files) -> None:
    env = POINT_MASS_DISCRETE_ID if discrete else POINT_MASS_ID
    learner = factory(env, demos=str(demo_files[discrete]), seed=0, **FAST)
    assert type(learner) is cls
    seen = []
    inner_step = type(learner).__mro__[2].train_step  # SAC's or SoftQ's own step

    def spy(self, batch):
        seen.append((batch.rewards.clone(), self._policy_reward(
            batch.obs, batch.actions, batch.next_obs, batch.terminated)))
        return inner_step(self, batch)

    type(learner).__mro__[2].train_step = spy
    try:
        learner.learn(120)
    finally:
        type(learner).__mro__[2].train_step = inner_step
    assert seen, "no gradient step was taken"
    for given, expected in seen:
        torch.testing.assert_close(given, expected)  # the env's -p^2 was replaced
    assert set(learner._disc_logs) == {"discriminator/loss", "discriminator/accuracy",
                                       "discriminator/expert_D"}
    r = learner.demo_rewards()
    assert r.shape == (100,) and np.isfinite(r).all()


def test_airl_exports_the_state_only_reward(demo_files) -> None:
    learner = AIRL(POINT_MASS_ID, demos=str(demo_files[False]), seed=0, **FAST).learn(80)
    obs = np.linspace(-1, 1, 7, dtype=np.float32)[:, None]
    g = learner.learned_reward(obs)
    assert g.shape == (7,)
    # State-only: the action does not change it.
    np.testing.assert_allclose(learner.learned_reward(obs, np.ones((7, 1), np.float32)), g)
    with torch.no_grad():
        direct = learner.discriminator.g(torch.as_tensor(obs)).squeeze(-1).numpy()
    np.testing.assert_allclose(g, direct, rtol=1e-6)


@pytest.mark.parametrize("cls,discrete", [(AIRLSAC, False), (GAILSoftQ, True)])
def test_killed_run_resumes_to_the_same_numbers(cls, discrete, demo_files, tmp_path) -> None:
    env = POINT_MASS_DISCRETE_ID if discrete else POINT_MASS_ID
    kw = dict(env=env, demos=str(demo_files[discrete]), seed=3, checkpoint_every=60, **FAST)
    full = cls(run_dir=tmp_path / "full", **kw).learn(240)
    cls(run_dir=tmp_path / "cut", **kw).learn(200)  # killed after its checkpoint at 180
    resumed = load_agent(tmp_path / "cut", run_dir=tmp_path / "cut")
    assert type(resumed) is cls and resumed.num_steps == 180
    resumed.learn(240 - resumed.num_steps)
    assert same_params(full, resumed)
    assert "discriminator" in full.get_parameters()


def test_checkpoint_carries_the_demonstrations(demo_files, tmp_path) -> None:
    path = tmp_path / "demos.npz"
    save_demos(point_mass_demos(5), path)
    learner = AIRL(POINT_MASS_ID, demos=str(path), seed=0, **FAST).learn(60)
    learner.save(tmp_path / "m")
    path.unlink()  # the demos file is gone; the checkpoint still holds them
    loaded = load_agent(tmp_path / "m")
    np.testing.assert_allclose(loaded.demo_rewards(), learner.demo_rewards(), rtol=1e-6)


def test_bad_demonstrations_name_the_field(demo_files, tmp_path) -> None:
    with pytest.raises(DemonstrationError, match="demos"):
        AIRL(POINT_MASS_ID, seed=0, **FAST)
    with pytest.raises(DemonstrationError):  # Discrete demos for a Box env
        AIRL(POINT_MASS_ID, demos=str(demo_files[True]), seed=0, **FAST)
    with pytest.raises(DemonstrationError, match="no demonstrations file"):
        AIRL(POINT_MASS_ID, demos=str(tmp_path / "missing.npz"), seed=0, **FAST)
    with pytest.raises(ValueError, match="'reward'"):
        AIRL(POINT_MASS_ID, demos=str(demo_files[False]), reward="positive", seed=0, **FAST)


def test_action_dependent_rewards_need_the_actions(demo_files) -> None:
    gail = GAIL(POINT_MASS_ID, demos=str(demo_files[False]), seed=0, **FAST)
    obs = np.zeros((3, 1), np.float32)
    with pytest.raises(ValueError, match="pass actions="):
        gail.learned_reward(obs)
    assert gail.learned_reward(obs, np.zeros((3, 1), np.float32)).shape == (3,)
    airl_sa = AIRL(POINT_MASS_ID, demos=str(demo_files[False]), state_only=False, seed=0, **FAST)
    with pytest.raises(ValueError, match="pass actions="):
        airl_sa.learned_reward(obs)
