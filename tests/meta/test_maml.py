"""MAML: the second-order meta-gradient by torch.func against central finite differences on a
tiny problem; the first-order variant is the outer gradient at theta'; adaptation and resume."""

import numpy as np
import pytest
import torch

from softrl.meta import MAML, EpisodeBatch

TINY = dict(hidden_sizes=(3,), episodes_per_task=3, n_train_tasks=4, n_test_tasks=2,
            meta_batch=2, inner_lr=0.5, initial_log_std=-1.0)


def _double(maml, batch):
    return EpisodeBatch(*(x.double() for x in batch))


def test_second_order_meta_gradient_matches_finite_differences() -> None:
    maml = MAML("point-dense", seed=0, **TINY)
    maml.policy.double()
    task = maml.train_tasks[0]
    theta = {k: v.detach().clone() for k, v in maml.params().items()}
    inner = [_double(maml, maml.sample(theta, task))]
    adapted = maml.adapted(theta, inner, first_order=True)
    outer = _double(maml, maml.sample(adapted, task))
    g2 = maml.meta_gradient(theta, inner, outer, first_order=False)
    g1 = maml.meta_gradient(theta, inner, outer, first_order=True)
    h = 1e-6
    worst, gap = 0.0, 0.0
    for name, value in theta.items():
        flat = value.reshape(-1)
        for i in range(flat.numel()):
            plus = {k: v.clone() for k, v in theta.items()}
            minus = {k: v.clone() for k, v in theta.items()}
            plus[name].view(-1)[i] += h
            minus[name].view(-1)[i] -= h
            fd = (maml.meta_loss(plus, inner, outer, False)
                  - maml.meta_loss(minus, inner, outer, False)) / (2 * h)
            worst = max(worst, abs(float(fd) - float(g2[name].reshape(-1)[i])))
            gap = max(gap, abs(float(g2[name].reshape(-1)[i]) - float(g1[name].reshape(-1)[i])))
    assert worst < 1e-6
    assert gap > 1e-3  # the second-order terms matter here, so the test can tell them apart
    # First order: the gradient of the outer loss at theta' (no inner Jacobian).
    at_adapted = torch.func.grad(maml.loss)({k: v.detach() for k, v in adapted.items()}, outer)
    for name in theta:
        assert torch.allclose(g1[name], at_adapted[name], atol=1e-12)


def test_meta_test_shape_repeatability_and_resume(tmp_path) -> None:
    maml = MAML("point-sparse", seed=1, **TINY)
    first = maml.meta_test(n_episodes=3, seed=5)
    assert first["returns"].shape == (2, 3)
    assert maml.meta_test(n_episodes=3, seed=5)["mean_returns"] == first["mean_returns"]
    a = MAML("point-dense", seed=2, **TINY).fit(2)
    b = MAML("point-dense", seed=2, **TINY).fit(1)
    b.save(tmp_path / "ckpt")
    c = MAML.load(tmp_path / "ckpt").fit(1)
    for k, v in a.params().items():
        assert torch.equal(v, c.params()[k]), k
    assert a.num_steps == c.num_steps == 2 * 2 * 2 * 3 * 20


def test_errors_name_the_field() -> None:
    with pytest.raises(ValueError, match="inner_lr"):
        MAML("point-dense", inner_lr=-0.1)
    with pytest.raises(ValueError, match="Box actions"):
        MAML("bandit-k5-n10")
    with pytest.raises(ValueError, match="n_episodes"):
        MAML("point-dense", **TINY).meta_test(n_episodes=0)
    assert np.isfinite(MAML("point-dense", **TINY).fit(1).num_steps)


