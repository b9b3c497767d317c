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

Other bootstrapped settings (bsuite's JAX boot_dqn ``default_agent``: 20 heads, every head on
every transition, prior scale 5, greedy per head, which T = 1e-6 approximates here), kept apart
from the default runs by their tag (made from the settings that differ unless --tag is given):

    .venv/bin/python bench/exploration.py deep_sea --agents bootstrapped --sizes 17 --seeds 0 \
        --heads 20 --mask-prob 1 --temperature 1e-6 --max-episodes 10000 --time-limit 3600

Results go to bench/exploration_runs/*.json, one line per finished run (so a cut run keeps the
runs it finished); a run stopped by --time-limit is recorded with ``stopped_by: time_limit``.
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
# The settings a deep_sea run may change from the command line, with their defaults (the
# settings of every run recorded before tags existed) and their short names in tags.
DEEP_SEA_SETTINGS = {"n_heads": ("heads", BOOT["n_heads"]),
                     "mask_prob": ("mask", BOOT["mask_prob"]),
                     "prior_scale": ("prior", BOOT["prior_scale"]),
                     "temperature": ("T", DEEP_SEA_COMMON["temperature"])}

BSUITE_TAG = "heads=20,mask=1,T=1e-06"  # bsuite's JAX boot_dqn: 20 heads, all data, greedy


def settings_tag(settings: dict[str, float]) -> str:
    """The settings that differ from the defaults, e.g. ``heads=20,mask=1,T=1e-06`` ("" if
    none differ)."""
    return ",".join(f"{short}={settings[k]:g}" for k, (short, default) in
                    DEEP_SEA_SETTINGS.items() if k in settings and settings[k] != default)


class StopWhenSolved(Callback):
    """Stops learn() at bsuite's solved episode, at the episode cap or after ``time_limit``
    seconds; keeps the bad flags (the solved test, :func:`deep_sea_solved_at`, runs once per
    finished episode, not per step)."""

    def __init__(self, env: gym.Env, cap: int, time_limit: float | None = None,
                 progress_every: int = 0) -> None:
        self.env, self.cap, self.bad, self._seen = env, cap, [], 0
        self.n_bad, self.solved_at, self.timed_out = 0, None, False
        self.time_limit, self.progress_every = time_limit, progress_every
        self._t0 = time.perf_counter()

    def on_step(self, agent: Any) -> bool:
        u = self.env.unwrapped
        while self._seen < agent.num_episodes:  # one episode ends per step at most (1 env)
            self._seen += 1
            is_bad = u.total_bad_episodes > self.n_bad
            self.bad.append(is_bad)
            self.n_bad += int(is_bad)
            if self.solved_at is None:
                self.solved_at = deep_sea_solved_at(self.bad)
            if self.progress_every and self._seen % self.progress_every == 0:
                print(f"  episode {self._seen}: {self.n_bad} bad, "
                      f"{agent.num_steps / (time.perf_counter() - self._t0):.0f} steps/s",
                      flush=True)
        if self.time_limit is not None and time.perf_counter() - self._t0 > self.time_limit:
            self.timed_out = True
        return self.solved_at is None and len(self.bad) < self.cap and not self.timed_out


def deep_sea_run(agent_name: str, size: int, seed: int, max_episodes: int,
                 settings: dict[str, float] | None = None, tag: str | None = None,
                 time_limit: float | None = None, progress_every: int = 0) -> dict[str, Any]:
    """One run of ``agent_name`` ("bootstrapped" or "plain") on deep_sea of size ``size``.

    ``settings`` overrides keys of :data:`DEEP_SEA_SETTINGS` (heads, mask probability and prior
    scale for the bootstrapped agent only; the temperature for both); ``tag`` names the run's
    settings in the results (default: :func:`settings_tag`).
    """
    if time_limit is not None and time_limit <= 0:
        raise ValueError(f"time_limit must be > 0 seconds; got {time_limit}")
    settings = dict(settings or {})
    env = gym.make("softrl/DeepSea-v0", size=size, mapping_seed=seed)
    kw = {**DEEP_SEA_COMMON, "seed": seed}
    if "temperature" in settings:
        kw["temperature"] = settings["temperature"]
    if agent_name == "bootstrapped":
        boot = {**BOOT, **{k: v for k, v in settings.items() if k in BOOT}}
        boot["n_heads"] = int(boot["n_heads"])
        agent = BootstrappedSoftQ(env, **kw, **boot)
        used = {**boot, "temperature": kw["temperature"]}
    elif agent_name == "plain":
        if set(settings) - {"temperature"}:
            raise ValueError(f"plain SoftQ takes only the temperature; got {sorted(settings)}")
        agent = SoftQ(env, **kw)
        used = {"temperature": kw["temperature"]}
    else:
        raise ValueError(f"agent: one of bootstrapped, plain; got {agent_name!r}")
    cap = min(2**size + 100, max_episodes)
    stop = StopWhenSolved(agent.envs.envs[0], cap, time_limit, progress_every)
    t0 = time.perf_counter()
    agent.learn(size * cap, callback=stop)
    seconds = time.perf_counter() - t0
    solved = stop.solved_at
    row = {"agent": agent_name, "size": size, "seed": seed, "solved_at": solved,
           "episodes": len(stop.bad), "cap": cap, "bsuite_cap": 2**size + 100,
           "bad_episodes": int(sum(stop.bad)), "steps": agent.num_steps,
           "seconds_under_load": round(seconds, 1)}
    if settings or tag:  # rows of the default settings keep their original form
        row.update({"tag": settings_tag(used) if tag is None else tag, "settings": used,
                    "steps_per_s": round(agent.num_steps / seconds, 1)})
    if stop.timed_out and solved is None:
        row["stopped_by"] = "time_limit"
    return row


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
    """The finished runs, one per (agent, settings tag, size, seed): a repeated run is the same
    numbers, except that a run cut by a time limit gives way to a solved or a longer one."""
    path = RUNS / f"{name}.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    unique: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        key = (row["agent"], row.get("tag", ""), row.get("size"), row["seed"])
        old = unique.get(key)
        if old is None or (old.get("stopped_by") and (row.get("solved_at") is not None
                                                       or row["episodes"] > old["episodes"])):
            unique[key] = row
    return list(unique.values())


def _groups(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The (agent, tag) pairs of ``rows``, bootstrapped first, default settings first."""
    return sorted({(r["agent"], r.get("tag", "")) for r in rows},
                  key=lambda g: (g[0] != "bootstrapped", g[0], g[1] != "", g[1]))


def deep_sea_table(rows: list[dict[str, Any]]) -> list[str]:
    """The markdown table of deep_sea runs and one score line per agent and settings tag."""
    lines = ["| agent | settings | N | seed | solved at episode | 2^N + 100 | "
             "episodes run (cap) |", "|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (r["agent"], r.get("tag", ""), r["size"], r["seed"])):
        stop = " (time limit)" if r.get("stopped_by") == "time_limit" else ""
        lines.append(f"| {r['agent']} | {r.get('tag') or 'default'} | {r['size']} | "
                     f"{r['seed']} | {r['solved_at'] or 'not solved'} | {r['bsuite_cap']} | "
                     f"{r['episodes']} ({r['cap']}){stop} |")
    lines.append("")
    for agent, tag in _groups(rows):
        mine = [r for r in rows if r["agent"] == agent and r.get("tag", "") == tag]
        # A run stopped unsolved before 2^N + 100 episodes has no bsuite verdict yet.
        decided = [r for r in mine if r["solved_at"] is not None or r["episodes"] >= 2**r["size"]
                   + 100]
        open_ = [r for r in mine if r not in decided]
        line = f"- {agent} ({tag or 'default'}): "
        if decided:
            score = np.mean([deep_sea_score({r["size"]: r["solved_at"]}) for r in decided])
            line += (f"bsuite deep_sea score over the runs here = {score:.2f} ({len(decided)} "
                     f"runs, sizes {sorted({r['size'] for r in decided})})")
        else:
            line += "no run decided by bsuite's rule"
        if open_:
            strict = np.mean([deep_sea_score({r["size"]: r["solved_at"]}) for r in mine])
            line += (f"; {len(open_)} more stopped unsolved before 2^N + 100 (N = "
                     f"{sorted({r['size'] for r in open_})}), {strict:.2f} counting them as "
                     "failures")
        lines.append(line)
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
    groups = _groups(rows)
    names = {"bootstrapped": "bootstrapped soft DQN + priors", "plain": "soft DQN (Boltzmann)"}
    main = {("bootstrapped", ""): "C0", ("plain", ""): "C3", ("bootstrapped", BSUITE_TAG): "C2"}
    others = iter(["C1", "C4", "C5", "C6", "C7", "C8", "C9"])
    for i, (agent, tag) in enumerate(groups):
        color = main.get((agent, tag)) or next(others)
        size = 36 if (agent, tag) in main else 14  # the ablations (single seeds) small
        shift = 0.12 * (i - (len(groups) - 1) / 2)
        for r in (r for r in rows if r["agent"] == agent and r.get("tag", "") == tag):
            y = r["solved_at"] if r["solved_at"] else r["episodes"]
            ax.scatter(r["size"] + shift, y, color=color, s=size,
                       marker="o" if r["solved_at"] else "x")
        label = names[agent] + (f" ({tag})" if tag else "")
        if tag == BSUITE_TAG:
            label += ": bsuite's settings"
        ax.scatter([], [], color=color, s=size, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("deep sea size N")
    ax.set_ylabel("episodes to solve (x: not solved by then)")
    ax.legend(fontsize=6.5)
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
    ds.add_argument("--max-episodes", type=int, default=1200,
                    help="episode cap of each run (at most 2^N + 100 is used)")
    ds.add_argument("--heads", type=int, help=f"bootstrap heads (default {BOOT['n_heads']})")
    ds.add_argument("--mask-prob", type=float,
                    help=f"bootstrap mask probability (default {BOOT['mask_prob']})")
    ds.add_argument("--prior-scale", type=float,
                    help=f"randomized prior scale (default {BOOT['prior_scale']})")
    ds.add_argument("--temperature", type=float,
                    help=f"T of both agents (default {DEEP_SEA_COMMON['temperature']})")
    ds.add_argument("--tag", help="name of these settings in the results (default: the "
                                  "settings that differ from the defaults)")
    ds.add_argument("--time-limit", type=float,
                    help="seconds after which a run stops (recorded as stopped_by time_limit)")
    ds.add_argument("--progress-every", type=int, default=0,
                    help="print the bad episodes so far every this many episodes")
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
        given = {"n_heads": args.heads, "mask_prob": args.mask_prob,
                 "prior_scale": args.prior_scale, "temperature": args.temperature}
        settings = {k: v for k, v in given.items() if v is not None}
        for size in args.sizes:
            for seed in args.seeds:
                for agent in args.agents:
                    mine = (settings if agent == "bootstrapped" else
                            {k: v for k, v in settings.items() if k == "temperature"})
                    _append("deep_sea", deep_sea_run(agent, size, seed, args.max_episodes,
                                                     mine, args.tag, args.time_limit,
                                                     args.progress_every))
    elif args.cmd == "mountaincar":
        for seed in args.seeds:
            for agent in args.agents:
                _append("mountaincar", mountaincar_run(agent, seed, args.steps))
    else:
        report()


if __name__ == "__main__":
    main()
