"""PEARL: the product of Gaussian factors against its closed form (and a grid), the KL term,
posterior sampling at test time, and exact resume."""

import math

import numpy as np
import pytest
import torch

from softrl.meta import PEARL, product_of_gaussians
from softrl.vi import gaussian_kl


def test_product_of_gaussians_matches_the_normalized_product_on_a_grid() -> None:
    g = torch.Generator().manual_seed(0)
    means = torch.randn(3, 4, 2, generator=g, dtype=torch.float64)
    variances = torch.rand(3, 4, 2, generator=g, dtype=torch.float64) + 0.2
    mean, var = product_of_gaussians(means, variances)
    # Closed form: precision-weighted.
    prec = 1 / variances
    assert torch.allclose(var, 1 / prec.sum(1))
    assert torch.allclose(mean, (means * prec).sum(1) / prec.sum(1))
    # Independent check: normalize the product of densities numerically on a fine grid.
    grid = torch.linspace(-8, 8, 40_001, dtype=torch.float64)
    for b in range(3):
        for d in range(2):
            log_p = sum(-0.5 * (grid - means[b, n, d]) ** 2 / variances[b, n, d]
                        for n in range(4))
            w = torch.softmax(log_p, 0)
            m = (w * grid).sum()
            assert math.isclose(m, mean[b, d], abs_tol=1e-6)
            assert math.isclose(((grid - m) ** 2 * w).sum(), var[b, d], rel_tol=1e-4)
    # One factor is itself; more evidence never widens the posterior.
    m1, v1 = product_of_gaussians(means[:, :1], variances[:, :1])
    assert torch.allclose(m1, means[:, 0]) and torch.all(var <= v1)
    with pytest.raises(ValueError, match="B, N, d"):
        product_of_gaussians(means[0], variances[0])


def test_encoder_is_permutation_invariant_and_kl_is_the_analytic_one() -> None:
    pearl = PEARL("point-dense", n_train_tasks=3, n_test_tasks=2, initial_episodes=1,
                  hidden_sizes=(16,), encoder_covariance="diagonal")
    ctx = torch.randn(2, 10, 5)
    mean, scale = pearl.posterior(ctx)
    var = torch.diagonal(scale, dim1=-2, dim2=-1) ** 2
    assert torch.equal(scale, torch.diag_embed(var.sqrt()))  # PEARL's diagonal factors
    perm = torch.randperm(10)
    mean2, scale2 = pearl.posterior(ctx[:, perm])
    var2 = torch.diagonal(scale2, dim1=-2, dim2=-1) ** 2
    assert torch.allclose(mean, mean2, atol=1e-6) and torch.allclose(var, var2, atol=1e-6)
    kl = gaussian_kl(mean, 0.5 * var.log())
    ref = torch.distributions.kl_divergence(
        torch.distributions.Normal(mean, var.sqrt()),
        torch.distributions.Normal(torch.zeros_like(mean), torch.ones_like(mean))).sum(-1)
    assert torch.allclose(kl, ref, atol=1e-5)


def test_posterior_sampling_at_test_time_uses_the_context() -> None:
    pearl = PEARL("point-dense", n_train_tasks=2, n_test_tasks=2, hidden_sizes=(16,))
    task = pearl.test_tasks[0]
    zs = torch.stack([pearl._sample_z(None, task) for _ in range(1000)])  # 5000 numbers
    assert abs(float(zs.mean())) < 0.06 and abs(float(zs.std()) - 1) < 0.05
    ctx = np.random.default_rng(0).normal(size=(40, 5)).astype(np.float32)
    mean, scale = pearl.posterior(torch.as_tensor(ctx)[None])
    var = torch.diagonal(scale, dim1=-2, dim2=-1) ** 2
    zs = torch.stack([pearl._sample_z(ctx, task) for _ in range(1500)])
    se = var[0].sqrt() / math.sqrt(1500)
    assert torch.all((zs.mean(0) - mean[0]).abs() < 5 * se)
    assert torch.allclose(zs.var(0), var[0], rtol=0.2)
    returns = pearl.meta_test(n_episodes=2)
    assert returns["returns"].shape == (2, 2)
    assert pearl.meta_test(n_episodes=2)["mean_returns"] == returns["mean_returns"]


