"""Learning from demonstrations and rewards together (issue 17), measured.

Two tasks, each with a scripted expert recorded through softrl.demos.record_demos:

- ``lunar``: LunarLander-v3 (``pip install -e .[box2d]``), expert = gymnasium's own heuristic
  controller (about 260 per episode), 10k transitions. Variants: ``dqfd`` (SoftQfD: BC
  pretraining, DQfD's demo-only pretraining steps, demos in replay at 25% with the margin and
  10-step losses), ``scratch`` (SoftQ, same settings, no demos), ``bc`` (behavior cloning alone).
- ``mountaincar``: MountainCarContinuous-v0 (sparse: +100 at the flag), expert = push along
  the velocity (about 93), 5 episodes. Variants: ``sacfd`` (SACfD: demos in replay at 25% and
  a BC term annealed 1 -> 0), ``replay`` (demos in replay only), ``pretrain`` (BC and a
  critic fitted to the demos' returns, then plain SAC), ``scratch`` (SAC).
- ``cartpole``: CartPole-v1, a weak demonstrator (push along th + 0.014 thd, about 160 per
  episode against the 500 cap), 10 episodes: the per-method table. Off-policy family (soft
  DQN, rl-baselines3-zoo's DQN settings): ``scratch_q`` (SoftQ), ``pretrain_q`` (SoftQfD:
  BC pretraining and demo-only gradient steps, then no demos in the batches), ``replay``
  (SoftQfD: demos in replay at 25% with the margin and 10-step losses, no pretraining).
  On-policy family (8 envs x 32 steps, one gradient step per rollout): ``scratch_pg``
  (EntropyPG), ``pretrain_pg`` (EntropyPGfD: BC and the critic fitted to the demos' returns,
  then plain RL), ``hybrid`` (EntropyPGfD: lambda of the BC term 1 -> 0 over 20k steps),
  ``ispg`` (ISPGfD, BC proposal), ``ispg_dirac`` (ISPGfD, Dirac proposal) and
  ``ispg_pretrain`` (ISPGfD, BC proposal, policy and critic pretrained as in
  ``pretrain_pg``). ``bc``: BC alone.

Each run evaluates the greedy policy every ``--eval-every`` env steps (``--eval-episodes``
episodes, seeds 10_000 + k) and writes ``bench/lfd_runs/TASK-VARIANT-sSEED.json``;
``report`` prints steps-to-threshold (200 for LunarLander, 90 for MountainCar) and the
final returns per variant and writes ``bench/lfd_TASK.png``.

    python bench/lfd.py run lunar --variant dqfd --seeds 0 --steps 100000
    python bench/lfd.py run mountaincar --variant sacfd --seeds 0 1 --steps 50000
    python bench/lfd.py report lunar
    python bench/lfd.py run cartpole --variant ispg --seeds 0 1 2 --steps 50000 --eval-every 2500
    python bench/lfd.py weights --variant ispg   # ISPGfD's demo weights as it learns
    python bench/lfd.py --quick    # smoke run: each MountainCar variant for 1200 steps
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from softrl.agents import SAC, Agent, EntropyPG, SoftQ
from softrl.agents.callbacks import Callback
from softrl.demos import Demonstrations, load_demos, record_demos, save_demos
from softrl.imitation import SACfD, SoftQfD, behavior_cloning

RUNS = Path(__file__).parent / "lfd_runs"
TASKS = {
    "lunar": {"env": "LunarLander-v3", "threshold": 200.0},
    "mountaincar": {"env": "MountainCarContinuous-v0", "threshold": 90.0, "flag": 50.0},
    "cartpole": {"env": "CartPole-v1", "threshold": 475.0},
}
# rl-baselines3-zoo's DQN settings for LunarLander (lr 6.3e-4, batch 128, buffer 5e4,
# gamma 0.99, target every 250 steps, train every 4), a 256x256 network.
LUNAR = {"learning_rate": 6.3e-4, "batch_size": 128, "buffer_size": 50_000, "gamma": 0.99,
         "train_freq": 4, "gradient_steps": 1, "target_update_interval": 250,
         "hidden_sizes": (256, 256), "temperature": 0.01}
# CartPole-v1. Off-policy: rl-baselines3-zoo's DQN settings (bench/softq.py). On-policy: A2C
# shape (one gradient step on each 8 x 32 rollout, Monte-Carlo returns), lr 1e-3, 64x64.
CARTPOLE_Q = {"learning_rate": 2.3e-3, "batch_size": 64, "buffer_size": 100_000,
              "learning_starts": 1000, "gamma": 0.99, "train_freq": 256, "gradient_steps": 128,
              "target_update_interval": 128, "tau": 1.0, "hidden_sizes": (256, 256),
              "temperature": 0.01}
CARTPOLE_PG = {"n_envs": 8, "n_steps": 32, "n_epochs": 1, "gae_lambda": 1.0,
               "learning_rate": 1e-3, "gamma": 0.99, "hidden_sizes": (64, 64),
               "temperature": 0.01}
MOUNTAINCAR = {"learning_rate": 3e-4, "batch_size": 256, "buffer_size": 50_000,
               "gamma": 0.99, "hidden_sizes": (64, 64), "train_freq": 1, "gradient_steps": 1}


def lunar_expert(env: gym.Env):
    from gymnasium.envs.box2d.lunar_lander import heuristic

    return lambda obs: heuristic(env.unwrapped, obs)


def mountaincar_expert(obs: np.ndarray) -> np.ndarray:
    return np.array([1.0 if obs[1] >= 0 else -1.0], np.float32)


def cartpole_demonstrator(obs: np.ndarray) -> int:
    """A weak CartPole controller: push along th + 0.014 thd (no cart terms; about 160)."""
    return int(obs[2] + 0.014 * obs[3] > 0)


def demos_for(task: str, cache: Path = RUNS) -> Demonstrations:
    """The task's expert demonstrations (recorded once, cached in ``cache``)."""
    path = cache / f"{task}-demos.npz"
    if path.exists():
        return load_demos(path)
    env = gym.make(TASKS[task]["env"])
    if task == "lunar":
        parts, n, k = [], 0, 0
        expert = lunar_expert(env)
        while n < 10_000:
            d = record_demos(expert, 1, env=env, seed=1000 + k)
            parts.append(d)
            n, k = n + len(d), k + 1
        from softrl.demos import concatenate

        demos = concatenate(parts)
    elif task == "cartpole":
        demos = record_demos(cartpole_demonstrator, 10, env=env, seed=1000)
    else:
        demos = record_demos(mountaincar_expert, 5, env=env, seed=1000)
    cache.mkdir(parents=True, exist_ok=True)
    save_demos(demos, path)
    return demos


