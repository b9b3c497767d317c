"""p(s_t | O) ∝ alpha_t(s) beta_t(s): forward and backward messages and their product (seeds
000, 001).

On a slippery maze with a reward in the far corner, the forward messages alpha_t(s) = p(s_t,
O_{0:t-1}) spread from the start, the backward messages beta_t(s) = p(O_{t:H-1} | s_t) say how
likely the rest of the episode is to be optimal from s, and their product, normalised, is the
posterior state marginal p(s_t | O_{0:H-1}): the corridor the optimal trajectories use.

    python examples/messages_heatmaps.py           # out/gallery/messages_heatmaps.png
    python examples/messages_heatmaps.py --quick   # a 2 x 3 grid, H = 4
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from softrl.envs import GridWorld
from softrl.inference import forward_messages, log_evidence, posterior_marginals, soft_backward
from softrl.plot import plot_messages

MAZE = """
S.#.....
..#.##..
..#..#..
....#...
"""
TINY = """
S..
...
"""
FULL = {"layout": MAZE, "goal": (0, 7), "horizon": 20, "temperature": 0.2,
        "times": (0, 4, 8, 12, 16, 20)}
QUICK = {"layout": TINY, "goal": (0, 2), "horizon": 4, "temperature": 0.5,
         "times": (0, 2, 4)}


def build(setup: dict) -> GridWorld:
    """The maze: slip 0.1, reward r(s) = 1 at the goal cell and -0.05 elsewhere, gamma = 1."""
    shape = GridWorld.from_map(setup["layout"])
    reward = np.full(shape.mdp.n_states, -0.05)
    reward[shape.state_of(*setup["goal"])] = 1.0
    return GridWorld.from_map(setup["layout"], slip=0.1, gamma=1.0, horizon=setup["horizon"],
                              reward=reward)


def messages(world: GridWorld, temperature: float) -> dict[str, np.ndarray | float]:
    """log alpha_t, log beta_t, the posterior from their product and from the engine's
    optimistic (exact) posterior marginals, and log p(O) two ways."""
    mdp = world.mdp
    log_alpha = forward_messages(mdp, temperature)
    sol = soft_backward(mdp, temperature, backup="optimistic")
    log_beta = sol.V / temperature
    log_prod = log_alpha + log_beta
    log_z_t = np.logaddexp.reduce(log_prod, axis=1)  # log p(O) at every t
    return {"log_alpha": log_alpha, "log_beta": log_beta,
            "posterior": np.exp(log_prod - log_z_t[:, None]),
            "posterior_engine": posterior_marginals(mdp, sol).state,
            "log_z_t": log_z_t, "log_evidence": log_evidence(mdp, temperature)}


def main(out_dir: str | Path = "out/gallery", fast: bool = False) -> dict[str, float]:
    """Draw the three rows of heatmaps; return how well the identities hold."""
    setup = QUICK if fast else FULL
    world = build(setup)
    m = messages(world, setup["temperature"])
    plot_messages(world, m["log_alpha"], m["log_beta"], setup["times"],
                  Path(out_dir) / "messages_heatmaps.png",
                  title=f"slippery maze (slip 0.1), reward 1 top right, H = {setup['horizon']}, "
                        f"T = {setup['temperature']:g}")
    return {"max_diff_alpha_beta_vs_engine_posterior":
            float(np.abs(m["posterior"] - m["posterior_engine"]).max()),
            "max_diff_log_z_over_t": float(np.abs(m["log_z_t"] - m["log_evidence"]).max()),
            "log_evidence": float(m["log_evidence"])}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 2 x 3 grid, H = 4")
    parser.add_argument("--out", default="out/gallery")
    args = parser.parse_args()
    for key, value in main(args.out, fast=args.quick).items():
        print(f"{key:>40}: {value:.4g}")
