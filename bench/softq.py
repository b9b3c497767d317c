"""Soft DQN (softrl.agents.SoftQ) side by side with Stable-Baselines3 DQN on CartPole-v1
(issue 13). Both use rl-baselines3-zoo's tuned DQN settings for CartPole-v1 (lr 2.3e-3,
batch 64, buffer 1e5, 1000 warm-up steps, gamma 0.99, train every 256 steps for 128 gradient
steps, target copied once per training phase, 256x256 MLP); SB3 explores epsilon-greedily
(fraction 0.16, final 0.04), SoftQ with its Boltzmann policy at temperature T.

Stable-Baselines3 lives in its own venv (never in .venv):

    python3 -m venv bench/.venv-sb3
    bench/.venv-sb3/bin/pip install torch==2.13.0
    bench/.venv-sb3/bin/pip install "stable-baselines3==2.9.*"
    bench/.venv-sb3/bin/pip install -e .

    bench/.venv-sb3/bin/python bench/softq.py speed              # env steps/s, ratio
    bench/.venv-sb3/bin/python bench/softq.py learn --seeds 0 1 2 3 4
    bench/.venv-sb3/bin/python bench/softq.py plot               # bench/softq_learning_curve.png
    bench/.venv-sb3/bin/python bench/softq.py --quick    # smoke run: speed, 1 round, seconds
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import gymnasium as gym
import torch

from softrl.agents import SoftQ
from softrl.training import evaluate_policy
from summary import table, write_summary  # bench/summary.py

ENV = "CartPole-v1"
RESULTS = Path(__file__).parent / "softq_runs"
THRESHOLD = {"CartPole-v1": 475.0, "Acrobot-v1": -80.0}
ZOO = {"learning_rate": 2.3e-3, "batch_size": 64, "buffer_size": 100_000,
       "learning_starts": 1000, "gamma": 0.99, "train_freq": 256, "gradient_steps": 128}


def _temperature(text: str) -> float | str:
    return text if text == "auto" else float(text)


# Acrobot-v1: rl-baselines3-zoo's DQN settings (lr 6.3e-4, batch 128, buffer 5e4, target
# copied every 250 env steps, 256x256), except one gradient step per 4 env steps instead of
# one per env step (4x cheaper; the target copy is then every 63 gradient steps) and 10k
# uniformly random warm-up steps (DQN explores with epsilon decaying from 1 over its first
# 12k steps; a Boltzmann policy does not dither that much).
ZOO_ACROBOT = {"learning_rate": 6.3e-4, "batch_size": 128, "buffer_size": 50_000,
               "learning_starts": 10_000, "gamma": 0.99, "train_freq": 4, "gradient_steps": 1}


def make_softrl(seed: int, temperature: float | str, env: str = ENV,
                gradient_steps: int = 1, munchausen: float = 0.0) -> SoftQ:
    if env == "Acrobot-v1":  # the target copy every 250 env steps, as in rl-zoo
        return SoftQ(env, seed=seed, hidden_sizes=(256, 256),
                     target_update_interval=250 * gradient_steps // 4, tau=1.0,
                     temperature=temperature, torch_threads=1, log_every=10**9,
                     checkpoint_every=0, **{**ZOO_ACROBOT, "gradient_steps": gradient_steps})
    return SoftQ(env, seed=seed, hidden_sizes=(256, 256), target_update_interval=128, tau=1.0,
                 temperature=temperature, torch_threads=1, log_every=10**9,
                 checkpoint_every=0, munchausen=munchausen, **ZOO)


def make_sb3(seed: int, env: str = ENV):
    from stable_baselines3 import DQN

    if env == "Acrobot-v1":
        return DQN("MlpPolicy", env, seed=seed, verbose=0, target_update_interval=250,
                   exploration_fraction=0.12, exploration_final_eps=0.1,
                   policy_kwargs={"net_arch": [256, 256]}, **ZOO_ACROBOT)
    return DQN("MlpPolicy", env, seed=seed, verbose=0, target_update_interval=10,
               exploration_fraction=0.16, exploration_final_eps=0.04,
               policy_kwargs={"net_arch": [256, 256]}, **ZOO)


def speed(args: argparse.Namespace) -> None:
    """Alternate chunks of both agents in one process; report steps/s and the ratio."""
    torch.set_num_threads(1)
    agents = {"softrl SoftQ": make_softrl(0, args.temperature), "SB3 DQN": make_sb3(0)}
    for agent in agents.values():  # warm-up past learning_starts
        agent.learn(args.warmup)
    rates: dict[str, list[float]] = {k: [] for k in agents}
    cpu_rates: dict[str, list[float]] = {k: [] for k in agents}
    for _ in range(args.rounds):
        for name, agent in agents.items():
            start, cpu = time.perf_counter(), time.process_time()
            if name == "SB3 DQN":
                agent.learn(args.chunk, reset_num_timesteps=False)
            else:
                agent.learn(args.chunk)
            rates[name].append(args.chunk / (time.perf_counter() - start))
            cpu_rates[name].append(args.chunk / (time.process_time() - cpu))
    report(rates, cpu_rates, "softrl SoftQ", "SB3 DQN", "softq-speed",
           f"CartPole-v1, chunks of {args.chunk} env steps x {args.rounds} rounds after "
           f"{args.warmup} warm-up steps, one torch thread")


def report(rates: dict[str, list[float]], cpu_rates: dict[str, list[float]], ours: str,
           peer: str, summary_name: str | None = None, setting: str = "") -> None:
    """Median env steps per wall-clock second and per CPU second (one torch thread: the
    latter is what the process itself used, so it holds up on a busy machine); with
    ``summary_name``, also the summary table of bench/summary.py."""
    rows, ratios = [], {}
    for label, values_by_name in (("env steps/s", rates), ("env steps per CPU s", cpu_rates)):
        for name, values in values_by_name.items():
            print(f"{name:>14}: median {statistics.median(values):7.0f} {label}  "
                  f"(runs {', '.join(f'{v:.0f}' for v in values)})")
        ratio = statistics.median(values_by_name[ours]) / statistics.median(values_by_name[peer])
        print(f"ratio softrl / SB3 ({label}): {ratio:.2f}")
        ratios[label] = ratio
    if summary_name is None:
        return
    load = os.getloadavg()
    for name in rates:
        rows.append([name, f"{statistics.median(rates[name]):.0f}",
                     f"{statistics.median(cpu_rates[name]):.0f}"])
    rows.append([f"ratio {ours} / {peer}", f"{ratios['env steps/s']:.2f}x",
                 f"{ratios['env steps per CPU s']:.2f}x"])
    md = (f"{setting}; load average {load[0]:.2f}\n\n"
          + table(["agent", "env steps/s (median)", "env steps per CPU s (median)"], rows))
    write_summary(summary_name, md, {"rates": rates, "cpu_rates": cpu_rates,
                                     "ratios": ratios, "loadavg": load, "setting": setting})


def learn(args: argparse.Namespace) -> None:
    """Learning curves: greedy mean return over 20 episodes every eval_every steps."""
    torch.set_num_threads(1)
    RESULTS.mkdir(exist_ok=True)
    env = gym.make(args.env)
    for seed in args.seeds:
        for kind in args.agents:
            agent = (make_softrl(seed, args.temperature, args.env, args.gradient_steps,
                                 args.munchausen)
                     if kind == "softrl"
                     else make_sb3(seed, args.env))
            curve, first = [], None
            for step in range(args.eval_every, args.steps + 1, args.eval_every):
                if kind == "softrl":
                    agent.learn(args.eval_every)
                    act = lambda o, a=agent: a.act(o, deterministic=True)  # noqa: E731
                else:
                    agent.learn(args.eval_every, reset_num_timesteps=False)
                    act = lambda o, a=agent: a.predict(o, deterministic=True)[0]  # noqa: E731
                ret = evaluate_policy(act, env, args.episodes, seed=10_000 + seed)["mean_return"]
                curve.append((step, ret))
                if first is None and ret >= THRESHOLD[args.env]:
                    first = step
                print(kind, seed, step, f"{ret:.1f}", flush=True)
            final = evaluate_policy(act, env, 100, seed=20_000 + seed)["mean_return"]
            tag = f"{kind}-T{args.temperature}" if kind == "softrl" else kind
            tag = tag if args.env == ENV else f"{args.env}-{tag}"
            tag += "" if args.gradient_steps == 1 else f"-g{args.gradient_steps}"
            tag += f"-M{args.munchausen}" if args.munchausen and kind == "softrl" else ""
            out = {"agent": tag, "seed": seed, "curve": curve, "first_threshold": first,
                   "final_100": final}
            (RESULTS / f"{tag}-s{seed}.json").write_text(json.dumps(out))


def plot(args: argparse.Namespace) -> None:
    """bench/softq_learning_curve.png: mean and range over seeds of both agents."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4))
    prefix = "" if args.env == ENV else f"{args.env}-"
    tags = sorted({f.name.rsplit("-s", 1)[0] for f in RESULTS.glob(f"{prefix}*.json")
                   if prefix or not f.name.startswith(tuple(THRESHOLD))})
    for kind in tags:
        short = kind.removeprefix(prefix)
        label = "SB3 DQN" if short == "sb3" else f"softrl SoftQ, {short.split('-', 1)[1]}"
        runs = [json.loads(f.read_text()) for f in sorted(RESULTS.glob(f"{kind}-s*.json"))]
        if not runs:
            continue
        steps = [s for s, _ in runs[0]["curve"]]
        values = [[v for _, v in r["curve"]] for r in runs]
        lo, hi = (list(map(f, zip(*values, strict=True))) for f in (min, max))
        mean = [statistics.mean(v) for v in zip(*values, strict=True)]
        ax.plot(steps, mean, label=f"{label}, mean of {len(runs)} seeds")
        ax.fill_between(steps, lo, hi, alpha=0.2)
    ax.axhline(THRESHOLD[args.env], color="gray", ls=":")
    ax.set_xlabel("env steps")
    ax.set_ylabel("greedy mean return (20 episodes; 10 for Acrobot)")
    ax.set_title(f"{args.env}, settings of bench/softq.py")
    ax.legend()
    fig.tight_layout()
    name = "softq_learning_curve" if args.env == ENV else f"softq_{args.env.split('-')[0].lower()}"
    fig.savefig(Path(__file__).parent / f"{name}.png", dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: speed with 1100 warm-up steps and one 512-step round")
    sub = parser.add_subparsers(dest="cmd")
    p = sub.add_parser("speed")
    p.add_argument("--chunk", type=int, default=2048)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--warmup", type=int, default=2000, help="steps before timing")
    p.add_argument("--temperature", type=_temperature, default=0.01)
    p = sub.add_parser("learn")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--agents", nargs="+", default=["softrl", "sb3"])
    p.add_argument("--steps", type=int, default=50_000)
    p.add_argument("--eval-every", type=int, default=5000)
    p.add_argument("--episodes", type=int, default=20)
    p.add_argument("--temperature", type=_temperature, default=0.01)
    p.add_argument("--env", default=ENV, choices=sorted(THRESHOLD))
    p.add_argument("--gradient-steps", type=int, default=1,
                   help="Acrobot: gradient steps per 4 env steps (rl-zoo: 4)")
    p.add_argument("--munchausen", type=float, default=0.0,
                   help="CartPole: SoftQ's Munchausen scale (0: off)")
    p = sub.add_parser("plot")
    p.add_argument("--env", default=ENV, choices=sorted(THRESHOLD))
    args = parser.parse_args()
    if args.quick:
        args = parser.parse_args(["speed", "--chunk", "512", "--rounds", "1", "--warmup", "1100"])
    elif args.cmd is None:
        parser.error("a command is required: speed, learn or plot (or --quick)")
    {"speed": speed, "learn": learn, "plot": plot}[args.cmd](args)


if __name__ == "__main__":
    main()
