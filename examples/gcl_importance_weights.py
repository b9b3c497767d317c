"""Guided cost learning's importance weights converge to the exact MaxEnt IRL gradient (seed 004).

Without the dynamics, GCL estimates the partition function Z = int p(tau) exp(R(tau)) dtau of
MaxEnt IRL from trajectories of a proposal q, with w_j = exp(R(tau_j)) / prod_t q(a_t|s_t):

    dL/dr ~ demo counts - sum_j w_j n(tau_j) / sum_j w_j.

On a slippery 4 x 4 gridworld (H = 6, a random current reward r_psi), trajectories run through
the Gymnasium wrapper FiniteMDPEnv; the exact gradient (demo counts minus the posterior
marginals sum_t mu_t, one backward and one forward pass) comes from softrl.irl. Left: the
relative error against M for three proposals: the uniform policy; the uniform policy mixed
half-and-half with the demonstrator's policy (Finn et al.: demos in the proposal); and the
soft-optimal policy of the current reward r_psi, which GCL's inner max-ent policy is trained
toward. All fall like 1/sqrt(M); the last is the best proposal (the reason GCL optimises
its sampler), while the demonstrator helps little while r_psi is far from the demos' reward.
Right: the estimate against the exact gradient at the largest M (mixture proposal).

    python examples/gcl_importance_weights.py          # out/gallery/gcl_importance_weights.png
    python examples/gcl_importance_weights.py --quick
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

from softrl.envs import FiniteMDPEnv, gridworld
from softrl.functional import mixture_log_proposal
from softrl.inference import soft_backward
from softrl.irl import as_demonstrations, demo_stats, irl_objective
from softrl.irl.deep import env_trajectories, gcl_gradient, trajectory_log_prob


def problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    world = gridworld(4, slip=0.1, horizon=6, gamma=1.0, reward=rng.normal(size=16))
    mdp = world.mdp
    expert = soft_backward(mdp, temperature=1.0, backup="optimistic").policy
    env = FiniteMDPEnv(mdp)
    demo_s, demo_a, _ = env_trajectories(env, expert, 50, seed=1)
    stats = demo_stats(mdp, as_demonstrations((demo_s, demo_a), mdp))
    reward = 0.5 * rng.normal(size=(16, 5))
    exact = irl_objective(mdp, reward, stats, 1.0, "trajectory").grad_reward
    # The policy GCL's inner loop aims at: soft-optimal for the current reward r_psi.
    guided = soft_backward(mdp.replace(reward=reward), temperature=1.0,
                           backup="optimistic").policy
    return env, expert, demo_s, demo_a, reward, exact, guided


def estimate(prob, M: int, seed: int, demo_fraction: float, base: str = "uniform"
             ) -> np.ndarray:
    env, expert, demo_s, demo_a, reward, _, guided = prob
    uniform = np.full(expert.shape, 0.2) if base == "uniform" else guided
    n_demo = np.random.default_rng(seed).binomial(M, demo_fraction)
    s1, a1, _ = env_trajectories(env, uniform, M - n_demo, seed=1000 * seed)
    s2, a2, _ = env_trajectories(env, expert, n_demo, seed=1000 * seed + 500_000)
    S, A = np.concatenate([s1, s2]), np.concatenate([a1, a2])
    log_u = torch.as_tensor(trajectory_log_prob(uniform, S, A))
    log_e = torch.as_tensor(trajectory_log_prob(expert, S, A))
    log_q = mixture_log_proposal(log_u, log_e if demo_fraction > 0 else None,
                                 demo_fraction).numpy()
    return gcl_gradient(reward, demo_s, demo_a, S, A, log_q)[0]


def main(out_dir: str | Path = "out/gallery", quick: bool = False) -> dict[str, float]:
    from softrl.plot._mpl import pyplot

    torch.set_num_threads(1)
    prob = problem()
    exact = prob[5]
    Ms = [125, 500, 2000] if quick else [125, 500, 2000, 8000]
    seeds = 6 if quick else 10
    curves: dict[str, list[float]] = {}
    last: np.ndarray | None = None
    proposals = (("uniform policy", 0.0, "uniform"),
                 ("uniform + demonstrator (1/2 each)", 0.5, "uniform"),
                 ("soft-optimal policy of r_psi", 0.0, "guided"))
    for name, frac, base in proposals:
        errs = []
        for M in Ms:
            e = []
            for s in range(seeds):
                g = estimate(prob, M, s, frac, base)
                e.append(np.linalg.norm(g - exact) / np.linalg.norm(exact))
                if frac > 0 and M == Ms[-1] and s == 0:
                    last = g
            errs.append(float(np.mean(e)))
        curves[name] = errs
    slopes = {k: float(np.polyfit(np.log(Ms), np.log(v), 1)[0]) for k, v in curves.items()}

    plt = pyplot()
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4.3))
    for (name, errs), c in zip(curves.items(), ("C0", "C1", "C2"), strict=True):
        ax0.loglog(Ms, errs, "o-", color=c, label=f"{name}: slope {slopes[name]:.2f}")
    ref = curves["uniform policy"][0] * np.sqrt(Ms[0] / np.array(Ms))
    ax0.loglog(Ms, ref, "k--", lw=0.8, label="1/sqrt(M)")
    ax0.set_xticks(Ms, [str(m) for m in Ms])
    ax0.tick_params(axis="x", which="minor", bottom=False, labelbottom=False)
    ax0.set_xlabel("proposal trajectories M")
    ax0.set_ylabel("||GCL estimate - exact|| / ||exact||")
    ax0.set_title(f"GCL gradient vs exact MaxEnt IRL gradient ({seeds} seeds)")
    ax0.legend(fontsize=8)
    assert last is not None
    ax1.scatter(exact.ravel(), last.ravel(), s=10)
    lim = np.abs(exact).max() * 1.1
    ax1.plot([-lim, lim], [-lim, lim], "k--", lw=0.8)
    ax1.set_xlabel("exact dL/dr(s, a)  (demo counts - sum_t mu_t)")
    ax1.set_ylabel("GCL estimate")
    ax1.set_title(f"M = {Ms[-1]}, demos in the proposal")
    fig.tight_layout()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "gcl_importance_weights.png", dpi=110)
    plt.close(fig)
    result = {"slope_uniform": slopes["uniform policy"],
              "slope_mixture": slopes["uniform + demonstrator (1/2 each)"],
              "slope_guided": slopes["soft-optimal policy of r_psi"],
              "error_mixture_largest_M": curves["uniform + demonstrator (1/2 each)"][-1],
              "error_uniform_largest_M": curves["uniform policy"][-1],
              "error_guided_largest_M": curves["soft-optimal policy of r_psi"][-1]}
    for k, v in result.items():
        print(f"{k:>26}: {v:.3f}")
    return result


if __name__ == "__main__":
    main(quick="--quick" in sys.argv[1:])
