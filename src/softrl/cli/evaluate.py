"""``softrl eval RUN_DIR``: evaluate a saved agent of any kind (read from its checkpoint)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import tyro

from softrl.agents import load_agent
from softrl.cli.errors import USER_ERRORS, report


@dataclass
class EvalArgs:
    """Evaluate a trained agent (latest intact checkpoint of RUN_DIR, or a checkpoint dir)."""

    run_dir: Annotated[Path, tyro.conf.Positional]
    """Run directory or checkpoint directory."""
    episodes: int = 10
    """Number of evaluation episodes (>= 1)."""
    seed: Annotated[int | None, tyro.conf.arg(
        help_behavior_hint="(default: the run's seed + 10000)")] = None
    """Seed of the first episode."""
    step: Annotated[int | None, tyro.conf.arg(help_behavior_hint="(default: the latest)")] = None
    """Evaluate the checkpoint of this step."""
    stochastic: bool = False
    """Sample actions instead of acting with the policy's mode."""


def main(argv: list[str]) -> int:
    """Print the evaluation as JSON; exit code 2 on bad arguments or a bad checkpoint."""
    args = tyro.cli(EvalArgs, args=argv, prog="softrl eval")
    try:
        if args.episodes < 1:
            raise ValueError(f"--episodes must be >= 1; got {args.episodes}")
        agent = load_agent(args.run_dir, step=args.step)
        result = agent.evaluate(args.episodes, deterministic=not args.stochastic,
                                seed=args.seed)
    except USER_ERRORS as err:
        return report("softrl eval", err)
    print(json.dumps({"run": str(args.run_dir), "agent": agent.kind, "steps": agent.num_steps,
                      "episodes": args.episodes, **result}, indent=2))
    return 0