class EvalCurve(Callback):
    """Greedy evaluation every ``every`` env steps, kept in ``points`` (and written to
    ``on_point(points)`` after each, so a run stopped early keeps its curve)."""

    def __init__(self, every: int, episodes: int, on_point: Any = None) -> None:
        self.every, self.episodes = every, episodes
        self.points: list[tuple[int, float]] = []
        self.t0 = time.perf_counter()
        self.on_point = on_point

    def on_step(self, agent: Agent) -> bool:
        if agent.num_steps // self.every > len(self.points) - 1:
            r = agent.evaluate(self.episodes, seed=10_000)["mean_return"]
            self.points.append((agent.num_steps, r))
            print(f"  {agent.num_steps:>7} steps  return {r:8.1f}  "
                  f"{time.perf_counter() - self.t0:6.0f} s", flush=True)
            if self.on_point is not None:
                self.on_point(self.points)
        return True


def build(task: str, variant: str, seed: int, demos: Demonstrations) -> Agent:
    env = TASKS[task]["env"]
    common = {"seed": seed, "torch_threads": 1, "log_every": 10**9, "checkpoint_every": 0}
    if task == "lunar":
        if variant == "scratch":
            return SoftQ(env, learning_starts=1000, **LUNAR, **common)
        if variant == "dqfd":
            return SoftQfD(env, learning_starts=1000, demo_ratio=0.25, n_step=10,
                           margin=0.8, pretrain_epochs=30, pretrain_steps=2000, **LUNAR,
                           **common).add_demos(demos)
    if task == "mountaincar":
        if variant == "scratch":
            return SAC(env, learning_starts=1000, **MOUNTAINCAR, **common)
        if variant == "replay":  # demos in replay only
            return SACfD(env, learning_starts=1000, demo_ratio=0.25, **MOUNTAINCAR,
                         **common).add_demos(demos)
        if variant == "pretrain":  # BC + critic fitted to the demos' returns, then plain SAC
            return SACfD(env, learning_starts=1000, demo_ratio=0.0, pretrain_epochs=50,
                         pretrain_critic_epochs=50, **MOUNTAINCAR, **common).add_demos(demos)
        if variant == "sacfd":
            return SACfD(env, learning_starts=1000, demo_ratio=0.25, bc_weight=1.0,
                         bc_weight_final=0.0, bc_anneal_steps=20_000, **MOUNTAINCAR,
                         **common).add_demos(demos)
    if task == "cartpole":
        from softrl.imitation import EntropyPGfD, ISPGfD

        if variant == "scratch_q":
            return SoftQ(env, **CARTPOLE_Q, **common)
        if variant == "pretrain_q":  # BC + DQfD's demo-only steps, then no demos in batches
            return SoftQfD(env, demo_ratio=0.0, pretrain_epochs=30, pretrain_steps=1000,
                           **CARTPOLE_Q, **common).add_demos(demos)
        if variant == "replay":  # demos in replay (25%), margin and 10-step losses only
            return SoftQfD(env, demo_ratio=0.25, n_step=10, **CARTPOLE_Q,
                           **common).add_demos(demos)
        if variant == "scratch_pg":
            return EntropyPG(env, **CARTPOLE_PG, **common)
        if variant == "pretrain_pg":  # BC + critic fitted to the returns, then plain PG
            return EntropyPGfD(env, pretrain_epochs=50, pretrain_critic_epochs=50,
                               **CARTPOLE_PG, **common).add_demos(demos)
        if variant == "hybrid":  # E[r] + lambda sum log pi(a|s), lambda 1 -> 0 over 20k
            return EntropyPGfD(env, bc_weight=1.0, bc_weight_final=0.0,
                               bc_anneal_steps=20_000, **CARTPOLE_PG,
                               **common).add_demos(demos)
        if variant in ("ispg", "ispg_dirac"):
            return ISPGfD(env, proposal="bc" if variant == "ispg" else "dirac",
                          demo_episodes=2, **CARTPOLE_PG, **common).add_demos(demos)
        if variant == "ispg_pretrain":  # the policy starts at BC, so pi ~ q_demo at first
            return ISPGfD(env, proposal="bc", demo_episodes=2, pretrain_epochs=50,
                          pretrain_critic_epochs=50, **CARTPOLE_PG, **common).add_demos(demos)
    raise ValueError(f"unknown variant {variant!r} for {task}")


