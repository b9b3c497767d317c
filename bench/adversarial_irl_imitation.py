"""imitation 1.0.1's AIRL and GAIL on the demos of bench/adversarial_irl.py - issue 15's peer.

Same demonstrations (bench/adversarial_irl_runs/experts/*-demos.npz, 10 scripted-expert
episodes), same envs (seals/CartPole-v0, whose dynamics and reward softrl's
softrl/FixedHorizonCartPole-v0 reproduces, and Pendulum-v1), the same normalization
(return - random) / (demo - random) with the expert json's demo_return and random_return.
Runs in bench/.venv-imitation (imitation 1.0.1, Stable-Baselines3 2.2, gymnasium 0.29); it
does not import softrl.

    PY=bench/.venv-imitation/bin/python
    $PY bench/adversarial_irl_imitation.py run --env seals/CartPole-v0 --algorithm airl \\
        --seeds 0 1 2 --steps 196608
    $PY bench/adversarial_irl_imitation.py run --env Pendulum-v1 --algorithm gail --seeds 0
    $PY bench/adversarial_irl_imitation.py table        # markdown table of every run
    $PY bench/adversarial_irl_imitation.py --quick      # smoke run: AIRL, 2 short rounds

The setups follow imitation's documentation: for seals/CartPole-v0 the tutorials
docs/tutorials/4_train_airl.ipynb (AIRL) and 3_train_gail.ipynb (GAIL) verbatim (8 envs,
their PPO and discriminator settings, BasicShapedRewardNet / BasicRewardNet with RunningNorm);
for Pendulum-v1 the same structure with RL Zoo's tuned PPO for Pendulum-v1 as the generator
(see HYPERPARAMETERS). A "round" is one PPO rollout (n_envs * n_steps env steps) followed by
the discriminator updates, so a run trains floor(steps / round) rounds, and the learning
curve is evaluated at the ends of rounds (the round end nearest each tenth of the budget,
and nearest 20k and 50k steps, softrl's budget scale). Each evaluation is 10 deterministic
episodes on the true reward. One JSON per run in bench/adversarial_irl_imitation_runs/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).parent
RUNS = HERE / "adversarial_irl_imitation_runs"
EXPERTS = HERE / "adversarial_irl_runs" / "experts"
# imitation's env id -> the softrl demo file recorded on the same dynamics and reward.
DEMO_STEM = {"seals/CartPole-v0": "softrl_FixedHorizonCartPole-v0",
             "Pendulum-v1": "Pendulum-v1"}
EVAL_EPISODES = 10
EQUAL_STEPS = (20_000, 50_000)  # softrl's runs use 20k-50k env steps

# The imitation tutorials' CartPole settings; Pendulum: RL Zoo's tuned PPO (hyperparams/ppo.yml,
# Pendulum-v1: 4 envs x 1024 steps, gamma 0.9, 10 epochs, lr 1e-3, gSDE) as the generator, and
# the tutorials' discriminator settings except demo_batch_size 1024 (the Pendulum demos hold
# 2000 transitions; imitation needs demo_batch_size <= that).
HYPERPARAMETERS: dict[str, dict[str, dict[str, Any]]] = {
    "seals/CartPole-v0": {
        "airl": dict(n_envs=8,
                     ppo=dict(batch_size=64, ent_coef=0.0, learning_rate=5e-4, gamma=0.95,
                              clip_range=0.1, vf_coef=0.1, n_epochs=5),
                     trainer=dict(demo_batch_size=2048, gen_replay_buffer_capacity=512,
                                  n_disc_updates_per_round=16)),
        "gail": dict(n_envs=8,
                     ppo=dict(batch_size=64, ent_coef=0.0, learning_rate=4e-4, gamma=0.95,
                              n_epochs=5),
                     trainer=dict(demo_batch_size=1024, gen_replay_buffer_capacity=512,
                                  n_disc_updates_per_round=8)),
    },
    "Pendulum-v1": {
        algo: dict(n_envs=4,
                   ppo=dict(n_steps=1024, batch_size=64, gae_lambda=0.95, gamma=0.9,
                            n_epochs=10, ent_coef=0.0, learning_rate=1e-3, clip_range=0.2,
                            use_sde=True, sde_sample_freq=4),
                   trainer=dict(demo_batch_size=1024, gen_replay_buffer_capacity=512,
                                n_disc_updates_per_round=disc))
        for algo, disc in (("airl", 16), ("gail", 8))
    },
}
# --quick: 8 envs x 128 steps = 1024-step rounds, two of them.
QUICK_OVERRIDES: dict[str, Any] = dict(ppo=dict(n_steps=128), trainer=dict(demo_batch_size=256))


def slug(env_id: str) -> str:
    """The env id as a file-name part (seals/CartPole-v0 -> seals_CartPole-v0)."""
    return env_id.replace("/", "_")


def expert_info(env_id: str) -> dict[str, Any]:
    """The expert json (demo_return, random_return) of the demos used for ``env_id``."""
    return json.loads((EXPERTS / f"{DEMO_STEM[env_id]}-expert.json").read_text())


def load_demos(env_id: str) -> list:
    """The npz demos as imitation ``TrajectoryWithRew`` objects, one per episode.

    An episode's obs are its T observations followed by its last next_obs (length T + 1);
    every recorded episode is complete (fixed horizon), so terminal=True.
    """
    from imitation.data.types import TrajectoryWithRew

    d = np.load(EXPERTS / f"{DEMO_STEM[env_id]}-demos.npz")
    starts = [int(s) for s in d["episode_starts"]] + [len(d["obs"])]
    trajs = []
    for a, b in zip(starts[:-1], starts[1:], strict=True):
        obs = np.concatenate([d["obs"][a:b], d["next_obs"][b - 1:b]]).astype(np.float32)
        trajs.append(TrajectoryWithRew(obs=obs, acts=d["actions"][a:b], infos=None,
                                       terminal=True,
                                       rews=d["rewards"][a:b].astype(np.float32)))
    return trajs


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``over``'s keys replaced (one level of nested dicts merged)."""
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    for k, v in over.items():
        out[k] = {**out[k], **v} if isinstance(v, dict) else v
    return out


