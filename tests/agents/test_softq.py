"""Soft DQN: its targets and losses against hand computation, and the soft Q it learns on a
tiny MDP against the exact engine's soft_backward."""

import math

import gymnasium as gym
import numpy as np
import pytest
import torch

from fp_mode import numpy_flushes, x86_only
from mdp_factories import make_random_mdp
from softrl import functional as F
from softrl.agents import SAC, SoftQ
from softrl.envs import FiniteMDPEnv
from softrl.inference import soft_backward
from softrl.training import ActionSpaceError


def test_soft_dqn_target_by_hand() -> None:
    r = torch.tensor([1.0, -2.0], dtype=torch.float64)
    term = torch.tensor([0.0, 1.0], dtype=torch.float64)
    qbar = torch.tensor([[1.0, 2.0, 3.0], [0.5, 0.0, -1.0]], dtype=torch.float64)
    T, g = 0.5, 0.9
    y = F.soft_dqn_target(r, term, qbar, T, g)
    v0 = T * math.log(sum(math.exp(q / T) for q in (1.0, 2.0, 3.0)))
    np.testing.assert_allclose(y.numpy(), [1.0 + g * v0, -2.0])
    # Double: the online policy pi = softmax(Q/T), evaluated by Qbar: sum pi (Qbar - T log pi).
    q_online = torch.tensor([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], dtype=torch.float64)
    y2 = F.soft_dqn_target(r, term, qbar, T, g, q_online)
    v0_double = sum((1 / 3) * (q - T * math.log(1 / 3)) for q in (1.0, 2.0, 3.0))
    np.testing.assert_allclose(y2.numpy(), [1.0 + g * v0_double, -2.0])
    # Munchausen: scale * clip(T log pi(a|s), l0, 0) under the target's Boltzmann policy.
    bonus = F.munchausen_bonus(qbar, torch.tensor([0, 2]), T, scale=0.9, clip_min=-1.0)
    log_pi0 = (1.0 - v0) / T  # log pi(a=0|s0) = (Q - V) / T
    np.testing.assert_allclose(bonus.numpy(), [0.9 * max(T * log_pi0, -1.0), 0.9 * max(
        T * ((-1.0 - T * math.log(sum(math.exp(q / T) for q in (0.5, 0.0, -1.0)))) / T), -1.0)])
    with pytest.raises(ValueError, match=r"\(B, A\)"):
        F.soft_dqn_target(r, term, qbar[0], T, g)


def test_temperature_loss_raises_temperature_when_entropy_is_low() -> None:
    log_t = torch.zeros((), requires_grad=True)
    q = torch.tensor([[10.0, 0.0, 0.0]])  # nearly deterministic: entropy ~ 0
    log_pi = F.boltzmann_log_policy(q, 1.0)
    F.temperature_loss(log_t, (log_pi.exp() * log_pi).sum(-1), target_entropy=0.5).backward()
    assert log_t.grad < 0  # gradient descent increases log T


def test_learns_the_exact_soft_q_of_a_small_mdp() -> None:
    mdp = make_random_mdp(0, S=4, A=2, gamma=0.8)
    T = 0.5
    exact = soft_backward(mdp, temperature=T)
    env = gym.wrappers.TimeLimit(FiniteMDPEnv(mdp, max_episode_steps=None), 20)
    agent = SoftQ(env, seed=0, temperature=T, gamma=0.8, hidden_sizes=(32,),
                  learning_rate=3e-3, batch_size=64, learning_starts=200, train_freq=1,
                  target_update_interval=100, buffer_size=10_000, torch_threads=1)
    agent.learn(6000)
    with torch.no_grad():
        q = agent.q(torch.eye(4)).numpy()
    # Time limits are truncations: the learned Q is the infinite-horizon soft Q.
    assert np.abs(q - exact.Q).max() < 0.3, (q, exact.Q)
    pi = torch.softmax(torch.as_tensor(q) / T, -1).numpy()
    assert np.abs(pi - exact.policy).max() < 0.1


def test_spaces_and_hyperparameters_are_checked() -> None:
    with pytest.raises(ActionSpaceError, match="Discrete"):
        SoftQ("Pendulum-v1")
    with pytest.raises(ActionSpaceError, match="Box"):
        SAC("CartPole-v1")
    with pytest.raises(ValueError, match="'temperature'"):
        SoftQ("CartPole-v1", temperature=-1.0)
    with pytest.raises(ValueError, match="'munchausen'"):
        SoftQ("CartPole-v1", munchausen=2.0)
    with pytest.raises(ValueError, match="Did you mean 'double_q'"):
        SoftQ("CartPole-v1", double=True)


@pytest.mark.parametrize("options", [
    {},
    {"munchausen": 0.9, "double_q": True},
    {"temperature": "auto", "target_update_interval": 3, "tau": 0.5},
])
def test_shared_target_phase_equals_step_by_step(options: dict) -> None:
    """SoftQ's training phase (the target network evaluated once per segment, the gradient
    by hand) takes the same steps as train_step called batch by batch."""
    def make() -> SoftQ:
        agent = SoftQ("CartPole-v1", seed=3, learning_starts=10**6, batch_size=16,
                      buffer_size=1000, hidden_sizes=(32, 32), checkpoint_every=0,
                      log_every=10**9, **options)
        agent.learn(200, progress_bar=False)  # random actions fill the buffer
        return agent

    fast, slow = make(), make()
    for n in (7, 5):
        fast._train_phase(n)
        super(SoftQ, slow)._train_phase(n)  # OffPolicyAgent's loop over train_step
    assert fast.num_updates == slow.num_updates == 12
    for name in ("q", "q_target", "temperature"):
        for p, q in zip(fast._modules()[name].parameters(),
                        slow._modules()[name].parameters(), strict=True):
            torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)
    for key, value in slow._last_losses.items():
        torch.testing.assert_close(fast._last_losses[key], value, rtol=1e-5, atol=1e-6)
    assert torch.equal(fast.rngs.torch.get_state(), slow.rngs.torch.get_state())


@x86_only
@pytest.mark.parametrize("flush", [True, False])
def test_hand_written_phase_runs_with_denormals_flushed_only_if_asked(flush: bool) -> None:
    """The hand-written steps run under flush_denormals when ``flush_denormals`` is set, and
    the thread's mode is IEEE again after the phase (numpy, on the same thread, is the
    witness: float32's smallest denormal times 1 is 0 only when flushed)."""
    agent = SoftQ("CartPole-v1", seed=3, learning_starts=10**6, batch_size=16, buffer_size=1000,
                  hidden_sizes=(32, 32), checkpoint_every=0, log_every=10**9)
    agent.learn(100, progress_bar=False)
    agent.flush_denormals = flush
    seen = []
    step = agent._manual_step

    def watched(*args: object) -> dict:
        seen.append(numpy_flushes())
        return step(*args)

    agent._manual_step = watched  # type: ignore[method-assign]
    agent._train_phase(3)
    assert seen == [flush] * 3
    assert not numpy_flushes()