def run(task: str, variant: str, seed: int, steps: int, every: int, episodes: int,
        runs: Path = RUNS) -> dict:
    """One run; its record goes to ``runs``/TASK-VARIANT-sSEED.json."""
    torch.set_num_threads(1)
    demos = demos_for(task, runs)
    print(f"{task} {variant} seed {seed}: {len(demos)} demo transitions, "
          f"demo return {demos.episode_returns().mean():.1f}", flush=True)
    t0 = time.perf_counter()
    path = runs / f"{task}-{variant}-s{seed}.json"
    runs.mkdir(parents=True, exist_ok=True)

    def write(points: list, complete: bool = False, **extra: Any) -> dict:
        out = {"task": task, "variant": variant, "seed": seed, "steps": steps,
               "complete": complete, "curve": points,
               "wall_s_under_load": time.perf_counter() - t0, "demo_transitions": len(demos),
               "demo_return": float(demos.episode_returns().mean()), **extra}
        path.write_text(json.dumps(out, indent=1))
        return out

    curve = EvalCurve(every, episodes, on_point=write)
    if variant == "bc":
        env = TASKS[task]["env"]
        agent: Agent = (
            EntropyPG(env, seed=seed, torch_threads=1, hidden_sizes=(256, 256))
            if task == "lunar" else
            EntropyPG(env, seed=seed, torch_threads=1, hidden_sizes=(64, 64))
            if task == "cartpole" else
            SAC(env, seed=seed, torch_threads=1, hidden_sizes=(64, 64)))
        result = behavior_cloning(agent, demos, max_epochs=100, batch_size=256, seed=seed)
        r = agent.evaluate(episodes, seed=10_000)["mean_return"]
        curve.points = [(0, r)]
        extra: dict[str, Any] = {"bc": result.as_dict()}
    else:
        agent = build(task, variant, seed, demos)
        agent.learn(steps, callback=curve)
        extra = {}
    return write(curve.points, complete=True, **extra)


