"""Behavior cloning: maximize sum_{(s,a) in demos} log pi(a|s) over the policy's parameters.

Works on every softrl policy (see :mod:`softrl.imitation.policies`), in place on an agent, so
the cloned agent saves, loads, evaluates and fine-tunes like any other. Episodes are held out
for validation; training stops when the validation negative log-likelihood has not improved
for ``patience`` epochs, and the best parameters are restored.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor

from softrl.demos import DemonstrationError, Demonstrations
from softrl.imitation.policies import demo_tensors, policy_log_prob, policy_module

__all__ = ["BCResult", "behavior_cloning", "fit_critic_to_returns", "returns_to_go"]


@dataclass
class BCResult:
    """What :func:`behavior_cloning` did.

    Attributes
    ----------
    train_nll, val_nll : list of float
        Mean -log pi(a|s) per epoch on the training and validation transitions (val_nll is
        empty without a validation split).
    best_epoch : int
        Epoch (1-based) whose parameters were kept (0: none better than the start).
    stopped_early : bool
        Training stopped on ``patience`` before ``max_epochs``.
    gradient_steps : int
        Adam steps taken.
    """

    train_nll: list[float] = field(default_factory=list)
    val_nll: list[float] = field(default_factory=list)
    best_epoch: int = 0
    stopped_early: bool = False
    gradient_steps: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly summary."""
        return {"train_nll": self.train_nll, "val_nll": self.val_nll,
                "best_epoch": self.best_epoch, "stopped_early": self.stopped_early,
                "gradient_steps": self.gradient_steps}


def behavior_cloning(
    agent: Any,
    demos: Demonstrations,
    *,
    max_epochs: int = 100,
    batch_size: int = 256,
    learning_rate: float = 1e-3,
    validation_fraction: float = 0.1,
    patience: int = 5,
    weight_decay: float = 0.0,
    seed: int = 0,
) -> BCResult:
    """Fit the agent's policy to the demonstrations by maximum likelihood, in place.

    Minimizes L(theta) = -(1/N) sum_i log pi_theta(a_i|s_i) with Adam on minibatches.

    Parameters
    ----------
    agent : softrl agent (SoftQ, SAC, EntropyPG, or any with a supported policy network)
        Its policy network is trained (SoftQ: its Q network, through the Boltzmann policy at
        the current temperature; the target network is then set to the result).
    demos : Demonstrations
        Checked against the agent's spaces.
    max_epochs : int
        Passes over the training transitions.
    batch_size : int
        Transitions per Adam step.
    learning_rate, weight_decay : float
        Adam's step size and L2 coefficient.
    validation_fraction : float in [0, 1)
        Share of episodes held out (of transitions when there is one episode); 0 trains on
        everything and keeps the last epoch.
    patience : int
        Epochs without a better validation NLL before stopping.
    seed : int
        Split and minibatch order.

    Returns
    -------
    BCResult
    """
    if isinstance(max_epochs, bool) or not isinstance(max_epochs, int) or max_epochs < 1:
        raise ValueError(f"max_epochs must be an integer >= 1; got {max_epochs!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1; got {batch_size!r}")
    if not 0.0 <= validation_fraction < 1.0:
        raise ValueError(f"validation_fraction must be in [0, 1); got {validation_fraction}")
    if not (learning_rate > 0 and math.isfinite(learning_rate)):
        raise ValueError(f"learning_rate must be > 0; got {learning_rate}")
    if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
        raise ValueError(f"patience must be an integer >= 1; got {patience!r}")
    if not isinstance(demos, Demonstrations):
        raise TypeError(f"demos must be a softrl.demos.Demonstrations; got "
                        f"{type(demos).__name__} (load files with softrl.demos.load_demos)")
    try:
        obs, actions = demo_tensors(agent, demos)
    except DemonstrationError as err:
        raise DemonstrationError(f"the demonstrations do not fit the agent's env: {err}") \
            from None
    train_idx, val_idx = _split(demos, validation_fraction, seed)
    net = policy_module(agent)
    opt = torch.optim.Adam(net.parameters(), lr=learning_rate, weight_decay=weight_decay)
    gen = torch.Generator(device=obs.device).manual_seed(seed)
    result = BCResult()
    best = math.inf
    best_state = copy.deepcopy(net.state_dict())
    if val_idx is not None:
        best = _nll(agent, obs, actions, val_idx)
    since_best = 0
    train_t = torch.as_tensor(train_idx, device=obs.device)
    for epoch in range(1, max_epochs + 1):
        order = train_t[torch.randperm(train_t.numel(), generator=gen, device=obs.device)]
        total = 0.0
        for chunk in order.split(batch_size):
            loss = -policy_log_prob(agent, obs[chunk], actions[chunk]).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            result.gradient_steps += 1
            total += loss.item() * chunk.numel()
        result.train_nll.append(total / train_t.numel())
        if val_idx is None:
            result.best_epoch = epoch
            continue
        val = _nll(agent, obs, actions, val_idx)
        result.val_nll.append(val)
        if val < best - 1e-6:
            best, since_best, result.best_epoch = val, 0, epoch
            best_state = copy.deepcopy(net.state_dict())
        else:
            since_best += 1
            if since_best >= patience:
                result.stopped_early = epoch < max_epochs
                break
    if val_idx is not None:
        net.load_state_dict(best_state)
    _sync_targets(agent)
    return result


