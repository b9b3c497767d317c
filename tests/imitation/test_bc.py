"""Behavior cloning recovers known policies: a soft-optimal tabular policy from the exact engine
(categorical and Boltzmann policies; KL -> 0 as demos grow, as close as the count-based
maximum-likelihood estimate) and squashed / plain Gaussian policies on the point mass."""

import math

import numpy as np
import pytest
import torch
from imitation_helpers import continuous_demos, tabular_demos

from softrl.agents import SAC, EntropyPG, SoftQ
from softrl.demos import DemonstrationError
from softrl.envs import FiniteMDPEnv, gridworld
from softrl.imitation import behavior_cloning, policy_log_prob
from softrl.inference import soft_backward
from softrl.training.toy_env import POINT_MASS_ID

torch.set_num_threads(1)


def _kl_to_truth(agent, pi, weights):
    n_states, n_actions = pi.shape
    obs = agent._obs_tensor(np.arange(n_states))
    with torch.no_grad():
        log_q = torch.stack([policy_log_prob(agent, obs, torch.full((n_states,), a))
                             for a in range(n_actions)], -1).double().numpy()
    return float((weights * (pi * (np.log(pi) - log_q)).sum(-1)).sum())


@pytest.mark.parametrize("cls", [EntropyPG, SoftQ])
def test_bc_recovers_the_exact_soft_optimal_policy(cls) -> None:
    mdp = gridworld(4, slip=0.1, gamma=0.9).mdp
    pi = soft_backward(mdp, temperature=1.0).policy  # the truth, (S, A)
    kls, mle_kls = [], []
    for n in (10, 100, 1000):
        demos = tabular_demos(mdp, pi, n, seed=1)
        extra = {"temperature": 1.0} if cls is SoftQ else {}
        agent = cls(FiniteMDPEnv(mdp, max_episode_steps=20), hidden_sizes=(32,),
                    torch_threads=1, **extra)
        result = behavior_cloning(agent, demos, max_epochs=200, learning_rate=3e-3, patience=10)
        assert result.best_epoch >= 1 and len(result.val_nll) == len(result.train_nll)
        w = np.bincount(demos.obs, minlength=mdp.n_states) / len(demos)
        kls.append(_kl_to_truth(agent, pi, w))
        counts = np.zeros(pi.shape)
        np.add.at(counts, (demos.obs, demos.actions), 1.0)
        mle = (counts + 0.5) / (counts + 0.5).sum(-1, keepdims=True)  # Jeffreys-smoothed counts
        mle_kls.append(float((w * (pi * (np.log(pi) - np.log(mle))).sum(-1)).sum()))
    assert kls[0] > kls[1] > kls[2]  # KL -> 0 as the demos grow
    assert kls[2] < 5e-3
    assert kls[2] < 3 * mle_kls[2] + 1e-3  # about as close as the tabular MLE


def test_bc_recovers_a_squashed_gaussian_policy() -> None:
    mean = lambda s: -1.5 * s  # noqa: E731 - pre-squash mean of the expert
    std = 0.3
    demos = continuous_demos(lambda s, rng: math.tanh(mean(s) + std * rng.normal()), 300, 0)
    agent = SAC(POINT_MASS_ID, hidden_sizes=(32,), torch_threads=1)
    behavior_cloning(agent, demos, max_epochs=100, learning_rate=3e-3, patience=10)
    s = torch.linspace(-0.9, 0.9, 7).reshape(-1, 1)
    with torch.no_grad():
        m, log_std = agent.actor(s)
    np.testing.assert_allclose(m.squeeze(-1).numpy(), mean(s.squeeze(-1).numpy()), atol=0.15)
    np.testing.assert_allclose(log_std.exp().numpy(), std, atol=0.06)


def test_bc_recovers_a_gaussian_policy_and_checks_inputs() -> None:
    demos = continuous_demos(lambda s, rng: -0.5 * s + 0.1 * rng.normal(), 200, 0)
    agent = EntropyPG(POINT_MASS_ID, hidden_sizes=(32,), torch_threads=1)
    result = behavior_cloning(agent, demos, max_epochs=100, learning_rate=3e-3, patience=10)
    s = torch.linspace(-0.9, 0.9, 7).reshape(-1, 1)
    with torch.no_grad():
        m, log_std = agent.actor(s)
    np.testing.assert_allclose(m.squeeze(-1).numpy(), -0.5 * s.squeeze(-1).numpy(), atol=0.05)
    assert abs(float(log_std.detach()[0, 0].exp()) - 0.1) < 0.03
    assert result.val_nll[result.best_epoch - 1] == min(result.val_nll)  # best one kept
    with pytest.raises(DemonstrationError, match="do not fit the agent's env"):
        behavior_cloning(SoftQ("CartPole-v1", torch_threads=1), demos)
    with pytest.raises(ValueError, match="validation_fraction"):
        behavior_cloning(agent, demos, validation_fraction=1.0)
    with pytest.raises(TypeError, match="load_demos"):
        behavior_cloning(agent, "demos.npz")
