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
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch

import softrl.training  # noqa: F401  (registers the envs)
from softrl.envs.meta_tasks import trial_spec
from softrl.meta import MAML, PEARL, RL2, rl2_meta_test, rollout_episode
from softrl.plot._mpl import pyplot

FULL = {"pearl": 150, "maml": 150, "rl2": 600_000}
QUICK = {"pearl": 8, "maml": 4, "rl2": 6_000}
PEARL_HP = {"hidden_sizes": (64, 64), "meta_batch": 8, "batch_size": 64, "grad_steps": 25,
            "n_train_tasks": 40, "n_test_tasks": 20}


def _pearl_trajectories(pearl: PEARL, n_goals: int = 3) -> list[dict]:
    """Episode 1 under z ~ p(z), episode 2 under z ~ q(z | episode 1), on held-out goals."""
    out = []
    for i, task in enumerate(pearl.test_tasks[:n_goals]):
        pearl.env.set_task(task)
        first = rollout_episode(pearl.env, pearl._policy(pearl._sample_z(None, task), True),
                                seed=i)
        second = rollout_episode(pearl.env, pearl._policy(
            pearl._sample_z(first.context(), task), True), seed=i)
        with torch.no_grad():
            _, var = pearl.posterior(torch.as_tensor(first.context())[None])
        out.append({"goal": task["goal"], "first": first.next_obs, "second": second.next_obs,
                    "posterior_std": var.sqrt()[0].numpy()})
    return out


def main(out_dir: str | Path = "out/gallery", fast: bool = False, seed: int = 0
         ) -> dict[str, object]:
    """Meta-train the three methods and the oracle, meta-test, draw the figure."""
    torch.set_num_threads(1)
    budget = QUICK if fast else FULL
    times: dict[str, float] = {}
    curves: dict[str, list[float]] = {}
    steps: dict[str, int] = {}

    t0 = time.perf_counter()
    untrained = PEARL("point-dense", seed=seed, **PEARL_HP)
    curves["untrained policy"] = untrained.meta_test(n_episodes=3, seed=1)["mean_returns"]
    for name, hp in (("PEARL", {}), ("oracle (told the goal)", {"oracle": True})):
        learner = PEARL("point-dense", seed=seed, **PEARL_HP, **hp).fit(budget["pearl"])
        curves[name] = learner.meta_test(n_episodes=3, seed=1)["mean_returns"]
        steps[name] = learner.num_steps
        if name == "PEARL":
            pearl = learner
    times["pearl_and_oracle"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    maml = MAML("point-dense", seed=seed, hidden_sizes=(64, 64), meta_batch=10,
                n_test_tasks=20).fit(budget["maml"])
    curves["MAML (10 episodes per step)"] = maml.meta_test(n_episodes=3, seed=1)["mean_returns"]
    steps["MAML (10 episodes per step)"] = maml.num_steps
    times["maml"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    rl2 = RL2(trial_spec("point-dense", 3), seed=seed, n_envs=16, n_steps=20,
              learning_rate=1e-3, gae_lambda=0.95, gamma=0.99, tensorboard=False,
              log_every=10**9, checkpoint_every=0).learn(budget["rl2"])
    curves["RL^2"] = rl2_meta_test(rl2, n_trials=20, seed=1)["mean_returns"]
    steps["RL^2"] = rl2.num_steps
    times["rl2"] = time.perf_counter() - t0

    trajectories = _pearl_trajectories(pearl)
    plt = pyplot()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    for name, curve in curves.items():
        style = "--" if name.startswith(("oracle", "untrained")) else "-o"
        label = f"{name}" + (f" ({steps[name] / 1000:.0f}k meta-train steps)" if name in steps
                             else "")
        ax.plot([1, 2, 3], curve, style, label=label)
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
    return {"curves": curves, "steps": steps, "seconds_under_load": times,
            "posterior_std_max": float(max(t["posterior_std"].max() for t in trajectories))}


if __name__ == "__main__":
    main(fast="--quick" in sys.argv)