def quick() -> None:
    """Smoke run: each MountainCarContinuous variant for 1200 env steps (1000 of warm-up;
    evaluation at 600 and 1200, 1 episode) from 5 expert episodes; the demos and run records
    go to a temporary folder, only the summary stays."""
    import os
    import tempfile

    from summary import table, write_summary  # bench/summary.py

    rows, data = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for variant in ("sacfd", "replay", "pretrain", "scratch"):
            out = run("mountaincar", variant, 0, 1200, 600, 1, runs=Path(tmp))
            ret = out["curve"][-1][1]
            rows.append([variant, out["curve"][-1][0], f"{ret:.1f}",
                         f"{out['wall_s_under_load']:.1f}"])
            data[variant] = {"return": ret, "wall_s": out["wall_s_under_load"]}
    md = (f"MountainCarContinuous-v0, 1200 env steps per variant (1000 warm-up), 1 evaluation "
          f"episode; load "
          f"average {os.getloadavg()[0]:.2f}\n\n"
          + table(["variant", "env steps", "last return", "wall s"], rows))
    write_summary("lfd-quick", md, data)
    print(md)


PANELS = {"cartpole": {
    "CartPole-v1, soft DQN family": ["bc", "scratch_q", "pretrain_q", "replay"],
    "CartPole-v1, on-policy family": ["bc", "scratch_pg", "pretrain_pg", "hybrid", "ispg",
                                      "ispg_dirac", "ispg_pretrain"]}}
"""Tasks whose plot has one panel per family of variants."""


def _plot_variant(ax: Any, variant: str, rs: list[dict], color: str) -> None:
    """Seeds on one grid: the median over seeds and the range as a light band; else each
    seed's curve (a single point, as for BC alone: a dotted level)."""
    grids = {tuple(s for s, _ in r["curve"]) for r in rs}
    if len(rs) > 2 and len(grids) == 1 and len(next(iter(grids))) > 1:
        xs = next(iter(grids))
        ys = np.array([[v for _, v in r["curve"]] for r in rs])
        ax.plot(xs, np.median(ys, 0), color=color, label=f"{variant} (median of {len(rs)})")
        ax.fill_between(xs, ys.min(0), ys.max(0), color=color, alpha=0.08)
        return
    if all(len(r["curve"]) == 1 for r in rs):
        level = statistics.median(r["curve"][0][1] for r in rs)
        ax.axhline(level, color=color, ls=":", label=f"{variant} (median of {len(rs)})")
        return
    for i, r in enumerate(rs):
        xs, ys = zip(*r["curve"], strict=True)
        ax.plot(xs, ys, color=color, alpha=0.8, label=variant if i == 0 else None)


