"""Sample-based soft Q-learning and entropy-regularized policy gradient converge to what the
exact engine computes (seeds 002, 003).

Left: ||Q - Q*||_inf of soft Q-learning (the soft max target) against the number of sampled
transitions, Q* from `soft_backward`. Right: KL from the exact soft-optimal policy of
REINFORCE on the reward r - T log pi and of the actor-critic form.

    python examples/tabular_soft_q_and_pg.py    # out/gallery/tabular_soft_q_and_pg.png
"""

from __future__ import annotations

import sys
from pathlib import Path

from softrl.envs import gridworld
from softrl.inference import soft_backward
from softrl.tabular import entropy_pg, soft_q_learning


def main(out_dir: str | Path = "out/gallery", fast: bool = False) -> dict[str, float]:
    """Run both learners on a slippery 3x3 gridworld; plot; return the final errors."""
    world = gridworld(3, slip=0.1, gamma=0.5)
    mdp_inf = world.mdp
    mdp_fin = gridworld(3, slip=0.1, horizon=4, gamma=1.0).mdp
    T = 1.0
    n_q, n_pg = (4000, 600) if fast else (40_000, 1500)
    exact = soft_backward(mdp_inf, temperature=T)
    sq = soft_q_learning(mdp_inf, T, n_q, seed=0, Q_ref=exact.Q, record_every=n_q // 40)
    pgs = {est: entropy_pg(mdp_fin, T, n_pg, episodes_per_iteration=128, lr=0.3,
                           estimator=est, record_every=max(n_pg // 30, 1))
           for est in ("reinforce", "actor_critic")}

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
    n_pairs = sq.samples // n_q
    x = [(i + 1) * (n_q // 40) * n_pairs for i in range(len(sq.errors))]
    ax1.loglog(x, sq.errors, label="soft Q-learning")
    ax1.loglog(x, [sq.errors[0] * (x[0] / v) ** 0.5 for v in x], ":", color="gray",
               label="1/sqrt(n)")
    ax1.set_xlabel("sampled transitions")
    ax1.set_ylabel("max |Q - Q*|  (Q* = soft_backward)")
    ax1.legend()
    for est, res in pgs.items():
        step = max(n_pg // 30, 1)
        ax2.semilogy([(i + 1) * step for i in range(len(res.kl))], res.kl, label=est)
    ax2.set_xlabel("policy-gradient step (128 episodes each)")
    ax2.set_ylabel("E_d*[KL(pi* || pi)]")
    ax2.legend()
    fig.suptitle(f"slippery 3x3 gridworld, temperature {T:g}")
    fig.tight_layout()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "tabular_soft_q_and_pg.png", dpi=110)
    plt.close(fig)
    return {"soft_q_error": float(sq.errors[-1]), "soft_q_first_error": float(sq.errors[0]),
            "kl_reinforce": float(pgs["reinforce"].kl[-1]),
            "kl_actor_critic": float(pgs["actor_critic"].kl[-1])}


if __name__ == "__main__":
    for key, value in main(*(sys.argv[1:2])).items():
        print(f"{key:>20}: {value:.3g}")
