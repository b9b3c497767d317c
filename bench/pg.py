"""Entropy-regularized PG (softrl.agents.EntropyPG) beside Stable-Baselines3 A2C on CartPole-v1
(issue 13): env steps/s with identical hyperparameters (8 envs, 16 steps per rollout, one
update per rollout, Adam 7e-4, gamma 0.99, GAE lambda 1, separate 64x64 actor and critic,
entropy weight 0.01, value coefficient 0.5, gradient-norm clip 0.5).

    bench/.venv-sb3/bin/python bench/pg.py speed        # see bench/softq.py for the venv
"""

from __future__ import annotations

import argparse
import time

import torch

from softq import report  # bench/softq.py
from softrl.agents import EntropyPG

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
        agent.learn(4096)
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
    report(rates, cpu_rates, "softrl EntropyPG", "SB3 A2C")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("speed")
    p.add_argument("--chunk", type=int, default=20_480)
    p.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    {"speed": speed}[args.cmd](args)


if __name__ == "__main__":
    main()
