"""The REINFORCE estimator of the entropy-regularized objective is unbiased: its Monte-Carlo
mean matches the exact gradient of J(theta) = E[sum_t gamma^t (r_t - T log pi_theta)] computed
by autograd through an exact forward pass (itself checked against softrl.inference.elbo)."""

import numpy as np
import pytest
import torch

from mdp_factories import make_random_mdp
from softrl.functional import soft_reinforce_loss, soft_returns_to_go
from softrl.inference import elbo
from softrl.mdp import sample_trajectories

T, GAMMA, H = 0.7, 0.9, 3


def exact_objective(mdp, theta: torch.Tensor) -> torch.Tensor:
    """J(theta) by propagating the state distribution forward (differentiable)."""
    S, A = mdp.shape
    P = torch.as_tensor(np.array(mdp.transitions.toarray().reshape(S, A, S)))
    r = torch.as_tensor(np.array(mdp.reward))
    log_pi = torch.log_softmax(theta, dim=-1)
    d = torch.as_tensor(np.array(mdp.initial))
    J = torch.zeros((), dtype=torch.float64)
    for t in range(theta.shape[0]):
        m = d[:, None] * log_pi[t].exp()  # d_t(s) pi_t(a|s)
        J = J + GAMMA**t * (m * (r - T * log_pi[t])).sum()
        d = torch.einsum("sa,sap->p", m, P)
    return J


@pytest.fixture(scope="module")
def problem():
    mdp = make_random_mdp(4, S=3, A=2, gamma=GAMMA, horizon=H)
    theta = torch.tensor(np.random.default_rng(1).normal(size=(H, 3, 2)), requires_grad=True)
    J = exact_objective(mdp, theta)
    (grad,) = torch.autograd.grad(J, theta)
    return mdp, theta, J, grad


def test_exact_objective_is_temperature_times_the_elbo(problem) -> None:
    mdp, theta, J, _ = problem
    pi = torch.softmax(theta, -1).detach().numpy()
    assert abs(float(J.detach()) - T * elbo(mdp, pi, temperature=T)) < 1e-12


def per_episode_gradients(mdp, theta, traj, baseline):
    """The estimator's terms g_i = sum_t gamma^t (onehot(a_t) - pi_t(.|s_t)) (G_t - b_t) in
    closed form for the softmax, shape (N, H, S, A); their mean and spread set the tolerance."""
    pi = torch.softmax(theta, -1).detach().numpy()
    N = traj.actions.shape[0]
    t = np.arange(H)[None].repeat(N, 0)
    s, a = traj.states[:, :-1], traj.actions
    log_pi = np.log(pi[t, s, a])
    G = soft_returns_to_go(torch.as_tensor(traj.rewards), torch.as_tensor(log_pi), T,
                           GAMMA).numpy()
    w = GAMMA**t * (G - baseline[t, s])
    g = np.zeros((N, H, 3, 2))
    rows = np.arange(N)[:, None].repeat(H, 1)
    np.add.at(g, (rows, t, s, a), w)
    np.add.at(g, (rows, t, s), -w[..., None] * pi[t, s])
    return g, torch.as_tensor(log_pi), w


@pytest.mark.parametrize("with_baseline", [False, True])
def test_reinforce_expectation_matches_the_exact_gradient(problem, with_baseline) -> None:
    mdp, theta, _, exact = problem
    pi = torch.softmax(theta, -1).detach().numpy()
    traj = sample_trajectories(mdp, pi, 20_000, seed=0)
    assert (traj.lengths == H).all()
    baseline = (np.random.default_rng(2).normal(size=(H + 1, 3)) if with_baseline
                else np.zeros((H + 1, 3)))
    g, _, _ = per_episode_gradients(mdp, theta, traj, baseline)
    # The same estimate through the pure function and autograd.
    t = np.arange(H)[None].repeat(len(traj), 0)
    s, a = torch.as_tensor(traj.states[:, :-1]), torch.as_tensor(traj.actions)
    log_pi = torch.log_softmax(theta, -1)[torch.as_tensor(t), s, a]
    b = torch.as_tensor(baseline[t, traj.states[:, :-1]])
    loss = soft_reinforce_loss(log_pi, torch.as_tensor(traj.rewards), T, GAMMA,
                               baseline=b if with_baseline else None)
    (estimate,) = torch.autograd.grad(-loss, theta)
    np.testing.assert_allclose(estimate.numpy(), g.mean(0), atol=1e-12)
    # Unbiased: within 5 standard errors of the exact gradient, component by component.
    se = g.std(0) / np.sqrt(len(traj))
    assert (np.abs(estimate.numpy() - exact.numpy()) < 5 * se + 1e-9).all()
    assert np.abs(exact.numpy()).max() > 20 * se.max()  # the tolerance can catch a bias


