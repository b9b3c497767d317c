"""Posterior sampling in deep RL: bootstrapped soft DQN with randomized priors on deep_sea
(seed 004; Osband et al. 2016, 2018; bsuite's deep_sea).

Left: the fraction of "bad" episodes so far (episodes that left the diagonal, the only path to
the treasure) for BootstrappedSoftQ (10 heads, priors, one head per episode) and plain SoftQ
(Boltzmann exploration at the same temperature); bsuite calls a run solved when it drops
below 0.8. Right: the posterior spread, the standard deviation over heads of max_a Q_k(s),
on every cell of the grid after training, with the agent's visits to each cell written in it
(the heads are the posterior the agent samples from: one of them acts in each episode).

    python examples/deep_sea_bootstrapped.py          # N = 10, out/gallery/...png
    python examples/deep_sea_bootstrapped.py --quick  # N = 5, bootstrapped only
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

import softrl.training  # noqa: F401  (registers softrl/DeepSea-v0)
from softrl.agents import BootstrappedSoftQ, SoftQ
from softrl.agents.callbacks import Callback
from softrl.envs.deep_sea import deep_sea_solved_at
from softrl.plot._mpl import pyplot

COMMON = {"learning_rate": 1e-3, "batch_size": 128, "buffer_size": 10_000,
          "learning_starts": 128, "train_freq": 1, "target_update_interval": 4, "tau": 1.0,
          "hidden_sizes": (50, 50), "temperature": 0.01, "torch_threads": 1,
          "log_every": 10**9, "checkpoint_every": 0}


class BadEpisodes(Callback):
    """Records each finished episode's bad flag; stops at ``cap`` episodes."""

    def __init__(self, env: gym.Env, cap: int) -> None:
        self.env, self.cap, self.bad = env, cap, []

    def on_step(self, agent: Any) -> bool:
        while len(self.bad) < agent.num_episodes:
            self.bad.append(self.env.unwrapped.total_bad_episodes > sum(self.bad))
        return len(self.bad) < self.cap


def run(agent_class: type, size: int, episodes: int, seed: int, **kw: Any
        ) -> tuple[Any, list[bool]]:
    env = gym.make("softrl/DeepSea-v0", size=size, mapping_seed=seed)
    agent = agent_class(env, seed=seed, **{**COMMON, **kw})
    record = BadEpisodes(agent.envs.envs[0], episodes)
    agent.learn(size * episodes, callback=record)
    return agent, record.bad


def spread(agent: BootstrappedSoftQ, size: int) -> np.ndarray:
    """std over heads of max_a Q_k(s) on every cell (NaN where the block cannot be)."""
    cells = torch.eye(size * size)
    with torch.no_grad():
        v = agent.q_heads(cells).max(-1).values.std(0).reshape(size, size).numpy()
    rows, cols = np.indices((size, size))
    return np.where(cols <= rows, v, np.nan)


def main(out_dir: str | Path = "out/gallery", fast: bool = False) -> dict[str, float]:
    """Train both agents (bootstrapped only when fast), plot, return the measured claims."""
    size, episodes, seed = (5, 120, 0) if fast else (10, 600, 0)
    boot, boot_bad = run(BootstrappedSoftQ, size, episodes, seed, n_heads=10, mask_prob=0.5,
                         prior_scale=5.0)
    curves = {"bootstrapped soft DQN + priors": boot_bad}
    if not fast:
        _, plain_bad = run(SoftQ, size, episodes, seed)
        curves["soft DQN (Boltzmann, T = 0.01)"] = plain_bad
    n = boot.buffer.size
    visits = boot.buffer.data[:n, : size * size].sum(0).reshape(size, size).numpy()
    sd = spread(boot, size)
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    ax = axes[0]
    for label, bad in curves.items():
        k = np.arange(1, len(bad) + 1)
        ax.plot(k, np.cumsum(bad) / k, label=label)
    ax.axhline(0.8, color="k", ls="--", lw=0.8, label="bsuite's solved line (0.8)")
    ax.set(xlabel="episode", ylabel="bad episodes so far / episodes", ylim=(0, 1.02),
           title=f"deep_sea N = {size} (2^N = {2**size} episodes for dithering)")
    ax.legend(fontsize=8)
    ax = axes[1]
    im = ax.imshow(sd, cmap="magma")
    if size <= 12:
        for (r, c), count in np.ndenumerate(visits):
            if c <= r:
                ax.text(c, r, f"{int(count)}", ha="center", va="center", color="c",
                        fontsize=7 if size > 6 else 9)
    fig.colorbar(im, ax=ax, label="std over heads of max_a Q_k(s)")
    ax.set(xlabel="column", ylabel="row",
           title="posterior spread after training (numbers: visits)")
    fig.tight_layout()
    out = Path(out_dir) / "deep_sea_bootstrapped.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    reachable = ~np.isnan(sd)
    claims = {
        "size": float(size),
        "bootstrapped_solved_at": float(deep_sea_solved_at(boot_bad) or np.nan),
        "bootstrapped_bad_fraction": float(np.mean(boot_bad)),
        "cells_visited": float((visits[reachable] > 0).sum()),
        "cells_reachable": float(reachable.sum()),
    }
    if not fast:
        plain_bad = curves["soft DQN (Boltzmann, T = 0.01)"]
        claims["plain_solved_at"] = float(deep_sea_solved_at(plain_bad) or np.nan)
        claims["plain_bad_fraction"] = float(np.mean(plain_bad))
    print(f"wrote {out}")
    return claims


if __name__ == "__main__":
    for key, value in main(fast="--quick" in sys.argv).items():
        print(f"{key}: {value:.4g}")
