"""The squashed-Gaussian gradient written out by hand against autograd."""

import torch

from softrl.functional.squashed_gaussian import (
    squashed_gaussian_backward,
    squashed_gaussian_from_noise,
    squashed_gaussian_sample,
)


def test_backward_matches_autograd() -> None:
    torch.manual_seed(0)
    mean = torch.randn(9, 3, dtype=torch.float64, requires_grad=True)
    log_std = (0.5 * torch.randn(9, 3, dtype=torch.float64)).requires_grad_(True)
    eps = torch.randn(9, 3, dtype=torch.float64)
    w_a = torch.randn(9, 3, dtype=torch.float64)
    w_logp = torch.randn(9, dtype=torch.float64)
    action, log_prob, std = squashed_gaussian_from_noise(mean, log_std, eps)
    ((action * w_a).sum() + (log_prob * w_logp).sum()).backward()
    with torch.no_grad():
        g_mean, g_log_std = squashed_gaussian_backward(w_a, w_logp, action, eps, std)
    torch.testing.assert_close(g_mean, mean.grad, rtol=0, atol=1e-12)
    torch.testing.assert_close(g_log_std, log_std.grad, rtol=0, atol=1e-12)


def test_shared_log_prob_weight_and_sample_uses_the_same_formula() -> None:
    mean = torch.zeros(4, 2, dtype=torch.float64)
    log_std = torch.full((4, 2), -0.3, dtype=torch.float64)
    gen = torch.Generator().manual_seed(3)
    action, log_prob = squashed_gaussian_sample(mean, log_std, gen)
    eps = torch.randn(4, 2, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    a2, lp2, std = squashed_gaussian_from_noise(mean, log_std, eps)
    torch.testing.assert_close(action, a2, rtol=0, atol=0)
    torch.testing.assert_close(log_prob, lp2, rtol=0, atol=0)
    g_scalar = squashed_gaussian_backward(torch.ones(4, 2, dtype=torch.float64), 0.5, a2, eps,
                                          std)
    g_rows = squashed_gaussian_backward(torch.ones(4, 2, dtype=torch.float64),
                                        torch.full((4,), 0.5, dtype=torch.float64), a2, eps, std)
    for x, y in zip(g_scalar, g_rows, strict=True):
        torch.testing.assert_close(x, y, rtol=0, atol=0)
