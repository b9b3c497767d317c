"""Soft Q-learning = entropy-regularized policy gradient + value regression (seed 002).

With Q(s, a) = T log pi(a|s) + V(s), gradient descent on the soft Q-learning loss and on
T * (policy-gradient loss) + (value loss) take the same steps from the same start on the same
batches, and both reach the exact soft-optimal Q of `soft_backward`.

    python examples/soft_q_pg_equivalence.py   # out/gallery/soft_q_pg_equivalence.png
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

from softrl.envs import gridworld
from softrl.inference import soft_backward
from softrl.tabular import soft_q_pg_losses


def run(mdp, temperature: float, n_iter: int, lr: float, form: str) -> tuple[np.ndarray, list]:
    """Full-batch gradient descent over every (s, a) with the expected next state value."""
    S, A = mdp.shape
    P = torch.as_tensor(mdp.transitions.toarray().reshape(S, A, S))
    live = torch.as_tensor(~mdp.terminal)
    s_idx, a_idx = torch.meshgrid(torch.arange(S), torch.arange(A), indexing="ij")
    s_idx, a_idx = s_idx[live].reshape(-1), a_idx[live].reshape(-1)
    reward = torch.as_tensor(np.array(mdp.reward))[s_idx, a_idx]
    theta_pi = torch.zeros(S, A, dtype=torch.float64, requires_grad=True)
    theta_v = torch.zeros(S, dtype=torch.float64, requires_grad=True)
    exact = soft_backward(mdp, temperature=temperature).Q
    errors, history = [], []
    for _ in range(n_iter):
        with torch.no_grad():  # E_{s'}[V(s')] enters the batch as a "reward" of a
            v_next = (P[s_idx, a_idx] * torch.where(live, theta_v, 0.0)).sum(-1)
        # next_states point at a dummy zero-value slot: the expectation is in the reward.
        loss_q, loss_pg, loss_v = soft_q_pg_losses(
            theta_pi, theta_v, s_idx, a_idx, reward + mdp.gamma * v_next,
            s_idx, torch.ones(len(s_idx), dtype=torch.float64), temperature, mdp.gamma)
        loss = loss_q if form == "soft_q" else temperature * loss_pg + loss_v
        g_pi, g_v = torch.autograd.grad(loss, (theta_pi, theta_v))
        with torch.no_grad():
            theta_pi -= lr * g_pi
            theta_v -= lr * g_v
            Q = temperature * torch.log_softmax(theta_pi, -1) + theta_v[:, None]
        err = np.abs(Q.numpy() - exact)[~mdp.terminal].max()
        errors.append(float(err))
        history.append(Q.numpy().copy())
    return np.asarray(errors), history


def main(out_dir: str | Path = "out/gallery", fast: bool = False) -> dict[str, float]:
    """Run both forms, plot the error curves, return the numbers of the claim."""
    mdp = gridworld(4, slip=0.1, gamma=0.9).mdp
    T, n_iter, lr = 0.5, (400 if fast else 3000), 0.2
    err_q, hist_q = run(mdp, T, n_iter, lr, "soft_q")
    err_pg, hist_pg = run(mdp, T, n_iter, lr, "pg")
    max_gap = float(max(np.abs(a - b).max() for a, b in zip(hist_q, hist_pg, strict=True)))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.semilogy(err_q, lw=3, alpha=0.5, label="soft Q-learning loss")
    ax.semilogy(err_pg, "--", color="black", label="T x policy gradient + value regression")
    ax.set_xlabel("gradient step (full batch, expected next value)")
    ax.set_ylabel("max |Q - Q*| (Q* from soft_backward)")
    ax.set_title(f"Same steps: largest difference between the runs {max_gap:.1e}")
    ax.legend()
    fig.tight_layout()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "soft_q_pg_equivalence.png", dpi=110)
    plt.close(fig)
    result = {"max_gap_between_runs": max_gap, "final_error_soft_q": float(err_q[-1]),
              "final_error_pg": float(err_pg[-1]), "initial_error": float(err_q[0])}
    return result


if __name__ == "__main__":
    for key, value in main(*(sys.argv[1:2])).items():
        print(f"{key:>24}: {value:.3g}")
