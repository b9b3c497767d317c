"""AIRL, GAIL and GCL (softrl.irl.deep) on Pendulum-v1 and CartPole-v1: normalized scores
(score - random) / (expert - random) on the true reward, wall-clock, and reward transfer
(a fresh agent on AIRL's learned reward alone) - issue 15.

    python bench/adversarial_irl.py expert --env Pendulum-v1 --episodes 10   # demos
    python bench/adversarial_irl.py run --env Pendulum-v1 --algorithm airl --seeds 0 1 \\
        --steps 20000 --transfer-steps 15000
    python bench/adversarial_irl.py table                                   # summary
    python bench/adversarial_irl.py --quick   # smoke run: each algorithm 600 steps, Pendulum

Each run writes bench/adversarial_irl_runs/ENV-ALGORITHM-sSEED.json (returns, wall-clock,
transfer). The demonstrations come from scripted experts (an energy-pumping swing-up + PD
controller for Pendulum, mean return about -137; a linear controller for CartPole, 500) and
live in bench/adversarial_irl_runs/experts/.
The imitation peer (its own venv bench/.venv-imitation with gymnasium 0.29) is not run here.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch

import softrl.training  # noqa: F401  (registers softrl/FixedHorizonCartPole-v0)

RUNS = Path(__file__).parent / "adversarial_irl_runs"
EXPERTS = RUNS / "experts"

# Inner-agent settings per env (SAC for Pendulum, SoftQ for CartPole).
INNER = {
    "Pendulum-v1": dict(hidden_sizes=(64, 64), learning_starts=1000, disc_every=1000,
                        disc_steps=16, disc_recent=4000, disc_learning_rate=3e-4,
                        initial_temperature=0.2),
    "CartPole-v1": dict(hidden_sizes=(64, 64), learning_starts=1000, disc_every=1000,
                        disc_steps=16, disc_recent=4000, learning_rate=1e-3, temperature=0.05,
                        train_freq=1, target_update_interval=500, batch_size=64),
}
# imitation's CartPole benchmark: seals/CartPole-v0, fixed horizon 500, no termination.
FIXED_CARTPOLE = "softrl/FixedHorizonCartPole-v0"
INNER[FIXED_CARTPOLE] = INNER["CartPole-v1"]


def slug(env_id: str) -> str:
    """The env id as a file-name part (softrl/X-v0 -> softrl_X-v0)."""
    return env_id.replace("/", "_")


def random_return(env_id: str, episodes: int = 20) -> float:
    env = gym.make(env_id)
    env.action_space.seed(0)
    total = []
    for k in range(episodes):
        env.reset(seed=10_000 + k)
        ret, done = 0.0, False
        while not done:
            _, r, te, tr, _ = env.step(env.action_space.sample())
            ret, done = ret + float(r), te or tr
        total.append(ret)
    return float(np.mean(total))


def scripted_pendulum(obs: np.ndarray) -> np.ndarray:
    """Energy-pumping swing-up, then a PD controller near the top (mean return about -137)."""
    c, s, w = (float(x) for x in obs)
    th = np.arctan2(s, c)
    if c > 0.85:
        u = -(12.0 * th + 2.5 * w)
    else:
        energy = w**2 / 6 + 5.0 * c  # (1/2)(m l^2 / 3) w^2 + m g (l / 2) cos th; top: 5
        u = 2.0 * np.sign(w) * (1 if energy < 5.0 else -1) if abs(w) > 1e-3 else 2.0
    return np.array([np.clip(u, -2.0, 2.0)], np.float32)


def scripted_cartpole(obs: np.ndarray) -> int:
    """A linear controller on (x, x', theta, theta'): 500 in every episode."""
    x, xd, th, thd = (float(v) for v in obs)
    return int(10 * th + 2 * thd + 0.1 * x + 0.5 * xd > 0)


def scripted_demos(env_id: str, episodes: int, seed: int = 0):
    from softrl.demos import Demonstrations

    policy = scripted_pendulum if env_id == "Pendulum-v1" else scripted_cartpole
    env = gym.make(env_id)
    cols: dict[str, list] = {k: [] for k in ("obs", "actions", "rewards", "next_obs",
                                              "terminated", "truncated")}
    starts = []
    for k in range(episodes):
        obs, _ = env.reset(seed=seed + k)
        starts.append(len(cols["obs"]))
        done = False
        while not done:
            a = policy(obs)
            nxt, r, te, tr, _ = env.step(a)
            for key, v in zip(cols, (obs, a, r, nxt, te, tr), strict=True):
                cols[key].append(v)
            obs, done = nxt, te or tr
    return Demonstrations(
        obs=np.array(cols["obs"], np.float32), actions=np.array(cols["actions"]),
        rewards=np.array(cols["rewards"], np.float64),
        next_obs=np.array(cols["next_obs"], np.float32),
        terminated=np.array(cols["terminated"]), truncated=np.array(cols["truncated"]),
        episode_starts=np.array(starts, np.int64), env_id=env_id)


def cmd_expert(args: argparse.Namespace) -> None:
    """Demonstrations of a scripted expert (training one here is too slow on the shared CPU)."""
    from softrl.demos import save_demos

    EXPERTS.mkdir(parents=True, exist_ok=True)
    demos = scripted_demos(args.env, args.episodes)
    save_demos(demos, EXPERTS / f"{slug(args.env)}-demos.npz")
    info = {"env": args.env, "expert": "scripted", "demo_episodes": args.episodes,
            "demo_return": float(demos.episode_returns().mean()),
            "random_return": random_return(args.env)}
    (EXPERTS / f"{slug(args.env)}-expert.json").write_text(json.dumps(info, indent=1))
    print(info)


def cmd_run(args: argparse.Namespace) -> None:
    from softrl.irl.deep import AIRL, GAIL, GCL, train_on_learned_reward
    from softrl.irl.deep.cli import plot_adversarial_run

    torch.set_num_threads(1)
    info = json.loads((EXPERTS / f"{slug(args.env)}-expert.json").read_text())
    demos = EXPERTS / f"{slug(args.env)}-demos.npz"
    factory = {"airl": AIRL, "gail": GAIL, "gcl": GCL}[args.algorithm]
    settings = {**INNER[args.env], **{k: json.loads(v) for k, v in
                                      (kv.split("=", 1) for kv in args.hp)}}
    tag = args.algorithm + "".join(f"-{kv}" for kv in args.hp)
    for seed in args.seeds:
        run_dir = RUNS / f"{slug(args.env)}-{tag}-s{seed}"
        if run_dir.exists():
            shutil.rmtree(run_dir)
        t0 = time.perf_counter()
        learner = factory(args.env, run_dir=run_dir, demos=str(demos), seed=seed,
                          torch_threads=1, checkpoint_every=0, log_every=10**9,
                          tensorboard=False, **settings)
        curve = []
        for _ in range(args.steps // args.eval_every):
            learner.learn(args.eval_every)
            logs = {k: round(v.item(), 4) for k, v in learner._disc_logs.items()}
            curve.append((learner.num_steps, learner.evaluate(5)["mean_return"], logs))
            print(args.algorithm, seed, curve[-1], flush=True)
        wall = time.perf_counter() - t0
        score = learner.evaluate(10)["mean_return"]
        norm = (score - info["random_return"]) / (info["demo_return"] - info["random_return"])
        result = {"env": args.env, "algorithm": args.algorithm, "seed": seed,
                  "steps": args.steps, "return": score, "normalized": norm, "curve": curve,
                  "wall_s_under_load": wall, "load_average": os.getloadavg(),
                  "settings": {k: str(v) for k, v in settings.items()}}
        if args.transfer_steps and args.algorithm != "gail":
            t1 = time.perf_counter()
            _, tcurve = train_on_learned_reward(learner, args.env, args.transfer_steps,
                                                seed=seed, eval_every=args.eval_every)
            result["transfer"] = {"steps": args.transfer_steps, "return": tcurve[-1][1],
                                  "normalized": (tcurve[-1][1] - info["random_return"])
                                  / (info["demo_return"] - info["random_return"]),
                                  "curve": tcurve,
                                  "wall_s_under_load": time.perf_counter() - t1}
        learner.save(run_dir / "final", include_buffer=False)
        plot_adversarial_run(learner, run_dir, run_dir / "irl.png",
                             transfer_curve=result.get("transfer", {}).get("curve"))
        path = RUNS / f"{slug(args.env)}-{tag}-s{seed}.json"
        path.write_text(json.dumps(result, indent=1))
        print(json.dumps({k: v for k, v in result.items() if k != "curve"}), flush=True)


def cmd_quick(args: argparse.Namespace) -> None:
    """Smoke run: AIRL, GAIL and GCL on Pendulum-v1 for 600 env steps each (200 warm-up,
    discriminator every 200 steps) from 2 in-memory scripted demos, in a temporary folder;
    nothing is written but the summary."""
    import tempfile

    from softrl.irl.deep import AIRL, GAIL, GCL
    from summary import table, write_summary  # bench/summary.py

    torch.set_num_threads(1)
    env_id, steps = "Pendulum-v1", 600
    demos = scripted_demos(env_id, 2)
    settings = {**INNER[env_id], "learning_starts": 200, "disc_every": 200, "disc_recent": 400}
    rows, data = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, factory in (("airl", AIRL), ("gail", GAIL), ("gcl", GCL)):
            t0 = time.perf_counter()
            learner = factory(env_id, run_dir=Path(tmp) / name, demonstrations=demos, seed=0,
                              torch_threads=1, checkpoint_every=0, log_every=10**9,
                              tensorboard=False, **settings)
            learner.learn(steps)
            ret = learner.evaluate(2)["mean_return"]
            wall = time.perf_counter() - t0
            rows.append([name, steps, f"{ret:.1f}", f"{wall:.1f}", f"{steps / wall:.0f}"])
            data[name] = {"return": ret, "wall_s": wall}
            print(name, data[name], flush=True)
    md = (f"{env_id}, {steps} env steps each, 2 scripted demos (return "
          f"{demos.episode_returns().mean():.0f}); load average {os.getloadavg()[0]:.2f}\n\n"
          + table(["algorithm", "env steps", "return (2 episodes)", "wall s", "env steps/s"],
                  rows))
    write_summary("adversarial_irl-quick", md, data)
    print(md)


def cmd_table(args: argparse.Namespace) -> None:
    """One row per (env, algorithm and settings, steps) over its seeds, from the run JSONs."""
    groups: dict[tuple[str, str, int], list[dict]] = {}
    for p in sorted(RUNS.glob("*-s*.json")):
        r = json.loads(p.read_text())
        tag = p.stem[len(slug(r["env"])) + 1:p.stem.rindex("-s")]
        groups.setdefault((r["env"], tag, r["steps"]), []).append(r)
    lines = ["| env | algorithm, settings | env steps | seeds | normalized: mean (min-max) | "
             "per seed | transfer: mean (min), steps | wall s: median | load (1 min) |",
             "|---|---|---|---|---|---|---|---|---|"]
    data = []
    for (env, tag, steps), runs in sorted(groups.items()):
        runs.sort(key=lambda r: r["seed"])
        norm = np.array([r["normalized"] for r in runs])
        trans = [r["transfer"] for r in runs if "transfer" in r]
        tr = (f"{np.mean([t['normalized'] for t in trans]):.2f} "
              f"({min(t['normalized'] for t in trans):.2f}), {trans[0]['steps']}"
              if trans else "-")
        loads = [r["load_average"][0] for r in runs if "load_average" in r]
        load = f"{min(loads):.1f}-{max(loads):.1f}" if loads else "not recorded"
        lines.append(
            f"| {env} | {tag} | {steps} | {len(runs)} | {norm.mean():.2f} ({norm.min():.2f}-"
            f"{norm.max():.2f}) | {', '.join(f'{x:.2f}' for x in norm)} | {tr} | "
            f"{np.median([r['wall_s_under_load'] for r in runs]):.0f} | {load} |")
        data.append({"env": env, "algorithm": tag, "steps": steps, "seeds": len(runs),
                     "normalized": norm.tolist(),
                     "transfer": [t["normalized"] for t in trans]})
    print("\n".join(lines))
    from summary import write_summary  # bench/summary.py

    write_summary("adversarial_irl", "\n".join(lines), {"groups": data})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: AIRL, GAIL, GCL for 600 steps each on Pendulum-v1")
    sub = parser.add_subparsers(dest="cmd")
    e = sub.add_parser("expert")
    e.add_argument("--env", default="Pendulum-v1")
    e.add_argument("--episodes", type=int, default=10)
    r = sub.add_parser("run")
    r.add_argument("--env", default="Pendulum-v1")
    r.add_argument("--algorithm", choices=["airl", "gail", "gcl"], default="airl")
    r.add_argument("--seeds", type=int, nargs="+", default=[0])
    r.add_argument("--steps", type=int, default=20_000)
    r.add_argument("--eval-every", type=int, default=2_000)
    r.add_argument("--transfer-steps", type=int, default=0)
    r.add_argument("--hp", nargs="*", default=[], help="KEY=JSON overrides of the settings")
    sub.add_parser("table")
    args = parser.parse_args()
    if args.quick:
        cmd_quick(args)
    elif args.cmd is None:
        parser.error("a command is required: expert, run or table (or --quick)")
    else:
        {"expert": cmd_expert, "run": cmd_run, "table": cmd_table}[args.cmd](args)


if __name__ == "__main__":
    main()
