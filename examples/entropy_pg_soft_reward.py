"""Entropy-regularized policy gradient is REINFORCE on the reward r - T log pi (seed 002).

J(theta) = E[sum_t gamma^t (r_t + T H(pi(.|s_t)))] = E[sum_t gamma^t (r_t - T log pi(a_t|s_t))]
for a tabular softmax policy pi_theta(a|s) = softmax(theta[s]) on a slippery gridworld. Its
gradient is computed exactly, without sampling, by torch autograd through the forward recursion
of the state distribution (float64)

    d_0 = p(s_0),   d_{t+1}(s') = sum_{s, a} d_t(s) pi(a|s) p(s'|s, a)   (live s only),
    J = sum_{t < H} gamma^t sum_s d_t(s) sum_a pi(a|s) (r(s, a) - T log pi(a|s)),

and compared with the REINFORCE estimate of `soft_reinforce_loss` from M sampled episodes.
With the soft reward the relative error falls like 1/sqrt(M); forgetting -T log pi (T = 0 in
the loss) converges to the gradient of the plain return instead, an error floor equal to the
exact entropy term's gradient T grad E[sum_t gamma^t H(pi(.|s_t))].

    python examples/entropy_pg_soft_reward.py            # out/gallery/entropy_pg_soft_reward.png
    python examples/entropy_pg_soft_reward.py --quick    # M up to 1e4, a few seconds
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from softrl.envs import gridworld
from softrl.functional import soft_reinforce_loss
from softrl.mdp import FiniteMDP, sample_trajectories


def exact_objective(theta: Tensor, mdp: FiniteMDP, temperature: float) -> Tensor:
    """J(theta) by the forward recursion of d_t (see the module docstring); differentiable.

    Terminal states take no action (no reward, no entropy) and hold their mass, as in
    `sample_trajectories`.
    """
    kw = {"dtype": theta.dtype, "device": theta.device}
    P = torch.as_tensor(mdp.dense_transitions(), **kw)  # (S, A, S)
    reward = torch.as_tensor(np.array(mdp.reward), **kw)
    live = torch.as_tensor(~mdp.terminal, **kw)
    log_pi = torch.log_softmax(theta, dim=-1)
    pi = log_pi.exp()
    per_state = (pi * (reward - temperature * log_pi)).sum(-1) * live  # (S,)
    flow = torch.einsum("sa,sat->st", pi, P) * live[:, None]  # P_pi(s, s') from live s
    d = torch.as_tensor(np.array(mdp.initial), **kw)
    J = torch.zeros((), **kw)
    for t in range(mdp.horizon):
        J = J + mdp.gamma**t * (d @ per_state)
        d = d @ flow
    return J


def exact_gradient(theta: np.ndarray, mdp: FiniteMDP, temperature: float) -> np.ndarray:
    """grad_theta J by autograd through :func:`exact_objective`, float64, shape (S, A)."""
    th = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(exact_objective(th, mdp, temperature), th)
    return grad.numpy()


def finite_difference_gradient(theta: np.ndarray, mdp: FiniteMDP, temperature: float,
                               eps: float = 1e-5) -> np.ndarray:
    """Central differences (J(theta + eps e_i) - J(theta - eps e_i)) / 2 eps of the exact J."""
    def J(x: np.ndarray) -> float:
        return float(exact_objective(torch.as_tensor(x), mdp, temperature))

    grad = np.zeros_like(theta)
    for i in np.ndindex(theta.shape):
        step = np.zeros_like(theta)
        step[i] = eps
        grad[i] = (J(theta + step) - J(theta - step)) / (2 * eps)
    return grad


def reinforce_gradient(theta: np.ndarray, mdp: FiniteMDP, temperature: float, n: int,
                       seed: int) -> np.ndarray:
    """Minus the gradient of `soft_reinforce_loss` on ``n`` sampled episodes of pi_theta."""
    th = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    log_pi_table = torch.log_softmax(th, dim=-1)
    traj = sample_trajectories(mdp, log_pi_table.detach().exp().numpy(), n, seed=seed)
    steps = torch.as_tensor(traj.actions >= 0)
    s_t = torch.as_tensor(np.where(traj.actions >= 0, traj.states[:, :-1], 0))
    a_t = torch.as_tensor(np.where(traj.actions >= 0, traj.actions, 0))
    log_probs = log_pi_table[s_t, a_t]
    loss = soft_reinforce_loss(log_probs, torch.as_tensor(traj.rewards), temperature,
                               gamma=mdp.gamma, mask=steps.to(torch.float64))
    (grad,) = torch.autograd.grad(loss, th)
    return -grad.numpy()


def main(out_dir: str | Path = "out/gallery", fast: bool = False,
         temperature: float = 0.2) -> dict[str, float]:
    """Exact gradient vs REINFORCE estimates over M; plot; return the claim's numbers."""
    torch.set_num_threads(1)
    mdp = gridworld(3, slip=0.2, gamma=1.0, horizon=5).mdp
    T = temperature
    theta = np.random.default_rng(13).normal(size=mdp.shape)
    g_soft = exact_gradient(theta, mdp, T)
    g_plain = exact_gradient(theta, mdp, 0.0)  # gradient of the return alone
    g_fd = finite_difference_gradient(theta, mdp, T)
    norm = np.linalg.norm(g_soft)

    m_max, repeats = (10_000, 6) if fast else (100_000, 20)
    sizes = np.unique(np.round(np.logspace(1, np.log10(m_max), 9)).astype(int))
    rel_soft, rel_plain, rel_plain_own = [], [], []
    seeds = np.random.SeedSequence(0).generate_state(len(sizes) * repeats).reshape(len(sizes), -1)
    last_soft = last_plain = None
    for m, row in zip(sizes, seeds, strict=True):
        e_soft, e_plain, e_own = [], [], []
        for seed in row:  # the two estimators on the same episodes
            est_soft = reinforce_gradient(theta, mdp, T, int(m), int(seed))
            est_plain = reinforce_gradient(theta, mdp, 0.0, int(m), int(seed))
            e_soft.append(np.sum((est_soft - g_soft) ** 2))
            e_plain.append(np.sum((est_plain - g_soft) ** 2))
            e_own.append(np.sum((est_plain - g_plain) ** 2))
        rel_soft.append(np.sqrt(np.mean(e_soft)) / norm)
        rel_plain.append(np.sqrt(np.mean(e_plain)) / norm)
        rel_plain_own.append(np.sqrt(np.mean(e_own)) / np.linalg.norm(g_plain))
        last_soft, last_plain = est_soft, est_plain
    rel_soft, rel_plain = np.asarray(rel_soft), np.asarray(rel_plain)
    slope = float(np.polyfit(np.log(sizes), np.log(rel_soft), 1)[0])
    floor = float(np.linalg.norm(g_soft - g_plain) / norm)  # |T grad E[sum H]| / |grad J|

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    ax1.loglog(sizes, rel_soft, "o-", label="REINFORCE on r - T log pi")
    ax1.loglog(sizes, rel_plain, "s-", label="REINFORCE on r (forgets -T log pi)")
    ax1.loglog(sizes, rel_plain_own, ":", color="C1", alpha=0.7,
               label="REINFORCE on r, rel. error from grad E[sum r]")
    ax1.loglog(sizes, rel_soft[0] * (sizes / sizes[0]) ** -0.5, "--", color="gray",
               label="slope -1/2")
    ax1.axhline(floor, color="C3", lw=1,
                label=f"|T grad E[sum H]| / |grad J| = {floor:.2f}")
    ax1.set_xlabel(f"sampled episodes M (RMS over {repeats} draws)")
    ax1.set_ylabel("|estimate - grad J| / |grad J|")
    ax1.set_title(f"fitted slope {slope:.2f}; exact grad J = finite differences "
                  f"to {np.abs(g_fd - g_soft).max():.0e}", fontsize=10)
    ax1.legend(fontsize=8)
    lim = 1.1 * max(np.abs(g_soft).max(), np.abs(last_plain).max())
    ax2.plot([-lim, lim], [-lim, lim], color="gray", lw=1)
    ax2.plot(g_soft.ravel(), last_soft.ravel(), "o", label="REINFORCE on r - T log pi")
    ax2.plot(g_soft.ravel(), last_plain.ravel(), "s", mfc="none",
             label="REINFORCE on r")
    ax2.set_xlabel("exact dJ/dtheta(s, a) (autograd through d_t)")
    ax2.set_ylabel(f"estimate from M = {sizes[-1]:,} episodes")
    ax2.set_title(f"slippery 3x3 gridworld, H = {mdp.horizon}, T = {T:g}, "
                  f"{theta.size} logits", fontsize=10)
    ax2.legend(fontsize=8)
    fig.tight_layout()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "entropy_pg_soft_reward.png", dpi=110)
    plt.close(fig)
    return {"slope": slope,
            "finite_difference_error": float(np.abs(g_fd - g_soft).max()),
            "largest_m": float(sizes[-1]),
            "rel_error_soft_at_largest_m": float(rel_soft[-1]),
            "rel_error_plain_at_largest_m": float(rel_plain[-1]),
            "plain_own_rel_error_at_largest_m": float(rel_plain_own[-1]),
            "entropy_gradient_floor": floor,
            "exact_gradient_norm": float(norm)}


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--quick"]
    for key, value in main(*args[:1], fast="--quick" in sys.argv[1:]).items():
        print(f"{key:>32}: {value:.3g}")
