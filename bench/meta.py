"""Meta-RL benchmarks of issue 18 (softrl.meta): RL^2 on the RL^2 paper's Bernoulli bandits,
MAML and PEARL on 2-D point navigation. Results go to bench/meta_runs/*.json.

    .venv/bin/python bench/meta.py rl2 --seeds 0 1 2          # bandits n=10, k=5
    .venv/bin/python bench/meta.py baselines                   # softrl.bandits UCB1, Thompson
    .venv/bin/python bench/meta.py point --algo pearl --seed 0 # also maml, oracle, scratch
    .venv/bin/python bench/meta.py probe --set kl_weight=0.1   # what PEARL's z knows
    .venv/bin/python bench/meta.py report                      # the tables of RESULTS.md
    .venv/bin/python bench/meta.py --quick     # smoke run: each learner for a few iterations

Reference figures (Duan et al. 2016, Table 1, n=10, k=5): random 5.0, Gittins 6.6, UCB1 6.7,
Thompson 5.7, RL^2 6.7.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

RUNS = Path(__file__).resolve().parent / "meta_runs"
RL2_HP = {"learning_rate": 3e-3, "gae_lambda": 1.0, "gru_size": 64, "n_envs": 32,
          "n_steps": 20, "temperature": 0.01, "gamma": 1.0}
POINT_HP = {
    # PEARL's point-robot balance (softrl.meta.PEARLConfig): T = 0.01 and beta = 1.6e-4 on
    # unscaled rewards; the context refilled with 2 prior-z and 2 posterior episodes per
    # collecting task; full-covariance factors and the encoder's own step size 1e-3 (the
    # config's defaults since 2026-12-02; spelled out so the JSON files record them).
    "pearl": {"hidden_sizes": (64, 64), "meta_batch": 8, "batch_size": 64, "grad_steps": 100,
              "n_train_tasks": 100, "prior_episodes": 2, "posterior_episodes": 2,
              "temperature": 0.01, "kl_weight": 1.6e-4, "encoder_covariance": "full",
              "encoder_learning_rate": 1e-3, "posterior_in_context": True},
    "oracle": {"hidden_sizes": (64, 64), "meta_batch": 8, "batch_size": 64, "grad_steps": 25,
               "n_train_tasks": 40, "oracle": True, "temperature": 0.1},
    "maml": {"hidden_sizes": (64, 64), "meta_batch": 10, "episodes_per_task": 10},
}
# The "from scratch" baseline: PEARL's SAC with the same budget, told nothing (z = 0).
POINT_HP["scratch"] = {**POINT_HP["pearl"], "no_context": True}


def _save(name: str, data: dict) -> None:
    RUNS.mkdir(parents=True, exist_ok=True)
    (RUNS / f"{name}.json").write_text(json.dumps(data, indent=1))
    print(f"wrote {RUNS / name}.json", flush=True)


def bandit_baselines(n: int = 10, k: int = 5, tasks: int = 100_000, seed: int = 0) -> dict:
    """Mean total reward E[sum_t mu_{a_t}] of softrl.bandits' UCB1 and Thompson sampling over
    ``tasks`` bandits with means ~ U[0, 1]^k (one run per task)."""
    from softrl.bandits import BernoulliBandit, run

    means = np.random.default_rng(seed).uniform(size=(tasks, k))
    best = n * means.max(1)
    out = {"random": float(n * means.mean())}
    for algo in ("ucb1", "thompson"):
        res = run(BernoulliBandit(means), algo, horizon=n, runs=tasks, seed=seed)
        total = best - res.final
        out[algo] = float(total.mean())
        out[algo + "_se"] = float(total.std() / np.sqrt(tasks))
    return out


def cmd_rl2(args: argparse.Namespace) -> None:
    import softrl.training  # noqa: F401  (registers the envs)
    from softrl.envs.meta_tasks import trial_spec
    from softrl.meta import RL2

    torch.set_num_threads(1)
    hp = dict(RL2_HP)
    for pair in args.set:
        name, value = pair.split("=", 1)
        hp[name] = json.loads(value)
    for seed in args.seeds:
        agent = RL2(trial_spec(f"bandit-k5-n{args.pulls}"), seed=seed, tensorboard=False,
                    log_every=10**9, checkpoint_every=0, **hp)
        t0, curve = time.perf_counter(), []
        chunk = args.steps // args.points
        while agent.num_steps < args.steps:
            agent.learn(chunk)
            ev = agent.evaluate(args.eval_trials // 4, deterministic=False, seed=10**6)
            curve.append((agent.num_steps, time.perf_counter() - t0, ev["mean_return"]))
            print(seed, *curve[-1], flush=True)
            _save(f"rl2{args.tag}_bandit_n{args.pulls}_seed{seed}_partial", {
                "seed": seed, "hp": hp, "curve": curve, "finished": False})
        wall = time.perf_counter() - t0
        final = {d: agent.evaluate(args.eval_trials, deterministic=d, seed=10**7)
                 for d in (False, True)}
        _save(f"rl2{args.tag}_bandit_n{args.pulls}_seed{seed}", {
            "seed": seed, "steps": agent.num_steps, "wall_s_under_load": wall,
            "hp": hp, "curve": curve, "eval_trials": args.eval_trials,
            "sampled": final[False], "greedy": final[True]})


def goal_seeking_return(tasks: str = "point-dense", seed: int = 0, n: int = 20) -> float:
    """Mean return on the held-out goals of a learner with ``seed`` (its ``test_tasks``) of the
    hand-written policy a = clip(goal - p, -0.1, 0.1): straight to the goal at full speed,
    then stay (the optimum of the dense task: each step takes the box's closest point)."""
    from softrl.envs.meta_tasks import make_task_env

    env = make_task_env(tasks)
    return env.goal_seeking_return(env.sample_tasks(n, seed=seed + 100_000))


def cmd_baselines(args: argparse.Namespace) -> None:
    res = bandit_baselines(args.pulls)
    print(json.dumps(res, indent=1))
    _save(f"bandit_baselines_n{args.pulls}", res)


def cmd_point(args: argparse.Namespace) -> None:
    from softrl.meta import MAML, PEARL

    torch.set_num_threads(1)
    hp = dict(POINT_HP[args.algo])
    for pair in args.set:
        name, value = pair.split("=", 1)
        hp[name] = json.loads(value)
    klass = MAML if args.algo == "maml" else PEARL
    learner = klass(args.tasks, seed=args.seed, **hp)
    t0, curve = time.perf_counter(), []
    for _ in range(args.points):
        learner.fit(args.iterations // args.points)
        test = learner.meta_test(n_episodes=args.episodes, seed=123)
        curve.append({"env_steps": learner.num_steps, "iteration": learner.iteration,
                      "wall_s": time.perf_counter() - t0,
                      "mean_returns": test["mean_returns"]})
        print(args.algo, curve[-1], flush=True)
        _save(f"{args.algo}{args.tag}_{args.tasks}_seed{args.seed}", {
            "algo": args.algo, "tasks": args.tasks, "seed": args.seed,
            "hp": {k: list(v) if isinstance(v, tuple) else v for k, v in hp.items()},
            "curve": curve, "wall_s_under_load": time.perf_counter() - t0})


def encoder_probe(learner, n_contexts: int = 10, seed: int = 1) -> dict[str, float]:
    """What PEARL's posterior mean knows about the goal: least-squares probes fitted on the
    first 75% of the training tasks and scored (R^2) on the other 25%, from the posterior
    mean of ``n_contexts`` contexts per task drawn as in training (features 1, mu, mu^2):
    ``r2_goal`` for the goal (x, y), ``r2_distance`` for |goal|. ``critic_loss_z`` and
    ``critic_loss_shuffled`` are the critic loss on 16 tasks with their own z and with the z
    of another task of the batch (how much the critic relies on z)."""
    import softrl.functional as F

    rng, c = np.random.default_rng(seed), learner.config
    feats, goals = [], []
    with torch.no_grad():
        for i, task in enumerate(learner.train_tasks):
            for _ in range(n_contexts):
                ctx = learner.context_buffers[i].sample_context(c.context_size, rng,
                                                                learner.device)[None]
                feats.append(learner.posterior(ctx)[0][0].numpy())
                goals.append(task["goal"])
    x, y = np.asarray(feats), np.asarray(goals)
    x = np.c_[np.ones(len(x)), x, x ** 2]
    train = np.arange(len(x)) < int(0.75 * len(x))

    def r2(target: np.ndarray) -> float:
        w, *_ = np.linalg.lstsq(x[train], target[train], rcond=None)
        res = target[~train] - x[~train] @ w
        return float(1 - (res ** 2).sum() / ((target[~train] - target[~train].mean(0)) ** 2).sum())

    out = {"r2_goal": r2(y), "r2_distance": r2(np.linalg.norm(y, axis=1))}
    idx = np.arange(min(16, len(learner.train_tasks)))
    gen = torch.Generator().manual_seed(seed)
    batch = [learner.rl_buffers[i].sample(256, rng, learner.device) for i in idx]
    obs, act, rew, nxt = (torch.stack([b[k] for b in batch]) for k in range(4))
    ctx = torch.stack([learner.context_buffers[i].sample_context(c.context_size, rng,
                                                                 learner.device) for i in idx])
    with torch.no_grad():
        mean = learner.posterior(ctx)[0]
        for name, z in (("critic_loss_z", mean),
                        ("critic_loss_shuffled", mean.roll(1, 0))):
            zs = z[:, None].expand(len(idx), 256, z.shape[-1]).reshape(len(idx) * 256, -1)
            s, s2 = obs.reshape(len(zs), -1), nxt.reshape(len(zs), -1)
            a = learner.normalize_action(act.reshape(len(zs), -1))
            r = rew.reshape(-1)
            s_z, s2_z = torch.cat([s, zs], -1), torch.cat([s2, zs], -1)
            a2, logp2 = learner.actor.sample(s2_z, gen)
            target = F.soft_q_target(r, torch.zeros_like(r), learner.critic_target(s2_z, a2),
                                     logp2, c.temperature, c.gamma)
            out[name] = float(F.critic_loss(learner.critic(s_z, a), target))
    return out


def cmd_probe(args: argparse.Namespace) -> None:
    """PEARL on point-dense for ``--iterations``, the encoder probe every ``--points``-th."""
    from softrl.meta import PEARL

    torch.set_num_threads(1)
    hp = dict(POINT_HP["pearl"])
    for pair in args.set:
        name, value = pair.split("=", 1)
        hp[name] = json.loads(value)
    learner, curve = PEARL(args.tasks, seed=args.seed, **hp), []
    for _ in range(args.points):
        learner.fit(args.iterations // args.points)
        test = learner.meta_test(n_episodes=3, seed=123)
        curve.append({"iteration": learner.iteration, "env_steps": learner.num_steps,
                      **encoder_probe(learner), "mean_returns": test["mean_returns"]})
        print(curve[-1], flush=True)
    _save(f"probe{args.tag}_{args.tasks}_seed{args.seed}", {
        "tasks": args.tasks, "seed": args.seed,
        "hp": {k: list(v) if isinstance(v, tuple) else v for k, v in hp.items()},
        "curve": curve})


def cmd_quick(args: argparse.Namespace) -> None:
    """Smoke run: RL^2 for 6,400 env steps (bandits n=10, k=5), the bandit baselines on 2,000
    tasks, PEARL and MAML for 2 iterations on point-dense with small batches; nothing is
    written but the summary."""
    import os

    import softrl.training  # noqa: F401  (registers the envs)
    from softrl.envs.meta_tasks import trial_spec
    from softrl.meta import MAML, PEARL, RL2
    from summary import table, write_summary  # bench/summary.py

    torch.set_num_threads(1)
    rows = []
    t0 = time.perf_counter()
    agent = RL2(trial_spec("bandit-k5-n10"), seed=0, tensorboard=False, log_every=10**9,
                checkpoint_every=0, **RL2_HP)
    agent.learn(6400)
    ret = agent.evaluate(100, deterministic=False, seed=10**6)["mean_return"]
    rows.append(["RL^2, bandits n=10 k=5", f"{agent.num_steps} env steps",
                 f"{ret:.2f} (100 trials)", f"{time.perf_counter() - t0:.1f}"])
    t0 = time.perf_counter()
    base = bandit_baselines(10, tasks=2000)
    rows.append(["UCB1 / Thompson, same bandits", "2000 tasks",
                 f"{base['ucb1']:.2f} / {base['thompson']:.2f}",
                 f"{time.perf_counter() - t0:.1f}"])
    for name, klass, hp in (
            ("PEARL", PEARL, {**POINT_HP["pearl"], "meta_batch": 2, "grad_steps": 5,
                              "n_train_tasks": 8, "tasks_per_iteration": 2}),
            ("MAML", MAML, {**POINT_HP["maml"], "meta_batch": 2, "episodes_per_task": 2})):
        t0 = time.perf_counter()
        learner = klass("point-dense", seed=0, **hp)
        learner.fit(2)
        test = learner.meta_test(n_episodes=1, seed=123)
        rows.append([f"{name}, point-dense", f"{learner.iteration} iterations, "
                     f"{learner.num_steps} env steps",
                     " / ".join(f"{x:.1f}" for x in test["mean_returns"]),
                     f"{time.perf_counter() - t0:.1f}"])
    md = (f"one torch thread; load average {os.getloadavg()[0]:.2f}\n\n"
          + table(["learner", "budget", "return (meta-test: per adaptation episode)",
                   "wall s"], rows))
    write_summary("meta-quick", md, {"rows": rows})
    print(md)


def cmd_report(args: argparse.Namespace) -> None:
    for tasks in ("point-dense", "point-sparse"):
        print(f"goal-seeking optimum on {tasks}'s 20 held-out goals (seed 0): "
              f"{goal_seeking_return(tasks):.2f}")
    for path in sorted(RUNS.glob("*.json")):
        data = json.loads(path.read_text())
        if path.name.startswith("rl2") and not data.get("finished", True):
            step, wall, ret = data["curve"][-1]
            print(f"| {path.stem} (running) | {step} | {wall / 60:.1f} | {ret:.2f} | - |")
        elif path.name.startswith("rl2"):
            print(f"| {path.stem} | {data['steps']} | {data['wall_s_under_load'] / 60:.1f} | "
                  f"{data['sampled']['mean_return']:.2f} | {data['greedy']['mean_return']:.2f} |")
        elif "curve" in data:
            last = data["curve"][-1]
            print(f"| {path.stem} | {last['env_steps']} | {last['iteration']} | "
                  + " | ".join(f"{x:.2f}" for x in last["mean_returns"]) + " |")
        else:
            print(path.stem, data)


def cmd_plot(args: argparse.Namespace) -> None:
    """Return after each adaptation episode against meta-training env steps, one line per
    run file (``--runs`` stems in bench/meta_runs), beside the goal-seeking optimum, the
    oracle's level and the 20% band around it."""
    from softrl.plot._mpl import pyplot

    plt = pyplot()
    optimum = goal_seeking_return(args.tasks)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for ax, episode, title in ((axes[0], 1, "episode 2 (after 1 adaptation episode)"),
                               (axes[1], 2, "episode 3 (after 2 adaptation episodes)")):
        for stem in args.runs:
            data = json.loads((RUNS / f"{stem}.json").read_text())
            steps = [p["env_steps"] for p in data["curve"]]
            rets = [p["mean_returns"][episode] for p in data["curve"]]
            ax.plot(steps, rets, marker="o", ms=3, label=stem.replace("_point-dense", ""))
        ax.axhline(optimum, color="k", ls="--", lw=1, label=f"goal-seeking optimum {optimum:.2f}")
        if args.oracle is not None:
            ax.axhspan(1.2 * args.oracle, args.oracle, color="g", alpha=0.15,
                       label=f"within 20% of the oracle ({args.oracle:.2f})")
        ax.set_xscale("log")
        ax.set_xlabel("meta-training env steps")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(f"mean return, 20 held-out goals ({args.tasks})")
    axes[1].legend(fontsize=7, loc="lower right")
    fig.text(0.01, 0.01, "PEARL and RL^2 adapt per episode; MAML's k-th adaptation is an inner "
             "policy-gradient step on 10 episodes of the goal.", fontsize=8)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: RL^2, baselines, PEARL, MAML with tiny budgets")
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("rl2")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--steps", type=int, default=1_200_000)
    p.add_argument("--points", type=int, default=12)
    p.add_argument("--pulls", type=int, default=10)
    p.add_argument("--eval-trials", type=int, default=2000)
    p.add_argument("--set", action="append", default=[], metavar="NAME=JSON",
                   help="override a hyperparameter")
    p.add_argument("--tag", default="", help="suffix of the result file's name")
    p.set_defaults(func=cmd_rl2)
    p = sub.add_parser("baselines")
    p.add_argument("--pulls", type=int, default=10)
    p.set_defaults(func=cmd_baselines)
    p = sub.add_parser("point")
    p.add_argument("--algo", choices=sorted(POINT_HP), required=True)
    p.add_argument("--tasks", default="point-dense")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--iterations", type=int, default=200)
    p.add_argument("--points", type=int, default=10)
    p.add_argument("--episodes", type=int, default=3,
                   help="adaptation episodes of each meta-test (at least 3 for the plot)")
    p.add_argument("--set", action="append", default=[], metavar="NAME=JSON",
                   help="override a hyperparameter")
    p.add_argument("--tag", default="", help="suffix of the result file's algorithm name")
    p.set_defaults(func=cmd_point)
    p = sub.add_parser("probe", help="PEARL with the encoder probe (what z knows)")
    p.add_argument("--tasks", default="point-dense")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--iterations", type=int, default=80)
    p.add_argument("--points", type=int, default=2)
    p.add_argument("--set", action="append", default=[], metavar="NAME=JSON",
                   help="override a hyperparameter")
    p.add_argument("--tag", default="", help="suffix of the result file's name")
    p.set_defaults(func=cmd_probe)
    sub.add_parser("report").set_defaults(func=cmd_report)
    p = sub.add_parser("plot", help="adapted return against env steps, one line per run")
    p.add_argument("--runs", nargs="+", required=True, help="stems of bench/meta_runs/*.json")
    p.add_argument("--tasks", default="point-dense")
    p.add_argument("--oracle", type=float, default=None, help="the oracle's return")
    p.add_argument("--out", default=str(Path(__file__).resolve().parent / "meta_point.png"))
    p.set_defaults(func=cmd_plot)
    args = parser.parse_args()
    if args.quick:
        cmd_quick(args)
    elif args.command is None:
        parser.error("a command is required: rl2, baselines, point or report (or --quick)")
    else:
        args.func(args)


if __name__ == "__main__":
    main()