def report(task: str) -> None:
    threshold = TASKS[task]["threshold"]
    runs: dict[str, list[dict]] = {}
    for path in sorted(RUNS.glob(f"{task}-*-s*.json")):
        data = json.loads(path.read_text())
        runs.setdefault(data["variant"], []).append(data)
    levels = [threshold] + ([TASKS[task]["flag"]] if "flag" in TASKS[task] else [])
    heads = " | ".join(f"steps to {lv:g} (each seed)" for lv in levels)
    lines = [f"| {task} variant | seeds | {heads} | final return (median) | mean of the last 5 "
             f"evaluations (median) | best (median) |",
             "|---" * (5 + len(levels)) + "|"]
    for variant, rs in sorted(runs.items()):
        cols = []
        for level in levels:
            hits = []
            for r in rs:
                hit = next((s for s, v in r["curve"] if v >= level), None)
                hits.append("-" if hit is None else str(hit))
            cols.append(", ".join(hits))
        finals = [r["curve"][-1][1] for r in rs]
        last = sorted({r["curve"][-1][0] for r in rs})
        bests = [max(v for _, v in r["curve"]) for r in rs]
        tails = [statistics.mean(v for _, v in r["curve"][-5:]) for r in rs]
        lines.append(f"| {variant} | {len(rs)} (to {', '.join(map(str, last))} steps) | "
                     f"{' | '.join(cols)} | {statistics.median(finals):.1f} | "
                     f"{statistics.median(tails):.1f} | {statistics.median(bests):.1f} |")
    print("\n".join(lines))
    from summary import write_summary  # bench/summary.py

    write_summary(f"lfd-{task}", f"{TASKS[task]['env']}\n\n" + "\n".join(lines),
                  {"variants": sorted(runs)})
    from softrl.plot._mpl import pyplot

    panels = PANELS.get(task, {TASKS[task]["env"]: sorted(runs)})
    fig, axes = pyplot().subplots(1, len(panels), figsize=(7 * len(panels), 4.5),
                                  squeeze=False)
    colors = {v: f"C{i}" for i, v in enumerate(sorted(runs))}
    for ax, (title, variants) in zip(axes[0], panels.items(), strict=True):
        for variant in variants:
            if variant in runs:
                _plot_variant(ax, variant, runs[variant], colors[variant])
        ax.axhline(threshold, color="k", ls="--", lw=1)
        ax.set(xlabel="env steps", ylabel="greedy evaluation return", title=title)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(Path(__file__).parent / f"lfd_{task}.png", dpi=100)


def demo_weights(variant: str, seed: int, chunks: int = 5, chunk: int = 10_000) -> None:
    """How much weight ISPGfD gives the CartPole demonstrations: after every ``chunk`` env
    steps, the ESS fraction of the last update and the mean final weight of its demo episodes
    (before clipping and self-normalization)."""
    torch.set_num_threads(1)
    agent = build("cartpole", variant, seed, demos_for("cartpole"))
    for _ in range(chunks):
        agent.learn(chunk)
        v = {k: float(x) for k, x in agent._last_losses.items() if k.startswith("charts/")}
        print(f"{variant} seed {seed} {agent.num_steps:>6} steps: ESS fraction "
              f"{v['charts/is_ess_fraction']:.3f}, mean final demo weight "
              f"{v['charts/demo_weight']:.2e}", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="smoke run: each MountainCar variant for 1200 steps")
    sub = p.add_subparsers(dest="cmd")
    r = sub.add_parser("run")
    r.add_argument("task", choices=sorted(TASKS))
    r.add_argument("--variant", required=True)
    r.add_argument("--seeds", type=int, nargs="+", default=[0])
    r.add_argument("--steps", type=int, default=100_000)
    r.add_argument("--eval-every", type=int, default=5000)
    r.add_argument("--eval-episodes", type=int, default=5)
    rep = sub.add_parser("report")
    rep.add_argument("task", choices=sorted(TASKS))
    w = sub.add_parser("weights", help="ISPGfD's demo weights on CartPole (ispg, ispg_dirac)")
    w.add_argument("--variant", default="ispg",
                   choices=["ispg", "ispg_dirac", "ispg_pretrain"])
    w.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    if args.quick:
        quick()
    elif args.cmd is None:
        p.error("a command is required: run or report (or --quick)")
    elif args.cmd == "run":
        for seed in args.seeds:
            run(args.task, args.variant, seed, args.steps, args.eval_every, args.eval_episodes)
    elif args.cmd == "weights":
        demo_weights(args.variant, args.seed)
    else:
        report(args.task)


if __name__ == "__main__":
    main()
