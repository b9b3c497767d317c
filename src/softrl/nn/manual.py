"""A ReLU MLP's forward and backward written out by hand, for the hot loops of the agents.

Autograd records a graph on every call and frees it after ``backward``; for the small MLPs of
deep RL on a CPU that bookkeeping costs about as much as the matmuls. For the fixed
architecture ``Linear -> ReLU -> ... -> Linear`` the backward pass is short enough to write
down (below), so an agent can take a gradient step with a handful of BLAS calls writing into
preallocated gradient buffers. :class:`softrl.agents.SoftQ` uses it; the tests check it
against autograd to float rounding.

With h_0 = x, z_k = h_{k-1} W_k^T + b_k, h_k = relu(z_k) (k < L) and out = z_L, and
g_k = dloss/dz_k:

    dloss/dW_k = g_k^T h_{k-1},   dloss/db_k = sum_rows g_k,
    g_{k-1} = (g_k W_k) * 1[h_{k-1} > 0].
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

__all__ = ["clip_grad_norm_", "relu_mlp_backward", "relu_mlp_forward", "relu_mlp_layers"]

Layer = tuple[Tensor, Tensor]


def relu_mlp_layers(net: nn.Module) -> list[Layer] | None:
    """The (W, b) pairs of ``net`` if it is exactly Linear -> ReLU -> ... -> Linear, else None.

    ``net`` is an ``nn.Sequential`` (such as :class:`softrl.nn.MLP`); W has shape (out, in).
    """
    if not isinstance(net, nn.Sequential) or len(net) % 2 == 0:
        return None
    layers: list[Layer] = []
    for i, module in enumerate(net):
        if i % 2 == 1:
            if type(module) is not nn.ReLU:
                return None
        elif type(module) is not nn.Linear or module.bias is None:
            return None
        else:
            layers.append((module.weight, module.bias))
    return layers


def relu_mlp_forward(x: Tensor, layers: Sequence[Layer]) -> list[Tensor]:
    """The activations [h_1, ..., h_{L-1}, out] of the MLP at ``x`` (no graph is recorded
    when called under ``torch.no_grad``); ``out`` is the last entry.

    Parameters
    ----------
    x : Tensor, shape (B, in)
    layers : sequence of (W, b)
        W of shape (out, in) and b of shape (out,), as in ``nn.Linear``.
    """
    acts: list[Tensor] = []
    last = len(layers) - 1
    h = x
    for k, (w, b) in enumerate(layers):
        h = torch.addmm(b, h, w.t())
        if k < last:
            h.relu_()
        acts.append(h)
    return acts


def relu_mlp_backward(x: Tensor, layers: Sequence[Layer], acts: Sequence[Tensor],
                      grad_out: Tensor, grads: Sequence[Layer]) -> None:
    """Write dloss/dW_k and dloss/db_k into ``grads`` (overwriting them), given
    ``grad_out`` = dloss/dout and the activations of :func:`relu_mlp_forward`.

    Parameters
    ----------
    x : Tensor, shape (B, in)
        The input of the forward pass.
    layers : sequence of (W, b)
        The parameters of the forward pass.
    acts : sequence of Tensor
        What :func:`relu_mlp_forward` returned for ``x``.
    grad_out : Tensor, shape (B, out)
        Gradient of the loss with respect to the output.
    grads : sequence of (dW, db)
        Buffers shaped like ``layers`` (for example the parameters' ``.grad``).
    """
    g = grad_out
    for k in range(len(layers) - 1, -1, -1):
        h_prev = acts[k - 1] if k > 0 else x
        dw, db = grads[k]
        torch.mm(g.t(), h_prev, out=dw)
        torch.sum(g, 0, out=db)
        if k > 0:
            g = torch.ops.aten.threshold_backward(torch.mm(g, layers[k][0]), h_prev, 0)


def clip_grad_norm_(grads: Sequence[Tensor], max_norm: float) -> Tensor:
    """Scale ``grads`` in place by min(1, max_norm / (||g|| + 1e-6)), ||g|| the norm of all of
    them together (``torch.nn.utils.clip_grad_norm_``'s rule, without its per-call walk over
    the module tree and with no host synchronization); returns ||g||."""
    norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
    torch._foreach_mul_(grads, (max_norm / (norm + 1e-6)).clamp_(max=1.0))
    return norm
