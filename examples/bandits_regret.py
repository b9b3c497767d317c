"""Exploration on a bandit (seed 004): optimism and posterior sampling have logarithmic regret,
soft-optimal (Boltzmann) dithering at a fixed temperature has linear regret.

SMPyBandits' README problem, with 10 arms: Bernoulli means linspace(0.05, 0.95, 10), horizon
10,000, 100 runs. UCB1 stays under Auer et al.'s finite-time bound; kl-UCB and Thompson
sampling follow the Lai-Robbins rate C ln t (the dashed line); Boltzmann at T = 0.1 keeps
paying sum_a pi(a) Delta_a per step, pi the softmax of the true means.

    python examples/bandits_regret.py    # out/gallery/bandits_regret.png
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

from softrl.bandits import (
    BernoulliBandit,
    Boltzmann,
    lai_robbins_constant,
    run,
    ucb1_regret_bound,
)
from softrl.plot import plot_regret

NAMES = ("ucb1", "klucb", "thompson", "ids", "epsilon_greedy", "boltzmann")


def main(out_dir: str | Path = "out/gallery", fast: bool = False) -> dict[str, float]:
    """Run every algorithm, plot the regret curves, return the measured claims."""
    horizon, runs = (2000, 40) if fast else (10_000, 100)
    bandit = BernoulliBandit(np.linspace(0.05, 0.95, 10))
    temperature = 0.1
    algorithms = {name: name for name in NAMES}
    algorithms["boltzmann"] = Boltzmann(temperature=temperature)
    results = {name: run(bandit, algo, horizon, runs=runs, seed=0)
               for name, algo in algorithms.items()}
    C = lai_robbins_constant(bandit)
    out = plot_regret(
        list(results.values()), Path(out_dir) / "bandits_regret.png", labels=list(results),
        lai_robbins=C, log_x=True,
        title=f"10 Bernoulli arms 0.05..0.95, {runs} runs: mean and 10-90% band")
    t = np.arange(1, horizon + 1)
    ucb = results["ucb1"]
    excess = ucb.mean() - 3 * ucb.regret.std(axis=0) / math.sqrt(runs) - ucb1_regret_bound(
        bandit, t)
    mu = bandit.means
    pi = np.exp((mu - mu.max()) / temperature)
    pi /= pi.sum()
    half = horizon // 2

    def slope(name: str) -> float:
        mean = results[name].mean()
        return float((mean[-1] - mean[half - 1]) / (horizon - half))

    claims = {f"final_{name}": float(r.final.mean()) for name, r in results.items()}
    claims.update({
        "lai_robbins_log_T": float(C * math.log(horizon)),
        "ucb1_max_excess_over_auer_bound": float(excess.max()),
        "ucb1_regret_over_log_t_half": float(ucb.mean()[half - 1] / math.log(half)),
        "ucb1_regret_over_log_t_end": float(ucb.mean()[-1] / math.log(horizon)),
        "boltzmann_slope": slope("boltzmann"),
        "boltzmann_predicted_slope": float(pi @ (mu.max() - mu)),
        "thompson_slope": slope("thompson"),
        "seconds": float(sum(r.seconds for r in results.values())),
    })
    for name in ("klucb", "thompson"):
        claims[f"{name}_over_lai_robbins"] = claims[f"final_{name}"] / claims["lai_robbins_log_T"]
    print(f"wrote {out}")
    return claims


if __name__ == "__main__":
    for key, value in main(fast="--fast" in sys.argv).items():
        print(f"{key}: {value:.4g}")
