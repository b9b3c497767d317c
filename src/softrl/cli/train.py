"""``softrl train AGENT ...``: train an agent from flags or a config file, with ``--resume``."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import tyro

from softrl.agents.sac import SAC, SACConfig, make_config
from softrl.training.checkpoint import CHECKPOINTS_DIR, CheckpointError


@dataclass
class TrainSAC:
    """Train Soft Actor-Critic on a Gymnasium environment with a Box action space."""

    env: str = "Pendulum-v1"
    """Gymnasium environment id."""
    steps: int = 20_000
    """Total environment steps of the run (a resumed run trains up to this count)."""
    run_dir: Path | None = None
    """Where metrics.csv, TensorBoard events and checkpoints go (default: runs/sac-ENV-sSEED)."""
    resume: bool = False
    """Continue from the latest checkpoint in run_dir (its saved hyperparameters are used)."""
    config: Path | None = None
    """JSON (or TOML) file of SAC hyperparameters; flags given on the command line override it."""
    progress: bool = True
    """Show a progress bar."""
    tensorboard: bool = True
    """Write TensorBoard events."""
    final_eval_episodes: int = 10
    """Episodes of the evaluation printed at the end."""
    sac: Annotated[SACConfig, tyro.conf.OmitArgPrefixes] = field(default_factory=SACConfig)
    """SAC hyperparameters."""


def read_config_file(path: Path) -> dict[str, Any]:
    """Hyperparameters from a JSON or TOML file (a flat table of SACConfig fields)."""
    try:
        text = path.read_text()
    except OSError as err:
        raise ValueError(f"cannot read config file {path}: {err}") from err
    if path.suffix == ".toml":
        import tomllib

        return tomllib.loads(text)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"config file {path} is not valid JSON: {err}") from err
    if not isinstance(data, dict):
        raise ValueError(f"config file {path} must hold a JSON object of hyperparameters")
    return data


def train_sac(args: TrainSAC) -> int:
    """Run (or resume) a SAC training run; returns an exit code."""
    run_dir = args.run_dir or Path("runs") / f"sac-{args.env}-s{args.sac.seed}"
    has_checkpoint = (run_dir / CHECKPOINTS_DIR / "latest").exists()
    if args.resume and has_checkpoint:
        agent = SAC.load(run_dir, run_dir=run_dir, tensorboard=args.tensorboard)
        print(f"resuming {run_dir} at step {agent.num_steps} (saved hyperparameters)")
    else:
        if has_checkpoint:
            raise ValueError(f"{run_dir} already holds a run; pass --resume to continue it or "
                             "choose another --run-dir")
        agent = SAC(args.env, run_dir=run_dir, tensorboard=args.tensorboard,
                    **dataclasses.asdict(args.sac))
    remaining = max(args.steps - agent.num_steps, 0)
    start = time.perf_counter()
    agent.learn(remaining, progress_bar=args.progress)
    elapsed = time.perf_counter() - start
    latest = run_dir / CHECKPOINTS_DIR / "latest"
    if not latest.exists() or not latest.read_text().strip().endswith(f"{agent.num_steps:09d}"):
        agent.checkpoint()
    result = agent.evaluate(args.final_eval_episodes)
    print(f"{run_dir}: {agent.num_steps} steps, {remaining / max(elapsed, 1e-9):.1f} steps/s, "
          f"eval mean return {result['mean_return']:.1f} +- {result['std_return']:.1f} "
          f"over {args.final_eval_episodes} episodes")
    return 0


def _parse_sac(argv: list[str]) -> TrainSAC:
    # A config file supplies defaults that explicit flags then override.
    default = TrainSAC()
    if "--config" in argv or any(a.startswith("--config=") for a in argv):
        probe = tyro.cli(TrainSAC, args=argv, prog="softrl train sac")
        if probe.config is not None:
            hyper = {**dataclasses.asdict(SACConfig()), **read_config_file(probe.config)}
            default = TrainSAC(sac=make_config(**hyper))
    return tyro.cli(TrainSAC, args=argv, default=default, prog="softrl train sac")


TRAINERS: dict[str, tuple[Callable[[list[str]], Any], Callable[[Any], int]]] = {
    "sac": (_parse_sac, train_sac),
}
"""Agent name -> (argument parser, training function); other agents add their entry here."""


def main(argv: list[str]) -> int:
    """``softrl train AGENT [FLAGS]``."""
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in TRAINERS:
        names = ", ".join(sorted(TRAINERS))
        print(f"usage: softrl train AGENT [--help] [FLAGS]\nagents: {names}",
              file=sys.stderr if argv and argv[0] not in ("-h", "--help") else sys.stdout)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    parse, run = TRAINERS[argv[0]]
    try:
        return run(parse(argv[1:]))
    except (CheckpointError, ValueError) as err:
        print(f"softrl train {argv[0]}: error: {err}", file=sys.stderr)
        return 2
