"""ELBO = expected return / T + entropy <= log p(O), tight at the variational optimum for
deterministic dynamics (seeds 001, 003, 004).

For q(tau) = p(s_0) prod p(s'|s, a) pi(a|s) the evidence lower bound is
ELBO(pi) = E_pi[sum_t r(s_t, a_t)] / T + sum_t E_pi[H(pi_t(.|s_t))] <= log p(O_{0:H-1}).
Along pi_lambda ∝ (pi*)^lambda (uniform at 0, the soft-optimal pi* of the variational backward
pass at 1, greedy as lambda grows) the ELBO peaks at lambda = 1. With deterministic dynamics it
touches log p(O) there; with slippery dynamics a gap remains: the optimism the variational
posterior gives up.

    python examples/elbo_bound.py   # out/gallery/elbo_bound.png
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from softrl.envs import GridWorld
from softrl.inference import elbo, log_evidence, policy_marginals, soft_backward
from softrl.mdp import FiniteMDP
from softrl.plot._mpl import pyplot

LAYOUT = """
S...
.#..
....
"""
T = 0.2


def world(slip: float, horizon: int = 8) -> FiniteMDP:
    """A 3 x 4 room with a wall, reward 1 in the bottom-right cell, -0.1 elsewhere, gamma 1."""
    base = GridWorld.from_map(LAYOUT)
    reward = np.full(base.mdp.n_states, -0.1)
    reward[base.state_of(2, 3)] = 1.0
    return GridWorld.from_map(LAYOUT, slip=slip, gamma=1.0, horizon=horizon, reward=reward).mdp


def tempered(policy: np.ndarray, lam: float) -> np.ndarray:
    """pi_lambda ∝ pi^lambda, normalised over actions (lambda = 0: uniform)."""
    log_p = lam * np.log(policy)
    log_p -= log_p.max(axis=-1, keepdims=True)
    p = np.exp(log_p)
    return p / p.sum(axis=-1, keepdims=True)


def decompose(mdp: FiniteMDP, policy: np.ndarray) -> tuple[float, float]:
    """E[sum_t r] / T and sum_t E[H(pi_t)], from the state-action marginals of ``policy``."""
    D = policy_marginals(mdp, policy).state_action  # (H, S, A)
    ret = float((D * mdp.reward).sum()) / T
    entropy = float(-(D * np.log(np.where(D > 0, policy, 1.0))).sum())
    return ret, entropy


def curve(mdp: FiniteMDP, lambdas: np.ndarray) -> dict[str, np.ndarray | float]:
    """ELBO, its two terms along pi_lambda, and log p(O)."""
    pi_star = soft_backward(mdp, T, backup="variational").policy
    rows = []
    for lam in lambdas:
        pi = tempered(pi_star, lam)
        rows.append((elbo(mdp, pi, T), *decompose(mdp, pi)))
    e, r, h = map(np.asarray, zip(*rows, strict=True))
    return {"elbo": e, "return": r, "entropy": h, "log_evidence": log_evidence(mdp, T),
            "elbo_at_optimum": elbo(mdp, pi_star, T)}


def main(out_dir: str | Path = "out/gallery", fast: bool = False) -> dict[str, float]:
    """Draw the ELBO curves for deterministic and slippery dynamics; return the gaps."""
    lambdas = np.unique(np.append(np.linspace(0.0, 3.0, 13 if fast else 61), 1.0))
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    result: dict[str, float] = {}
    for ax, slip in zip(axes, (0.0, 0.2), strict=True):
        c = curve(world(slip), lambdas)
        name = "deterministic" if slip == 0 else "slippery"
        gap = c["log_evidence"] - c["elbo_at_optimum"]
        result[f"{name}_gap_at_optimum"] = float(gap)
        result[f"{name}_min_gap"] = float((c["log_evidence"] - c["elbo"]).min())
        result[f"{name}_argmax_lambda"] = float(lambdas[int(np.argmax(c["elbo"]))])
        result[f"{name}_max_identity_error"] = float(
            np.abs(c["elbo"] - c["return"] - c["entropy"]).max())
        ax.plot(lambdas, c["elbo"], lw=2.5, label="ELBO(pi_lambda)")
        ax.plot(lambdas, c["return"], "--", label="E[sum r] / T")
        ax.plot(lambdas, c["entropy"], ":", label="sum_t E[H(pi_t)]")
        ax.axhline(c["log_evidence"], color="black", lw=1, label="log p(O)")
        ax.axvline(1.0, color="gray", lw=0.6)
        ax.set_xlabel("lambda in pi_lambda ∝ (pi*)^lambda  (1: variational optimum)")
        ax.set_title(f"{name} dynamics (slip {slip:g}): log p(O) - max ELBO = {abs(gap):.2g}",
                     fontsize=9)
        ax.legend(fontsize=8)
    fig.suptitle(f"3 x 4 room, H = 8, T = {T:g}: ELBO = return/T + entropy <= log p(O)")
    fig.tight_layout()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "elbo_bound.png", dpi=110)
    plt.close(fig)
    return result


if __name__ == "__main__":
    for key, value in main(*(sys.argv[1:2])).items():
        print(f"{key:>32}: {value:.4g}")
