"""SAC's Algorithm 1 with a V network (seed 001) beside the twin-Q form: learning curves.

Seed 001's SAC keeps a state-value network V_psi(s), regressed on E_{a~pi}[Q(s, a) - T log
pi(a|s)], and regresses Q on r + gamma * Vbar(s') with a Polyak-averaged V target; the current
form drops V and bootstraps from twin target Qs. Both learn; once trained, V_psi(s) matches the
soft value E_a[min Q - T log pi] estimated by Monte Carlo from the Q networks and the policy.

    python examples/sac_v_network.py            # Pendulum-v1, 10k steps per form (minutes)
    python examples/sac_v_network.py --quick    # softrl/PointMass1D-v0, 1,000 steps
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import torch

from softrl.agents import SAC
from softrl.plot import plot_runs
from softrl.training.toy_env import POINT_MASS_ID

FULL = {"env": "Pendulum-v1", "steps": 10_000, "eval_every": 1000,
        "hyper": {"hidden_sizes": (256, 256), "batch_size": 256, "learning_starts": 100}}
QUICK = {"env": POINT_MASS_ID, "steps": 1000, "eval_every": 250,
         "hyper": {"hidden_sizes": (64, 64), "batch_size": 64, "learning_rate": 1e-3,
                   "learning_starts": 200, "gamma": 0.9}}
VARIANTS = ("v_network", "twin_q")


def point_mass_optimum() -> float:
    """Best expected return on PointMass1D: from p ~ U(-1, 1) one step of at most 1/2 reaches
    0 when |p| <= 1/2; otherwise it costs (|p| - 1/2)^2 once, so -E = 1/2 * E[u^2], u ~ U(0,
    1/2), i.e. -1/24."""
    return -1.0 / 24.0


def soft_value_gap(agent: SAC, obs: torch.Tensor, n_actions: int = 256) -> tuple[float, float]:
    """Largest |V_psi(s) - E_{a~pi}[min_i Q_i(s, a) - T log pi(a|s)]| over ``obs``, the
    expectation by Monte Carlo with ``n_actions`` policy samples per state; and the largest
    |E_{a~pi}[...]| (the scale the gap is measured against)."""
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        rep = obs.repeat_interleave(n_actions, dim=0)
        a, log_prob = agent.actor.sample(rep, gen)
        soft_q = agent.critic(rep, a).min(dim=0).values - agent.temperature() * log_prob
        mc = soft_q.view(len(obs), n_actions).mean(dim=1)
        return float((agent.value(obs) - mc).abs().max()), float(mc.abs().max())


def main(out_dir: str | Path = "out/gallery", fast: bool = False, seed: int = 0) -> dict:
    """Train both forms, plot eval return against steps, return the claim's numbers."""
    torch.set_num_threads(1)
    setup = QUICK if fast else FULL
    out = Path(out_dir)
    runs = out / "sac_v_network_runs"
    result: dict[str, float] = {}
    dirs = []
    for variant in VARIANTS:
        run_dir = runs / f"{variant}-s{seed}"
        shutil.rmtree(run_dir, ignore_errors=True)
        t0 = time.perf_counter()
        agent = SAC(setup["env"], seed=seed, variant=variant, run_dir=run_dir,
                    eval_every=setup["eval_every"], eval_episodes=5, torch_threads=1,
                    checkpoint_every=0, log_every=setup["eval_every"], **setup["hyper"])
        agent.learn(setup["steps"])
        result[f"{variant}_seconds"] = time.perf_counter() - t0
        result[f"{variant}_final_return"] = agent.evaluate(10, seed=10_000)["mean_return"]
        if variant == "v_network":
            # States the agent visited (a replay batch), not arbitrary points of the box.
            obs = agent.buffer.sample(32, torch.Generator().manual_seed(1))[0]
            gap, scale = soft_value_gap(agent, obs)
            result["v_network_soft_value_gap"], result["soft_value_scale"] = gap, scale
        dirs.append(run_dir)
    plot_runs(dirs, out / "sac_v_network.png", keys=("eval/mean_return",),
              labels=["Algorithm 1: V network + target V (seed 001)",
                      "twin Q + target Qs (current SAC)"],
              title=f"SAC on {setup['env']}, seed {seed}")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the point mass, 1,000 steps")
    parser.add_argument("--out", default="out/gallery")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for key, value in main(args.out, fast=args.quick, seed=args.seed).items():
        print(f"{key:>28}: {value:.4g}")
