"""The hand-written ReLU MLP forward/backward against autograd."""

import pytest
import torch
from torch import nn

from softrl.nn import mlp
from softrl.nn.manual import relu_mlp_backward, relu_mlp_forward, relu_mlp_layers


@pytest.mark.parametrize("hidden", [(), (7,), (5, 6, 3)])
def test_forward_and_backward_match_autograd(hidden: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    net = mlp(4, hidden, 3).double()
    x = torch.randn(9, 4, dtype=torch.float64)
    weight = torch.randn(9, 3, dtype=torch.float64)
    out = net(x)
    (out * weight).sum().backward()  # dloss/dout = weight
    layers = relu_mlp_layers(net)
    assert layers is not None and len(layers) == len(hidden) + 1
    with torch.no_grad():
        acts = relu_mlp_forward(x, layers)
        grads = [(torch.full_like(w, 7.0), torch.full_like(b, 7.0)) for w, b in layers]
        relu_mlp_backward(x, layers, acts, weight, grads)  # overwrites the 7s
    torch.testing.assert_close(acts[-1], out.detach(), rtol=0, atol=1e-12)
    for (w, b), (dw, db) in zip(layers, grads, strict=True):
        torch.testing.assert_close(dw, w.grad, rtol=0, atol=1e-12)
        torch.testing.assert_close(db, b.grad, rtol=0, atol=1e-12)


def test_layers_only_for_plain_relu_mlps() -> None:
    assert relu_mlp_layers(mlp(2, (4,), 1, activation=nn.Tanh)) is None
    assert relu_mlp_layers(nn.Sequential(nn.Linear(2, 3, bias=False))) is None
    assert relu_mlp_layers(nn.Linear(2, 3)) is None
    assert relu_mlp_layers(nn.Sequential(nn.Linear(2, 3), nn.ReLU())) is None
