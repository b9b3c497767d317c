"""log pi(a|s) of every softrl policy, for demonstrations given in the env's own units.

Behavior cloning and the demonstration terms of the agents need log pi(a|s) with gradients
for actions a taken from demonstrations. The policies differ:

- categorical (:class:`~softrl.nn.CategoricalActor`, EntropyPG on Discrete actions);
- Boltzmann over a Q network, pi(a|s) = exp((Q(s,a) - V(s)) / T) (SoftQ);
- diagonal Gaussian (:class:`~softrl.nn.GaussianActor`, EntropyPG on Box actions), with
  actions in the env's units;
- tanh-squashed Gaussian (:class:`~softrl.nn.SquashedGaussianActor`, SAC), whose actions live in
  (-1, 1): env actions a are mapped to 2 (a - low) / (high - low) - 1 first.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import Tensor, nn

from softrl.demos import Demonstrations
from softrl.functional import boltzmann_log_policy
from softrl.functional.squashed_gaussian import squashed_gaussian_log_prob
from softrl.nn import CategoricalActor, DiscreteQNetwork, GaussianActor, SquashedGaussianActor

__all__ = ["demo_tensors", "policy_log_prob", "policy_module", "to_agent_actions"]

_SQUASH_EPS = 1e-4
"""Demo actions on the bounds are pulled inside (-1 + eps, 1 - eps) before atanh."""


def policy_module(agent: Any) -> nn.Module:
    """The network that holds the agent's policy (``actor``, or the Q network of SoftQ)."""
    actor = getattr(agent, "actor", None)
    if isinstance(actor, (CategoricalActor, GaussianActor, SquashedGaussianActor)):
        return actor
    q = getattr(agent, "q", None)
    if isinstance(q, DiscreteQNetwork):
        return q
    raise TypeError(f"{type(agent).__name__} has no policy softrl can clone (an actor network "
                    "or a discrete Q network)")


def to_agent_actions(agent: Any, actions: np.ndarray | Tensor) -> Tensor:
    """Env actions (N, *act_shape) -> the agent's action tensor: int64 (N,) for Discrete,
    float32 (N, A) otherwise (in (-1, 1) for a squashed policy)."""
    a = torch.as_tensor(np.asarray(actions) if not isinstance(actions, Tensor) else actions,
                        device=agent.device)
    space = agent.action_space
    if isinstance(space, gym.spaces.Discrete):
        return (a.reshape(-1) - int(space.start)).long()
    a = a.reshape(a.shape[0], -1).float()
    if isinstance(policy_module(agent), SquashedGaussianActor):
        low = torch.as_tensor(space.low.reshape(-1), dtype=torch.float32, device=a.device)
        high = torch.as_tensor(space.high.reshape(-1), dtype=torch.float32, device=a.device)
        a = (2.0 * (a - low) / (high - low) - 1.0).clamp(-1 + _SQUASH_EPS, 1 - _SQUASH_EPS)
    return a


def demo_tensors(agent: Any, demos: Demonstrations) -> tuple[Tensor, Tensor]:
    """(obs (N, obs_dim) float32, actions in the agent's units) on the agent's device."""
    demos.validate_for((agent.observation_space, agent.action_space))
    return agent._obs_tensor(demos.obs), to_agent_actions(agent, demos.actions)


def policy_log_prob(agent: Any, obs: Tensor, actions: Tensor) -> Tensor:
    """log pi(a|s), shape (B,), differentiable in the policy's parameters.

    ``actions`` are in the agent's units (:func:`to_agent_actions`). For SoftQ the temperature
    is the current one, treated as a constant.
    """
    net = policy_module(agent)
    if isinstance(net, DiscreteQNetwork):
        log_pi = boltzmann_log_policy(net(obs), agent.temperature().detach())
        return log_pi.gather(-1, actions.reshape(-1, 1)).squeeze(-1)
    if isinstance(net, SquashedGaussianActor):
        mean, log_std = net(obs)
        return squashed_gaussian_log_prob(actions, mean, log_std, eps=0.0)
    return net.log_prob(obs, actions)
