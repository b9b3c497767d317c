"""SVGD and soft Q-learning pieces (issue 14): kernel against autograd, SVGD toward a closed-form
Gaussian, importance-sampled V against numerical integration, losses by hand."""

import math

import numpy as np
import pytest
import torch

from softrl.functional.svgd import (
    importance_sampled_soft_value,
    median_bandwidth,
    rbf_kernel,
    sql_q_target,
    svgd_direction,
    svgd_policy_loss,
    uniform_log_density,
)


def test_median_bandwidth_by_hand() -> None:
    sq = torch.tensor([[0.0, 4.0], [1.0, 9.0]])  # sorted 0, 1, 4, 9: upper median 4
    assert median_bandwidth(sq, 2).item() == pytest.approx(4 / math.log(2))
    assert median_bandwidth(torch.zeros(3, 3), 3).item() == pytest.approx(1e-3)


def test_rbf_kernel_gradient_equals_autograd() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 5, 2, generator=g, dtype=torch.float64, requires_grad=True)
    y = torch.randn(3, 4, 2, generator=g, dtype=torch.float64)
    kappa, grad_x = rbf_kernel(x, y, bandwidth=0.7)
    expected = torch.exp(-((x[:, :, None] - y[:, None]) ** 2).sum(-1) / 0.7)
    torch.testing.assert_close(kappa, expected)
    for i in range(5):
        for j in range(4):
            (gx,) = torch.autograd.grad(kappa[:, i, j].sum(), x, retain_graph=True)
            torch.testing.assert_close(grad_x[:, i, j], gx[:, i])
    with pytest.raises(ValueError, match="must agree"):
        rbf_kernel(x, torch.zeros(3, 4, 3))


def test_svgd_direction_equals_the_sum_written_out() -> None:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(6, 2, generator=g, dtype=torch.float64)
    y = torch.randn(3, 2, generator=g, dtype=torch.float64)
    score = -x  # standard normal
    h = 0.9
    phi = svgd_direction(x, score, y, bandwidth=h)
    for j in range(3):
        total = torch.zeros(2, dtype=torch.float64)
        for i in range(6):
            k = math.exp(-float(((x[i] - y[j]) ** 2).sum()) / h)
            total += k * score[i] - 2 * (x[i] - y[j]) / h * k
        torch.testing.assert_close(phi[j], total / 6)


def test_svgd_particles_reach_a_gaussian_target() -> None:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small matmuls: one thread is much faster on a busy CPU
    mu = torch.tensor([1.0, -0.5], dtype=torch.float64)
    cov = torch.tensor([[1.0, 0.6], [0.6, 0.8]], dtype=torch.float64)
    prec = torch.linalg.inv(cov)
    g = torch.Generator().manual_seed(2)
    x = 0.3 * torch.randn(150, 2, generator=g, dtype=torch.float64) - 2.0  # far off, too narrow
    try:
        for _ in range(600):
            x = x + 0.3 * svgd_direction(x, -(x - mu) @ prec, x)
    finally:
        torch.set_num_threads(threads)
    emp_cov = torch.cov(x.T)
    assert torch.allclose(x.mean(0), mu, atol=0.02)
    # finite-particle SVGD underestimates the spread a little (about 7% with 150 particles)
    np.testing.assert_allclose(emp_cov.numpy(), cov.numpy(), atol=0.08)


def test_importance_sampled_value_against_numerical_integration() -> None:
    def q(a: torch.Tensor) -> torch.Tensor:  # two modes on [-1, 1]
        return 2.0 * torch.exp(-((a - 0.6) / 0.15) ** 2) + 1.5 * torch.exp(-((a + 0.5) / 0.2) ** 2)

    T = 0.5
    grid = torch.linspace(-1, 1, 200_001, dtype=torch.float64)
    exact = T * math.log(torch.trapezoid(torch.exp(q(grid) / T), grid).item())
    a = 2 * torch.rand(200_000, generator=torch.Generator().manual_seed(3),
                       dtype=torch.float64) - 1
    log_q = uniform_log_density(-1.0, 1.0, dim=1)
    assert log_q.item() == pytest.approx(-math.log(2))
    estimate = importance_sampled_soft_value(q(a), log_q, T).item()
    assert estimate == pytest.approx(exact, abs=5e-3)
    # a Gaussian proposal gives the same integral
    sigma = 0.6
    b = sigma * torch.randn(200_000, generator=torch.Generator().manual_seed(4),
                            dtype=torch.float64)
    inside = b.abs() <= 1
    log_n = -0.5 * (b / sigma) ** 2 - math.log(sigma * math.sqrt(2 * math.pi))
    qb = torch.where(inside, q(b), torch.full_like(b, -1e9))  # exp(Q/T) = 0 outside the box
    assert importance_sampled_soft_value(qb, log_n, T).item() == pytest.approx(exact, abs=1e-2)


def test_importance_sampled_value_by_hand() -> None:
    qv = torch.tensor([[1.0, 2.0, 0.5]], dtype=torch.float64)
    T, log_q = 2.0, -math.log(4.0)  # uniform on [-1, 1]^2
    by_hand = T * math.log(sum(math.exp(v / T) * 4.0 for v in (1.0, 2.0, 0.5)) / 3)
    assert importance_sampled_soft_value(qv, log_q, T).item() == pytest.approx(by_hand)
    assert uniform_log_density(torch.tensor([-1.0, 0.0]), torch.tensor([1.0, 3.0])).item() \
        == pytest.approx(-math.log(6.0))
    with pytest.raises(ValueError, match="exceed"):
        uniform_log_density(1.0, 1.0, dim=2)


def test_losses_by_hand_on_a_fixed_batch() -> None:
    r = torch.tensor([1.0, -2.0, 0.5])
    d = torch.tensor([0.0, 1.0, 0.0])
    v = torch.tensor([3.0, 10.0, -1.0])
    torch.testing.assert_close(sql_q_target(r, d, v, 0.9), torch.tensor([3.7, -2.0, -0.4]))
    w = torch.tensor([[0.5, -1.0]], requires_grad=True)
    actions = torch.tensor([[[1.0, 2.0], [0.0, -1.0]]]) * w  # (1, 2, 2)
    delta = torch.tensor([[[0.2, 0.1], [-0.3, 0.4]]])
    loss = svgd_policy_loss(actions, delta)
    # -(0.2*0.5 + 0.1*(-2) + 0 + 0.4*1) / 2 = -0.15
    assert loss.item() == pytest.approx(-0.15)
    (gw,) = torch.autograd.grad(loss, w)
    torch.testing.assert_close(gw, torch.tensor([[-0.1, -(0.2 - 0.4) / 2]]))
    with pytest.raises(ValueError, match="same shape"):
        svgd_policy_loss(actions, delta[..., :1])