def returns_to_go(demos: Demonstrations, gamma: float) -> np.ndarray:
    """G_t = sum_{k>=t} gamma^(k-t) r_k to the end of each episode, float64 (N,).

    An episode cut short (truncated) is summed to its last recorded step: its tail is
    missing, so these returns then underestimate the value by gamma^(L-t) V(s_L).
    """
    if demos.rewards is None:
        raise DemonstrationError("fitting a critic needs rewards; these demonstrations have "
                                 "none")
    g = np.zeros(len(demos))
    ends = set((np.append(demos.episode_starts[1:], len(demos)) - 1).tolist())
    running = 0.0
    for t in range(len(demos) - 1, -1, -1):
        if t in ends:
            running = 0.0
        running = demos.rewards[t] + gamma * running
        g[t] = running
    return g


def fit_critic_to_returns(
    agent: Any,
    demos: Demonstrations,
    *,
    epochs: int = 50,
    batch_size: int = 256,
    learning_rate: float = 1e-3,
    seed: int = 0,
) -> list[float]:
    """Regress the agent's critic on the demos' discounted returns-to-go (agent's gamma).

    SAC: both Q heads on Q(s_t, a_t) ~ G_t (and V(s_t) ~ G_t for ``variant="v_network"``);
    EntropyPG: V(s_t) ~ G_t; SoftQ: Q(s_t, a_t) ~ G_t (the actions' values only). Targets
    are set to the result. Returns the mean squared error per epoch.
    """
    obs, actions = demo_tensors(agent, demos)
    g = torch.as_tensor(returns_to_go(demos, agent.config.gamma), dtype=torch.float32,
                        device=obs.device)
    kind = type(agent).__mro__
    names = {k.__name__ for k in kind}
    critic = getattr(agent, "critic", None)
    value = getattr(agent, "value", None)
    if "SAC" in names:
        params = list(critic.parameters())
        if value is not None:
            params += list(value.parameters())

        def predict(idx: Tensor) -> Tensor:
            q = critic(obs[idx], actions[idx])  # (members, B)
            out = q.reshape(-1, idx.numel())
            if value is None:
                return out
            return torch.cat([out, value(obs[idx]).reshape(1, -1)])
    elif "EntropyPG" in names:
        params = list(critic.parameters())

        def predict(idx: Tensor) -> Tensor:
            return critic(obs[idx]).reshape(1, -1)
    elif "SoftQ" in names:
        params = list(agent.q.parameters())

        def predict(idx: Tensor) -> Tensor:
            return agent.q(obs[idx]).gather(-1, actions[idx].unsqueeze(-1)).reshape(1, -1)
    else:
        raise TypeError(f"fit_critic_to_returns does not know the critic of "
                        f"{type(agent).__name__}")
    opt = torch.optim.Adam(params, lr=learning_rate)
    gen = torch.Generator(device=obs.device).manual_seed(seed)
    history = []
    for _ in range(epochs):
        total = 0.0
        for idx in torch.randperm(len(demos), generator=gen, device=obs.device).split(
                batch_size):
            loss = (predict(idx) - g[idx]).square().mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * idx.numel()
        history.append(total / len(demos))
    _sync_targets(agent)
    return history


def _sync_targets(agent: Any) -> None:
    """Copy online networks into their targets after a supervised fit."""
    for online, target in (("q", "q_target"), ("critic", "critic_target"),
                           ("value", "value_target")):
        a, b = getattr(agent, online, None), getattr(agent, target, None)
        if a is not None and b is not None:
            b.load_state_dict(a.state_dict())


def _nll(agent: Any, obs: Tensor, actions: Tensor, idx: np.ndarray) -> float:
    with torch.no_grad():
        t = torch.as_tensor(idx, device=obs.device)
        return float(-policy_log_prob(agent, obs[t], actions[t]).mean())


def _split(demos: Demonstrations, fraction: float, seed: int
           ) -> tuple[np.ndarray, np.ndarray | None]:
    """Indices of training and validation transitions (whole episodes when there are 2+)."""
    n = len(demos)
    if fraction == 0.0:
        return np.arange(n), None
    rng = np.random.default_rng(seed)
    if demos.num_episodes >= 2:
        ep = demos.episode_index()
        k = min(max(1, round(fraction * demos.num_episodes)), demos.num_episodes - 1)
        val_eps = rng.permutation(demos.num_episodes)[:k]
        val = np.isin(ep, val_eps)
    else:
        if n < 2:
            raise DemonstrationError("a validation split needs at least 2 transitions; pass "
                                     "validation_fraction=0")
        val = np.zeros(n, bool)
        val[rng.permutation(n)[:min(max(1, round(fraction * n)), n - 1)]] = True
    return np.flatnonzero(~val), np.flatnonzero(val)
