"""softrl.nn against torch.distributions, closed forms and independent layer stacks."""

import math

import pytest
import torch
from torch import nn

from softrl.nn import (
    MLP,
    CategoricalActor,
    DiscreteQNetwork,
    GaussianActor,
    RecurrentCore,
    mlp,
)

torch.set_default_dtype(torch.float32)


def test_mlp_forward_equals_the_sequential_layers() -> None:
    torch.manual_seed(0)
    net = mlp(3, (5, 4), 2, activation=nn.Tanh)
    assert isinstance(net, MLP) and list(net.state_dict())[0] == "0.weight"
    x = torch.randn(7, 3)
    expected = net[4](torch.tanh(net[2](torch.tanh(net[0](x)))))
    torch.testing.assert_close(net(x), expected, rtol=0, atol=0)


def test_gaussian_actor_matches_torch_distributions() -> None:
    torch.manual_seed(0)
    actor = GaussianActor(3, 2, (8,), initial_log_std=-0.3)
    obs = torch.randn(5, 3)
    gen = torch.Generator().manual_seed(1)
    a, log_p = actor.sample(obs, gen)
    mean, log_std = actor(obs)
    dist = torch.distributions.Normal(mean, log_std.exp())
    torch.testing.assert_close(log_p, dist.log_prob(a).sum(-1))
    torch.testing.assert_close(actor.log_prob(obs, a), dist.log_prob(a).sum(-1))
    torch.testing.assert_close(actor.entropy(obs), dist.entropy().sum(-1))
    assert torch.equal(actor.act(obs, True), mean)
    # The same generator state gives the same sample.
    b, _ = actor.sample(obs, torch.Generator().manual_seed(1))
    assert torch.equal(a, b)


def test_categorical_actor_matches_torch_distributions() -> None:
    torch.manual_seed(0)
    actor = CategoricalActor(4, 3, (8,))
    obs = torch.randn(6, 4)
    dist = torch.distributions.Categorical(logits=actor.net(obs))
    a, log_p = actor.sample(obs, torch.Generator().manual_seed(0))
    assert a.dtype == torch.int64 and a.shape == (6,)
    torch.testing.assert_close(log_p, dist.log_prob(a))
    torch.testing.assert_close(actor.log_prob(obs, a), dist.log_prob(a))
    torch.testing.assert_close(actor.entropy(obs), dist.entropy())
    torch.testing.assert_close(actor.probs(obs).sum(-1), torch.ones(6))
    assert torch.equal(actor.act(obs, True), dist.probs.argmax(-1))


def test_categorical_sampling_frequencies() -> None:
    actor = CategoricalActor(1, 3, ())
    with torch.no_grad():
        actor.net[0].weight.zero_()
        actor.net[0].bias.copy_(torch.log(torch.tensor([0.2, 0.3, 0.5])))
    a, _ = actor.sample(torch.zeros(20_000, 1), torch.Generator().manual_seed(0))
    freq = torch.bincount(a, minlength=3) / 20_000
    torch.testing.assert_close(freq, torch.tensor([0.2, 0.3, 0.5]), atol=0.015, rtol=0)


@pytest.mark.parametrize("members", [1, 3])
def test_discrete_q_network_shapes_and_members(members) -> None:
    torch.manual_seed(0)
    q = DiscreteQNetwork(4, 5, (16,), n_members=members)
    out = q(torch.randn(7, 4))
    assert out.shape == ((7, 5) if members == 1 else (members, 7, 5))


