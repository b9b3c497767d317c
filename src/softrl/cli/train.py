"""``softrl train AGENT ...``: train any registered agent from flags or a config file.

Each agent of :data:`softrl.agents.AGENTS` gets a subcommand (``softrl train sac``) whose flags
are its config dataclass (read by tyro, each field's docstring its help) plus the run's own:
``--env``, ``--steps``, ``--run-dir``, ``--resume``, ``--config``, callbacks
(``--save-best``, ``--stop-at-return``) and output switches.
"""


import dataclasses
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import tyro

from softrl.agents import AGENTS
from softrl.agents.base import Agent
from softrl.agents.callbacks import Callback, EvalCallback, StopOnReward
from softrl.agents.config import make_config
from softrl.cli.errors import USER_ERRORS, report
from softrl.training.checkpoint import CHECKPOINTS_DIR, LATEST_FILE

RUN_FLAGS = {"env", "steps", "run_dir", "resume", "config", "progress", "tensorboard",
             "final_eval_episodes", "save_best", "stop_at_return"}
"""Fields of the train command that are not hyperparameters of the agent."""


def _train_args(name: str, agent_cls: type[Agent]) -> type:
    """The tyro dataclass of ``softrl train NAME``: run flags + the agent's config."""
    config_cls = agent_cls.config_class

    @dataclass
    class TrainArgs:
        env: str = agent_cls.default_env
        """Gymnasium environment id ("module:Env-v0" imports module first)."""
        steps: int = 20_000
        """Total environment steps of the run (a resumed run trains up to this count)."""
        run_dir: Annotated[Path | None, tyro.conf.arg(
            help_behavior_hint="(default: runs/AGENT-ENV-sSEED)")] = None
        """Where metrics.csv, TensorBoard events and checkpoints go."""
        resume: bool = False
        """Continue the run in run_dir from its latest intact checkpoint, with its saved
        hyperparameters (a flag that contradicts them is an error)."""
        config: Path | None = None
        """JSON or TOML file of hyperparameters; flags given on the command line override it."""
        progress: bool = True
        """Show progress (a bar on a terminal, plain lines otherwise)."""
        tensorboard: bool = True
        """Write TensorBoard events."""
        final_eval_episodes: int = 10
        """Episodes of the evaluation printed at the end."""
        save_best: bool = False
        """With --eval-every: keep the best evaluated model in RUN_DIR/best_model."""
        stop_at_return: Annotated[float | None, tyro.conf.arg(
            help_behavior_hint="(default: never)")] = None
        """Stop when an evaluation (--eval-every) reaches this mean return."""
        hp: Annotated[config_cls, tyro.conf.OmitArgPrefixes] = field(  # type: ignore[valid-type]
            default_factory=config_cls)
        """Hyperparameters."""

    TrainArgs.__doc__ = (agent_cls.__doc__ or name).strip().splitlines()[0]
    TrainArgs.__name__ = f"Train{agent_cls.kind}"
    return TrainArgs


def read_config_file(path: Path) -> dict[str, Any]:
    """Hyperparameters from a JSON or TOML file (a flat table of config fields)."""
    try:
        text = path.read_text()
    except OSError as err:
        raise ValueError(f"cannot read config file {path}: {err}") from err
    if path.suffix == ".toml":
        import tomllib

        try:
            data: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise ValueError(f"config file {path} is not valid TOML: {err}") from err
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ValueError(f"config file {path} is not valid JSON: {err}") from err
    if not isinstance(data, dict):
        raise ValueError(f"config file {path} must hold a table (object) of hyperparameters")
    return data


def _given_flags(argv: list[str]) -> set[str]:
    """Field names of the flags written on the command line (``--batch-size`` -> batch_size)."""
    names = set()
    for arg in argv:
        if arg.startswith("--"):
            name = arg[2:].split("=", 1)[0].replace("-", "_")
            names.add(name[3:] if name.startswith("no_") else name)
    return names


def _parse(name: str, agent_cls: type[Agent], argv: list[str]) -> tuple[Any, set[str]]:
    args_cls = _train_args(name, agent_cls)
    prog = f"softrl train {name}"
    default = args_cls()
    if "--config" in argv or any(a.startswith("--config=") for a in argv):
        probe = tyro.cli(args_cls, args=argv, prog=prog)
        if probe.config is not None:
            hyper = {**dataclasses.asdict(agent_cls.config_class()),
                     **read_config_file(probe.config)}
            default = args_cls(hp=make_config(agent_cls.config_class, agent_cls.kind, **hyper))
    return tyro.cli(args_cls, args=argv, default=default, prog=prog), _given_flags(argv)


