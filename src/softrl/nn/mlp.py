"""Multi-layer perceptrons, single and batched ensembles, sharing one forward loop."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn
from torch.nn import functional as F

__all__ = ["MLP", "EnsembleLinear", "EnsembleMLP", "mlp", "mlp_forward"]

Affine = Callable[[Tensor, Tensor, Tensor], Tensor]


def mlp_forward(
    x: Tensor,
    layers: Sequence[tuple[Tensor, Tensor]],
    activation: Callable[[Tensor], Tensor] = torch.relu,
    affine: Affine = F.linear,
) -> Tensor:
    """h_0 = x, h_{k+1} = act(affine(h_k, W_k, b_k)), no activation after the last layer.

    The one MLP loop of softrl: :class:`MLP` runs it with ``F.linear`` (W of shape (out, in)),
    :class:`EnsembleMLP` with ``baddbmm`` (W of shape (E, in, out)), and
    :class:`softrl.irl.NeuralReward` on a flat parameter vector.

    Parameters
    ----------
    x : Tensor, shape (..., in)
        Input.
    layers : sequence of (W, b)
        Parameters of each affine layer, in the layout ``affine`` expects.
    activation : callable
        Nonlinearity between layers.
    affine : callable
        ``affine(h, W, b)``.
    """
    last = len(layers) - 1
    for i, (w, b) in enumerate(layers):
        x = affine(x, w, b)
        if i < last:
            x = activation(x)
    return x


class MLP(nn.Sequential):
    """Linear -> activation -> ... -> Linear, as an ``nn.Sequential`` (state-dict keys
    ``0.weight``, ``0.bias``, ``2.weight``, ...), evaluated by :func:`mlp_forward`."""

    def forward(self, x: Tensor) -> Tensor:  # noqa: D102
        spec = self.__dict__.get("_spec")
        if spec is None:  # the layer list, looked up once (the modules do not change)
            linears = tuple(m for m in self if isinstance(m, nn.Linear))
            acts = [m for m in self if not isinstance(m, nn.Linear)]
            self.__dict__["_spec"] = spec = (linears, acts[0] if acts else torch.relu)
        return mlp_forward(x, [(m.weight, m.bias) for m in spec[0]], spec[1])


def mlp(
    in_dim: int,
    hidden_sizes: Sequence[int],
    out_dim: int,
    activation: type[nn.Module] = nn.ReLU,
) -> MLP:
    """Linear -> activation -> ... -> Linear, maps (B, in_dim) to (B, out_dim).

    Layers are created (and initialized like ``nn.Linear``) first to last.

    Parameters
    ----------
    in_dim, out_dim : int
        Input and output widths.
    hidden_sizes : sequence of int
        Widths of the hidden layers (may be empty for a linear map).
    activation : nn.Module subclass
        Nonlinearity after each hidden layer.
    """
    layers: list[nn.Module] = []
    width = in_dim
    for hidden in hidden_sizes:
        layers += [nn.Linear(width, hidden), activation()]
        width = hidden
    layers.append(nn.Linear(width, out_dim))
    return MLP(*layers)


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
    """E MLPs with identical shapes evaluated as one batched network (e.g. SAC's twin critics,
    bootstrapped heads).

    Each layer holds stacked parameters of shape (E, in, out) and runs as one ``baddbmm``, so
    E heads cost one kernel per layer instead of E.

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
        params = [(layer.weight, layer.bias) for layer in self.layers]
        if detach_params:
            params = [(w.detach(), b.detach()) for w, b in params]
        return mlp_forward(x, params, torch.relu, _batched_affine)


def _batched_affine(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    return torch.baddbmm(b, x, w)
