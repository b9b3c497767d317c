"""The importance-sampled policy gradient with demonstrations against enumeration: on a tiny
finite MDP, the expectation of the estimate under the fused proposal is the exact gradient of
E_pi[sum r] (future ratios kept); seed 004's form is exact on-policy and biased off it; the
weights, clipping, self-normalization and the Dirac proposal by hand."""

import itertools
import math

import numpy as np
import pytest
import torch

from softrl.imitation.is_pg import (
    dirac_log_proposal,
    fused_log_proposal,
    is_log_weights,
    is_pg_loss,
)

S, A, T = 2, 2, 3


def _mdp():
    rng = np.random.default_rng(3)
    p0 = torch.tensor([0.3, 0.7], dtype=torch.float64)
    P = torch.tensor(rng.dirichlet(np.ones(S), size=(S, A)))
    r = torch.tensor(rng.normal(size=(S, A)))
    return p0, P, r


def _trajectories():
    """Every (s_0, a_0, ..., s_{T-1}, a_{T-1}) as index tensors (64, T)."""
    rows = list(itertools.product(range(S), repeat=2 * T))
    arr = torch.tensor(rows)
    return arr[:, 0::2], arr[:, 1::2]


def _log_pol(logits, s, a):
    return torch.log_softmax(logits, -1)[s, a]


def _exact_and_expected(future_ratios, proposals, weights_of=None):
    p0, P, r = _mdp()
    theta = torch.tensor([[0.2, -0.4], [1.0, 0.3]], dtype=torch.float64, requires_grad=True)
    s, a = _trajectories()
    log_dyn = torch.log(p0[s[:, 0]]) + sum(torch.log(P[s[:, t], a[:, t], s[:, t + 1]])
                                           for t in range(T - 1))
    rew = r[s, a]
    log_pi = _log_pol(theta, s, a)  # (M, T)
    exact_j = (torch.exp(log_dyn + log_pi.sum(-1)) * rew.sum(-1)).sum()
    (exact,) = torch.autograd.grad(exact_j, theta, retain_graph=True)
    comps = torch.stack([_log_pol(q, s, a) for q in proposals])  # (K, M, T)
    log_q_traj = log_dyn + torch.logsumexp(comps.sum(-1), 0) - math.log(len(proposals))
    prefix = fused_log_proposal(comps)
    total = 0.0
    for j in range(s.shape[0]):  # E_q[estimate] = sum_tau q(tau) * estimate(tau)
        loss = is_pg_loss(log_pi[j:j + 1], prefix[j:j + 1], rew[j:j + 1],
                          future_ratios=future_ratios)
        total = total + torch.exp(log_q_traj[j]) * loss
    (expected,) = torch.autograd.grad(total, theta)
    return exact, -expected


def test_unbiased_under_the_fused_proposal() -> None:
    bc = torch.tensor([[1.5, -1.0], [-0.5, 0.5]], dtype=torch.float64)  # a "BC estimate"
    current = torch.tensor([[0.2, -0.4], [1.0, 0.3]], dtype=torch.float64)
    exact, expected = _exact_and_expected(True, [bc, current])
    torch.testing.assert_close(expected, exact, rtol=1e-12, atol=1e-12)
    exact, expected = _exact_and_expected(True, [bc])  # a single off-policy proposal
    torch.testing.assert_close(expected, exact, rtol=1e-12, atol=1e-12)


def test_seed_form_is_exact_on_policy_and_biased_off_it() -> None:
    current = torch.tensor([[0.2, -0.4], [1.0, 0.3]], dtype=torch.float64)
    exact, expected = _exact_and_expected(False, [current])
    torch.testing.assert_close(expected, exact, rtol=1e-12, atol=1e-12)
    bc = torch.tensor([[1.5, -1.0], [-0.5, 0.5]], dtype=torch.float64)
    exact, expected = _exact_and_expected(False, [bc, current])
    assert (expected - exact).abs().max() > 1e-3  # dropping future ratios is an approximation


def test_weights_by_hand_clip_and_self_normalization() -> None:
    log = lambda *x: torch.log(torch.tensor(x, dtype=torch.float64))  # noqa: E731
    log_pi = log(0.5, 0.25).reshape(1, 2)
    comps = torch.stack([log(0.25, 0.5).reshape(1, 2), log(0.5, 0.5).reshape(1, 2)])
    prefix = fused_log_proposal(comps)
    torch.testing.assert_close(prefix.exp(), torch.tensor([[0.375, 0.1875]],
                                                          dtype=torch.float64))
    w = is_log_weights(log_pi, prefix).exp()
    torch.testing.assert_close(w, torch.tensor([[4 / 3, 2 / 3]], dtype=torch.float64))
    # loss with rewards (1, 2): G = w * reward-to-go = (4/3 * 3, 2/3 * 2); L = -sum log pi * G
    theta = log_pi.clone().requires_grad_(True)
    rew = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    loss = is_pg_loss(theta, prefix, rew)
    torch.testing.assert_close(torch.autograd.grad(loss, theta)[0],
                               -torch.tensor([[4.0, 4 / 3]], dtype=torch.float64))
    clipped = is_pg_loss(theta, prefix, rew, clip=1.0)  # w -> (1, 2/3)
    torch.testing.assert_close(torch.autograd.grad(clipped, theta)[0],
                               -torch.tensor([[3.0, 4 / 3]], dtype=torch.float64))
    # self-normalized: each step's weights average 1 over the trajectories
    rng = torch.Generator().manual_seed(0)
    lp = -torch.rand(5, 4, generator=rng, dtype=torch.float64)
    lq = -torch.rand(5, 4, generator=rng, dtype=torch.float64).cumsum(-1)
    ones = torch.ones(5, 4, dtype=torch.float64)
    theta = lp.clone().requires_grad_(True)
    g = -torch.autograd.grad(is_pg_loss(theta, lq, ones, self_normalize=True,
                                        future_ratios=True), theta)[0] * 5
    # with r = 1 and future ratios, G_jt = sum_{t'>=t} w~_jt'; summing over j gives M per step
    torch.testing.assert_close(g.sum(0), 5.0 * torch.tensor([4.0, 3.0, 2.0, 1.0],
                                                            dtype=torch.float64))


def test_dirac_proposal_and_padding() -> None:
    is_demo = torch.tensor([1, 0, 1])
    comp = dirac_log_proposal(is_demo, n_demos=2, steps=3)
    assert torch.isinf(comp[1]).all() and comp[0, 0] == -math.log(2) and comp[0, 1:].eq(0).all()
    current = torch.log(torch.full((3, 3), 0.5, dtype=torch.float64))
    prefix = fused_log_proposal(torch.stack([comp, current]))
    # demo rows: q = (1/2 + 0.5^t) / 2; policy rows: q = 0.5^t / 2
    t = torch.arange(1, 4, dtype=torch.float64)
    torch.testing.assert_close(prefix[0].exp(), (0.5 + 0.5 ** t) / 2)
    torch.testing.assert_close(prefix[1].exp(), 0.5 ** t / 2)
    mask = torch.tensor([[1, 1, 0], [1, 1, 1], [1, 0, 0]], dtype=torch.float64)
    padded = fused_log_proposal(torch.stack([comp, current]), mask)
    assert torch.isfinite(padded).all()
    torch.testing.assert_close(padded[0, 2], padded[0, 1])  # padding changes nothing
    with pytest.raises(ValueError, match=r"\(M, T\)"):
        is_pg_loss(current, prefix[:, :2], current)