def run_one(env_id: str, algorithm: str, seed: int, steps: int,
            quick: bool = False) -> dict[str, Any]:
    """Train one imitation AIRL/GAIL run and evaluate its policy along the way."""
    import gymnasium as gym
    import seals  # noqa: F401  (registers seals/CartPole-v0)
    import stable_baselines3
    import torch
    from imitation.algorithms.adversarial.airl import AIRL
    from imitation.algorithms.adversarial.gail import GAIL
    from imitation.data.wrappers import RolloutInfoWrapper
    from imitation.rewards.reward_nets import BasicRewardNet, BasicShapedRewardNet
    from imitation.util import logger as imit_logger
    from imitation.util.networks import RunningNorm
    from imitation.util.util import make_vec_env
    from stable_baselines3 import PPO
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.monitor import Monitor
    from stable_baselines3.common.vec_env import DummyVecEnv
    from stable_baselines3.ppo import MlpPolicy

    import imitation

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    hp = HYPERPARAMETERS[env_id][algorithm]
    if quick:
        hp = merge(hp, QUICK_OVERRIDES)
    info = expert_info(env_id)
    demo_ret, rand_ret = info["demo_return"], info["random_return"]
    demos = load_demos(env_id)

    venv = make_vec_env(env_id, rng=np.random.default_rng(seed), n_envs=hp["n_envs"],
                        post_wrappers=[lambda env, _: RolloutInfoWrapper(env)])
    eval_env = DummyVecEnv([lambda: Monitor(gym.make(env_id))])
    learner = PPO(env=venv, policy=MlpPolicy, seed=seed, device="cpu", **hp["ppo"])
    net_cls = BasicShapedRewardNet if algorithm == "airl" else BasicRewardNet
    reward_net = net_cls(observation_space=venv.observation_space,
                         action_space=venv.action_space, normalize_input_layer=RunningNorm)
    log_dir = tempfile.mkdtemp(prefix="imitation-log-")
    trainer_cls = AIRL if algorithm == "airl" else GAIL
    trainer = trainer_cls(demonstrations=demos, venv=venv, gen_algo=learner,
                          reward_net=reward_net, log_dir=log_dir,
                          custom_logger=imit_logger.configure(log_dir, format_strs=[]),
                          **hp["trainer"])
    round_steps = trainer.gen_train_timesteps
    n_rounds = steps // round_steps
    if n_rounds < 1:
        raise SystemExit(f"--steps {steps} is under one round ({round_steps} env steps)")
    trained = n_rounds * round_steps
    # Evaluate at the round end nearest each tenth of the budget and each EQUAL_STEPS.
    targets = [steps * k / 10 for k in range(1, 11)] + [t for t in EQUAL_STEPS if t < steps]
    eval_at = {min(n_rounds, max(1, round(t / round_steps))) * round_steps for t in targets}
    eval_at.add(trained)

    # The last discriminator update's statistics of each round (accuracy, loss, ...).
    disc_stats: dict[str, float] = {}
    train_disc = trainer.train_disc

    def train_disc_recorded(**kwargs: Any) -> Any:
        stats = train_disc(**kwargs)
        disc_stats.clear()
        disc_stats.update({k: round(float(v), 4) for k, v in stats.items()})
        return stats

    trainer.train_disc = train_disc_recorded  # type: ignore[method-assign]

    def evaluate() -> tuple[float, float]:
        eval_env.seed(10_000 + seed)
        rets, _ = evaluate_policy(learner, eval_env, n_eval_episodes=EVAL_EPISODES,
                                  deterministic=True, return_episode_rewards=True)
        return float(np.mean(rets)), float(np.std(rets))

    curve: list[dict[str, Any]] = []
    eval_s = 0.0
    ret0, std0 = evaluate()
    curve.append(dict(steps=0, ret=round(ret0, 2), std=round(std0, 2),
                      normalized=round((ret0 - rand_ret) / (demo_ret - rand_ret), 4)))

    def callback(r: int) -> None:
        nonlocal eval_s
        done = (r + 1) * round_steps
        if done not in eval_at:
            return
        te = time.perf_counter()
        ret, std = evaluate()
        eval_s += time.perf_counter() - te
        curve.append(dict(steps=done, ret=round(ret, 2), std=round(std, 2),
                          normalized=round((ret - rand_ret) / (demo_ret - rand_ret), 4),
                          wall_s=round(time.perf_counter() - t0 - eval_s, 1),
                          disc=dict(disc_stats)))
        print(f"  {env_id} {algorithm} s{seed}: {done} steps, return {ret:.1f}, "
              f"disc acc {disc_stats.get('disc_acc', float('nan')):.3f}", flush=True)

    load_start = os.getloadavg()
    t0 = time.perf_counter()
    eval_s = 0.0
    trainer.train(n_rounds * round_steps, callback=callback)
    wall_total = time.perf_counter() - t0
    wall = wall_total - eval_s
    load_end = os.getloadavg()
    assert curve[-1]["steps"] == trained  # the last round is always evaluated
    ret, std = curve[-1]["ret"], curve[-1]["std"]
    return {
        "env": env_id, "algorithm": algorithm, "seed": seed, "steps": trained,
        "steps_requested": steps, "round_steps": round_steps, "rounds": n_rounds,
        "return": round(ret, 2), "return_std": round(std, 2),
        "normalized": round((ret - rand_ret) / (demo_ret - rand_ret), 4),
        "demo_return": demo_ret, "random_return": rand_ret,
        "demos": f"{DEMO_STEM[env_id]}-demos.npz ({len(demos)} episodes, "
                 f"{sum(len(t.acts) for t in demos)} transitions)",
        "wall_s": round(wall, 1), "wall_total_s": round(wall_total, 1),
        "env_steps_per_s": round(trained / wall, 1),
        "loadavg_start": [round(x, 2) for x in load_start],
        "loadavg_end": [round(x, 2) for x in load_end],
        "eval_episodes": EVAL_EPISODES, "curve": curve,
        "hyperparameters": hp, "quick": quick,
        "versions": {"imitation": imitation.__version__,
                     "stable_baselines3": stable_baselines3.__version__,
                     "gymnasium": gym.__version__, "torch": torch.__version__,
                     "python": platform.python_version()},
        "torch_threads": torch.get_num_threads(),
        "command": " ".join(["python", *sys.argv]),
    }


