"""softrl.bandits beside SMPyBandits (0.9.7) on SMPyBandits' README configuration: Bernoulli
arms with its default means uniformMeans(K, delta=0.05) = linspace(0.05, 0.95, K), horizon
10,000, 100 repetitions. The README's command is `N=100 T=10000 K=9 make single`; issue 16
asks for 10 arms, the default here (--arms 9 gives the README's exact problem).

Same algorithms with the same definitions: UCB (mu_hat + sqrt(2 log t / N)), kl-UCB
(Bernoulli kl, level log t / N: SMPyBandits' c = 1, our c = 0 on log log t) and Thompson
(Beta(1, 1) prior). Each side runs its own 100 repetitions with its own random numbers; the
table gives the mean pseudo-regret at T with its standard error, and the wall-clock time per
repetition (SMPyBandits: one policy object driven by choice()/getReward() per repetition,
the loop of its Evaluator without the bookkeeping; softrl: all repetitions vectorized).

    python3 -m venv bench/.venv-bandits
    bench/.venv-bandits/bin/pip install smpybandits numpy "scipy<1.14"  # btdtri left scipy 1.14
    bench/.venv-bandits/bin/pip install -e .
    bench/.venv-bandits/bin/python bench/bandits.py            # about 10 minutes on 2 cores
    bench/.venv-bandits/bin/python bench/bandits.py --softrl-reps 1000 --algorithms klucb
    bench/.venv-bandits/bin/python bench/bandits.py --quick    # horizon 1000, 5 reps: seconds
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np

from softrl.bandits import BernoulliBandit, lai_robbins_constant, run

PAIRS = {"ucb1": "UCB", "klucb": "klUCB", "thompson": "Thompson"}


def smpybandits_run(policy_name: str, means: np.ndarray, horizon: int, reps: int,
                    seed: int) -> tuple[np.ndarray, float]:
    """Final pseudo-regret of each repetition and seconds in total."""
    import SMPyBandits.Policies as policies
    from SMPyBandits.Arms import Bernoulli

    np.random.seed(seed)  # noqa: NPY002 - SMPyBandits draws from numpy's global generator
    arms = [Bernoulli(float(m)) for m in means]
    gaps = means.max() - means
    finals = np.empty(reps)
    start = time.perf_counter()
    for rep in range(reps):
        policy = getattr(policies, policy_name)(len(means))
        policy.startGame()
        regret = 0.0
        for _ in range(horizon):
            arm = policy.choice()
            policy.getReward(arm, arms[arm].draw())
            regret += gaps[arm]
        finals[rep] = regret
    return finals, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arms", type=int, default=10)
    parser.add_argument("--horizon", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--softrl-reps", type=int, default=None,
                        help="softrl's repetitions (default: --reps); more shrink its error bar")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--algorithms", default="ucb1,klucb,thompson")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: horizon 1000, 5 repetitions")
    args = parser.parse_args()
    if args.quick:
        args.horizon, args.reps = 1000, 5
    means = np.linspace(0.05, 0.95, args.arms)
    bandit = BernoulliBandit(means)
    bound = lai_robbins_constant(bandit) * math.log(args.horizon)
    print(f"{args.arms} Bernoulli arms {np.round(means, 3).tolist()}, horizon {args.horizon}, "
          f"{args.reps} repetitions; Lai-Robbins C ln T = {bound:.1f}")
    print(f"{'algorithm':<10}{'softrl regret':>18}{'SMPyBandits':>18}{'diff':>8}"
          f"{'softrl s/rep':>14}{'SMPy s/rep':>12}{'speed-up':>10}")
    rows, data = [], {}
    for name in args.algorithms.split(","):
        ours = run(bandit, name, args.horizon, runs=args.softrl_reps or args.reps, seed=args.seed)
        theirs, seconds = smpybandits_run(PAIRS[name], means, args.horizon, args.reps, args.seed)
        a, b = ours.final, theirs
        se_a, se_b = a.std() / math.sqrt(len(a)), b.std() / math.sqrt(len(b))
        ours_rep, theirs_rep = ours.seconds / len(a), seconds / args.reps
        print(f"{name:<10}{a.mean():>10.1f} +- {se_a:<5.1f}{b.mean():>10.1f} +- {se_b:<5.1f}"
              f"{100 * (a.mean() / b.mean() - 1):>+7.1f}%{ours_rep:>14.4f}{theirs_rep:>12.3f}"
              f"{theirs_rep / ours_rep:>9.0f}x", flush=True)
        rows.append([name, f"{a.mean():.1f} +- {se_a:.1f}", f"{b.mean():.1f} +- {se_b:.1f}",
                     f"{ours_rep:.4f}", f"{theirs_rep:.3f}", f"{theirs_rep / ours_rep:.0f}x"])
        data[name] = {"softrl_regret": a.mean(), "smpybandits_regret": b.mean(),
                      "softrl_s_per_rep": ours_rep, "smpybandits_s_per_rep": theirs_rep}
    from summary import table, write_summary  # bench/summary.py

    md = (f"{args.arms} Bernoulli arms, horizon {args.horizon}, {args.reps} repetitions "
          f"(softrl {args.softrl_reps or args.reps}); Lai-Robbins C ln T = {bound:.1f}; "
          f"load average {os.getloadavg()[0]:.2f}\n\n"
          + table(["algorithm", "softrl regret", "SMPyBandits regret", "softrl s/rep",
                   "SMPyBandits s/rep", "speed-up"], rows))
    write_summary("bandits", md, data)


if __name__ == "__main__":
    main()