def test_dropping_the_entropy_bonus_is_caught(problem) -> None:
    """With T = 0 in the returns the estimate converges to another gradient (the test above
    would fail for an estimator that forgot -T log pi)."""
    mdp, theta, _, exact = problem
    pi = torch.softmax(theta, -1).detach().numpy()
    traj = sample_trajectories(mdp, pi, 20_000, seed=0)
    t = torch.as_tensor(np.arange(H)[None].repeat(len(traj), 0))
    log_pi = torch.log_softmax(theta, -1)[t, torch.as_tensor(traj.states[:, :-1]),
                                           torch.as_tensor(traj.actions)]
    loss = soft_reinforce_loss(log_pi, torch.as_tensor(traj.rewards), 0.0, GAMMA)
    (estimate,) = torch.autograd.grad(-loss, theta)
    assert np.abs(estimate.numpy() - exact.numpy()).max() > 0.05


def test_soft_returns_to_go_by_hand() -> None:
    r = torch.tensor([[1.0, 2.0, 3.0], [1.0, 5.0, 0.0]], dtype=torch.float64)
    lp = torch.tensor([[-0.5, -1.0, -2.0], [-1.0, -0.1, -9.0]], dtype=torch.float64)
    mask = torch.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]], dtype=torch.float64)
    G = soft_returns_to_go(r, lp, 0.5, 0.9, mask)
    soft0 = [1.25, 2.5, 4.0]
    g2 = soft0[2]
    g1 = soft0[1] + 0.9 * g2
    expected0 = [soft0[0] + 0.9 * g1, g1, g2]
    np.testing.assert_allclose(G[0].numpy(), expected0)
    np.testing.assert_allclose(G[1].numpy(), [1.5 + 0.9 * 5.05, 5.05, 0.0])


def test_bad_arguments_name_the_field() -> None:
    r = torch.zeros(2, 3, dtype=torch.float64)
    with pytest.raises(ValueError, match="'temperature'"):
        soft_reinforce_loss(r, r, -1.0)
    with pytest.raises(ValueError, match="'gamma'"):
        soft_reinforce_loss(r, r, 1.0, gamma=1.5)
    with pytest.raises(ValueError, match="log_probs"):
        soft_reinforce_loss(r[:, :2], r, 1.0)
    with pytest.raises(ValueError, match="baseline"):
        soft_reinforce_loss(r, r, 1.0, baseline=torch.zeros(3))


def test_clipped_surrogate_by_hand() -> None:
    """PPO's clipped surrogate of the soft advantage: the loss and its gradient by hand."""
    import torch

    from softrl.functional import entropy_pg_loss

    old = torch.log(torch.tensor([0.5, 0.5, 0.2, 0.4], dtype=torch.float64))
    new = torch.log(torch.tensor([0.7, 0.3, 0.2, 0.2], dtype=torch.float64)).requires_grad_()
    adv = torch.tensor([1.0, -2.0, 3.0, -1.0], dtype=torch.float64)
    zero = torch.zeros(4, dtype=torch.float64)
    policy, _ = entropy_pg_loss(new, adv, zero, zero, zero, 0.0, old_log_probs=old,
                                clip_range=0.2)
    # rho = 1.4, 0.6, 1.0, 0.5; min(rho A, clip(rho) A) = 1.2, -1.6, 3.0, -0.8 (the last two:
    # rho A = 3.0 unclipped; rho = 0.5 with A < 0 -> min(-0.5, -0.8) = -0.8, clipped, no grad).
    assert abs(float(policy.detach()) - (-(1.2 - 1.6 + 3.0 - 0.8) / 4)) < 1e-12
    policy.backward()
    # Gradient d/dlog pi of -(1/4) rho A where unclipped (items 1 and 2: rho = 0.6 with A < 0
    # takes min(-1.2, -1.6) = -1.6, clipped), zero where clipped.
    expected = torch.tensor([0.0, 0.0, -3.0 / 4, 0.0], dtype=torch.float64)
    torch.testing.assert_close(new.grad, expected)
    # At rho = 1 the clipped and plain losses have the same gradient.
    lp = old.clone().requires_grad_()
    entropy_pg_loss(lp, adv, zero, zero, zero, 0.0, old_log_probs=old,
                    clip_range=0.2)[0].backward()
    lp2 = old.clone().requires_grad_()
    entropy_pg_loss(lp2, adv, zero, zero, zero, 0.0)[0].backward()
    torch.testing.assert_close(lp.grad, lp2.grad)
    import pytest

    with pytest.raises(ValueError, match="old_log_probs"):
        entropy_pg_loss(lp, adv, zero, zero, zero, 0.0, clip_range=0.2)
    with pytest.raises(ValueError, match="clip_range"):
        entropy_pg_loss(lp, adv, zero, zero, zero, 0.0, old_log_probs=old, clip_range=-1.0)
