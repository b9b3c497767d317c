"""Policies: tanh-squashed Gaussian (SAC), diagonal Gaussian and categorical (policy gradient).

Every sampler takes an explicit ``torch.Generator``; nothing draws from torch's global RNG.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from softrl.functional.soft_q import sample_categorical
from softrl.functional.squashed_gaussian import gaussian_log_prob, squashed_gaussian_sample
from softrl.nn.mlp import mlp

__all__ = ["CategoricalActor", "GaussianActor", "SquashedGaussianActor"]


class SquashedGaussianActor(nn.Module):
    """pi(a|s) = tanh(N(mean(s), diag(std(s))^2)) with actions in (-1, 1)^A.

    One MLP outputs ``[mean, log_std]``; ``log_std`` is clamped to ``log_std_bounds``.
    Rescaling to the environment's bounds is the caller's job (the log-density here is the
    one of the normalized action, as in Stable-Baselines3).

    Parameters
    ----------
    obs_dim, action_dim : int
        Observation and action sizes.
    hidden_sizes : sequence of int
        Hidden widths.
    log_std_bounds : (float, float)
        Clamp for the log standard deviation.
    """

    def __init__(
        self,
        obs_dim: int,
        action_dim: int,
        hidden_sizes: Sequence[int],
        log_std_bounds: tuple[float, float] = (-20.0, 2.0),
    ) -> None:
        super().__init__()
        self.action_dim = action_dim
        self.log_std_bounds = log_std_bounds
        self.net = mlp(obs_dim, hidden_sizes, 2 * action_dim)

    def forward(self, obs: Tensor) -> tuple[Tensor, Tensor]:
        """(B, obs_dim) -> mean, log_std, each (B, action_dim)."""
        mean, log_std = self.net(obs).split(self.action_dim, dim=-1)
        return mean, log_std.clamp(*self.log_std_bounds)

    def sample(
        self, obs: Tensor, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        """Reparameterized sample: action (B, action_dim) in (-1, 1) and log pi (B,)."""
        mean, log_std = self(obs)
        return squashed_gaussian_sample(mean, log_std, generator)

    def act(
        self, obs: Tensor, deterministic: bool, generator: torch.Generator | None = None
    ) -> Tensor:
        """Action (B, action_dim) in (-1, 1): tanh(mean) if ``deterministic`` else a sample
        (the noise and arithmetic of :meth:`sample`, without its log-density)."""
        mean, log_std = self(obs)
        if deterministic:
            return torch.tanh(mean)
        eps = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        return torch.tanh(mean + torch.exp(log_std) * eps)


class GaussianActor(nn.Module):
    """pi(a|s) = N(mean(s), diag(exp(log_std))^2), log_std a learned state-independent vector
    (the usual policy of on-policy gradient methods on Box actions; unbounded actions, so the
    env's bounds are the caller's to clip).

    Parameters
    ----------
    obs_dim, action_dim : int
        Observation and action sizes.
    hidden_sizes : sequence of int
        Hidden widths.
    initial_log_std : float
        Starting log standard deviation.
    """

    def __init__(self, obs_dim: int, action_dim: int, hidden_sizes: Sequence[int],
                 initial_log_std: float = 0.0) -> None:
        super().__init__()
        self.net = mlp(obs_dim, hidden_sizes, action_dim)
        self.log_std = nn.Parameter(torch.full((action_dim,), float(initial_log_std)))

    def forward(self, obs: Tensor) -> tuple[Tensor, Tensor]:
        """(B, obs_dim) -> mean (B, action_dim), log_std broadcast to (B, action_dim)."""
        mean = self.net(obs)
        return mean, self.log_std.expand_as(mean)

    def log_prob(self, obs: Tensor, action: Tensor) -> Tensor:
        """log pi(a|s), (B,)."""
        mean, log_std = self(obs)
        return gaussian_log_prob(action, mean, log_std)

    def entropy(self, obs: Tensor) -> Tensor:
        """H[pi(.|s)] = sum_i (log_std_i + (1 + log 2 pi) / 2), (B,)."""
        _, log_std = self(obs)
        return (log_std + 0.5 * (1.0 + math.log(2.0 * math.pi))).sum(-1)

    def sample(self, obs: Tensor, generator: torch.Generator | None = None
               ) -> tuple[Tensor, Tensor]:
        """Reparameterized sample a = mean + std * eps and log pi(a|s)."""
        mean, log_std = self(obs)
        eps = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        action = mean + log_std.exp() * eps
        return action, gaussian_log_prob(action, mean, log_std)

    def act(self, obs: Tensor, deterministic: bool,
            generator: torch.Generator | None = None) -> Tensor:
        """The mean if ``deterministic``, else a sample."""
        return self(obs)[0] if deterministic else self.sample(obs, generator)[0]


class CategoricalActor(nn.Module):
    """pi(a|s) = softmax(logits(s)) over A discrete actions.

    Parameters
    ----------
    obs_dim, n_actions : int
        Observation size and number of actions A.
    hidden_sizes : sequence of int
        Hidden widths.
    """

    def __init__(self, obs_dim: int, n_actions: int, hidden_sizes: Sequence[int]) -> None:
        super().__init__()
        self.net = mlp(obs_dim, hidden_sizes, n_actions)

    def forward(self, obs: Tensor) -> Tensor:
        """Normalized log-probabilities log pi(.|s), (B, A)."""
        return torch.log_softmax(self.net(obs), dim=-1)

    def probs(self, obs: Tensor) -> Tensor:
        """pi(.|s), (B, A)."""
        return self(obs).exp()

    def log_prob(self, obs: Tensor, action: Tensor) -> Tensor:
        """log pi(a|s) for integer actions (B,), (B,)."""
        return self(obs).gather(-1, action.long().unsqueeze(-1)).squeeze(-1)

    def entropy(self, obs: Tensor) -> Tensor:
        """-sum_a pi log pi, (B,)."""
        log_pi = self(obs)
        return -(log_pi.exp() * log_pi).sum(-1)

    def sample(self, obs: Tensor, generator: torch.Generator | None = None
               ) -> tuple[Tensor, Tensor]:
        """Actions (B,) int64 and their log-probabilities (B,)."""
        log_pi = self(obs)
        a = sample_categorical(log_pi, generator)
        return a, log_pi.gather(-1, a.unsqueeze(-1)).squeeze(-1)

    def act(self, obs: Tensor, deterministic: bool,
            generator: torch.Generator | None = None) -> Tensor:
        """argmax_a pi(a|s) if ``deterministic``, else a sample; (B,) int64."""
        return self(obs).argmax(-1) if deterministic else self.sample(obs, generator)[0]
