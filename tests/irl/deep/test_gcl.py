"""Guided cost learning on Gymnasium: whole episodes come back out of the replay buffer, the
reward step is the importance-weighted GCL loss with the demos in the background batch, the
inner agent learns from r_psi alone, resume equals an uninterrupted run."""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from helpers import point_mass_demos  # noqa: E402

from softrl.agents import load_agent  # noqa: E402
from softrl.irl.deep import GCL, GCLSAC, GCLSoftQ  # noqa: E402
from softrl.training.toy_env import POINT_MASS_DISCRETE_ID, POINT_MASS_ID  # noqa: E402

FAST = dict(hidden_sizes=(16,), disc_hidden_sizes=(16,), learning_starts=40, disc_every=40,
            disc_steps=2, batch_size=16, disc_recent=200, gcl_trajectories=3, bc_steps=20,
            torch_threads=1, log_every=50)


def same_params(a, b) -> bool:
    pa, pb = a.get_parameters(), b.get_parameters()
    return pa.keys() == pb.keys() and all(
        torch.equal(pa[n][k], pb[n][k]) for n in pa for k in pa[n])


@pytest.fixture(scope="module")
def demos():
    return {False: point_mass_demos(6), True: point_mass_demos(6, discrete=True)}


@pytest.mark.parametrize("discrete,cls", [(False, GCLSAC), (True, GCLSoftQ)])
def test_episodes_back_out_of_the_buffer_and_the_reward_replaced(discrete, cls, demos) -> None:
    env = POINT_MASS_DISCRETE_ID if discrete else POINT_MASS_ID
    learner = GCL(env, demonstrations=demos[discrete], seed=0, **FAST).learn(125)
    assert type(learner) is cls
    batch, episodes = learner._policy_episodes()
    # 125 steps of 10-step episodes, window of 125: episodes 1..11 are whole (0 is the first
    # in the window, 12 is ongoing), each of length 10 and ending where the next starts.
    assert [n for _, n in episodes] == [10] * 11
    for a, n in episodes:
        torch.testing.assert_close(batch.obs[a + 1:a + n], batch.next_obs[a:a + n - 1])
        assert not torch.equal(batch.obs[a + n], batch.next_obs[a + n - 1])
    r = learner._policy_reward(batch.obs, batch.actions, batch.next_obs, batch.terminated)
    torch.testing.assert_close(r, learner.discriminator.reward(
        batch.obs, learner._act_features(batch.actions)))
    assert set(learner._disc_logs) == {"gcl/loss", "gcl/effective_sample_size",
                                       "gcl/demo_return_gap"}


def test_reward_step_is_the_gcl_loss_by_hand(demos) -> None:
    learner = GCL(POINT_MASS_ID, demonstrations=demos[False], seed=1, reward_l2=0.0,
                  **{k: v for k, v in FAST.items() if k != "reward_l2"}).learn(60)
    d = learner._demo
    obs, act = d["obs"][:30], d["actions"][:30]
    seg = torch.arange(30) // 10  # three demo episodes (gcl_trajectories) as both batches
    loss, _ = learner._gcl_step(obs, act, seg, obs, act, seg)
    with torch.no_grad():
        r = learner.discriminator.reward(obs, act).double().reshape(3, 10).sum(1)
        log_pi = learner._log_pi(obs, act).double().reshape(3, 10).sum(1)
        log_bc = learner.bc.log_prob(obs, act).double().reshape(3, 10).sum(1)
    log_q = torch.logaddexp(np.log(0.5) + log_pi, np.log(0.5) + log_bc).repeat(2)
    R = r.repeat(2)
    expected = -r.mean() + torch.logsumexp(R - log_q, 0) - np.log(6)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-4)


def test_killed_run_resumes_to_the_same_numbers(demos, tmp_path) -> None:
    from softrl.demos import save_demos

    path = save_demos(demos[False], tmp_path / "d.npz")
    kw = dict(env=POINT_MASS_ID, demos=str(path), seed=3, checkpoint_every=60, **FAST)
    full = GCLSAC(run_dir=tmp_path / "full", **kw).learn(240)
    GCLSAC(run_dir=tmp_path / "cut", **kw).learn(200)
    resumed = load_agent(tmp_path / "cut", run_dir=tmp_path / "cut")
    assert type(resumed) is GCLSAC and resumed.num_steps == 180
    resumed.learn(60)
    assert same_params(full, resumed)
    assert {"discriminator", "demo_density"} <= set(full.get_parameters())


def test_one_env_copy_only(demos) -> None:
    with pytest.raises(ValueError, match="'n_envs'"):
        GCL(POINT_MASS_ID, demonstrations=demos[False], n_envs=2, **FAST)
