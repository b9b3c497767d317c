"""Entropy-regularized PG (softrl.agents.EntropyPG) beside Stable-Baselines3 A2C on CartPole-v1
(issue 13): env steps/s with identical hyperparameters (8 envs, 16 steps per rollout, one
update per rollout, Adam 7e-4, gamma 0.99, GAE lambda 1, separate 64x64 actor and critic,
entropy weight 0.01, value coefficient 0.5, gradient-norm clip 0.5).

    bench/.venv-sb3/bin/python bench/pg.py speed        # see bench/softq.py for the venv
    bench/.venv-sb3/bin/python bench/pg.py learn --seeds 0 1 2 3 4  # CartPole-v1, 100k steps
    bench/.venv-sb3/bin/python bench/pg.py plot   # bench/pg_learning_curve.png
    bench/.venv-sb3/bin/python bench/pg.py --quick  # smoke run: speed, one round, seconds
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch

from softq import report  # bench/softq.py
from softrl.agents import EntropyPG
from softrl.training import evaluate_policy

ENV = "CartPole-v1"
COMMON = {"n_steps": 16, "gamma": 0.99, "gae_lambda": 1.0, "learning_rate": 7e-4,
          "max_grad_norm": 0.5}


def make_softrl(seed: int) -> EntropyPG:
    return EntropyPG(ENV, seed=seed, n_envs=8, hidden_sizes=(64, 64), temperature=0.01,
                     value_coef=0.5, torch_threads=1, log_every=10**9, checkpoint_every=0,
                     **COMMON)


def make_sb3(seed: int):
    from stable_baselines3 import A2C
    from stable_baselines3.common.env_util import make_vec_env

    env = make_vec_env(ENV, n_envs=8, seed=seed)
    return A2C("MlpPolicy", env, seed=seed, verbose=0, ent_coef=0.01, vf_coef=0.5,
               normalize_advantage=False,
               policy_kwargs={"net_arch": {"pi": [64, 64], "vf": [64, 64]},
                              "optimizer_class": torch.optim.Adam,
                              "optimizer_kwargs": {}}, **COMMON)


def speed(args: argparse.Namespace) -> None:
    """Alternate chunks of both agents in one process; report env steps/s and the ratio."""
    torch.set_num_threads(1)
    agents = {"softrl EntropyPG": make_softrl(0), "SB3 A2C": make_sb3(0)}
    for agent in agents.values():  # warm-up
        agent.learn(args.warmup)
    rates: dict[str, list[float]] = {k: [] for k in agents}
    cpu_rates: dict[str, list[float]] = {k: [] for k in agents}
    for _ in range(args.rounds):
        for name, agent in agents.items():
            start, cpu = time.perf_counter(), time.process_time()
            if name == "SB3 A2C":
                agent.learn(args.chunk, reset_num_timesteps=False)
            else:
                agent.learn(args.chunk)
            rates[name].append(args.chunk / (time.perf_counter() - start))
            cpu_rates[name].append(args.chunk / (time.process_time() - cpu))
    report(rates, cpu_rates, "softrl EntropyPG", "SB3 A2C", "pg-speed",
           f"CartPole-v1, 8 envs x 16 steps per update, chunks of {args.chunk} env steps x "
           f"{args.rounds} rounds after {args.warmup} warm-up steps, one torch thread")


# Learning settings for CartPole-v1: rl-zoo's PPO rollouts and epochs (8 envs x 32 steps,
# batch 256, 20 epochs, gamma 0.98, GAE 0.8, ratio clip 0.2, lr 1e-3) with the soft reward
# r - T log pi at T = 0.01 in place of PPO's entropy bonus 0.
LEARN = {"n_envs": 8, "n_steps": 32, "n_epochs": 20, "batch_size": 256, "learning_rate": 1e-3,
         "gamma": 0.98, "gae_lambda": 0.8, "temperature": 0.01, "value_coef": 0.5,
         "max_grad_norm": 0.5, "normalize_advantages": True, "clip_range": 0.2,
         "hidden_sizes": (64, 64)}
RESULTS = Path(__file__).parent / "pg_runs"


def make_sb3_ppo(seed: int):
    """rl-baselines3-zoo's PPO for CartPole-v1 (linear schedules of lr 1e-3 and clip 0.2)."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    def linear(start: float):
        return lambda progress: progress * start

    env = make_vec_env(ENV, n_envs=8, seed=seed)
    return PPO("MlpPolicy", env, seed=seed, verbose=0, n_steps=32, batch_size=256,
               gae_lambda=0.8, gamma=0.98, n_epochs=20, ent_coef=0.0,
               learning_rate=linear(1e-3), clip_range=linear(0.2))


