"""Deep exploration benchmarks of issue 16: bsuite's deep_sea and MountainCar-v0.

deep_sea (softrl/DeepSea-v0, the exact bsuite reimplementation): BootstrappedSoftQ with
randomized priors against plain SoftQ (Boltzmann exploration only), both at temperature 0.01,
with bsuite's bootstrapped-DQN settings (lr 1e-3, batch 128, buffer 10,000, 128 warm-up steps,
one gradient step per env step, target copied every 4 steps, 50x50 MLPs; 10 heads, masks with
p = 1/2, prior scale 5). A run stops at bsuite's "solved" episode (bad episodes so far below
80%) or at its episode cap (2^N + 100, at most --max-episodes); each size N uses the action
mapping of seed ``seed``. bsuite's score is the fraction of (size, seed) runs solved before
2^N + 100 episodes.

MountainCar-v0 (sparse: -1 per step, 200-step limit): SoftQ with a pseudo-count bonus (the
factorized KT histogram density, 20 bins per coordinate, beta = 0.5) against plain SoftQ, same
100k-step budget and settings (rl-baselines3-zoo's DQN for MountainCar: lr 4e-3, batch 128,
buffer 10,000, 1000 warm-up steps, gamma 0.98, 8 gradient steps every 16 env steps, target
copied every 600 env steps = 300 gradient steps, 256x256), temperature 0.1. Reported: the
env step of the first episode that reaches the goal, and the goal episodes over the run.

    .venv/bin/python bench/exploration.py deep_sea --sizes 4 6 8 10 12 --seeds 0 1 2
    .venv/bin/python bench/exploration.py mountaincar --seeds 0
    .venv/bin/python bench/exploration.py report      # table + bench/exploration_deep_sea.png
    .venv/bin/python bench/exploration.py --quick     # smoke run: deep_sea N=4, 1500 steps MC

Results go to bench/exploration_runs/*.json, one line per finished run (so a cut run keeps the
runs it finished).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

import softrl.training  # noqa: F401  (registers softrl/DeepSea-v0)
from softrl.agents import BootstrappedSoftQ, SoftQ
from softrl.agents.callbacks import Callback
from softrl.envs.deep_sea import deep_sea_score, deep_sea_solved_at
from softrl.exploration import PseudoCountBonus, RNDBonus

RUNS = Path(__file__).parent / "exploration_runs"
DEEP_SEA_COMMON = {"learning_rate": 1e-3, "batch_size": 128, "buffer_size": 10_000,
                   "learning_starts": 128, "train_freq": 1, "target_update_interval": 4,
                   "tau": 1.0, "hidden_sizes": (50, 50), "temperature": 0.01,
                   "torch_threads": 1, "log_every": 10**9, "checkpoint_every": 0}
BOOT = {"n_heads": 10, "mask_prob": 0.5, "prior_scale": 5.0}


class StopWhenSolved(Callback):
    """Stops learn() at bsuite's solved episode or at the episode cap; keeps the bad flags."""

    def __init__(self, env: gym.Env, cap: int) -> None:
        self.env, self.cap, self.bad, self._seen = env, cap, [], 0

    def on_step(self, agent: Any) -> bool:
        u = self.env.unwrapped
        while self._seen < agent.num_episodes:  # one episode ends per step at most (1 env)
            self._seen += 1
            self.bad.append(u.total_bad_episodes > sum(self.bad))
        solved = deep_sea_solved_at(self.bad) is not None
        return not solved and len(self.bad) < self.cap


def deep_sea_run(agent_name: str, size: int, seed: int, max_episodes: int) -> dict[str, Any]:
    env = gym.make("softrl/DeepSea-v0", size=size, mapping_seed=seed)
    kw = {**DEEP_SEA_COMMON, "seed": seed}
    agent = (BootstrappedSoftQ(env, **kw, **BOOT) if agent_name == "bootstrapped"
             else SoftQ(env, **kw))
    cap = min(2**size + 100, max_episodes)
    stop = StopWhenSolved(agent.envs.envs[0], cap)
    t0 = time.perf_counter()
    agent.learn(size * cap, callback=stop)
    solved = deep_sea_solved_at(stop.bad)
    return {"agent": agent_name, "size": size, "seed": seed, "solved_at": solved,
            "episodes": len(stop.bad), "cap": cap, "bsuite_cap": 2**size + 100,
            "bad_episodes": int(sum(stop.bad)), "steps": agent.num_steps,
            "seconds_under_load": round(time.perf_counter() - t0, 1)}


