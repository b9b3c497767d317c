"""Meta-RL three ways on 2-D point navigation (seed 004): recurrence (RL^2), optimization
(MAML) and a latent task variable inferred by amortized VI (PEARL).

A point robot starts at the origin and must reach an unseen goal in [-1, 1]^2 (dense reward
-distance, 20 steps, actions in [-0.1, 0.1]^2). Each method meta-trains on the task
distribution, then adapts on held-out goals; we plot the return of each adaptation episode
beside the oracle (the same SAC told the goal) and the untrained policy, and draw PEARL's
posterior sampling: it explores under z ~ p(z) in episode 1 and heads for the goal under
z ~ q(z | episode 1) in episode 2.

    python examples/meta_rl_point.py            # out/gallery/meta_rl_point.png
    python examples/meta_rl_point.py --quick    # a small run (the test's)
    for p in untrained pearl oracle maml rl2; do python examples/meta_rl_point.py --part $p & done
    wait; python examples/meta_rl_point.py      # the same, the five parts in parallel
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

import softrl.training  # noqa: F401  (registers the envs)
from softrl.envs.meta_tasks import PointNavigation, trial_spec
from softrl.meta import MAML, PEARL, RL2, rl2_meta_test
from softrl.plot._mpl import pyplot

FULL = {"pearl": 400, "oracle": 100, "maml": 60, "rl2": 300_000, "pearl_grad_steps": 100}
QUICK = {"pearl": 8, "oracle": 8, "maml": 4, "rl2": 6_000, "pearl_grad_steps": 10}
# PEARL as in bench/meta.py: 100 training tasks, the context refilled with 2 prior-z and 2
# posterior episodes per collecting task, the point-robot balance T = 0.01, beta = 1.6e-4,
# full-covariance factors, the encoder's step size 1e-3 (softrl.meta.PEARLConfig's defaults).
PEARL_HP = {"hidden_sizes": (64, 64), "meta_batch": 8, "batch_size": 64,
            "n_train_tasks": 100, "n_test_tasks": 20, "prior_episodes": 2,
            "posterior_episodes": 2}
ORACLE_HP = {"hidden_sizes": (64, 64), "meta_batch": 8, "batch_size": 64, "grad_steps": 25,
             "n_train_tasks": 40, "n_test_tasks": 20, "temperature": 0.1}


def _pearl_trajectories(pearl: PEARL, n_goals: int = 3) -> list[dict]:
    """``PEARL.adapt_episodes`` on held-out goals: episode 1 under z ~ p(z) (sampled
    actions), episode 2 under z ~ q(z | episode 1) (mean actions)."""
    out = []
    for i, task in enumerate(pearl.test_tasks[:n_goals]):
        first, second = pearl.adapt_episodes(task, 2, seed=i)
        with torch.no_grad():
            _, scale = pearl.posterior(torch.as_tensor(first.context())[None])
        std = (scale @ scale.transpose(-1, -2)).diagonal(dim1=-2, dim2=-1).sqrt()
        out.append({"goal": task["goal"], "first": first.next_obs, "second": second.next_obs,
                    "posterior_std": std[0].numpy()})
    return out


PARTS = ("untrained", "pearl", "oracle", "maml", "rl2")
NAMES = {"untrained": "untrained policy", "pearl": "PEARL", "oracle": "oracle (told the goal)",
         "maml": "MAML (10 episodes per step)", "rl2": "RL^2"}


def run_part(part: str, budget: dict[str, int], seed: int = 0) -> dict[str, object]:
    """Meta-train one method and meta-test it on the 20 held-out goals (3 episodes)."""
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    out: dict[str, object] = {}
    if part in ("untrained", "pearl", "oracle"):
        hp = ORACLE_HP if part == "oracle" else {**PEARL_HP,
                                                   "grad_steps": budget["pearl_grad_steps"]}
        learner = PEARL("point-dense", seed=seed, oracle=part == "oracle", **hp)
        if part != "untrained":
            learner.fit(budget[part])
        out["curve"] = learner.meta_test(n_episodes=3, seed=1)["mean_returns"]
        out["steps"] = learner.num_steps
        if part == "pearl":
            out["trajectories"] = [{k: np.asarray(v).tolist() for k, v in t.items()}
                                   for t in _pearl_trajectories(learner)]
    elif part == "maml":
        maml = MAML("point-dense", seed=seed, hidden_sizes=(64, 64), meta_batch=10,
                    n_test_tasks=20).fit(budget["maml"])
        out["curve"] = maml.meta_test(n_episodes=3, seed=1)["mean_returns"]
        out["steps"] = maml.num_steps
    elif part == "rl2":
        rl2 = RL2(trial_spec("point-dense", 3), seed=seed, n_envs=16, n_steps=20,
                  learning_rate=1e-3, gae_lambda=0.95, gamma=0.99, tensorboard=False,
                  log_every=10**9, checkpoint_every=0).learn(budget["rl2"])
        out["curve"] = rl2_meta_test(rl2, n_trials=20, seed=1)["mean_returns"]
        out["steps"] = rl2.num_steps
    else:
        raise ValueError(f"part must be one of {PARTS}; got {part!r}")
    out["seconds_under_load"] = time.perf_counter() - t0
    return out


def main(out_dir: str | Path = "out/gallery", fast: bool = False, seed: int = 0,
         parts_dir: str | Path | None = None) -> dict[str, object]:
    """Meta-train the methods and the oracle (or read the parts ``--part`` wrote to
    ``parts_dir``), meta-test, draw the figure."""
    budget = QUICK if fast else FULL
    parts = {}
    for part in PARTS:
        path = None if parts_dir is None else Path(parts_dir) / f"{part}.json"
        if path is not None and path.exists():
            parts[part] = json.loads(path.read_text())
        else:
            parts[part] = run_part(part, budget, seed)
    curves = {NAMES[p]: parts[p]["curve"] for p in PARTS}
    steps = {NAMES[p]: parts[p]["steps"] for p in PARTS if p != "untrained"}
    times = {p: parts[p]["seconds_under_load"] for p in PARTS}
    trajectories = [{k: np.asarray(v) for k, v in t.items()}
                    for t in parts["pearl"]["trajectories"]]
    plt = pyplot()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    for name, curve in curves.items():
        style = "--" if name.startswith(("oracle", "untrained")) else "-o"
        label = f"{name}" + (f" ({steps[name] / 1000:.0f}k meta-train steps)" if name in steps
                             else "")
        ax.plot([1, 2, 3], curve, style, label=label)
    env = PointNavigation()  # the optimum: full speed to the goal, then stay
    optimum = env.goal_seeking_return(env.sample_tasks(20, seed=seed + 100_000))
    ax.axhline(optimum, color="k", ls=":", label=f"optimum (goal-seeking policy) {optimum:.2f}")
    ax.set_xticks([1, 2, 3])
    ax.set_xlabel("adaptation episode on a held-out goal")
    ax.set_ylabel("return (mean of 20 goals)")
    ax.set_title("meta-test on point navigation (dense)")
    ax.legend(fontsize=8)
    for k, traj in enumerate(trajectories):
        colour = f"C{k}"
        ax2.plot(*np.vstack([[0, 0], traj["first"]]).T, ":", color=colour)
        ax2.plot(*np.vstack([[0, 0], traj["second"]]).T, "-", color=colour)
        ax2.plot(*traj["goal"], "*", color=colour, ms=14)
    ax2.plot([], [], "k:", label="episode 1: z ~ p(z)")
    ax2.plot([], [], "k-", label="episode 2: z ~ q(z | episode 1)")
    ax2.plot(0, 0, "ko")
    ax2.set_xlim(-1.2, 1.2)
    ax2.set_ylim(-1.2, 1.2)
    ax2.set_aspect("equal")
    ax2.legend(fontsize=8, loc="lower left")
    ax2.set_title("PEARL's posterior sampling (stars: goals)")
    fig.tight_layout()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "meta_rl_point.png", dpi=110)
    plt.close(fig)
    for name, curve in curves.items():
        print(f"{name:32s} " + "  ".join(f"{v:7.2f}" for v in curve))
    print({k: round(v) for k, v in times.items()}, "seconds (measured under load)")
    return {"curves": curves, "steps": steps, "seconds_under_load": times, "optimum": optimum,
            "posterior_std_max": float(max(t["posterior_std"].max() for t in trajectories))}


if __name__ == "__main__":
    PARTS_DIR = Path("out/gallery/meta_rl_point_parts")
    if "--part" in sys.argv:  # one method alone (run the parts in parallel, then plot)
        name = sys.argv[sys.argv.index("--part") + 1]
        PARTS_DIR.mkdir(parents=True, exist_ok=True)
        result = run_part(name, QUICK if "--quick" in sys.argv else FULL)
        (PARTS_DIR / f"{name}.json").write_text(json.dumps(result))
    else:
        main(fast="--quick" in sys.argv, parts_dir=None if "--quick" in sys.argv else PARTS_DIR)
