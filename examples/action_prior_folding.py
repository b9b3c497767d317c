"""The action prior folds into the reward (seed 004, proof 1), checked numerically.

With a non-uniform action prior p(a|s) the backward pass reads
    V(s) = T log sum_a exp((Q(s, a) + T log p(a|s)) / T),   Q = r + backup[V(s')],
and with Q~ = r + T log p(a|s) + backup[V(s')] it is the uniform-prior pass on the reward
r~ = r + T log p(a|s). Here the first form (numpy, the prior inside the soft max) and softrl's
uniform-prior pass on r~ give the same V and the same posterior policy
p(a|s, O) = p(a|s) exp((Q - V)/T) = exp((Q~ - V)/T), for the exact and the variational backup.

    python examples/action_prior_folding.py   # out/gallery/action_prior_folding.png
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy.special import logsumexp

from softrl.envs import garnet
from softrl.inference import soft_backward
from softrl.mdp import FiniteMDP
from softrl.plot._mpl import pyplot


def problem(seed: int = 0, n_states: int = 20, horizon: int = 8) -> tuple[FiniteMDP, np.ndarray]:
    """A Garnet MDP (4 actions, 3 successors, gamma = 1) and a Dirichlet(0.5) prior p(a|s)."""
    mdp = garnet(n_states, 4, 3, seed=seed, gamma=1.0, horizon=horizon)
    prior = np.random.default_rng(seed + 1).dirichlet(np.full(4, 0.5), size=n_states)
    return mdp, prior


def prior_in_softmax(mdp: FiniteMDP, prior: np.ndarray, T: float, backup: str
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Seed 004's first form with dense numpy: the prior inside the soft max over actions.

    Returns V (H + 1, S) and the posterior policy p(a|s) exp((Q - V)/T) (H, S, A).
    """
    P, r, H = mdp.dense_transitions(), mdp.reward, mdp.horizon
    V = np.zeros((H + 1, mdp.n_states))
    pi = np.zeros((H, *mdp.shape))
    for t in range(H - 1, -1, -1):
        if backup == "optimistic":  # T log E exp(V'/T)
            nxt = T * logsumexp(V[t + 1] / T, b=P, axis=-1)
        else:  # E[V']
            nxt = P @ V[t + 1]
        Q = r + nxt
        V[t] = T * logsumexp(Q / T, b=prior, axis=1)
        pi[t] = prior * np.exp((Q - V[t][:, None]) / T)
    return V, pi


def main(out_dir: str | Path = "out/gallery", fast: bool = False) -> dict[str, float]:
    """Compare the two forms for both backups; return the largest differences."""
    mdp, prior = problem(n_states=8 if fast else 20)
    T = 0.7
    folded = mdp.replace(reward=mdp.reward + T * np.log(prior))
    result: dict[str, float] = {}
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for backup, marker in (("optimistic", "o"), ("variational", "x")):
        V_np, pi_np = prior_in_softmax(mdp, prior, T, backup)
        sol = soft_backward(folded, T, backup=backup)  # uniform prior, reward r + T log p
        sol_prior = soft_backward(mdp, T, backup=backup, action_prior=prior)
        result[f"{backup}_max_dV"] = float(np.abs(sol.V - V_np).max())
        result[f"{backup}_max_dpi"] = float(np.abs(sol.policy - pi_np).max())
        result[f"{backup}_action_prior_arg_max_dpi"] = float(
            np.abs(sol_prior.policy - pi_np).max())
        axes[0].loglog(pi_np.ravel(), sol.policy.ravel(), marker, ms=4, alpha=0.6,
                       label=f"{backup} backup (max diff {result[f'{backup}_max_dpi']:.0e})")
    axes[0].plot([1e-6, 1], [1e-6, 1], color="gray", lw=0.8)
    axes[0].set_xlim(1e-6, 1.5)
    axes[0].set_ylim(1e-6, 1.5)
    axes[0].set_xlabel("p(a|s) exp((Q - V)/T): prior inside the soft max (numpy)")
    axes[0].set_ylabel("exp((Q~ - V)/T): softrl, reward r + T log p(a|s)")
    axes[0].legend(fontsize=8)
    axes[0].set_title(f"Garnet MDP, {mdp.n_states} states, H = {mdp.horizon}, T = {T:g}: "
                      "posterior policies", fontsize=9)
    uniform = soft_backward(mdp, T, backup="optimistic").policy[0, 0]
    with_prior = soft_backward(folded, T, backup="optimistic").policy[0, 0]
    x = np.arange(4)
    for k, (vals, name) in enumerate(((prior[0], "prior p(a|s)"),
                                      (uniform, "posterior, uniform prior"),
                                      (with_prior, "posterior, this prior (= folded reward)"))):
        axes[1].bar(x + (k - 1) * 0.27, vals, width=0.27, label=name)
    axes[1].set_xticks(x, [f"a={a}" for a in x])
    axes[1].set_title("state 0, t = 0", fontsize=9)
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "action_prior_folding.png", dpi=110)
    plt.close(fig)
    return result


if __name__ == "__main__":
    for key, value in main(*(sys.argv[1:2])).items():
        print(f"{key:>40}: {value:.3g}")
