"""``softrl meta``: meta-train RL^2, MAML or PEARL on a task family, and meta-test a run.

    softrl meta train rl2 --tasks bandit-k5-n10 --steps 1000000 --run-dir runs/rl2
    softrl meta train maml --tasks point-dense --iterations 200 --run-dir runs/maml
    softrl meta train pearl --tasks point-sparse --iterations 200 --run-dir runs/pearl \\
        --set kl_weight=0.1 --set latent_dim=5
    softrl meta train pearl ... --resume          # continue the run to the new total
    softrl meta test runs/pearl --episodes 3      # return per adaptation episode

Runs write ``metrics.csv`` (``softrl plot RUN_DIR`` draws it) and checkpoints; a resumed run
computes what the uninterrupted one would. Every error is one line with exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from softrl.cli.errors import USER_ERRORS, ArgumentParser, UsageError, report

PROG = "softrl meta"
CHECKPOINT = "checkpoint"


def _parser() -> argparse.ArgumentParser:
    p = ArgumentParser(prog=PROG, description="Meta-RL: train RL^2, MAML or PEARL on a task family "
                "and report the return per adaptation episode on held-out tasks.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=ArgumentParser)
    t = sub.add_parser("train", help="meta-train on a task family")
    t.add_argument("algo", choices=("rl2", "maml", "pearl"))
    t.add_argument("--tasks", default="point-dense",
                   help="bandit-kK-nN (rl2 only), point-dense or point-sparse (default: "
                        "%(default)s)")
    t.add_argument("--run-dir", type=Path, required=True, help="logs and checkpoints go here")
    t.add_argument("--steps", type=int, default=1_000_000,
                   help="rl2: total environment steps (default: %(default)s)")
    t.add_argument("--iterations", type=int, default=200,
                   help="maml, pearl: total iterations (default: %(default)s)")
    t.add_argument("--checkpoint-every", type=int, default=10,
                   help="maml, pearl: iterations between checkpoints (default: %(default)s)")
    t.add_argument("--seed", type=int, default=0, help="seed of everything (default: 0)")
    t.add_argument("--resume", action="store_true", help="continue the run in --run-dir")
    t.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="a hyperparameter (JSON value), repeatable")
    t.add_argument("--episodes", type=int, default=3,
                   help="adaptation episodes of the final meta-test (default: 3)")
    m = sub.add_parser("test", help="meta-test a run on held-out tasks")
    m.add_argument("run_dir", type=Path)
    m.add_argument("--episodes", type=int, default=3,
                   help="adaptation episodes per task (default: %(default)s)")
    m.add_argument("--trials", type=int, default=200,
                   help="rl2: trials (fresh tasks) to average (default: %(default)s)")
    m.add_argument("--seed", type=int, default=0, help="seed of the test (default: 0)")
    return p


def _overrides(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise UsageError(f"--set expects NAME=VALUE; got {pair!r}")
        name, value = pair.split("=", 1)
        try:
            out[name] = json.loads(value)
        except json.JSONDecodeError:
            out[name] = value
    return out


def _print_test(name: str, means: list[float]) -> None:
    cells = "  ".join(f"episode {k + 1}: {v:8.3f}" for k, v in enumerate(means))
    print(f"{name} meta-test, mean return per adaptation episode: {cells}")


def _train(args: argparse.Namespace) -> None:
    from softrl.envs.meta_tasks import parse_task_name, trial_spec

    parse_task_name(args.tasks)
    hp = _overrides(args.set)
    if args.algo == "rl2":
        from softrl.meta.rl2 import RL2, rl2_meta_test

        if args.resume:
            agent = RL2.load(args.run_dir, run_dir=args.run_dir)
        else:
            agent = RL2(trial_spec(args.tasks), run_dir=args.run_dir, seed=args.seed, **hp)
        agent.learn(max(0, args.steps - agent.num_steps), progress_bar=True)
        agent.checkpoint()
        _print_test("RL2", rl2_meta_test(agent, n_trials=200, seed=args.seed)["mean_returns"])
        return
    from softrl.meta import MAML, PEARL

    klass = MAML if args.algo == "maml" else PEARL
    if args.resume:
        learner = klass.load(args.run_dir / CHECKPOINT, run_dir=args.run_dir)
    else:
        if (args.run_dir / CHECKPOINT).exists():
            raise ValueError(f"{args.run_dir} already holds a run; pass --resume or choose "
                             "another --run-dir")
        learner = klass(args.tasks, run_dir=args.run_dir, seed=args.seed, **hp)
    learner.fit(max(0, args.iterations - learner.iteration),
                checkpoint_every=args.checkpoint_every,
                callback=lambda lr, losses: print(
                    f"iteration {lr.iteration}  env steps {lr.num_steps}  " + "  ".join(
                        f"{k}={v:.3g}" for k, v in losses.items()), flush=True) and None)
    learner.save(args.run_dir / CHECKPOINT)
    _print_test(klass.kind, learner.meta_test(n_episodes=args.episodes)["mean_returns"])


def _test(args: argparse.Namespace) -> None:
    from softrl.training.checkpoint import load_checkpoint

    if (args.run_dir / CHECKPOINT).exists():
        from softrl.meta import MAML, PEARL

        kind = load_checkpoint(args.run_dir / CHECKPOINT).meta.get("kind")
        klass = {"MAML": MAML, "PEARL": PEARL}.get(kind)
        if klass is None:
            raise ValueError(f"{args.run_dir / CHECKPOINT} holds a {kind!r} checkpoint, not "
                             "MAML or PEARL")
        learner = klass.load(args.run_dir / CHECKPOINT)
        _print_test(kind, learner.meta_test(n_episodes=args.episodes,
                                            seed=args.seed)["mean_returns"])
        return
    from softrl.meta.rl2 import RL2, rl2_meta_test

    agent = RL2.load(args.run_dir, tensorboard=False)
    _print_test("RL2", rl2_meta_test(agent, n_trials=args.trials, seed=args.seed)["mean_returns"])


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``softrl meta``; returns the exit code."""
    try:
        args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
        (_train if args.command == "train" else _test)(args)
    except USER_ERRORS as err:
        return report(PROG, err)
    return 0


if __name__ == "__main__":
    sys.exit(main())
