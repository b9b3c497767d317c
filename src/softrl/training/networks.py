"""Network builders shared by the deep agents: MLPs, a batched critic ensemble, a SAC actor."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from softrl.functional.squashed_gaussian import squashed_gaussian_sample


def mlp(
    in_dim: int,
    hidden_sizes: Sequence[int],
    out_dim: int,
    activation: type[nn.Module] = nn.ReLU,
) -> nn.Sequential:
    """Linear -> activation -> ... -> Linear.

    Parameters
    ----------
    in_dim, out_dim : int
        Input and output widths.
    hidden_sizes : sequence of int
        Widths of the hidden layers (may be empty for a linear map).
    activation : nn.Module subclass
        Nonlinearity after each hidden layer.

    Returns
    -------
    nn.Sequential
        Maps (B, in_dim) to (B, out_dim).
    """
    layers: list[nn.Module] = []
    width = in_dim
    for hidden in hidden_sizes:
        layers += [nn.Linear(width, hidden), activation()]
        width = hidden
    layers.append(nn.Linear(width, out_dim))
    return nn.Sequential(*layers)


class EnsembleLinear(nn.Module):
    """E independent affine maps applied in one batched matmul: y_e = x_e W_e + b_e.

    Parameters
    ----------
    n_members, in_dim, out_dim : int
        Ensemble size E and layer widths. Initialized like ``nn.Linear`` member by member.
    """

    def __init__(self, n_members: int, in_dim: int, out_dim: int) -> None:
        super().__init__()
        bound = 1.0 / math.sqrt(in_dim)
        self.weight = nn.Parameter(torch.empty(n_members, in_dim, out_dim).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(n_members, 1, out_dim).uniform_(-bound, bound))

    def forward(self, x: Tensor) -> Tensor:
        """Apply each member to its slice: (E, B, in_dim) -> (E, B, out_dim)."""
        return torch.baddbmm(self.bias, x, self.weight)


class EnsembleMLP(nn.Module):
    """E MLPs with identical shapes evaluated as one batched network (e.g. SAC's twin critics).

    Each layer holds stacked parameters of shape (E, in, out) and runs as one ``baddbmm``,
    so two Q heads cost one kernel per layer instead of two.

    Parameters
    ----------
    n_members : int
        Ensemble size E.
    in_dim, out_dim : int
        Input and output widths of each member.
    hidden_sizes : sequence of int
        Hidden widths of each member.
    """

    def __init__(
        self, n_members: int, in_dim: int, hidden_sizes: Sequence[int], out_dim: int
    ) -> None:
        super().__init__()
        widths = [in_dim, *hidden_sizes, out_dim]
        self.n_members = n_members
        self.layers = nn.ModuleList(
            EnsembleLinear(n_members, a, b) for a, b in zip(widths[:-1], widths[1:], strict=True)
        )

    def forward(self, x: Tensor, detach_params: bool = False) -> Tensor:
        """Evaluate every member.

        Parameters
        ----------
        x : Tensor, shape (B, in_dim) or (E, B, in_dim)
            Shared input, or one input per member.
        detach_params : bool
            Treat the parameters as constants, so backpropagation computes only input
            gradients (what the SAC actor loss needs) and skips the weight gradients.

        Returns
        -------
        Tensor, shape (E, B, out_dim)
        """
        if x.dim() == 2:
            x = x.expand(self.n_members, *x.shape)
        n_layers = len(self.layers)
        for i, layer in enumerate(self.layers):
            w, b = layer.weight, layer.bias
            if detach_params:
                w, b = w.detach(), b.detach()
            x = torch.baddbmm(b, x, w)
            if i < n_layers - 1:
                x = torch.relu(x)
        return x


class QEnsemble(nn.Module):
    """Q_i(s, a) for i = 1..E as one batched network on the concatenation [s, a].

    Parameters
    ----------
    obs_dim, action_dim : int
        Observation and action sizes.
    hidden_sizes : sequence of int
        Hidden widths.
    n_members : int
        Number of Q heads E (2 for twin critics).
    """

    def __init__(
        self, obs_dim: int, action_dim: int, hidden_sizes: Sequence[int], n_members: int = 2
    ) -> None:
        super().__init__()
        self.net = EnsembleMLP(n_members, obs_dim + action_dim, hidden_sizes, 1)

    def forward(self, obs: Tensor, action: Tensor, detach_params: bool = False) -> Tensor:
        """(B, obs_dim), (B, action_dim) -> Q values of shape (E, B)."""
        return self.net(torch.cat([obs, action], dim=-1), detach_params).squeeze(-1)


class ValueNetwork(nn.Module):
    """State value V_psi(s) as an MLP (the V network of the original SAC).

    Parameters
    ----------
    obs_dim : int
        Observation size.
    hidden_sizes : sequence of int
        Hidden widths.
    """

    def __init__(self, obs_dim: int, hidden_sizes: Sequence[int]) -> None:
        super().__init__()
        self.net = mlp(obs_dim, hidden_sizes, 1)

    def forward(self, obs: Tensor) -> Tensor:
        """(B, obs_dim) -> (B,)."""
        return self.net(obs).squeeze(-1)


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
        """Action (B, action_dim) in (-1, 1): tanh(mean) if ``deterministic`` else a sample."""
        mean, log_std = self(obs)
        if deterministic:
            return torch.tanh(mean)
        return squashed_gaussian_sample(mean, log_std, generator)[0]
