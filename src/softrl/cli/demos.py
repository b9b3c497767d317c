"""``softrl demos RUN_DIR --episodes N --out demos.npz``: record an agent's demonstrations."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import tyro

from softrl.cli.errors import USER_ERRORS, report
from softrl.demos import record_demos, save_demos


@dataclass
class DemosArgs:
    """Record demonstrations from a trained agent (latest checkpoint of RUN_DIR) to a .npz."""

    run_dir: Annotated[Path, tyro.conf.Positional]
    """Run directory or checkpoint directory of the expert."""
    episodes: int = 10
    """Number of episodes to record (>= 1)."""
    out: Path = Path("demos.npz")
    """Output file (.npz)."""
    seed: int = 0
    """Episode k is reset with seed + k."""
    stochastic: bool = False
    """Sample actions from the policy instead of acting with its mode."""
    step: Annotated[int | None, tyro.conf.arg(help_behavior_hint="(default: the latest)")] = None
    """Use the checkpoint of this step."""
    overwrite: bool = False
    """Replace an existing output file."""


def main(argv: list[str]) -> int:
    """Record, save, print a JSON summary; exit code 2 on bad arguments or a bad checkpoint."""
    args = tyro.cli(DemosArgs, args=argv, prog="softrl demos")
    from softrl.agents import load_agent

    try:
        if args.episodes < 1:
            raise ValueError(f"--episodes must be >= 1; got {args.episodes}")
        if args.out.exists() and not args.overwrite:
            raise ValueError(f"--out {args.out} exists; pass --overwrite to replace it")
        agent = load_agent(args.run_dir, step=args.step)
        demos = record_demos(agent, args.episodes, deterministic=not args.stochastic,
                             seed=args.seed)
        path = save_demos(demos, args.out)
    except USER_ERRORS as err:
        return report("softrl demos", err)
    returns = demos.episode_returns()
    print(json.dumps({"out": str(path), "agent": agent.kind, "env_id": demos.env_id,
                      "episodes": demos.num_episodes, "transitions": len(demos),
                      "mean_return": float(returns.mean()),
                      "std_return": float(returns.std())}, indent=2))
    return 0
