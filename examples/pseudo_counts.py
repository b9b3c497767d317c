"""Pseudo-counts from a density model (seed 004; Bellemare et al. 2016).

A density model evaluated at s before (p) and after (p', the recoding probability) one update
on s gives the pseudo-count N_hat = p (1 - p') / (p' - p). Left: for the empirical model
p = N(s)/n it returns the true count N(s), visit after visit. Middle: for the online
Krichevsky-Trofimov histogram (p = (N + 1/2) / (n + K/2)) it is N + 1/2. Right: the bonus
beta / sqrt(N_hat + 0.01) of softrl's factorized KT density after a random policy's visits to
MountainCar-v0: small where the car has been, large at high speeds it never reached.

    python examples/pseudo_counts.py          # out/gallery/pseudo_counts.png
    python examples/pseudo_counts.py --quick  # fewer visits
"""

from __future__ import annotations

import sys
from pathlib import Path

import gymnasium as gym
import numpy as np

from softrl.exploration import BinnedDensity, EmpiricalDensity, pseudo_count
from softrl.plot._mpl import pyplot


def _empirical(n_visits: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(true count before each visit, pseudo-count) for a skewed 8-state visit sequence."""
    p = rng.dirichlet(np.full(8, 0.5))
    seq = rng.choice(8, size=n_visits, p=p)
    seq[:2] = [0, 1]
    model, true, est = EmpiricalDensity(), np.zeros(n_visits), np.zeros(n_visits)
    counts = np.zeros(8)
    for i, s in enumerate(seq):
        x = np.eye(8, dtype=np.float32)[s]
        true[i], est[i] = counts[s], pseudo_count(*model.log_probs(x))
        model.observe(x)
        counts[s] += 1
    return true, est


def _kt(n_visits: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(bin count before each visit, pseudo-count) for the 1-D KT histogram, 10 bins."""
    model, counts = BinnedDensity([0.0], [1.0], 10), np.zeros(10)
    true, est = np.zeros(n_visits), np.zeros(n_visits)
    for i, x in enumerate(rng.beta(2.0, 5.0, n_visits)):
        b = min(int(x * 10), 9)
        true[i], est[i] = counts[b], pseudo_count(*model.log_probs(np.array([x])))
        model.observe(np.array([x]))
        counts[b] += 1
    return true, est


def _mountaincar_bonus(episodes: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                           np.ndarray]:
    """Visit MountainCar with a random policy; the bonus over a grid of (position, velocity)."""
    env = gym.make("MountainCar-v0")
    space = env.observation_space
    model = BinnedDensity(space.low, space.high, 20)
    visits = []
    obs, _ = env.reset(seed=seed)
    env.action_space.seed(seed)
    for _ in range(episodes):
        done = False
        while not done:
            model.observe(obs)
            visits.append(obs)
            obs, _, term, trunc, _ = env.step(env.action_space.sample())
            done = term or trunc
        obs, _ = env.reset()
    pos = np.linspace(space.low[0], space.high[0], 60)
    vel = np.linspace(space.low[1], space.high[1], 60)
    bonus = np.array([[1.0 / np.sqrt(pseudo_count(*model.log_probs(np.array([p, v]))) + 0.01)
                       for p in pos] for v in vel])
    return pos, vel, bonus, np.array(visits)


def main(out_dir: str | Path = "out/gallery", fast: bool = False) -> dict[str, float]:
    """Draw the three panels; return the measured claims."""
    rng = np.random.default_rng(0)
    n = 500 if fast else 5000
    true_e, est_e = _empirical(n, rng)
    true_k, est_k = _kt(n, rng)
    pos, vel, bonus, visits = _mountaincar_bonus(5 if fast else 30, seed=0)
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    ax = axes[0]
    ax.plot(true_e, est_e, ".", ms=3)
    ax.plot([0, true_e.max()], [0, true_e.max()], "k--", lw=0.8, label="N_hat = N")
    ax.set(xlabel="true count N(s) before the visit", ylabel="pseudo-count N_hat",
           title="empirical density: p = N(s)/n")
    ax.legend()
    ax = axes[1]
    ax.plot(true_k, est_k, ".", ms=3, color="C1")
    ax.plot([0, true_k.max()], [0.5, true_k.max() + 0.5], "k--", lw=0.8, label="N + 1/2")
    ax.set(xlabel="bin count N before the visit", ylabel="pseudo-count N_hat",
           title="KT histogram: p = (N + 1/2)/(n + K/2)")
    ax.legend()
    ax = axes[2]
    im = ax.pcolormesh(pos, vel, bonus, shading="auto", cmap="viridis")
    ax.plot(visits[::5, 0], visits[::5, 1], ",", color="w", alpha=0.5)
    fig.colorbar(im, ax=ax, label="bonus 1/sqrt(N_hat + 0.01)")
    ax.set(xlabel="position", ylabel="velocity",
           title=f"MountainCar, {len(visits)} random steps (white)")
    fig.tight_layout()
    out = Path(out_dir) / "pseudo_counts.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    space_width = np.array([1.8, 0.14])  # position and velocity ranges
    visited = np.array([[(np.abs(visits - [p, v]) / space_width).max(axis=1).min() < 0.02
                         for p in pos] for v in vel])  # a visit within 2% of the range
    claims = {
        "empirical_max_error": float(np.abs(est_e - true_e).max()),
        "kt_max_error": float(np.abs(est_k - (true_k + 0.5)).max()),
        "bonus_visited_median": float(np.median(bonus[visited])),
        "bonus_unvisited_median": float(np.median(bonus[~visited])),
        "visited_fraction": float(visited.mean()),
    }
    print(f"wrote {out}")
    return claims


if __name__ == "__main__":
    for key, value in main(fast="--quick" in sys.argv).items():
        print(f"{key}: {value:.4g}")