class GoalSteps(gym.Wrapper):
    """Records the global step of every termination (the car reached the flag)."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.steps, self.goals = 0, []

    def step(self, action: Any) -> Any:
        out = self.env.step(action)
        self.steps += 1
        if out[2]:
            self.goals.append(self.steps)
        return out


class _Progress(Callback):
    """Prints the goal episodes so far every 10,000 steps (a cut run still says something)."""

    def __init__(self, env: GoalSteps, name: str) -> None:
        self.env, self.name = env, name

    def on_step(self, agent: Any) -> bool:
        if agent.num_steps % 10_000 == 0:
            print(f"{self.name}: step {agent.num_steps}, goal episodes {len(self.env.goals)}, "
                  f"first at {self.env.goals[0] if self.env.goals else None}", flush=True)
        return True


def mountaincar_run(agent_name: str, seed: int, steps: int) -> dict[str, Any]:
    env = GoalSteps(gym.make("MountainCar-v0"))
    exploration = None
    if agent_name == "pseudo_counts":
        space = env.observation_space
        exploration = PseudoCountBonus(0.5, density="binned", low=space.low.tolist(),
                                       high=space.high.tolist(), n_bins=20)
    elif agent_name == "rnd":  # prediction error of a fixed random network (Burda et al.)
        exploration = RNDBonus(0.5, seed=seed)
    elif agent_name != "plain":
        raise ValueError(f"agent: one of pseudo_counts, rnd, plain; got {agent_name!r}")
    agent = SoftQ(env, eval_env=gym.make("MountainCar-v0"), seed=seed, learning_rate=4e-3,
                  batch_size=128, buffer_size=10_000, learning_starts=1000, gamma=0.98,
                  train_freq=16, gradient_steps=8,
                  target_update_interval=300, tau=1.0, hidden_sizes=(256, 256),
                  temperature=0.1, torch_threads=1, log_every=10**9, checkpoint_every=0,
                  exploration=exploration)
    t0 = time.perf_counter()
    agent.learn(steps, callback=_Progress(env, agent_name))
    goals = env.goals  # the vector env steps this very instance
    ev = agent.evaluate(5)
    return {"agent": agent_name, "seed": seed, "steps": steps,
            "first_goal_step": goals[0] if goals else None, "goal_episodes": len(goals),
            "eval_mean_return": ev["mean_return"],
            "seconds_under_load": round(time.perf_counter() - t0, 1)}


def _append(name: str, row: dict[str, Any]) -> None:
    RUNS.mkdir(exist_ok=True)
    with open(RUNS / f"{name}.jsonl", "a") as f:
        f.write(json.dumps(row) + "\n")
    print(json.dumps(row), flush=True)


def _read(name: str) -> list[dict[str, Any]]:
    """The finished runs, one per (agent, size, seed) (a repeated run is the same numbers)."""
    path = RUNS / f"{name}.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    unique: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        unique.setdefault((row["agent"], row.get("size"), row["seed"]), row)
    return list(unique.values())


def deep_sea_table(rows: list[dict[str, Any]]) -> list[str]:
    """The markdown table of deep_sea runs and one score line per agent."""
    lines = ["| agent | N | seed | solved at episode | 2^N + 100 | episodes run (cap) |",
             "|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (r["agent"], r["size"], r["seed"])):
        lines.append(f"| {r['agent']} | {r['size']} | {r['seed']} | "
                     f"{r['solved_at'] or 'not solved'} | {r['bsuite_cap']} | "
                     f"{r['episodes']} ({r['cap']}) |")
    lines.append("")
    for agent in ("bootstrapped", "plain"):
        mine = [r for r in rows if r["agent"] == agent]
        if mine:
            score = np.mean([deep_sea_score({r["size"]: r["solved_at"]}) for r in mine])
            lines.append(f"- {agent}: bsuite deep_sea score over the runs here = {score:.2f} "
                         f"({len(mine)} runs, sizes {sorted({r['size'] for r in mine})})")
    return lines


def mountaincar_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| agent | seed | env steps | first goal at step | goal episodes | eval return |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['agent']} | {r['seed']} | {r['steps']} | {r['first_goal_step']} | "
              f"{r['goal_episodes']} | {r['eval_mean_return']:.1f} |" for r in rows]
    return lines


def report() -> None:
    from summary import write_summary  # bench/summary.py

    rows = _read("deep_sea")
    lines = deep_sea_table(rows)
    print("\n".join(lines))
    if rows:
        _plot(rows)
    mc = _read("mountaincar")
    for r in mc:
        print(r)
    md = "\n".join(["deep_sea", "", *lines, "", "MountainCar-v0", "", *mountaincar_table(mc)])
    write_summary("exploration", md, {"deep_sea_runs": len(rows), "mountaincar_runs": len(mc)})


def quick() -> None:
    """Smoke run: deep_sea N = 4 (seed 0, at most 30 episodes) with both agents, and 1500 steps
    of MountainCar-v0 with both (1000 warm-up); nothing is written but the summary."""
    import os

    from summary import write_summary  # bench/summary.py

    t0 = time.perf_counter()
    ds = [deep_sea_run(agent, 4, 0, 30) for agent in ("bootstrapped", "plain")]
    mc = [mountaincar_run(agent, 0, 1500) for agent in ("pseudo_counts", "plain")]
    md = "\n".join([f"load average {os.getloadavg()[0]:.2f}, "
                    f"{time.perf_counter() - t0:.0f} s", "", "deep_sea (N = 4, at most 30 "
                    "episodes)", "", *deep_sea_table(ds), "", "MountainCar-v0 (1500 steps)",
                    "", *mountaincar_table(mc)])
    write_summary("exploration-quick", md, {"deep_sea": ds, "mountaincar": mc})
    print(md)


def _plot(rows: list[dict[str, Any]]) -> None:
    from softrl.plot._mpl import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    sizes = np.array(sorted({r["size"] for r in rows}))
    ax.plot(sizes, 2.0**sizes + 100, "k--", label="2^N + 100 (bsuite's limit)")
    for agent, color in (("bootstrapped", "C0"), ("plain", "C3")):
        for r in (r for r in rows if r["agent"] == agent):
            y = r["solved_at"] if r["solved_at"] else r["episodes"]
            ax.scatter(r["size"] + (0.1 if agent == "plain" else -0.1), y, color=color,
                       marker="o" if r["solved_at"] else "x")
        ax.scatter([], [], color=color, label={"bootstrapped": "bootstrapped soft DQN + priors",
                                               "plain": "soft DQN (Boltzmann)"}[agent])
    ax.set_yscale("log")
    ax.set_xlabel("deep sea size N")
    ax.set_ylabel("episodes to solve (x: not solved by then)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(Path(__file__).parent / "exploration_deep_sea.png", dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: deep_sea N=4 and 1500 MountainCar steps, both agents")
    sub = parser.add_subparsers(dest="cmd")
    ds = sub.add_parser("deep_sea")
    ds.add_argument("--sizes", type=int, nargs="+", default=[4, 6, 8, 10, 12, 14, 17, 20])
    ds.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ds.add_argument("--agents", nargs="+", default=["bootstrapped", "plain"])
    ds.add_argument("--max-episodes", type=int, default=1200)
    mc = sub.add_parser("mountaincar")
    mc.add_argument("--seeds", type=int, nargs="+", default=[0])
    mc.add_argument("--agents", nargs="+", default=["pseudo_counts", "plain"])
    mc.add_argument("--steps", type=int, default=100_000)
    sub.add_parser("report")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.quick:
        quick()
    elif args.cmd is None:
        parser.error("a command is required: deep_sea, mountaincar or report (or --quick)")
    elif args.cmd == "deep_sea":
        for size in args.sizes:
            for seed in args.seeds:
                for agent in args.agents:
                    _append("deep_sea", deep_sea_run(agent, size, seed, args.max_episodes))
    elif args.cmd == "mountaincar":
        for seed in args.seeds:
            for agent in args.agents:
                _append("mountaincar", mountaincar_run(agent, seed, args.steps))
    else:
        report()


if __name__ == "__main__":
    main()
