"""Entropy-regularized policy gradient: the loss's expected gradient is exactly grad J on a
bandit (enumeration), GAE over soft rewards, and a short learning run."""

import numpy as np
import pytest
import torch

from softrl import functional as F
from softrl.agents import EntropyPG
from softrl.training import ActionSpaceError
from softrl.training.toy_env import POINT_MASS_DISCRETE_ID, POINT_MASS_ID


@pytest.mark.parametrize("T", [0.0, 0.5, 2.0])
def test_expected_loss_gradient_is_the_gradient_of_the_soft_objective(T) -> None:
    r = torch.tensor([1.0, 0.0, 2.0], dtype=torch.float64)
    theta = torch.tensor([0.3, -0.2, 0.1], dtype=torch.float64, requires_grad=True)
    log_pi = torch.log_softmax(theta, 0)
    entropy = -(log_pi.exp() * log_pi).sum()
    J = (log_pi.exp() * r).sum() + T * entropy  # E[r - T log pi]
    (exact,) = torch.autograd.grad(J, theta)
    expected = torch.zeros(3, dtype=torch.float64)
    for a in range(3):  # E_a[...] by enumeration, weights pi(a)
        lp = torch.log_softmax(theta, 0)
        soft_adv = r[a] - T * lp[a].detach()  # one-step episode: A = r - T log pi
        adv = soft_adv + T * lp[a].detach()   # A' as the agent builds it
        ent = -(lp.exp() * lp).sum()
        policy_loss, _ = F.entropy_pg_loss(lp[a:a + 1], adv.reshape(1), ent.reshape(1),
                                           torch.zeros(1), torch.zeros(1), T)
        (g,) = torch.autograd.grad(policy_loss, theta)
        expected += lp[a].exp().detach() * g
    torch.testing.assert_close(-expected, exact)


def test_soft_rewards_subtract_temperature_log_pi() -> None:
    r, lp = torch.tensor([1.0, 2.0]), torch.tensor([-0.5, -2.0], requires_grad=True)
    out = F.soft_rewards(r, lp, 0.1)
    torch.testing.assert_close(out, torch.tensor([1.05, 2.2]))
    assert not out.requires_grad


@pytest.mark.parametrize("env_id", [POINT_MASS_DISCRETE_ID, POINT_MASS_ID])
def test_learns_the_point_mass(env_id) -> None:
    agent = EntropyPG(env_id, seed=0, n_envs=4, n_steps=10, learning_rate=3e-3,
                      hidden_sizes=(32,), gamma=0.9, gae_lambda=0.95, temperature=0.01,
                      normalize_advantages=True, torch_threads=1)
    before = agent.evaluate(10)["mean_return"]
    agent.learn(12_000)
    after = agent.evaluate(10)["mean_return"]
    assert after > -0.6 and after > before + 1.0, (before, after)


def test_spaces() -> None:
    import gymnasium as gym

    class Unbounded(gym.Env):
        observation_space = gym.spaces.Box(-1, 1, (1,))
        action_space = gym.spaces.Box(-np.inf, np.inf, (1,))

    with pytest.raises(ActionSpaceError, match="bounded Box"):
        EntropyPG(Unbounded())
    with pytest.raises(ValueError, match="'temperature'"):
        EntropyPG("CartPole-v1", temperature=-1.0)


def test_clip_range_validated_and_used() -> None:
    """clip_range names itself when bad; with it the update runs the clipped surrogate."""
    import pytest

    from softrl.agents import EntropyPG

    with pytest.raises(ValueError, match="clip_range"):
        EntropyPG("CartPole-v1", clip_range=0.0, checkpoint_every=0)
    agent = EntropyPG("CartPole-v1", seed=0, clip_range=0.2, n_epochs=3, batch_size=32,
                      n_steps=16, checkpoint_every=0, log_every=10**9)
    agent.learn(64, progress_bar=False)
    assert agent.num_updates == 4 * 3  # 4 rollouts of 16 steps, 3 epochs of one minibatch
