"""Squashed-Gaussian density against a numerical change of variables."""

import math

import numpy as np
import pytest
import torch
from scipy.special import ndtr

from softrl.functional import (
    gaussian_log_prob,
    squashed_gaussian_log_prob,
    squashed_gaussian_sample,
    tanh_log_det_jacobian,
)


def numerical_log_density(a: np.ndarray, mean: float, std: float, h: float = 1e-6) -> np.ndarray:
    """d/da P(tanh(U) <= a) by central differences, U ~ N(mean, std^2)."""
    cdf = lambda x: ndtr((np.arctanh(x) - mean) / std)  # noqa: E731
    return np.log((cdf(a + h) - cdf(a - h)) / (2 * h))


@pytest.mark.parametrize("mean,std", [(0.0, 1.0), (0.7, 0.3), (-1.5, 2.0)])
def test_log_prob_matches_numerical_cdf_derivative(mean: float, std: float) -> None:
    a = np.linspace(-0.95, 0.95, 41)
    expected = numerical_log_density(a, mean, std)
    got = squashed_gaussian_log_prob(
        torch.tensor(a, dtype=torch.float64)[:, None],
        torch.full((41, 1), mean, dtype=torch.float64),
        torch.full((41, 1), math.log(std), dtype=torch.float64),
    ).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_density_integrates_to_one_and_sums_over_dimensions() -> None:
    grid = torch.linspace(-1 + 1e-7, 1 - 1e-7, 200_001, dtype=torch.float64)[:, None]
    mean, log_std = torch.tensor([[0.3]], dtype=torch.float64), torch.tensor([[-0.2]],
                                                                             dtype=torch.float64)
    density = squashed_gaussian_log_prob(grid, mean, log_std, eps=0.0).exp()
    assert torch.trapezoid(density, grid[:, 0]).item() == pytest.approx(1.0, abs=1e-4)
    # A diagonal density in 2-D is the product of the 1-D ones.
    a = torch.tensor([[0.2, -0.6]], dtype=torch.float64)
    m = torch.tensor([[0.1, 0.5]], dtype=torch.float64)
    s = torch.tensor([[-0.3, 0.4]], dtype=torch.float64)
    joint = squashed_gaussian_log_prob(a, m, s)
    parts = sum(squashed_gaussian_log_prob(a[:, j:j + 1], m[:, j:j + 1], s[:, j:j + 1])
                for j in range(2))
    torch.testing.assert_close(joint, parts)


def test_sample_log_prob_agrees_with_density_of_the_sample() -> None:
    gen = torch.Generator().manual_seed(0)
    mean = torch.randn(64, 3, generator=gen, dtype=torch.float64)
    log_std = 0.5 * torch.randn(64, 3, generator=gen, dtype=torch.float64)
    action, log_prob = squashed_gaussian_sample(mean, log_std, gen)
    assert action.shape == (64, 3) and log_prob.shape == (64,)
    assert action.abs().max() < 1
    torch.testing.assert_close(log_prob, squashed_gaussian_log_prob(action, mean, log_std, 0.0),
                               rtol=1e-6, atol=1e-6)


def test_gaussian_and_jacobian_pieces_against_closed_forms() -> None:
    u = torch.tensor([[0.5, -2.0]], dtype=torch.float64)
    m = torch.tensor([[0.1, 0.0]], dtype=torch.float64)
    s = torch.tensor([[0.2, -0.1]], dtype=torch.float64)
    std = s.exp()
    expected = (-0.5 * ((u - m) / std) ** 2 - torch.log(std * math.sqrt(2 * math.pi))).sum(-1)
    torch.testing.assert_close(gaussian_log_prob(u, m, s), expected)
    # Stable form equals the naive one where the naive one is accurate, and stays finite far out.
    torch.testing.assert_close(tanh_log_det_jacobian(u), torch.log(1 - torch.tanh(u) ** 2).sum(-1))
    assert torch.isfinite(tanh_log_det_jacobian(torch.tensor([[40.0]]))).all()


def test_sample_is_reparameterized() -> None:
    mean = torch.zeros(8, 1, requires_grad=True)
    log_std = torch.zeros(8, 1, requires_grad=True)
    action, log_prob = squashed_gaussian_sample(mean, log_std, torch.Generator().manual_seed(1))
    (action.sum() + log_prob.sum()).backward()
    assert mean.grad is not None and mean.grad.abs().sum() > 0
    assert log_std.grad is not None and log_std.grad.abs().sum() > 0