def test_training_steps_resume_exactly(tmp_path) -> None:
    kw = dict(n_train_tasks=4, n_test_tasks=1, initial_episodes=1, hidden_sizes=(16,),
              meta_batch=2, batch_size=8, context_size=8, tasks_per_iteration=2, grad_steps=2,
              prior_episodes=1, posterior_episodes=1)
    a = PEARL("point-sparse", **kw).fit(2)
    b = PEARL("point-sparse", **kw).fit(1)
    b.save(tmp_path / "ckpt")
    b = PEARL.load(tmp_path / "ckpt").fit(1)
    for (k, x), (_, y) in zip(a.actor.state_dict().items(), b.actor.state_dict().items(),
                              strict=True):
        assert torch.equal(x, y), k
    assert a.num_steps == b.num_steps == 4 * 20 + 2 * 2 * 40
    losses = a.train_step()
    assert losses["losses/kl"] >= 0 and np.isfinite(losses["losses/critic"])
    with pytest.raises(ValueError, match="kl_weight"):
        PEARL("point-dense", kl_weight=-1.0)
    with pytest.raises(ValueError, match="Box actions"):
        PEARL("bandit-k5-n10")
    with pytest.raises(ValueError, match="laten_dim|latent_dim"):
        PEARL("point-dense", laten_dim=3)


def test_full_product_of_gaussians_matches_a_grid_and_the_diagonal_case() -> None:
    from softrl.meta import product_of_gaussians_full

    g = torch.Generator().manual_seed(1)
    eta = torch.randn(2, 3, 2, generator=g, dtype=torch.float64)
    lam = torch.rand(2, 3, 2, generator=g, dtype=torch.float64) + 0.3
    U = 0.8 * torch.randn(2, 3, 2, 1, generator=g, dtype=torch.float64)
    mean, scale = product_of_gaussians_full(eta, lam, U, min_precision=0.0)
    cov = scale @ scale.transpose(-1, -2)
    assert torch.equal(scale, scale.triu())  # a triangular square root
    # Independent check: the product of the three densities, normalized on a 2-D grid.
    ax = torch.linspace(-7, 7, 401, dtype=torch.float64)
    zz = torch.stack(torch.meshgrid(ax, ax, indexing="ij"), -1).reshape(-1, 2)
    for b in range(2):
        log_p = torch.zeros(len(zz), dtype=torch.float64)
        for n in range(3):
            P = torch.diag(lam[b, n]) + U[b, n] @ U[b, n].T
            mu_n = torch.linalg.solve(P, eta[b, n])
            diff = zz - mu_n
            log_p = log_p - 0.5 * ((diff @ P) * diff).sum(-1)
        w = torch.softmax(log_p, 0)
        m = (w[:, None] * zz).sum(0)
        c = ((zz - m).T * w) @ (zz - m)
        assert torch.allclose(m, mean[b], atol=1e-6)
        assert torch.allclose(c, cov[b], atol=1e-4)
    # With no low-rank part it is the diagonal product of N(eta / lambda, 1 / lambda).
    m2, s2 = product_of_gaussians_full(eta, lam, torch.zeros_like(U), min_precision=0.0)
    m_diag, v_diag = product_of_gaussians(eta / lam, 1 / lam)
    assert torch.allclose(m2, m_diag) and torch.allclose(s2, torch.diag_embed(v_diag.sqrt()))
    with pytest.raises(ValueError, match="factors"):
        product_of_gaussians_full(eta, lam, U[..., 0])


def test_full_covariance_encoder_posterior_and_kl() -> None:
    from softrl.vi import gaussian_kl_triangular

    pearl = PEARL("point-dense", n_train_tasks=3, n_test_tasks=2, initial_episodes=1,
                  hidden_sizes=(16,), encoder_covariance="full", factor_rank=2)
    ctx = torch.randn(2, 10, 5)
    mean, scale = pearl.posterior(ctx)
    perm = torch.randperm(10)
    mean2, scale2 = pearl.posterior(ctx[:, perm])
    assert torch.allclose(mean, mean2, atol=1e-5) and torch.allclose(scale, scale2, atol=1e-5)
    cov = scale @ scale.transpose(-1, -2)
    ref = torch.distributions.kl_divergence(
        torch.distributions.MultivariateNormal(mean.double(), cov.double()),
        torch.distributions.MultivariateNormal(torch.zeros(5, dtype=torch.float64),
                                               torch.eye(5, dtype=torch.float64)))
    assert torch.allclose(gaussian_kl_triangular(mean, scale).double(), ref, rtol=1e-4)
    # Posterior samples have the posterior's mean and covariance.
    gen = torch.Generator().manual_seed(0)
    zs = torch.stack([pearl._draw(mean, scale, gen)[0] for _ in range(4000)])
    assert torch.allclose(zs.mean(0), mean[0], atol=float(5 * cov[0].diagonal().sqrt().max() / 63))
    assert torch.allclose(torch.cov(zs.T), cov[0], atol=float(0.15 * cov[0].diagonal().max()))
    with pytest.raises(ValueError, match="encoder_covariance"):
        PEARL("point-dense", encoder_covariance="dense")
