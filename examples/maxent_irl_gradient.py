"""MaxEnt IRL's gradient from mu_t ∝ alpha beta, and the reward it recovers (seed 004).

The demonstrations' log-likelihood under p(tau | O) ∝ p(tau) exp(sum_t r_psi(s_t, a_t) / T) is
L(psi) = (1/N) sum_i sum_t r_psi(s_t^i, a_t^i) / T - log Z(psi), and its gradient for a tabular
state reward is (demo counts - sum_t mu_t(s)) / T, with the posterior marginals
mu_t(s, a) = alpha_t(s) beta_t(s, a) / p(O) from one forward and one backward pass. Here mu_t
is built from softrl's forward messages and backward Q, the gradient is checked against
central finite differences of L, and MaxEntIRL recovers the reward from 1,000 demonstrations.

    python examples/maxent_irl_gradient.py          # out/gallery/maxent_irl_gradient.png
    python examples/maxent_irl_gradient.py --quick  # 4 x 4 grid, H = 10, 200 demonstrations
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from softrl.envs import GridWorld, gridworld
from softrl.inference import forward_messages, log_evidence, soft_backward
from softrl.irl import MaxEntIRL, epic_distance
from softrl.mdp import sample_trajectories
from softrl.plot import plot_grid_values
from softrl.plot._mpl import pyplot

T = 1.0


def true_world(n: int, horizon: int) -> GridWorld:
    """An n x n grid (5 actions with stay, deterministic, gamma 1), start top-left: reward 2 in
    the bottom-right corner, -1 in the centre column's middle cells, 0 elsewhere."""
    reward = np.zeros((n, n))
    reward[-1, -1] = 2.0
    reward[1:-1, n // 2] = -1.0
    return gridworld(n, slip=0.0, reward=reward.ravel(), gamma=1.0, horizon=horizon,
                     start=(0, 0))


def mu_from_messages(world: GridWorld, reward: np.ndarray) -> np.ndarray:
    """sum_t mu_t(s, a), mu_t(s, a) = alpha_t(s) beta_t(s, a) / p(O) (seed 004), (S, A).

    alpha_t from forward_messages, log beta_t(s, a) = Q_t(s, a) / T from the exact
    (optimistic) backward pass, p(O) = exp(log_evidence).
    """
    mdp = world.mdp.replace(reward=reward)
    log_alpha = forward_messages(mdp, T)[:-1]  # (H, S)
    log_beta_sa = soft_backward(mdp, T, backup="optimistic").Q / T  # (H, S, A)
    return np.exp(log_alpha[:, :, None] + log_beta_sa - log_evidence(mdp, T)).sum(axis=0)


def log_likelihood(world: GridWorld, r_state: np.ndarray, counts: np.ndarray) -> float:
    """L = sum_{s,a} counts(s, a) r(s) / T - log Z for a state reward r (S,)."""
    mdp = world.mdp.replace(reward=r_state)
    return float((counts.sum(axis=1) * r_state).sum() / T - log_evidence(mdp, T))


def main(out_dir: str | Path = "out/gallery", fast: bool = False) -> dict[str, float]:
    """Gradient check at a random reward, then the IRL fit; draw both, return the numbers."""
    n, horizon, n_demos = (4, 10, 200) if fast else (5, 12, 1000)
    world = true_world(n, horizon)
    mdp = world.mdp
    S, A = mdp.shape
    # Demonstrations from p(tau | O): one start state, deterministic moves, so the posterior
    # policy alone generates them (no tilt of p(s_0) or of the dynamics).
    expert = soft_backward(mdp, T, backup="optimistic").policy
    demos = sample_trajectories(mdp, expert, n_demos, seed=0)
    counts = np.zeros((S, A))  # (1/N) sum_i sum_t 1[s_t^i = s, a_t^i = a]
    for s_row, a_row in zip(demos.states[:, :-1], demos.actions, strict=True):
        np.add.at(counts, (s_row, a_row), 1.0 / n_demos)

    # Gradient at a random reward: from alpha beta, and by central finite differences.
    r0 = np.random.default_rng(1).normal(size=S)
    grad = (counts - mu_from_messages(world, np.repeat(r0[:, None], A, 1))).sum(axis=1) / T
    eps, fd = 1e-5, np.empty(S)
    for s in range(S):
        e = np.zeros(S)
        e[s] = eps
        fd[s] = (log_likelihood(world, r0 + e, counts)
                 - log_likelihood(world, r0 - e, counts)) / (2 * eps)

    irl = MaxEntIRL("state", temperature=T, l2=1e-2, max_iter=300).fit(mdp, demos)
    learned = irl.reward_[:, 0]
    true = mdp.reward[:, 0]
    mu_fit = mu_from_messages(world, irl.reward_)
    result = {"max_grad_error": float(np.abs(grad - fd).max()),
              "max_grad": float(np.abs(grad).max()),
              "epic": float(epic_distance(irl.reward_, mdp.reward, mdp)),
              "correlation": float(np.corrcoef(learned, true)[0, 1]),
              "count_gap_after_fit": float(np.abs(counts.sum(1) - mu_fit.sum(1)).max())}

    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
    axes[0].plot(fd, grad, "o", ms=5)
    lim = np.abs(fd).max() * 1.1
    axes[0].plot([-lim, lim], [-lim, lim], color="gray", lw=0.8)
    axes[0].set_xlabel("dL/dr(s) by central finite differences of log Z")
    axes[0].set_ylabel("(demo counts - sum_t mu_t(s)) / T, mu ∝ alpha beta")
    axes[0].set_title(f"gradient at a random reward: max error {result['max_grad_error']:.1e}",
                      fontsize=9)
    plot_grid_values(world, true - true.mean(), ax=axes[1], annotate=True,
                     title="true reward r(s) (centred)")
    plot_grid_values(world, learned - learned.mean(), irl.policy_[0], ax=axes[2],
                     annotate=True,
                     title=f"MaxEnt IRL, {n_demos} demos (centred): EPIC {result['epic']:.3f}")
    fig.suptitle(f"MaxEnt IRL on a deterministic {n} x {n} grid, H = {horizon}, T = {T:g}")
    fig.tight_layout()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "maxent_irl_gradient.png", dpi=105)
    plt.close(fig)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="4 x 4 grid, H = 10, 200 demonstrations")
    parser.add_argument("--out", default="out/gallery")
    args = parser.parse_args()
    for key, value in main(args.out, fast=args.quick).items():
        print(f"{key:>20}: {value:.4g}")
