"""Max-ent policies fine-tune better (seeds 003, 004): pretrain on MultiGoal, remove the goal the
policy favours, and count the env steps each learner needs on the changed task.

Source: ``softrl/MultiGoal-v0`` (four goals). Target: ``softrl/MultiGoalBlocked-v0`` with the goal
that the pretrained policy reaches most often removed (it no longer pays +10 nor ends the
episode). Learners, all with the same fine-tuning budget and a fresh replay buffer:

- SQL, pretrained (energy-based, max-ent);
- SAC, pretrained (Gaussian, max-ent, learned temperature);
- SAC_hard, pretrained (SAC at a vanishing fixed temperature 1e-3: a nearly deterministic policy);
- SQL from scratch on the target (the target of pretrained SQL).

Every ``eval_every`` steps, 20 episodes with the stochastic policy give the success rate (a
remaining goal reached); the steps to threshold are the first evaluation from which two
consecutive evaluations are at or above ``threshold``. The pretrained agents are read from
bench/sql.py's runs (out/sql_models) when present, else trained here.

    python examples/finetune_transfer.py --seeds 0 1 2 3 4  # out/gallery/finetune_transfer.png
    python examples/finetune_transfer.py --seeds 3 --learners SAC --results out/t_3_SAC.json
    python examples/finetune_transfer.py --summarize out/t_*.json  # merge such runs, then plot
    python examples/finetune_transfer.py --quick            # a short run (the test's fast mode)
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from softrl.agents import Agent, load_agent
from softrl.envs.multigoal import MULTIGOAL_BLOCKED_ID, MultiGoal, goal_histogram, rollouts

try:
    from multigoal_energy_policy import train
except ImportError:  # imported by path (the test)
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from multigoal_energy_policy import train

MODELS = Path(__file__).resolve().parents[1] / "out" / "sql_models"
LEARNERS = ("SQL", "SAC", "SAC_hard", "SQL_scratch")


@functools.lru_cache(maxsize=8)
def pretrained(kind: str, seed: int, steps: int, quick: bool) -> Agent:
    """bench/sql.py's saved agent if there is one, else a fresh training run."""
    path = MODELS / f"{kind}_seed{seed}_{steps}"
    if not quick and path.exists():
        return load_agent(path)
    return train(kind, steps, seed, quick)


def favoured_goal(agent: Agent, seed: int) -> tuple[int, list[int]]:
    """The goal the agent's stochastic policy reaches most often on the source (50 episodes)."""
    goals, _, _ = rollouts(lambda o: agent.act(o, deterministic=False), 50, seed=20_000 + seed)
    hist = goal_histogram(goals)
    return int(np.argmax(hist[:4])), hist.tolist()


def success_rate(agent: Agent, removed: int, seed: int, n: int = 20) -> float:
    """Share of ``n`` stochastic episodes on the target that reach a remaining goal."""
    goals, _, _ = rollouts(lambda o: agent.act(o, deterministic=False), n, seed=seed,
                           env=MultiGoal(removed_goal=removed))
    return float((goals >= 0).mean())


def finetune(source: Agent, removed: int, budget: int, eval_every: int, seed: int,
             from_scratch: bool = False) -> list[float]:
    """Success rates on the target at 0, eval_every, ..., budget fine-tuning steps.

    A new agent of the source's class and config (learning_starts 0, an empty buffer, a fresh
    optimizer) starts from the source's networks unless ``from_scratch``.
    """
    config = {**dataclasses.asdict(source.config), "learning_starts": 0, "seed": seed,
              "log_every": 10**9, "checkpoint_every": 0, "eval_every": 0}
    agent = type(source)(gym.make(MULTIGOAL_BLOCKED_ID, removed_goal=removed), **config)
    if not from_scratch:
        agent.set_parameters(source.get_parameters())
    curve = [success_rate(agent, removed, 30_000 + seed)]
    while agent.num_steps < budget:
        agent.learn(eval_every)
        curve.append(success_rate(agent, removed, 30_000 + seed + agent.num_steps))
    return curve


def steps_to_threshold(curve: list[float], eval_every: int, threshold: float, hold: int = 2
                       ) -> int | None:
    """First evaluated step from which ``hold`` consecutive evaluations have a success rate >=
    threshold (None: not within the budget).

    ``hold = 2`` (40 episodes) keeps a single lucky evaluation from counting: an untrained
    sampler that happens to drift straight at a remaining goal scores 1.0 once, then drops.
    """
    for k in range(len(curve) - hold + 1):
        if min(curve[k:k + hold]) >= threshold:
            return k * eval_every
    return None