def learn(args: argparse.Namespace) -> None:
    """Greedy mean return over 20 episodes every ``eval_every`` steps; first step >= 475."""
    torch.set_num_threads(1)
    RESULTS.mkdir(exist_ok=True)
    env = gym.make(ENV)
    for seed in args.seeds:
        for kind in args.agents:
            if kind == "sb3":
                agent = make_sb3_ppo(seed)
                policy = lambda o, a=agent: a.predict(o, deterministic=True)[0]  # noqa: E731
            else:
                agent = EntropyPG(ENV, seed=seed, torch_threads=1, log_every=10**9,
                                  checkpoint_every=0, **LEARN)
                policy = greedy(agent)
            curve, first = [], None
            for step in range(args.eval_every, args.steps + 1, args.eval_every):
                if kind == "sb3":
                    agent.learn(args.eval_every, reset_num_timesteps=False)
                else:
                    agent.learn(args.eval_every, progress_bar=False)
                ret = evaluate_policy(policy, env, 20, seed=10_000 + seed)["mean_return"]
                curve.append((step, ret))
                if first is None and ret >= 475:
                    first = step
                print(kind, seed, step, f"{ret:.1f}", flush=True)
            final = evaluate_policy(policy, env, 100, seed=20_000 + seed)["mean_return"]
            tag = "pg" if kind == "softrl" else "sb3ppo"
            out = {"seed": seed, "curve": curve, "first_475": first, "final_100": final}
            if kind == "softrl":
                out["settings"] = {k: list(v) if isinstance(v, tuple) else v
                                   for k, v in LEARN.items()}
            (RESULTS / f"{tag}-s{seed}.json").write_text(json.dumps(out))
            print(f"{kind} seed {seed}: first >= 475 at {first}, final 100-episode return "
                  f"{final:.1f}")


def greedy(agent: EntropyPG):
    return lambda o: agent.act(o, deterministic=True)


def plot(args: argparse.Namespace) -> None:
    """bench/pg_learning_curve.png: mean and range over seeds."""
    from softrl.plot._mpl import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for tag, label in (("pg", "softrl EntropyPG"), ("sb3ppo", "SB3 PPO (rl-zoo)")):
        runs = [json.loads(f.read_text()) for f in sorted(RESULTS.glob(f"{tag}-s*.json"))]
        if not runs:
            continue
        steps = [s for s, _ in runs[0]["curve"]]
        values = np.array([[v for _, v in r["curve"]] for r in runs])
        ax.plot(steps, values.mean(0), label=f"{label}, mean of {len(runs)} seeds")
        ax.fill_between(steps, values.min(0), values.max(0), alpha=0.2)
    ax.axhline(475, color="gray", ls=":")
    ax.set_xlabel("env steps")
    ax.set_ylabel("greedy mean return (20 episodes)")
    ax.set_title("CartPole-v1")
    ax.legend()
    fig.tight_layout()
    fig.savefig(Path(__file__).parent / "pg_learning_curve.png", dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: speed with 512 warm-up steps and one 4096-step round")
    sub = parser.add_subparsers(dest="cmd")
    p = sub.add_parser("speed")
    p.add_argument("--chunk", type=int, default=20_480)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--warmup", type=int, default=4096, help="steps before timing")
    p = sub.add_parser("learn")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--steps", type=int, default=100_000)
    p.add_argument("--eval-every", type=int, default=10_000)
    p.add_argument("--agents", nargs="+", default=["softrl", "sb3"], choices=["softrl", "sb3"])
    sub.add_parser("plot")
    args = parser.parse_args()
    if args.quick:
        args = parser.parse_args(["speed", "--chunk", "4096", "--rounds", "1", "--warmup", "512"])
    elif args.cmd is None:
        parser.error("a command is required: speed, learn or plot (or --quick)")
    {"speed": speed, "learn": learn, "plot": plot}[args.cmd](args)


if __name__ == "__main__":
    main()
