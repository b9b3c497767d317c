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
                  hidden_sizes=(16,))
    ctx = torch.randn(2, 10, 5)
    mean, var = pearl.posterior(ctx)
    perm = torch.randperm(10)
    mean2, var2 = pearl.posterior(ctx[:, perm])
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
    mean, var = pearl.posterior(torch.as_tensor(ctx)[None])
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
