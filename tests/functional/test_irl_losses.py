"""GCL importance weights, AIRL and GAIL discriminator losses and rewards against numpy by
hand on fixed batches."""

import math

import numpy as np
import pytest
import torch

from softrl.functional import irl as F


def t(x) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x, dtype=np.float64))


def test_gcl_weights_by_hand() -> None:
    # Two trajectories of two steps: rewards and proposal probabilities per step.
    r = np.array([[1.0, 0.5], [-0.2, 0.3]])
    q = np.array([[0.5, 0.25], [0.1, 0.8]])
    T = 2.0
    w = np.exp(r.sum(1) / T) / q.prod(1)
    log_w = F.gcl_log_weights(t(r.sum(1)), t(np.log(q).sum(1)), T)
    np.testing.assert_allclose(log_w.exp().numpy(), w, rtol=1e-12)
    np.testing.assert_allclose(F.gcl_normalized_weights(log_w).numpy(), w / w.sum(), rtol=1e-12)


def test_gcl_weights_stay_finite_for_long_trajectories() -> None:
    # exp(R) / prod q overflows float64 for R = 2000; its log and the normalized weights do not.
    log_w = F.gcl_log_weights(t([2000.0, 1999.0]), t([-900.0, -901.0]))
    wn = F.gcl_normalized_weights(log_w).numpy()
    assert np.isfinite(log_w.numpy()).all()
    np.testing.assert_allclose(wn, [0.5, 0.5], rtol=1e-12)


def test_gcl_loss_gradient_is_the_importance_weighted_estimate() -> None:
    """-grad loss = mean demo grad R / T - sum_j w~_j grad R_j / T for a linear reward."""
    rng = np.random.default_rng(0)
    n_feat, N, M, H, T = 3, 4, 6, 5, 0.7
    demo_phi = rng.normal(size=(N, H, n_feat))
    samp_phi = rng.normal(size=(M, H, n_feat))
    log_q = rng.normal(size=M) - 3.0
    psi = torch.tensor(rng.normal(size=n_feat), requires_grad=True)
    loss = F.gcl_loss((t(demo_phi) @ psi).sum(1), (t(samp_phi) @ psi).sum(1), t(log_q), T)
    (grad,) = torch.autograd.grad(loss, psi)
    p = psi.detach().numpy()
    Rs = (samp_phi @ p).sum(1)
    w = np.exp(Rs / T - log_q)
    expected = demo_phi.sum(1).mean(0) / T - (w[:, None] * samp_phi.sum(1)).sum(0) / (T * w.sum())
    np.testing.assert_allclose(-grad.numpy(), expected, rtol=1e-10)
    # The value: -mean R_demo / T + log mean w.
    Rd = (demo_phi @ p).sum(1)
    np.testing.assert_allclose(loss.item(), -Rd.mean() / T + math.log(w.mean()), rtol=1e-12)


def test_mixture_proposal_by_hand() -> None:
    lp, ld = np.log([0.2, 0.01]), np.log([0.05, 0.3])
    out = F.mixture_log_proposal(t(lp), t(ld), demo_fraction=0.25).numpy()
    np.testing.assert_allclose(np.exp(out), 0.75 * np.exp(lp) + 0.25 * np.exp(ld), rtol=1e-12)
    np.testing.assert_array_equal(F.mixture_log_proposal(t(lp), None).numpy(), lp)
    with pytest.raises(ValueError, match="demo_fraction"):
        F.mixture_log_proposal(t(lp), t(ld), demo_fraction=1.0)
    with pytest.raises(ValueError, match="same shape"):
        F.mixture_log_proposal(t(lp), t(ld[:1]))


def test_airl_discriminator_by_hand() -> None:
    g, h, h2 = np.array([0.3, -1.0, 2.0]), np.array([1.0, 0.5, -0.5]), np.array([0.2, 0.0, 4.0])
    done = np.array([0.0, 0.0, 1.0])
    gamma = 0.9
    f = F.shaped_reward(t(g), t(h), t(h2), t(done), gamma).numpy()
    np.testing.assert_allclose(f, g + gamma * (1 - done) * h2 - h, rtol=1e-12)
    pi = np.array([0.5, 0.1, 0.9])
    logits = F.airl_logits(t(f), t(np.log(pi)))
    D = np.exp(f) / (np.exp(f) + pi)
    np.testing.assert_allclose(torch.sigmoid(logits).numpy(), D, rtol=1e-12)
    # Reward log D - log(1 - D).
    np.testing.assert_allclose(F.airl_reward(logits).numpy(), np.log(D) - np.log(1 - D),
                               rtol=1e-10)
    # Loss with samples 0, 1 as expert and 2 as policy.
    loss = F.discriminator_loss(logits[:2], logits[2:]).item()
    np.testing.assert_allclose(loss, -np.log(D[:2]).mean() - np.log(1 - D[2:]).mean(),
                               rtol=1e-12)
    acc = F.discriminator_accuracy(logits[:2], logits[2:]).item()
    assert acc == pytest.approx(0.5 * ((D[:2] > 0.5).mean() + (D[2:] < 0.5).mean()))


def test_discriminator_loss_is_finite_at_extreme_logits() -> None:
    loss = F.discriminator_loss(t([1e4, -1e4]), t([1e4, -1e4]))
    assert np.isfinite(loss.item()) and loss.item() == pytest.approx(1e4)


def test_gail_rewards_by_hand() -> None:
    D = np.array([0.1, 0.5, 0.99])
    logits = t(np.log(D) - np.log1p(-D))
    np.testing.assert_allclose(F.gail_reward(logits).numpy(), -np.log1p(-D), rtol=1e-10)
    np.testing.assert_allclose(F.gail_reward(logits, "negative").numpy(), np.log(D), rtol=1e-10)
    np.testing.assert_allclose(F.gail_reward(logits, "logit").numpy(), logits.numpy())
    with pytest.raises(ValueError, match="kind"):
        F.gail_reward(logits, "other")


def test_bad_inputs_name_the_problem() -> None:
    with pytest.raises(ValueError, match="temperature"):
        F.gcl_log_weights(t([1.0]), t([0.0]), 0.0)
    with pytest.raises(ValueError, match="same shape"):
        F.airl_logits(t([1.0, 2.0]), t([0.0]))


def test_weighted_discriminator_loss_equals_repeated_samples() -> None:
    le, lp = t([0.3, -1.2]), t([2.0, 0.1, -0.4])
    we, wp = t([2.0, 1.0]), t([1.0, 0.0, 3.0])
    repeated = F.discriminator_loss(t([0.3, 0.3, -1.2]), t([2.0, -0.4, -0.4, -0.4]))
    assert F.discriminator_loss(le, lp, we, wp).item() == pytest.approx(repeated.item())
