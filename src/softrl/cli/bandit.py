"""``softrl bandit``: regret curves of bandit algorithms on one instance, as a PNG and a table.

    softrl bandit --algorithms ucb1,thompson,klucb,boltzmann \\
        --arms 0.1,0.05,0.05,0.05,0.02,0.02,0.02,0.01,0.01,0.01 \\
        --horizon 10000 --runs 100 --out regret.png

Every error is one line, ``softrl bandit: error: ...``, with exit status 2.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from softrl.bandits import (
    ALGORITHMS,
    BernoulliBandit,
    GaussianBandit,
    lai_robbins_constant,
    make_algorithm,
    run,
)
from softrl.cli.errors import USER_ERRORS, ArgumentParser, UsageError, report

PROG = "softrl bandit"


def _parser() -> argparse.ArgumentParser:
    p = ArgumentParser(prog=PROG, description=(
        "Play bandit algorithms on one instance over many independent runs; write the regret "
        "curves (mean and a quantile band, with the Lai-Robbins bound C ln t) as a PNG and "
        "print the final regret."))
    p.add_argument("--algorithms", default="ucb1,thompson,klucb,boltzmann", metavar="A,B,...",
                   help=f"comma-separated names among {', '.join(sorted(ALGORITHMS))} "
                        "(default: %(default)s)")
    p.add_argument("--arms", default="0.1,0.05,0.05,0.05,0.02,0.02,0.02,0.01,0.01,0.01",
                   metavar="MU,MU,...", help="comma-separated arm means (default: %(default)s)")
    p.add_argument("--bandit", choices=("bernoulli", "gaussian"), default="bernoulli",
                   help="reward family (default: %(default)s)")
    p.add_argument("--sigma", type=float, default=1.0,
                   help="noise standard deviation of a gaussian bandit (default: %(default)s)")
    p.add_argument("--horizon", type=int, default=10_000, help="steps per run (default: "
                   "%(default)s)")
    p.add_argument("--runs", type=int, default=100, help="independent runs (default: "
                   "%(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of everything (default: "
                   "%(default)s)")
    p.add_argument("--temperature", type=float, default=0.1,
                   help="Boltzmann's fixed temperature T (default: %(default)s)")
    p.add_argument("--epsilon", type=float, default=0.1,
                   help="epsilon-greedy's exploration probability (default: %(default)s)")
    p.add_argument("--log-x", action="store_true", help="logarithmic time axis")
    p.add_argument("--out", type=Path, default=Path("regret.png"),
                   help="PNG to write (default: %(default)s)")
    return p


def _floats(text: str, field: str) -> list[float]:
    try:
        values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"{field}: must be comma-separated numbers, e.g. 0.1,0.05; got "
                         f"{text!r}.") from None
    return values


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit status (2 on any bad input, with one line)."""
    try:
        args = _parser().parse_args(argv)
        names = [n.strip() for n in args.algorithms.split(",") if n.strip()]
        if not names:
            raise ValueError("--algorithms: give at least one name, e.g. ucb1,thompson.")
        arms = _floats(args.arms, "--arms")
        bandit = (BernoulliBandit(arms) if args.bandit == "bernoulli"
                  else GaussianBandit(arms, sigma=args.sigma))
        params = {"boltzmann": {"temperature": args.temperature},
                  "epsilon_greedy": {"epsilon": args.epsilon}}
        algorithms = [make_algorithm(n, **params.get(n, {})) for n in names]
        if args.out.suffix.lower() != ".png":
            raise ValueError(f"--out: must be a .png file; got {str(args.out)!r}.")
        results = [run(bandit, a, horizon=args.horizon, runs=args.runs, seed=args.seed)
                   for a in algorithms]
        from softrl.plot.bandits import plot_regret

        C = lai_robbins_constant(bandit)
        title = (f"{args.bandit} bandit, {bandit.n_arms} arms, horizon {args.horizon}, "
                 f"{args.runs} runs")
        path = plot_regret(results, args.out, labels=names, lai_robbins=C, log_x=args.log_x,
                           title=title)
    except UsageError as err:
        return report(PROG, err)
    except USER_ERRORS as err:
        return report(PROG, err, one_line=True)
    bound = C * math.log(args.horizon)
    print(f"final regret at t = {args.horizon} over {args.runs} runs "
          f"(Lai-Robbins C ln T = {bound:.1f}):")
    print(f"{'algorithm':<16}{'mean':>10}{'std':>10}{'q10':>10}{'q90':>10}{'seconds':>10}")
    for name, result in zip(names, results, strict=True):
        final = result.final
        q10, q90 = (float(q) for q in result.quantile([0.1, 0.9])[:, -1])
        print(f"{name:<16}{final.mean():>10.2f}{final.std():>10.2f}{q10:>10.2f}{q90:>10.2f}"
              f"{result.seconds:>10.2f}")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
