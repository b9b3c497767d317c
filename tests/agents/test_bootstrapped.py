"""Bootstrapped soft DQN: masks (each head trains only on its own transitions), per-episode
heads, priors, targets by hand, and the exact soft Q of a small MDP from soft_backward."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

from mdp_factories import make_random_mdp
from softrl import functional as F
from softrl.agents import BootstrappedSoftQ
from softrl.agents.bootstrapped import clip_grad_norm_per_member_
from softrl.envs import FiniteMDPEnv
from softrl.inference import soft_backward

SMALL = {"torch_threads": 1, "hidden_sizes": (16,), "batch_size": 32, "learning_starts": 40,
         "n_heads": 4, "log_every": 10**6, "checkpoint_every": 0}


def _deep_sea_agent(**kw) -> BootstrappedSoftQ:
    return BootstrappedSoftQ(gym.make("softrl/DeepSea-v0", size=5, mapping_seed=1),
                             **{**SMALL, **kw})


def _huber(d: torch.Tensor) -> torch.Tensor:
    a = d.abs()
    return torch.where(a < 1, 0.5 * d * d, a - 0.5)


def test_each_head_trains_only_on_its_own_transitions() -> None:
    agent = _deep_sea_agent(seed=0, learning_starts=10**6, max_grad_norm=1e9,
                            temperature=0.3, prior_scale=2.0)
    agent.learn(60)  # fills the buffer, no training
    batch = agent.buffer.sample(32, torch.Generator().manual_seed(0))
    mask = torch.ones(32, 4)
    mask[:, 0] = 0.0  # head 0 sees nothing
    own = torch.arange(32) % 3 == 0
    mask[:, 1] = own.float()  # head 1 sees a third of the batch
    batch = batch._replace(mask=mask)
    before = [p.detach().clone() for p in agent.q.parameters()]
    # head 1's gradient, by hand: its loss on its own transitions only, target per head
    obs, actions, rewards, next_obs, terminated = (batch[i][own] for i in range(5))
    params1 = [p.detach()[1].clone().requires_grad_(True) for p in agent.q.parameters()]
    w1, b1, w2, b2 = params1
    prior = lambda x: 2.0 * agent.prior(x)[1]  # noqa: E731
    q1 = torch.relu(obs @ w1 + b1) @ w2 + b2 + prior(obs)
    with torch.no_grad():
        tw = [p[1] for p in agent.q_target.parameters()]
        nq = torch.relu(next_obs @ tw[0] + tw[1]) @ tw[2] + tw[3] + prior(next_obs)
        y = F.soft_dqn_target(rewards, terminated, nq, 0.3, agent.config.gamma)
    loss1 = _huber(q1.gather(-1, actions.unsqueeze(-1)).squeeze(-1) - y).sum() / 32
    grads1 = torch.autograd.grad(loss1, params1)
    agent.train_step(batch)
    for p, p0, g1 in zip(agent.q.parameters(), before, grads1, strict=True):
        torch.testing.assert_close(p.detach()[0], p0[0], rtol=0, atol=0)  # head 0 unchanged
        torch.testing.assert_close(p.grad[0], torch.zeros_like(p.grad[0]), rtol=0, atol=0)
        torch.testing.assert_close(p.grad[1], g1.reshape(p.grad[1].shape), rtol=1e-5,
                                   atol=1e-7)
        assert not torch.equal(p.detach()[1], p0[1])


def test_masks_are_stored_per_transition_with_the_right_rate() -> None:
    agent = _deep_sea_agent(seed=1, mask_prob=0.3, learning_starts=10**6).learn(400)
    masks = agent.buffer.data[: agent.buffer.size, -4:].numpy()
    assert set(np.unique(masks)) <= {0.0, 1.0}
    n = masks.size
    assert abs(masks.mean() - 0.3) < 4 * np.sqrt(0.3 * 0.7 / n)
    full = _deep_sea_agent(seed=1, mask_prob=1.0, learning_starts=10**6).learn(40)
    assert full.buffer.data[: full.buffer.size, -4:].min() == 1.0


def test_one_head_per_episode_drawn_uniformly() -> None:
    agent = _deep_sea_agent(seed=2, learning_starts=0, train_freq=10**6)  # act, never train
    seen: list[tuple[int, int]] = []
    original = agent._exploration_action  # noqa: SLF001

    def spy(obs):
        seen.append((agent.num_episodes, int(agent.heads[0])))
        return original(obs)

    agent._exploration_action = spy  # noqa: SLF001
    agent.learn(5 * 200)
    heads_by_episode: dict[int, set[int]] = {}
    for episode, head in seen:
        heads_by_episode.setdefault(episode, set()).add(head)
    assert len(heads_by_episode) == 200
    assert all(len(h) == 1 for h in heads_by_episode.values())  # fixed within an episode
    counts = np.bincount([next(iter(h)) for h in heads_by_episode.values()], minlength=4)
    assert counts.min() > 25  # uniform over 4 heads: 50 each in expectation


def test_priors_are_fixed_and_added() -> None:
    agent = _deep_sea_agent(seed=3, prior_scale=4.0, learning_starts=20, train_freq=1)
    prior0 = [p.detach().clone() for p in agent.prior.parameters()]
    agent.learn(120)
    for p, p0 in zip(agent.prior.parameters(), prior0, strict=True):
        torch.testing.assert_close(p.detach(), p0, rtol=0, atol=0)
    x = torch.eye(25)[:3]
    with torch.no_grad():
        torch.testing.assert_close(agent.q_heads(x), agent.q(x) + 4.0 * agent.prior(x))
    no_prior = _deep_sea_agent(seed=3, prior_scale=0.0)
    with torch.no_grad():
        torch.testing.assert_close(no_prior.q_heads(x), no_prior.q(x))


def test_clip_grad_norm_per_member_by_hand() -> None:
    w = torch.zeros(3, 2, 2, requires_grad=True)
    b = torch.zeros(3, 1, 2, requires_grad=True)
    w.grad = torch.tensor([[[3.0, 0.0], [0.0, 0.0]], [[0.3, 0.0], [0.0, 0.0]],
                           [[0.0, 0.0], [0.0, 0.0]]])
    b.grad = torch.tensor([[[4.0, 0.0]], [[0.4, 0.0]], [[0.0, 1.0]]])
    norms = clip_grad_norm_per_member_([w, b], 1.0)
    torch.testing.assert_close(norms, torch.tensor([5.0, 0.5, 1.0]))
    torch.testing.assert_close(w.grad[0, 0, 0], torch.tensor(3.0 / 5.0), rtol=1e-5, atol=0)
    torch.testing.assert_close(w.grad[1, 0, 0], torch.tensor(0.3))  # under the limit: kept
    torch.testing.assert_close(b.grad[2, 0, 1], torch.tensor(1.0), rtol=1e-5, atol=0)


def test_every_head_learns_the_exact_soft_q_of_a_small_mdp() -> None:
    mdp = make_random_mdp(0, S=4, A=2, gamma=0.8)
    T = 0.5
    exact = soft_backward(mdp, temperature=T)
    env = gym.wrappers.TimeLimit(FiniteMDPEnv(mdp, max_episode_steps=None), 20)
    agent = BootstrappedSoftQ(env, seed=0, temperature=T, gamma=0.8, hidden_sizes=(32,),
                              n_heads=3, mask_prob=0.5, prior_scale=1.0, learning_rate=3e-3,
                              batch_size=64, learning_starts=200, train_freq=2,
                              target_update_interval=50, tau=1.0, buffer_size=10_000,
                              torch_threads=1, checkpoint_every=0)
    agent.learn(3000)
    with torch.no_grad():
        q = agent.q_heads(torch.eye(4)).numpy()  # (3, 4, 2), priors included
    # |Q| is up to 6; each head fits its own half of the data, so heads spread a little
    assert np.abs(q - exact.Q[None]).max() < 0.45, (q, exact.Q)
    assert np.abs(q.mean(0) - exact.Q).max() < 0.25, (q.mean(0), exact.Q)


def test_hyperparameters_are_checked() -> None:
    env = gym.make("softrl/DeepSea-v0", size=3)
    with pytest.raises(ValueError, match="'n_heads' parameter of BootstrappedSoftQ"):
        BootstrappedSoftQ(env, n_heads=0)
    with pytest.raises(ValueError, match="'mask_prob' parameter of BootstrappedSoftQ"):
        BootstrappedSoftQ(env, mask_prob=0.0)
    with pytest.raises(ValueError, match="'prior_scale' parameter of BootstrappedSoftQ"):
        BootstrappedSoftQ(env, prior_scale=-1.0)