def test_recurrent_core_resets_equal_separate_episodes() -> None:
    torch.manual_seed(0)
    core = RecurrentCore(3, 6)
    x = torch.randn(5, 2, 3)
    reset = torch.zeros(5, 2)
    reset[3, 0] = 1.0  # copy 0 starts a new episode at t = 3
    h0 = torch.randn(2, 6)
    out, h = core(x, h0, reset)
    first, _ = core(x[:3, :1], h0[:1])
    second, h_end = core(x[3:, :1], core.initial_state(1))
    torch.testing.assert_close(out[:, 0], torch.cat([first, second])[:, 0])
    torch.testing.assert_close(h[0], h_end[0])
    # Copy 1 never resets: one pass of the cell from h0.
    ref, _ = core(x[:, 1:], h0[1:])
    torch.testing.assert_close(out[:, 1], ref[:, 0])
    assert math.isclose(float(core.initial_state(4).abs().sum()), 0.0)


def test_entropies_have_their_closed_forms() -> None:
    torch.manual_seed(0)
    actor = GaussianActor(3, 2, (8,), initial_log_std=-0.3)
    obs = torch.randn(4, 3)
    # H = sum_i log sigma_i + d/2 log(2 pi e), the same for every state.
    expected = 2 * (-0.3 + 0.5 * math.log(2 * math.pi * math.e))
    torch.testing.assert_close(actor.entropy(obs), torch.full((4,), expected))
    cat = CategoricalActor(3, 5, ())
    with torch.no_grad():
        cat.net[0].weight.zero_()
        cat.net[0].bias.fill_(1.7)
    torch.testing.assert_close(cat.entropy(obs), torch.full((4,), math.log(5)))


def test_discrete_q_ensemble_member_equals_its_own_linear_stack() -> None:
    torch.manual_seed(0)
    q = DiscreteQNetwork(4, 3, (8, 6), n_members=3)
    obs = torch.randn(5, 4)
    out = q(obs)
    layers = [m for m in q.net.modules() if hasattr(m, "weight") and m.weight.dim() == 3]
    for e in range(3):
        h = obs
        for i, layer in enumerate(layers):
            lin = nn.Linear(layer.weight.shape[1], layer.weight.shape[2])
            with torch.no_grad():
                lin.weight.copy_(layer.weight[e].T)
                lin.bias.copy_(layer.bias[e].reshape(-1))
            h = lin(h)
            if i < len(layers) - 1:
                h = torch.relu(h)
        torch.testing.assert_close(out[e], h)
    with pytest.raises(ValueError, match="n_members"):
        DiscreteQNetwork(4, 3, (8,), n_members=0)


def test_recurrent_core_equals_torch_gru_and_checks_shapes() -> None:
    torch.manual_seed(0)
    core = RecurrentCore(3, 4)
    gru = nn.GRU(3, 4)
    with torch.no_grad():
        gru.weight_ih_l0.copy_(core.cell.weight_ih)
        gru.weight_hh_l0.copy_(core.cell.weight_hh)
        gru.bias_ih_l0.copy_(core.cell.bias_ih)
        gru.bias_hh_l0.copy_(core.cell.bias_hh)
    x, h0 = torch.randn(6, 2, 3), torch.randn(2, 4)
    out, h = core(x, h0)
    ref, h_ref = gru(x, h0.unsqueeze(0))
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(h, h_ref[0])
    with pytest.raises(ValueError, match="reset must be"):
        core(x, h0, torch.zeros(6, 3))
    with pytest.raises(ValueError, match="hidden"):
        core(x, torch.zeros(2, 5))


def test_squashed_gaussian_act_is_the_sample_without_its_log_density() -> None:
    """``act`` draws the same noise as ``sample`` and returns the same action, bit for bit,
    and leaves the generator in the same state."""
    from softrl.nn import SquashedGaussianActor

    torch.manual_seed(0)
    actor = SquashedGaussianActor(3, 2, (16, 16))
    obs = torch.randn(5, 3)
    g1, g2 = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    sampled, _ = actor.sample(obs, g1)
    acted = actor.act(obs, False, g2)
    torch.testing.assert_close(acted, sampled, rtol=0, atol=0)
    assert torch.equal(g1.get_state(), g2.get_state())
    torch.testing.assert_close(actor.act(obs, True), torch.tanh(actor(obs)[0]), rtol=0, atol=0)
