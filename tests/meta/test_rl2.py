"""RL^2: memory carried across the episodes of a trial and cleared between trials; the update
replays the rollout through the GRU exactly; resume equals an uninterrupted run."""

import gymnasium as gym
import numpy as np
import pytest
import torch

from softrl.envs.meta_tasks import MetaTrial
from softrl.meta import RL2

SMALL = dict(gru_size=8, hidden_sizes=(8,), n_envs=2, n_steps=7, tensorboard=False)


def test_hidden_state_kept_across_episodes_and_reset_between_tasks() -> None:
    env = MetaTrial("point-dense", episodes_per_trial=2)
    agent = RL2("softrl/MetaTrial-point-dense-v0", seed=0, gru_size=8, hidden_sizes=(8,),
                tensorboard=False)
    obs_seq, hiddens = [], []
    obs, _ = env.reset(seed=0)
    for _ in range(45):  # two episodes of 20 steps, then 5 steps of the next trial
        obs_seq.append(obs)
        action = agent.act(obs)
        hiddens.append(agent._predict_hidden[0].clone())
        obs, _, done, _, _ = env.step(action)
        if done:
            obs, _ = env.reset()
    x = torch.as_tensor(np.array(obs_seq))
    assert x[0, -1] == 1 and x[40, -1] == 1 and x[20, -1] == 0 and x[20, -2] == 1
    with torch.no_grad():
        h = torch.zeros(1, 8)
        manual = []
        for t in range(45):
            if t == 40:  # a new trial, a new task: memory cleared
                h = torch.zeros(1, 8)
            h = agent.core.cell(x[t:t + 1], h)
            manual.append(h[0])
        assert torch.allclose(torch.stack(hiddens), torch.stack(manual), atol=1e-6)
        # Across the boundary between the two episodes of one task the memory is kept:
        # clearing it there would give a different state.
        cleared = agent.core.cell(x[20:21], torch.zeros(1, 8))[0]
        assert not torch.allclose(cleared, hiddens[20], atol=1e-3)
        # A new trial's first state is independent of everything before it.
        assert torch.allclose(hiddens[40], agent.core.cell(x[40:41], torch.zeros(1, 8))[0])


def test_update_replays_the_rollout_through_the_gru() -> None:
    agent = RL2("softrl/MetaTrial-v0", seed=1, **SMALL)
    original = agent.train_on_rollout
    checked = []

    def checking(rollout):
        with torch.no_grad():
            feats, _ = agent.core(rollout.obs, agent._rollout_h0.clone(),
                                  agent._resets(rollout.obs))
            lp = agent.actor.log_prob(feats.flatten(0, 1), rollout.actions.flatten(0, 1))
        assert torch.allclose(lp, rollout.log_probs.flatten(), atol=1e-5)
        checked.append(float(agent._rollout_h0.abs().sum()))
        return original(rollout)

    agent.train_on_rollout = checking
    agent.learn(5 * 7 * 2)  # rollouts of 7 steps straddle the 10-pull trials
    assert len(checked) == 5 and max(checked) > 0  # later rollouts start mid-trial


def test_resume_equals_uninterrupted(tmp_path) -> None:
    a = RL2("softrl/MetaTrial-v0", seed=3, **SMALL).learn(56)
    b = RL2("softrl/MetaTrial-v0", seed=3, **SMALL).learn(28)
    b.save(tmp_path / "ckpt")
    c = RL2.load(tmp_path / "ckpt", tensorboard=False).learn(28)
    for name, state in a.get_parameters().items():
        for k, v in state.items():
            assert torch.equal(v, c.get_parameters()[name][k]), (name, k)
    assert torch.equal(a._hidden, c._hidden)


def test_config_errors() -> None:
    with pytest.raises(ValueError, match="reset_index"):
        RL2("softrl/MetaTrial-v0", reset_index=50, tensorboard=False)
    with pytest.raises(ValueError, match="gru_size"):
        RL2("softrl/MetaTrial-v0", gru_size=0, tensorboard=False)
    assert isinstance(gym.make("softrl/MetaTrial-v0").unwrapped, MetaTrial)