def cmd_run(args: argparse.Namespace) -> None:
    RUNS.mkdir(exist_ok=True)
    for seed in args.seeds:
        res = run_one(args.env, args.algorithm, seed, args.steps)
        path = RUNS / f"{slug(args.env)}-{args.algorithm}-{args.steps}-s{seed}.json"
        path.write_text(json.dumps(res, indent=1) + "\n")
        print(f"{path.name}: return {res['return']:.1f} (normalized {res['normalized']:.2f}), "
              f"{res['wall_s']:.0f} s, {res['env_steps_per_s']:.0f} env steps/s", flush=True)


def cmd_quick(args: argparse.Namespace) -> None:
    res = run_one("seals/CartPole-v0", "airl", 0, 2048, quick=True)
    print(json.dumps({k: res[k] for k in ("env", "algorithm", "steps", "return", "normalized",
                                          "wall_s", "env_steps_per_s")}))


def near(curve: list[dict[str, Any]], target: int) -> dict[str, Any] | None:
    """The curve point nearest ``target`` env steps, if within 25% of it."""
    p = min(curve, key=lambda p: abs(p["steps"] - target))
    return p if abs(p["steps"] - target) <= 0.25 * target else None


def span(values: list[float]) -> str:
    """'mean (min-max)' of ``values``."""
    return f"{statistics.mean(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def cmd_table(args: argparse.Namespace) -> None:
    runs = [json.loads(p.read_text()) for p in sorted(RUNS.glob("*-s*.json"))]
    groups: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for r in runs:
        groups.setdefault((r["env"], r["algorithm"], r["steps"]), []).append(r)
    eq_cols = " | ".join(f"normalized at ~{t // 1000}k (curve)" for t in EQUAL_STEPS)
    lines = ["| env | algorithm | seeds | env steps | normalized, mean (min-max) | return, mean | "
             f"{eq_cols} | best on curve, mean (min-max) | first eval >= 0.95 (steps, each seed) "
             "| final disc. accuracy | wall s, median | env steps/s, median | load avg (1 min) |",
             "|---|---|---|---|---|---|" + "---|" * len(EQUAL_STEPS) + "---|---|---|---|---|---|"]
    for (env, algo, steps), rs in sorted(groups.items()):
        rs.sort(key=lambda r: r["seed"])
        eq = []
        for t in EQUAL_STEPS:
            pts = [near(r["curve"], t) for r in rs]
            ok = [p for p in pts if p is not None]
            eq.append(f"{span([p['normalized'] for p in ok])} at {ok[0]['steps']}"
                      if t < steps and len(ok) == len(rs) else "-")
        acc = [r["curve"][-1].get("disc", {}).get("disc_acc") for r in rs]
        best = span([max(p["normalized"] for p in r["curve"][1:]) for r in rs])
        first = ", ".join(next((str(p["steps"]) for p in r["curve"][1:] if p["normalized"] >= 0.95),
                               "-") for r in rs)
        loads = [x for r in rs for x in (r["loadavg_start"][0], r["loadavg_end"][0])]
        lines.append(
            f"| {env} | {algo} | {','.join(str(r['seed']) for r in rs)} | {steps} | "
            f"{span([r['normalized'] for r in rs])} | "
            f"{statistics.mean(r['return'] for r in rs):.1f} | {' | '.join(eq)} | "
            f"{best} | {first} | "
            f"{', '.join(f'{a:.2f}' for a in acc if a is not None) or '-'} | "
            f"{statistics.median(r['wall_s'] for r in rs):.0f} | "
            f"{statistics.median(r['env_steps_per_s'] for r in rs):.0f} | "
            f"{min(loads):.1f}-{max(loads):.1f} |")
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: AIRL on seals/CartPole-v0, two 1024-step rounds")
    sub = parser.add_subparsers(dest="cmd")
    r = sub.add_parser("run")
    r.add_argument("--env", choices=sorted(HYPERPARAMETERS), default="seals/CartPole-v0")
    r.add_argument("--algorithm", choices=["airl", "gail"], default="airl")
    r.add_argument("--seeds", type=int, nargs="+", default=[0])
    r.add_argument("--steps", type=int, default=100_000)
    sub.add_parser("table")
    args = parser.parse_args()
    if args.quick:
        cmd_quick(args)
    elif args.cmd is None:
        parser.error("a command is required: run or table (or --quick)")
    else:
        {"run": cmd_run, "table": cmd_table}[args.cmd](args)


if __name__ == "__main__":
    main()
