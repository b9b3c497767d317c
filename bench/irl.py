"""softrl's MCE IRL side by side with imitation's MCEIRL on the same MDP and demonstrations.

Run in the benchmark venv (imitation 1.0.1 pins gymnasium 0.29; softrl installed --no-deps):

    bench/.venv-imitation/bin/python bench/irl.py            # n=40: S=1600, A=5, H=100
    bench/.venv-imitation/bin/python bench/irl.py --quick    # n=10, 3 timed steps: seconds

Setting: an n x n open gridworld (5 actions, slip 0.1, horizon 100, gamma 1, uniform p(s_0))
with a state reward r(s) = theta . phi(s) over four regions (a goal, two lava pools, a mud
field); 100 demonstrations sampled from the soft-optimal (temperature 1) policy.  Both
learners fit a tabular state reward r(s) (imitation: a linear reward net on one-hot
observations); imitation by Adam on its occupancy gradient, softrl by L-BFGS on the exact
causal log-likelihood.  Reported: time per gradient step (one backward and one forward pass,
plus imitation's reward-net step), the ratio, total fit time, and the learned policy's
quality: expected value difference (EVD, return lost under the true reward by the greedy
policy of the learned reward, as a fraction of the optimal return) and the demonstrations'
mean log-likelihood under each learner's soft policy.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def make_world(n: int, horizon: int, slip: float):
    """The benchmark gridworld, its region features (S, 4) and true weights (4,)."""
    from softrl.envs import gridworld

    rows, cols = np.divmod(np.arange(n * n), n)

    def disk(r0: float, c0: float, radius: float) -> np.ndarray:
        return ((rows - r0 * n) ** 2 + (cols - c0 * n) ** 2 <= (radius * n) ** 2).astype(float)

    phi = np.stack(
        [
            disk(0.85, 0.85, 0.08),  # goal
            disk(0.45, 0.55, 0.15),  # lava pool
            disk(0.75, 0.3, 0.12),  # lava pool
            ((rows > 0.2 * n) & (rows < 0.3 * n) & (cols < 0.7 * n)).astype(float),  # mud
        ],
        axis=1,
    )
    theta = np.array([1.0, -1.0, -1.0, -0.3])
    world = gridworld(n, slip=slip, reward=phi @ theta, horizon=horizon, gamma=1.0)
    return world, phi, theta


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="grid side (S = n^2)")
    parser.add_argument("--horizon", type=int, default=100)
    parser.add_argument("--slip", type=float, default=0.1)
    parser.add_argument("--demos", type=int, default=100)
    parser.add_argument("--timing-steps", type=int, default=10, help="timed gradient steps")
    parser.add_argument("--imitation-iters", type=int, default=150, help="imitation Adam steps")
    parser.add_argument("--imitation-lr", type=float, default=0.1)
    parser.add_argument("--l2", type=float, default=1.0, help="softrl L2 penalty")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: n=10, 3 timed steps, 20 imitation steps, 20 demos")
    args = parser.parse_args()
    if args.quick:
        args.n, args.timing_steps, args.imitation_iters, args.demos = 10, 3, 20, 20

    import torch
    from imitation.algorithms import mce_irl
    from imitation.data import types
    from imitation.rewards import reward_nets
    from seals import base_envs

    from softrl.inference import soft_backward
    from softrl.irl import (
        MaxCausalEntIRL,
        as_demonstrations,
        demo_log_likelihood,
        demo_stats,
        expected_value_difference,
        irl_objective,
    )
    from softrl.mdp import sample_trajectories

    torch.manual_seed(args.seed)
    world, phi, theta = make_world(args.n, args.horizon, args.slip)
    mdp = world.mdp
    S, A = mdp.shape
    expert = soft_backward(mdp, temperature=1.0).policy
    trajs = sample_trajectories(mdp, expert, args.demos, seed=args.seed)
    # The same demonstrations as imitation Trajectory objects (integer observations).
    imitation_demos = [
        types.Trajectory(obs=s, acts=a, infos=None, terminal=True) for s, a in trajs.as_lists()
    ]
    demos = as_demonstrations(imitation_demos, mdp)  # softrl reads them directly
    print(
        f"# IRL bench: {args.n}x{args.n} grid, S={S}, A={A}, H={args.horizon}, "
        f"slip={args.slip}, {args.demos} demos"
    )
    print(f"expert (soft, T=1) EVD: {expected_value_difference(mdp, policy=expert):.4f}")

    # ---------------- imitation
    env = base_envs.TabularModelPOMDP(
        transition_matrix=mdp.dense_transitions(),
        observation_matrix=np.eye(S, dtype=np.float32),
        reward_matrix=mdp.reward[:, 0].copy(),
        horizon=args.horizon,
        initial_state_dist=mdp.initial.copy(),
    )
    net = reward_nets.BasicRewardNet(
        env.observation_space, env.action_space, use_action=False, hid_sizes=[]
    )
    trainer = mce_irl.MCEIRL(
        imitation_demos, env, net, rng=np.random.default_rng(args.seed),
        optimizer_kwargs={"lr": args.imitation_lr}, discount=1.0, log_interval=None,
    )  # fmt: skip
    obs_mat = torch.as_tensor(env.observation_matrix, dtype=net.dtype)
    t_imitation = median_time(lambda: trainer._train_step(obs_mat), args.timing_steps)
    t0 = time.perf_counter()
    trainer.train(max_iter=args.imitation_iters)
    fit_imitation = time.perf_counter() - t0
    with torch.no_grad():
        r_imitation = net(obs_mat, None, None, None).numpy().astype(np.float64).ravel()
    _, _, pi_imitation = mce_irl.mce_partition_fh(env, reward=r_imitation)

    # ---------------- softrl
    stats = demo_stats(mdp, demos)
    r0 = np.zeros((S, A))
    irl_objective(mdp, r0, stats)  # compile
    t_softrl = median_time(lambda: irl_objective(mdp, r0, stats), args.timing_steps)
    t0 = time.perf_counter()
    irl = MaxCausalEntIRL("state", l2=args.l2, max_iter=200).fit(mdp, demos)
    fit_softrl = time.perf_counter() - t0

    rows = [
        ("imitation MCEIRL (Adam)", t_imitation, fit_imitation,
         args.timing_steps + args.imitation_iters, r_imitation, pi_imitation),
        ("softrl MaxCausalEntIRL (L-BFGS)", t_softrl, fit_softrl, irl.n_evals_,
         irl.reward_[:, 0], irl.policy_),
    ]  # fmt: skip
    lines = ["| learner | time / gradient step | fit: steps, wall | EVD (greedy) | demo log-lik |",
             "|---|---|---|---|---|"]
    for name, step, fit, n_steps, reward, policy in rows:
        evd = expected_value_difference(mdp, learned_reward=reward)
        loglik = demo_log_likelihood(policy, demos)
        lines.append(f"| {name} | {step * 1e3:.1f} ms | {n_steps}, {fit:.1f} s | {evd:.4f} | "
                     f"{loglik:.2f} |")  # fmt: skip
    lines.append(f"| expert (true soft policy) | | | "
                 f"{expected_value_difference(mdp, learned_reward=mdp.reward):.4f} | "
                 f"{demo_log_likelihood(expert, demos):.2f} |")  # fmt: skip
    speedup = t_imitation / t_softrl
    print()
    print("\n".join(lines))
    print()
    print(f"speed-up per gradient step: {speedup:.1f}x")
    from summary import write_summary  # bench/summary.py

    load = os.getloadavg()
    md = (f"{args.n}x{args.n} grid, S={S}, A={A}, H={args.horizon}, slip={args.slip}, "
          f"{args.demos} demos; load average {load[0]:.2f}\n\n" + "\n".join(lines)
          + f"\n\nspeed-up per gradient step: **{speedup:.1f}x**")
    write_summary("irl", md, {"n": args.n, "t_imitation_s": t_imitation,
                              "t_softrl_s": t_softrl, "speedup": speedup, "loadavg": load})


if __name__ == "__main__":
    main()