def test_meta_sgd_step_sizes_get_the_finite_difference_gradient_and_resume(tmp_path) -> None:
    # Meta-SGD: theta' = theta - alpha * grad L(theta), alpha one entry per parameter entry.
    maml = MAML("point-dense", seed=0, learn_inner_lr=True, **TINY)
    maml.policy.double()
    task = maml.train_tasks[0]
    theta = {k: v.detach().clone() for k, v in maml.params().items()}
    lrs = {k: v.double() for k, v in maml.inner_lrs().items()}
    assert all(torch.all(v == TINY["inner_lr"]) for v in lrs.values())
    # With every alpha equal to inner_lr the adapted parameters are plain MAML's.
    inner = [_double(maml, maml.sample(theta, task))]
    scalar = maml.adapted(theta, inner, first_order=True)
    vector = maml.adapted(theta, inner, first_order=True, lrs=lrs)
    for k in theta:
        assert torch.allclose(scalar[k], vector[k], atol=1e-14)
    lrs = {k: v * (1 + 0.5 * torch.rand_like(v)) for k, v in lrs.items()}  # distinct entries
    outer = _double(maml, maml.sample(maml.adapted(theta, inner, lrs=lrs), task))
    g, g_lr = maml.meta_gradient(theta, inner, outer, first_order=False, lrs=lrs)
    h, worst = 1e-6, 0.0
    for name, value in lrs.items():
        for i in range(value.numel()):
            plus = {k: v.clone() for k, v in lrs.items()}
            minus = {k: v.clone() for k, v in lrs.items()}
            plus[name].view(-1)[i] += h
            minus[name].view(-1)[i] -= h
            fd = (maml.meta_loss(theta, inner, outer, False, plus)
                  - maml.meta_loss(theta, inner, outer, False, minus)) / (2 * h)
            worst = max(worst, abs(float(fd) - float(g_lr[name].reshape(-1)[i])))
    assert worst < 1e-6
    assert max(float(v.abs().max()) for v in g_lr.values()) > 1e-3
    # Closed form: dL'/d alpha = -grad L(theta; D) * grad L'(theta'; D') elementwise.
    g_in = torch.func.grad(maml.loss)(theta, inner[0])
    adapted = maml.adapted(theta, inner, first_order=True, lrs=lrs)
    g_out = torch.func.grad(maml.loss)({k: v.detach() for k, v in adapted.items()}, outer)
    for k in lrs:
        assert torch.allclose(g_lr[k], -g_in[k] * g_out[k], atol=1e-12)
    # Training moves the step sizes; a resumed run continues to the same numbers.
    a = MAML("point-dense", seed=3, learn_inner_lr=True, **TINY).fit(2)
    assert any(not torch.all(v == TINY["inner_lr"]) for v in a.inner_lrs().values())
    b = MAML("point-dense", seed=3, learn_inner_lr=True, **TINY).fit(1)
    b.save(tmp_path / "ckpt")
    c = MAML.load(tmp_path / "ckpt").fit(1)
    for k, v in a.inner_lrs().items():
        assert torch.equal(v, c.inner_lrs()[k]), k
    for k, v in a.params().items():
        assert torch.equal(v, c.params()[k]), k


def test_linear_feature_baseline_is_the_ridge_fit_of_the_returns() -> None:
    from softrl.meta import linear_feature_baseline, pg_surrogate

    rng = np.random.default_rng(0)
    k, length = 4, 6
    obs = torch.as_tensor(rng.normal(size=(k, length, 2)), dtype=torch.float32)
    mask = torch.ones(k, length)
    mask[1, 4:] = 0.0  # one episode ended early: its padding must not count
    batch = EpisodeBatch(obs, torch.zeros(k, length, 2), torch.zeros(k, length), mask)
    returns = torch.as_tensor(rng.normal(size=(k, length)), dtype=torch.float32)
    b = linear_feature_baseline(batch, returns, reg=1e-5)
    # Independent: numpy least squares on the real steps only, ridge by augmented rows.
    rows, target = [], []
    for i in range(k):
        for t in range(length):
            if mask[i, t]:
                o, u = obs[i, t].double().numpy(), t / length
                rows.append(np.concatenate([o, o**2, [u, u**2, u**3, 1.0]]))
                target.append(float(returns[i, t]))
    phi, y = np.array(rows), np.array(target)
    aug = np.vstack([phi, np.sqrt(1e-5) * np.eye(phi.shape[1])])
    w = np.linalg.lstsq(aug, np.concatenate([y, np.zeros(phi.shape[1])]), rcond=None)[0]
    fitted = b[mask.bool()].double().numpy()
    np.testing.assert_allclose(fitted, phi @ w, atol=1e-5)
    # Returns that are a feature combination are explained exactly: advantages ~ 0 before
    # normalization, so the baseline reproduces them.
    exact = 0.5 * obs[..., 0] - obs[..., 1].square() + 2.0
    np.testing.assert_allclose(linear_feature_baseline(batch, exact)[mask.bool()].numpy(),
                               exact[mask.bool()].numpy(), atol=1e-3)
    log_probs = torch.zeros(k, length, requires_grad=True)
    loss = pg_surrogate(log_probs, batch._replace(rewards=returns), 0.0, 1.0, "linear")
    assert torch.isfinite(loss)
    maml = MAML("point-dense", baseline="linear", **TINY).fit(1)
    assert maml.num_steps > 0
    with pytest.raises(ValueError, match="baseline"):
        MAML("point-dense", baseline="mean")
    with pytest.raises(ValueError, match="baseline"):
        pg_surrogate(log_probs, batch, 0.0, 1.0, "mean")
