"""``softrl bc --demos demos.npz``: behavior cloning into a run directory `softrl eval` loads."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import tyro

from softrl.cli.errors import USER_ERRORS, report
from softrl.demos import load_demos
from softrl.training.logger import write_json


@dataclass
class BCArgs:
    """Clone a policy from demonstrations (max sum log pi(a|s), validation split, early
    stopping) and save it as a softrl agent."""

    demos: Path
    """Demonstrations file (.npz from `softrl demos`)."""
    env: Annotated[str | None, tyro.conf.arg(
        help_behavior_hint="(default: the env the demos were recorded in)")] = None
    """Gymnasium environment id."""
    agent: Literal["auto", "pg", "sac", "softq"] = "auto"
    """Policy to clone into: pg (categorical or Gaussian), sac (squashed Gaussian), softq
    (Boltzmann over Q); auto: pg for Discrete actions, sac for Box ones."""
    run_dir: Annotated[Path | None, tyro.conf.arg(
        help_behavior_hint="(default: runs/bc-AGENT-ENV-sSEED)")] = None
    """Where the checkpoint and bc.json go."""
    epochs: int = 100
    """Maximum passes over the training transitions."""
    batch_size: int = 256
    """Transitions per Adam step."""
    learning_rate: float = 1e-3
    """Adam step size."""
    validation_fraction: float = 0.1
    """Share of episodes held out for early stopping (0: none)."""
    patience: int = 5
    """Epochs without a better validation NLL before stopping."""
    hidden_sizes: tuple[int, ...] = (256, 256)
    """Hidden layer widths of the policy."""
    temperature: Annotated[float | None, tyro.conf.arg(
        help_behavior_hint="(default: the agent's)")] = None
    """Temperature T of a softq agent's Boltzmann policy."""
    seed: int = 0
    """Network initialization, split and minibatch order."""
    eval_episodes: int = 10
    """Episodes of the evaluation printed at the end (0: none)."""
    device: str = "cpu"
    """Torch device."""
    torch_threads: int = 0
    """Torch intra-op threads (0: torch's default; 1 is best on a busy CPU)."""


def main(argv: list[str]) -> int:
    """Clone, save, evaluate; print a JSON summary. Exit code 2 on bad input."""
    args = tyro.cli(BCArgs, args=argv, prog="softrl bc")
    from softrl.agents import SAC, EntropyPG, SoftQ
    from softrl.imitation import behavior_cloning

    try:
        demos = load_demos(args.demos)
        env_id = args.env or demos.env_id
        if env_id is None:
            raise ValueError("the demos record no env id; pass --env")
        demos = load_demos(args.demos, env=env_id)
        kind = args.agent
        if kind == "auto":
            kind = "pg" if demos.actions.dtype.kind in "iu" else "sac"
        cls = {"pg": EntropyPG, "sac": SAC, "softq": SoftQ}[kind]
        run_dir = args.run_dir or Path("runs") / (
            f"bc-{kind}-{env_id.replace('/', '_').replace(':', '_')}-s{args.seed}")
        extra = {} if args.temperature is None or kind == "pg" else {
            "temperature": args.temperature}
        agent = cls(env_id, run_dir=run_dir, tensorboard=False, seed=args.seed,
                    hidden_sizes=args.hidden_sizes, device=args.device,
                    torch_threads=args.torch_threads, **extra)
        result = behavior_cloning(agent, demos, max_epochs=args.epochs,
                                  batch_size=args.batch_size, learning_rate=args.learning_rate,
                                  validation_fraction=args.validation_fraction,
                                  patience=args.patience, seed=args.seed)
        agent.checkpoint()
        summary = {"run_dir": str(run_dir), "agent": agent.kind, "env_id": env_id,
                   "transitions": len(demos), "episodes": demos.num_episodes,
                   **result.as_dict()}
        if args.eval_episodes > 0:
            summary["evaluation"] = agent.evaluate(args.eval_episodes)
        if demos.rewards is not None:
            summary["demo_mean_return"] = float(demos.episode_returns().mean())
        write_json(run_dir / "bc.json", summary)
    except USER_ERRORS as err:
        return report("softrl bc", err)
    short = {k: v for k, v in summary.items() if k not in ("train_nll", "val_nll")}
    short["final_val_nll"] = result.val_nll[result.best_epoch - 1] if result.val_nll and \
        result.best_epoch else None
    print(json.dumps(short, indent=2))
    return 0
