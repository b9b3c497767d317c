"""Soft Q-learning = entropy-regularized policy gradient + value regression (seed 002).

With Q(s, a) = T log pi(a|s) + V(s), gradient descent on the soft Q-learning loss and on
T * (policy-gradient loss) + (value loss) take the same steps from the same start on the same
sampled transitions (s, a, r, s'), and both reach the exact soft-optimal Q of `soft_backward`.

    python examples/soft_q_pg_equivalence.py   # out/gallery/soft_q_pg_equivalence.png
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

from softrl.envs import gridworld
from softrl.inference import soft_backward
from softrl.tabular import sample_next_states, soft_q_pg_losses


def run(mdp, temperature: float, n_iter: int, form: str, seed: int = 0, draws: int = 32,
        lr: float = 0.3, decay: float = 100.0) -> tuple[np.ndarray, list[np.ndarray]]:
    """Gradient descent on one form; each step uses ``draws`` sampled s' per live (s, a).

    The sample stream depends only on ``seed``, so both forms see the same transitions. The
    step size is lr / (1 + k / decay) (decaying, as sampled targets need).
    """
    S, A = mdp.shape
    live = ~mdp.terminal
    pairs = np.tile(np.flatnonzero(np.repeat(live, A)), draws)
    s_np, a_np = pairs // A, pairs % A
    s_idx, a_idx = torch.as_tensor(s_np), torch.as_tensor(a_np)
    reward = torch.as_tensor(np.array(mdp.reward))[s_idx, a_idx]
    terminal = torch.as_tensor(mdp.terminal.astype(np.float64))
    rng = np.random.default_rng(seed)
    theta_pi = torch.zeros(S, A, dtype=torch.float64, requires_grad=True)
    theta_v = torch.zeros(S, dtype=torch.float64, requires_grad=True)
    exact = soft_backward(mdp, temperature=temperature).Q
    errors, history = [], []
    for k in range(n_iter):
        s_next = torch.as_tensor(sample_next_states(mdp, s_np, a_np, rng))
        loss_q, loss_pg, loss_v = soft_q_pg_losses(
            theta_pi, theta_v, s_idx, a_idx, reward, s_next, terminal[s_next], temperature,
            mdp.gamma)
        loss = (loss_q if form == "soft_q" else temperature * loss_pg + loss_v) / draws
        g_pi, g_v = torch.autograd.grad(loss, (theta_pi, theta_v))
        step = lr / (1.0 + k / decay)
        with torch.no_grad():
            theta_pi -= step * g_pi
            theta_v -= step * g_v
            Q = (temperature * torch.log_softmax(theta_pi, -1) + theta_v[:, None]).numpy()
        errors.append(float(np.abs(Q - exact)[live].max()))
        history.append(Q.copy())
    return np.asarray(errors), history


def main(out_dir: str | Path = "out/gallery", fast: bool = False) -> dict[str, float]:
    """Run both forms on the same samples, plot the error curves, return the claim's numbers."""
    mdp = gridworld(4, slip=0.1, gamma=0.9).mdp
    T, n_iter = 0.5, (400 if fast else 3000)
    err_q, hist_q = run(mdp, T, n_iter, "soft_q")
    err_pg, hist_pg = run(mdp, T, n_iter, "pg")
    max_gap = float(max(np.abs(a - b).max() for a, b in zip(hist_q, hist_pg, strict=True)))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.loglog(np.arange(1, n_iter + 1), err_q, lw=4, alpha=0.4, label="soft Q-learning loss")
    ax.loglog(np.arange(1, n_iter + 1), err_pg, "--", color="black",
              label="T x policy gradient + value regression")
    ax.set_xlabel("gradient step (32 sampled s' per (s, a), same samples for both)")
    ax.set_ylabel("max |Q - Q*| (Q* from soft_backward)")
    ax.set_title(f"slippery 4x4 gridworld, T = {T:g}: runs differ by at most {max_gap:.0e}",
                 fontsize=10)
    ax.legend()
    fig.tight_layout()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "soft_q_pg_equivalence.png", dpi=110)
    plt.close(fig)
    return {"max_gap_between_runs": max_gap, "final_error_soft_q": float(err_q[-1]),
            "final_error_pg": float(err_pg[-1]), "initial_error": float(err_q[0])}


if __name__ == "__main__":
    for key, value in main(*(sys.argv[1:2])).items():
        print(f"{key:>24}: {value:.3g}")
