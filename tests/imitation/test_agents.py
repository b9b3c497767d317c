"""The agents that learn from demonstrations: demos survive the ring, every demo term is in
the loss, pretraining clones the expert and fits the critic, the CLI trains from a demos
file and resumes without it, and mismatched demos are refused."""

import json

import gymnasium as gym
import numpy as np
import pytest
import torch

from softrl.demos import DemonstrationError, record_demos, save_demos
from softrl.imitation import EntropyPGfD, SACfD, SoftQfD, returns_to_go
from softrl.training.toy_env import POINT_MASS_DISCRETE_ID, POINT_MASS_ID

torch.set_num_threads(1)


def _expert(o):
    return 0 if o[0] > 0.25 else (2 if o[0] < -0.25 else 1)


def _demos(episodes=5, seed=0):
    return record_demos(_expert, episodes, env=gym.make(POINT_MASS_DISCRETE_ID), seed=seed)


SMALL = {"torch_threads": 1, "hidden_sizes": (16,), "learning_starts": 20, "batch_size": 16,
         "train_freq": 1, "target_update_interval": 10, "log_every": 50}


def test_softqfd_keeps_demos_and_uses_every_term() -> None:
    demos = _demos()
    agent = SoftQfD(POINT_MASS_DISCRETE_ID, buffer_size=30, n_step=3, bc_weight=0.5,
                    demo_ratio=0.5, **SMALL).add_demos(demos)
    agent.learn(200)
    buf = agent.buffer
    assert len(buf) == 30 and buf.demo_size == len(demos) == 50  # the ring wrapped, demos kept
    np.testing.assert_array_equal(buf.demo_data[:, 2].numpy(), demos.rewards.astype(np.float32))
    assert {"losses/q", "losses/margin", "losses/n_step", "losses/bc"} <= set(agent._last_losses)
    batch = buf.sample(4000, agent.rngs.torch)
    assert abs(float(batch.is_demo.float().mean()) - 0.5) < 0.03


def test_pretraining_clones_the_expert_before_any_env_step(tmp_path) -> None:
    demos = _demos(20)
    agent = SoftQfD(POINT_MASS_DISCRETE_ID, pretrain_epochs=60, run_dir=tmp_path / "r",
                    tensorboard=False, **SMALL).add_demos(demos)
    agent.learn(0)
    assert agent.num_steps == 0 and agent._pretrained
    greedy = agent.predict(demos.obs, deterministic=True)[0]
    assert (greedy == demos.actions).mean() > 0.9
    report = json.loads((tmp_path / "r" / "pretrain.json").read_text())
    assert report["bc"]["best_epoch"] >= 1


def test_critic_pretraining_fits_the_demo_returns() -> None:
    demos = record_demos(lambda o: np.clip(-2 * o, -1, 1).astype(np.float32), 20,
                         env=gym.make(POINT_MASS_ID))
    agent = SACfD(POINT_MASS_ID, hidden_sizes=(32,), torch_threads=1, gamma=0.9,
                  pretrain_critic_epochs=150).add_demos(demos)
    agent.pretrain()
    obs, actions = agent._obs_tensor(demos.obs), torch.as_tensor(demos.actions)
    with torch.no_grad():
        q = agent.critic(obs, actions).numpy()
    g = returns_to_go(demos, 0.9)
    assert np.sqrt(np.mean((q - g) ** 2)) < 0.1 * np.std(g) + 0.02
    torch.testing.assert_close(agent.critic_target(obs, actions), agent.critic(obs, actions))


def test_hybrid_weight_anneals_and_pg_uses_the_demos() -> None:
    agent = EntropyPGfD(POINT_MASS_DISCRETE_ID, torch_threads=1, hidden_sizes=(16,), n_steps=10,
                        bc_weight=1.0, bc_weight_final=0.0, bc_anneal_steps=100)
    agent.add_demos(_demos())
    assert agent.bc_weight_now() == 1.0
    agent.learn(50)
    assert agent.bc_weight_now() == pytest.approx(0.5) and "losses/bc" in agent._last_losses
    agent.learn(60)
    assert agent.bc_weight_now() == 0.0 and "losses/bc" not in agent._last_losses


def test_cli_trains_from_a_demos_file_and_resumes_without_it(tmp_path, capsys) -> None:
    from softrl.cli.main import main

    path = save_demos(_demos(), tmp_path / "demos.npz")
    run = tmp_path / "run"
    args = ["--env", POINT_MASS_DISCRETE_ID, "--run-dir", str(run), "--demos", str(path),
            "--pretrain-epochs", "3", "--n-step", "3", "--bc-weight", "0.1",
            "--checkpoint-every", "30", "--learning-starts", "20", "--batch-size", "16",
            "--hidden-sizes", "16", "--torch-threads", "1", "--no-progress",
            "--no-tensorboard", "--final-eval-episodes", "1"]
    assert main(["train", "softqfd", "--steps", "60", *args]) == 0
    path.unlink()  # the demos travel in the checkpoint
    assert main(["train", "softqfd", "--steps", "90", "--resume", *args]) == 0
    capsys.readouterr()
    assert main(["eval", str(run), "--episodes", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["agent"] == "SoftQfD"
    assert (run / "pretrain.json").exists()


def test_mismatched_or_missing_demos_are_refused(tmp_path) -> None:
    cont = record_demos(lambda o: np.full(1, 0.5, np.float32), 1, env=gym.make(POINT_MASS_ID))
    agent = SoftQfD(POINT_MASS_DISCRETE_ID, **SMALL)
    with pytest.raises(DemonstrationError, match="recorded in 'softrl/PointMass1D-v0'"):
        agent.add_demos(cont)
    with pytest.raises(DemonstrationError, match="non-integer values"):
        agent.add_demos(cont.to(env_id=None))
    with pytest.raises(DemonstrationError, match="need rewards"):
        agent.add_demos(_demos().to(rewards=None))
    with pytest.raises(ValueError, match="pretraining needs demonstrations"):
        SoftQfD(POINT_MASS_DISCRETE_ID, pretrain_epochs=2, **SMALL).learn(10)
    with pytest.raises(DemonstrationError, match="no demonstrations file"):
        SoftQfD(POINT_MASS_DISCRETE_ID, demos=str(tmp_path / "none.npz"), **SMALL)
    with pytest.raises(ValueError, match="'demo_ratio' parameter"):
        SoftQfD(POINT_MASS_DISCRETE_ID, demo_ratio=2.0, **SMALL)