def train(name: str, agent_cls: type[Agent], args: Any, given: set[str]) -> int:
    """Run (or resume) a training run; returns an exit code."""
    if args.steps < 0:
        raise ValueError(f"--steps must be >= 0; got {args.steps}")
    if args.final_eval_episodes < 1:
        raise ValueError(f"--final-eval-episodes must be >= 1; got {args.final_eval_episodes}")
    safe_env = args.env.replace("/", "-").replace(":", "-")
    run_dir = args.run_dir or Path("runs") / f"{name}-{safe_env}-s{args.hp.seed}"
    if args.resume:
        if not (run_dir / CHECKPOINTS_DIR).is_dir():
            raise ValueError(f"--resume: {run_dir} holds no checkpoints to resume; drop "
                             "--resume to start a new run there")
        agent = agent_cls.load(run_dir, run_dir=run_dir, tensorboard=args.tensorboard)
        _check_resume_flags(agent, args, given)
        print(f"resuming {run_dir} at step {agent.num_steps} (saved hyperparameters)")
    else:
        agent = agent_cls(args.env, run_dir=run_dir, tensorboard=args.tensorboard,
                          **dataclasses.asdict(args.hp))
    callbacks: list[Callback] = []
    if args.save_best or args.stop_at_return is not None:
        if not agent.config.eval_every:
            raise ValueError("--save-best and --stop-at-return need --eval-every N")
        if args.save_best:
            callbacks.append(EvalCallback(agent.config.eval_every, agent.config.eval_episodes,
                                          best_model_path=run_dir / "best_model"))
        if args.stop_at_return is not None:
            callbacks.append(StopOnReward(args.stop_at_return))
    remaining = max(args.steps - agent.num_steps, 0)
    start = time.perf_counter()
    agent.learn(remaining, callback=callbacks, progress_bar=args.progress)
    elapsed = time.perf_counter() - start
    latest = run_dir / CHECKPOINTS_DIR / LATEST_FILE
    if not latest.exists() or not latest.read_text().strip().endswith(f"{agent.num_steps:09d}"):
        agent.checkpoint()
    result = agent.evaluate(args.final_eval_episodes)
    print(f"{run_dir}: {agent.num_steps} steps, {remaining / max(elapsed, 1e-9):.1f} steps/s, "
          f"eval mean return {result['mean_return']:.1f} +- {result['std_return']:.1f} "
          f"over {args.final_eval_episodes} episodes")
    return 0


def _check_resume_flags(agent: Agent, args: Any, given: set[str]) -> None:
    """Refuse flags that contradict the run being resumed (they would be ignored)."""
    conflicts = []
    if "env" in given and args.env != agent.env_id:
        conflicts.append(f"--env {args.env} (the run trains {agent.env_id})")
    saved = dataclasses.asdict(agent.config)
    for key, value in dataclasses.asdict(args.hp).items():
        if key in given and key in saved and value != saved[key] and key != "device":
            conflicts.append(f"--{key.replace('_', '-')} {value} (the run has {saved[key]})")
    if "config" in given:
        conflicts.append("--config (a resumed run keeps its saved hyperparameters)")
    if conflicts:
        raise ValueError("--resume keeps the run's saved settings; these flags contradict "
                         "them: " + "; ".join(conflicts) + ". Drop them, or start a new run "
                         "with another --run-dir.")


META_LEARNERS = ("maml", "pearl")  # trained by softrl meta train, on a task family


def main(argv: list[str]) -> int:
    """``softrl train AGENT [FLAGS]``; ``softrl train maml|pearl ...`` and ``softrl train rl2
    --tasks ...`` are ``softrl meta train`` (meta-learners train on a task family)."""
    names = {cls.kind.lower(): cls for cls in AGENTS.values()}
    if argv and (argv[0] in META_LEARNERS or (argv[0] == "rl2" and any(
            a == "--tasks" or a.startswith("--tasks=") for a in argv[1:]))):
        from softrl.cli.meta import main as meta_main

        return meta_main(["train", *argv])
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in names:
        help_asked = bool(argv) and argv[0] in ("-h", "--help")
        stream = sys.stdout if help_asked else sys.stderr
        unknown = f"softrl train: unknown agent {argv[0]!r}\n" if argv and not help_asked else ""
        print(f"{unknown}usage: softrl train AGENT [--help] [FLAGS]\n"
              f"agents: {', '.join(sorted(names))}\n"
              f"meta-learners (softrl meta train): {', '.join(META_LEARNERS)}, "
              f"rl2 --tasks TASKS", file=stream)
        return 0 if help_asked else 2
    name, agent_cls = argv[0], names[argv[0]]
    try:
        args, given = _parse(name, agent_cls, argv[1:])
        return train(name, agent_cls, args, given)
    except USER_ERRORS as err:
        return report(f"softrl train {name}", err)
