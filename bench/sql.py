"""MultiGoal goal histograms for SQL beside SAC (issue 14), and their env steps/s.

Each run trains one agent on softrl/MultiGoal-v0 for --steps env steps (one torch thread),
then runs 100 episodes from the origin with the stochastic policy and counts the goal reached.
One JSON file per (agent, seed) goes to bench/sql_runs/; --report aggregates them.

    python bench/sql.py --agent SQL --seeds 0 1 2 3 4 --steps 10000
    python bench/sql.py --agent SAC --seeds 0 1 2 3 4 --steps 10000
    python bench/sql.py --agent SAC_hard --seeds 0 1 2 3 4 --steps 10000  # T = 1e-3, fixed
    python bench/sql.py --report
    python bench/sql.py --speed   # CPU ms per env step of SQL and SAC (process time)
    python bench/sql.py --quick   # smoke run: --speed at 300 steps, one 1000-step SQL run

Steps/s is the whole learn() call (acting, replay, updates) divided into the env steps; on a
shared machine it is measured under load.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
from multigoal_energy_policy import train  # noqa: E402

from softrl.envs.multigoal import goal_histogram, rollouts  # noqa: E402

RUNS = Path(__file__).resolve().parent / "sql_runs"
MODELS = Path(__file__).resolve().parents[1] / "out" / "sql_models"
"""Trained agents (not in git), the pretrained policies of examples/finetune_transfer.py."""


def run(agent: str, seed: int, steps: int) -> dict:
    """Train, time, and histogram one run; write and return its record."""
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    model = train(agent, steps, seed)
    seconds = time.perf_counter() - t0
    model.save(MODELS / f"{agent}_seed{seed}_{steps}", include_buffer=False)
    goals, _, returns = rollouts(lambda o: model.act(o, deterministic=False), 100,
                                 seed=10_000 + seed)
    hist = goal_histogram(goals)
    record = {"agent": agent, "seed": seed, "steps": steps, "seconds": seconds,
              "steps_per_second": steps / seconds, "goal_histogram": hist.tolist(),
              "mean_return": float(returns.mean()),
              "all_four_goals_at_least_10pct": bool((hist[:4] >= 10).all())}
    RUNS.mkdir(exist_ok=True)
    (RUNS / f"{agent}_seed{seed}_{steps}.json").write_text(json.dumps(record, indent=1))
    return record


def speed(steps: int = 1000, warmup: int = 200) -> dict[str, float]:
    """CPU milliseconds per env step (process time, so less disturbed by other processes than
    wall time) of SQL and SAC on MultiGoal, after ``warmup`` steps, one torch thread."""
    from multigoal_energy_policy import SAC_KW, SQL_KW

    from softrl.agents import SAC
    from softrl.agents.sql import SQL

    torch.set_num_threads(1)
    out = {}
    for name, cls, kw in (("SQL", SQL, SQL_KW), ("SAC", SAC, SAC_KW)):
        agent = cls("softrl/MultiGoal-v0", seed=0, torch_threads=1, log_every=10**9, **kw)
        agent.learn(warmup)
        t0 = time.process_time()
        agent.learn(steps)
        out[f"{name}_cpu_ms_per_step"] = 1000 * (time.process_time() - t0) / steps
    return out


def report() -> str:
    """Markdown table of every stored run."""
    rows = [json.loads(p.read_text()) for p in sorted(RUNS.glob("*.json"))]
    lines = ["| agent | seed | env steps | goals (5,0) (-5,0) (0,5) (0,-5) none | goals >= 10% "
             "| mean return | env steps/s (under load) |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        h = r["goal_histogram"]
        lines.append(f"| {r['agent']} | {r['seed']} | {r['steps']} | {h} | "
                     f"{sum(x >= 10 for x in h[:4])} | {r['mean_return']:.1f} | "
                     f"{r['steps_per_second']:.0f} |")
    for agent in sorted({r["agent"] for r in rows}):
        mine = [r for r in rows if r["agent"] == agent]
        lines.append(f"\n{agent}: {sum(r['all_four_goals_at_least_10pct'] for r in mine)}/"
                     f"{len(mine)} runs reach every goal in >= 10% of episodes; median "
                     f"{np.median([r['steps_per_second'] for r in mine]):.0f} env steps/s")
    return "\n".join(lines)


def quick() -> None:
    """Smoke run: CPU ms per step at 300 steps, and the goal histogram of one 1000-step SQL run
    (small networks, nothing written but the summary)."""
    import os

    from summary import table, write_summary  # bench/summary.py

    torch.set_num_threads(1)
    ms = speed(300, warmup=200)
    t0 = time.perf_counter()
    model = train("SQL", 1000, 0, quick=True)
    seconds = time.perf_counter() - t0
    goals, _, returns = rollouts(lambda o: model.act(o, deterministic=False), 20, seed=10_000)
    hist = goal_histogram(goals).tolist()
    md = (f"MultiGoal-v0, one torch thread; load average {os.getloadavg()[0]:.2f}\n\n"
          + table(["measure", "value"], [
              ["SQL CPU ms per env step (300 steps)", f"{ms['SQL_cpu_ms_per_step']:.2f}"],
              ["SAC CPU ms per env step (300 steps)", f"{ms['SAC_cpu_ms_per_step']:.2f}"],
              ["SQL 1000-step run (small nets): wall s", f"{seconds:.1f}"],
              ["its goals (5,0) (-5,0) (0,5) (0,-5) none, 20 episodes", str(hist)],
              ["its mean return", f"{float(returns.mean()):.1f}"]]))
    write_summary("sql-quick", md, {**ms, "sql_1000_wall_s": seconds, "goal_histogram": hist,
                                    "mean_return": float(returns.mean())})
    print(md)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agent", choices=["SQL", "SAC", "SAC_hard"], default="SQL")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--report", action="store_true")
    parser.add_argument("--speed", action="store_true", help="CPU ms per env step, SQL and SAC")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: speed at 300 steps and one short SQL run")
    args = parser.parse_args()
    if args.quick:
        quick()
        sys.exit(0)
    from summary import write_summary  # bench/summary.py

    head = ""
    if args.speed:
        ms = speed()
        print(json.dumps(ms))
        head = ("CPU ms per env step (1000 steps, process time): "
                + ", ".join(f"{k.split('_')[0]} {v:.2f}" for k, v in ms.items()) + "\n\n")
    elif not args.report:
        for s in args.seeds:
            print(json.dumps(run(args.agent, s, args.steps)), flush=True)
    print(report())
    write_summary("sql", head + report(), {"runs": len(list(RUNS.glob("*.json")))})
