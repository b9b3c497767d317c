"""``softrl eval RUN_DIR``: evaluate the latest checkpoint of a run."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import tyro

from softrl.agents.sac import SAC
from softrl.training.checkpoint import CheckpointError, load_checkpoint


@dataclass
class EvalArgs:
    """Evaluate a trained agent (latest checkpoint of RUN_DIR, or a checkpoint directory)."""

    run_dir: Annotated[Path, tyro.conf.Positional]
    """Run directory or checkpoint directory."""
    episodes: int = 10
    """Number of evaluation episodes."""
    seed: int | None = None
    """Seed of the first episode (default: the run's seed + 10000)."""
    stochastic: bool = False
    """Sample actions instead of acting with the policy mean."""


AGENTS = {"SAC": SAC}
"""Checkpoint kind -> agent class with ``load`` and ``evaluate``."""


def main(argv: list[str]) -> int:
    """Print the evaluation as JSON; exit code 2 on a missing or bad checkpoint."""
    args = tyro.cli(EvalArgs, args=argv, prog="softrl eval")
    try:
        kind = load_checkpoint(args.run_dir, kind="SAC").meta["kind"]
        agent = AGENTS[kind].load(args.run_dir)
    except CheckpointError as err:
        print(f"softrl eval: error: {err}", file=sys.stderr)
        return 2
    result = agent.evaluate(args.episodes, deterministic=not args.stochastic, seed=args.seed)
    print(json.dumps({"run": str(args.run_dir), "steps": agent.num_steps,
                      "episodes": args.episodes, **result}, indent=2))
    return 0
