"""Seed 003's picture: an energy-based policy keeps every good mode, a Gaussian one commits.

Soft Q-learning (SQL, amortized SVGD sampler) and SAC (tanh-Gaussian policy) learn the MultiGoal
point mass (four goals at (+-5, 0), (0, +-5)) with the same budget. For each, the figure shows
rollouts from the origin and, at the states (-2.5, 0), (0, 0) and (2.5, 2.5), the contours of
Q(s, .) over the action square with 100 sampled actions (Haarnoja et al. 2017, Figure 1).

    python examples/multigoal_energy_policy.py          # out/gallery/multigoal_energy_policy.png
    (agents saved by bench/sql.py in out/sql_models are reused, else trained here)
    python examples/multigoal_energy_policy.py --quick  # a short run (the test's fast mode)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

from softrl.agents import SAC, Agent, load_agent
from softrl.agents.sql import SQL
from softrl.envs.multigoal import GOALS, MULTIGOAL_ID, goal_histogram, rollouts

STATES = np.array([[-2.5, 0.0], [0.0, 0.0], [2.5, 2.5]], dtype=np.float32)
SQL_KW: dict[str, Any] = {"reward_scale": 0.1, "hidden_sizes": (64, 64), "kernel_particles": 16}
"""The reference code's MultiGoal setting (reward scale 0.1, i.e. T = 10 on the raw reward),
with networks of 64 units and 16 SVGD particles instead of 128 and 32 (a 2-core machine)."""
SAC_KW: dict[str, Any] = {"hidden_sizes": (64, 64), "batch_size": 64}  # SQL's sizes
HARD_TEMPERATURE = 1e-3
"""SAC_hard: SAC at a vanishing fixed temperature (a nearly deterministic policy)."""


def train(kind: str, steps: int, seed: int, quick: bool = False) -> Agent:
    """SQL, SAC or SAC_hard on MultiGoal-v0 for ``steps`` env steps (one torch thread)."""
    small = {"hidden_sizes": (32, 32), "batch_size": 32} if quick else {}
    common = {"seed": seed, "torch_threads": 1, "log_every": 10**9}
    if kind == "SQL":
        extra = {"target_update_interval": 200} if quick else {}
        return SQL(MULTIGOAL_ID, **common, **{**SQL_KW, **small, **extra}).learn(steps)
    hard = {"temperature": HARD_TEMPERATURE} if kind == "SAC_hard" else {}
    return SAC(MULTIGOAL_ID, **common, **{**SAC_KW, **small, **hard}).learn(steps)


def samples_and_q(agent: Agent, state: np.ndarray, n: int, grid: np.ndarray,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` policy samples at ``state`` and Q(state, a) on ``grid`` (G, G, 2) (SAC: min of its
    twin critics)."""
    if isinstance(agent, SQL):
        return agent.sample_actions(state, n, seed)[0], agent.q_values(state, grid)
    assert isinstance(agent, SAC)
    obs = torch.as_tensor(state, dtype=torch.float32).expand(n, -1)
    gen = torch.Generator().manual_seed(seed)
    with torch.inference_mode():
        a = agent.actor.sample(obs, gen)[0]
        flat = torch.as_tensor(grid.reshape(-1, 2), dtype=torch.float32)
        q = agent.critic(obs[:1].expand(len(flat), -1), flat).min(0).values
    return a.numpy(), q.numpy().reshape(grid.shape[:-1])


def direction_shares(actions: np.ndarray) -> np.ndarray:
    """Share of actions whose direction is closest to each goal's direction (len(GOALS))."""
    unit = GOALS / np.linalg.norm(GOALS, axis=-1, keepdims=True)
    k = (np.asarray(actions) @ unit.T).argmax(-1)
    return np.bincount(k, minlength=len(GOALS)) / len(k)


def main(out_dir: str | Path = "out/gallery", quick: bool = False, steps: int | None = None,
         seed: int = 0) -> dict[str, Any]:
    """Train both agents, draw the figure, return goal histograms and direction shares."""
    torch.set_num_threads(1)
    steps = steps if steps is not None else (600 if quick else 10_000)
    models = Path(__file__).resolve().parents[1] / "out" / "sql_models"
    agents = {k: load_agent(models / f"{k}_seed{seed}_{steps}")
              if not quick and (models / f"{k}_seed{seed}_{steps}").exists()
              else train(k, steps, seed, quick) for k in ("SQL", "SAC")}
    from softrl.plot._mpl import pyplot

    plt = pyplot()
    lin = np.linspace(-1, 1, 41)
    grid = np.stack(np.meshgrid(lin, lin), -1).astype(np.float32)
    fig, axes = plt.subplots(2, 4, figsize=(15, 7.4))
    result: dict[str, Any] = {"steps": steps, "seed": seed}
    for row, (name, agent) in enumerate(agents.items()):
        goals, paths, _ = rollouts(lambda o, a=agent: a.act(o, deterministic=False),
                                   n_episodes=100, seed=seed + 1000)
        hist = goal_histogram(goals)
        result[f"{name}_goal_histogram"] = hist.tolist()
        ax = axes[row, 0]
        for p in paths[:50]:
            ax.plot(p[:, 0], p[:, 1], lw=0.7, alpha=0.6)
        ax.scatter(GOALS[:, 0], GOALS[:, 1], s=250, facecolors="none", edgecolors="k")
        ax.set(xlim=(-7, 7), ylim=(-7, 7), aspect="equal",
               title=f"{name}: 50 rollouts from (0, 0)\ngoals reached /100: {hist[:4].tolist()}")
        for col, state in enumerate(STATES, start=1):
            acts, q = samples_and_q(agent, state, 100, grid, seed)
            if col == 2:
                result[f"{name}_origin_direction_shares"] = direction_shares(acts).tolist()
            ax = axes[row, col]
            levels = np.quantile(q, np.linspace(0.05, 1.0, 15))
            cs = ax.contour(lin, lin, q, levels=np.unique(levels), cmap="viridis")
            ax.clabel(cs, fontsize=6, fmt="%.0f")
            ax.plot(acts[:, 0], acts[:, 1], "k.", ms=3)
            ax.set(xlim=(-1, 1), ylim=(-1, 1), aspect="equal",
                   title=f"{name}: Q(s, a) and 100 actions, s = ({state[0]:g}, {state[1]:g})")
    fig.suptitle(f"MultiGoal, {steps} env steps, seed {seed}: energy-based SQL vs Gaussian SAC")
    fig.tight_layout()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "multigoal_energy_policy.png", dpi=80)
    plt.close(fig)
    return result


if __name__ == "__main__":
    print(main(quick="--quick" in sys.argv))
