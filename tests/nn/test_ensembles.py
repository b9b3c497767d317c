"""Batched ensemble networks equal separate MLPs; actor shapes and bounds."""

import torch
from torch import nn

from softrl.nn import EnsembleMLP, QEnsemble, SquashedGaussianActor, mlp


def test_ensemble_equals_independent_mlps() -> None:
    torch.manual_seed(0)
    ens = EnsembleMLP(3, 5, (7, 6), 2)
    x = torch.randn(4, 5)
    out = ens(x)
    assert out.shape == (3, 4, 2)
    for e in range(3):
        ref = mlp(5, (7, 6), 2)
        linears = [m for m in ref if isinstance(m, nn.Linear)]
        for layer, lin in zip(ens.layers, linears, strict=True):
            lin.weight.data.copy_(layer.weight[e].T)
            lin.bias.data.copy_(layer.bias[e, 0])
        torch.testing.assert_close(out[e], ref(x))


def test_detach_params_gives_input_gradients_only() -> None:
    torch.manual_seed(0)
    q = QEnsemble(3, 2, (8, 8))
    obs, act = torch.randn(5, 3), torch.randn(5, 2, requires_grad=True)
    q(obs, act, detach_params=True).sum().backward()
    assert act.grad is not None and act.grad.abs().sum() > 0
    assert all(p.grad is None for p in q.parameters())
    act2 = act.detach().clone().requires_grad_(True)
    q(obs, act2).sum().backward()
    torch.testing.assert_close(act.grad, act2.grad)


def test_actor_outputs() -> None:
    torch.manual_seed(0)
    actor = SquashedGaussianActor(3, 2, (16,))
    obs = torch.randn(10, 3)
    action, log_prob = actor.sample(obs, torch.Generator().manual_seed(0))
    assert action.shape == (10, 2) and log_prob.shape == (10,)
    assert action.abs().max() < 1
    mean, log_std = actor(obs)
    torch.testing.assert_close(actor.act(obs, deterministic=True), torch.tanh(mean))
    assert log_std.min() >= -20 and log_std.max() <= 2