def run_seed(seed: int, pretrain_steps: int, budget: int, eval_every: int, quick: bool,
             learners: tuple[str, ...] = LEARNERS) -> dict[str, Any]:
    """``learners`` on one seed: favoured goals, curves."""
    torch.set_num_threads(1)
    out: dict[str, Any] = {"seed": seed}
    favoured: dict[str, tuple[int, list[int]]] = {}  # SQL_scratch uses SQL's, drawn once
    for name in learners:
        kind = "SQL" if name == "SQL_scratch" else name
        source = pretrained(kind, seed, pretrain_steps, quick)
        if kind not in favoured:
            favoured[kind] = favoured_goal(source, seed)
        removed, hist = favoured[kind]
        out[name] = {"removed_goal": removed, "source_histogram": hist,
                     "curve": finetune(source, removed, budget, eval_every, seed,
                                       from_scratch=name == "SQL_scratch")}
    return out


def main(out_dir: str | Path = "out/gallery", quick: bool = False, seeds: tuple[int, ...] = (0,),
         pretrain_steps: int | None = None, budget: int | None = None,
         eval_every: int | None = None, threshold: float = 0.9,
         results: Path | None = None, learners: tuple[str, ...] = LEARNERS) -> dict[str, Any]:
    """Run the comparison on ``seeds``, plot the success curves, return steps to threshold."""
    pretrain_steps = pretrain_steps or (300 if quick else 10_000)
    budget = budget or (200 if quick else 3000)
    eval_every = eval_every or (100 if quick else 250)
    runs = [run_seed(s, pretrain_steps, budget, eval_every, quick, learners) for s in seeds]
    if results is not None:
        results.write_text(json.dumps(runs, indent=1))
    if set(learners) != set(LEARNERS):
        return {"runs": runs}
    return summarize(runs, out_dir, pretrain_steps, budget, eval_every, threshold)


def summarize(runs: list[dict[str, Any]], out_dir: str | Path, pretrain_steps: int, budget: int,
              eval_every: int, threshold: float) -> dict[str, Any]:
    """Steps to threshold per learner (median over seeds, unreached counted as > budget), and
    the figure: median success curve per learner, one thin line per seed."""
    from softrl.plot._mpl import pyplot

    plt = pyplot()
    result: dict[str, Any] = {"seeds": [r["seed"] for r in runs], "budget": budget,
                              "threshold": threshold, "pretrain_steps": pretrain_steps}
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.4))
    x = np.arange(len(runs[0]["SQL"]["curve"])) * eval_every
    for i, name in enumerate(LEARNERS):
        curves = np.array([r[name]["curve"] for r in runs])
        reached = [steps_to_threshold(list(c), eval_every, threshold) for c in curves]
        censored = [budget + eval_every if s is None else s for s in reached]
        result[f"{name}_steps_to_threshold"] = reached
        result[f"{name}_median_steps"] = float(np.median(censored))
        result[f"{name}_initial_success"] = curves[:, 0].tolist()
        color = f"C{i}"
        for c in curves:
            ax.plot(x, c, color=color, lw=0.6, alpha=0.4)
        ax.plot(x, np.median(curves, 0), color=color, lw=2.2, label=name)
        bx.scatter(np.full(len(censored), i) + np.linspace(-0.15, 0.15, len(censored)),
                   censored, color=color)
        bx.hlines(np.median(censored), i - 0.3, i + 0.3, color=color, lw=2.5)
    ax.axhline(threshold, color="k", ls=":", lw=1)
    ax.set(xlabel="fine-tuning env steps on the target", ylabel="success rate (20 episodes)",
           title="MultiGoal with the favoured goal removed")
    ax.legend()
    bx.axhline(budget, color="k", ls=":", lw=1)
    bx.set_xticks(range(len(LEARNERS)), LEARNERS)
    bx.set(ylabel=f"env steps to success >= {threshold:g} (above line: not reached)",
           title=f"{len(runs)} seeds, pretrained {pretrain_steps} steps; bar = median")
    fig.tight_layout()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "finetune_transfer.png", dpi=80)
    plt.close(fig)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--learners", nargs="+", choices=LEARNERS, default=list(LEARNERS))
    parser.add_argument("--results", type=Path, default=None, help="write the curves as JSON")
    parser.add_argument("--summarize", type=Path, nargs="+", default=None,
                        help="only plot and summarize these --results files (runs in parallel)")
    args = parser.parse_args()
    if args.summarize:
        merged: dict[int, dict[str, Any]] = {}
        for f in args.summarize:  # one file per (seed, learners) run
            for r in json.loads(f.read_text()):
                merged.setdefault(r["seed"], {}).update(r)
        runs = [r for r in merged.values() if all(n in r for n in LEARNERS)]
        print(summarize(runs, "out/gallery", 10_000, 3000, 250, 0.9))
    else:
        print(main(quick=args.quick, seeds=tuple(args.seeds), results=args.results,
                   learners=tuple(args.learners)))
