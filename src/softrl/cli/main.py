"""``softrl`` console entry point: a registry of subcommands, each parsed by its own module.

A subcommand is registered as ``"name": ("package.module:function", "one-line help")``; the
function receives the remaining arguments (``list[str]``) and returns an exit code. Modules
are imported only when their command runs, so ``softrl --help`` stays fast. To add a command,
add one line to :data:`COMMANDS` (or call :func:`register` from your module).
"""

from __future__ import annotations

import difflib
import importlib
import sys
from collections.abc import Callable, Sequence

COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("softrl.cli.train:main", "train an agent, e.g. `softrl train sac --env Pendulum-v1`"),
    "eval": ("softrl.cli.evaluate:main", "evaluate the latest checkpoint of a run directory"),
    "plot": ("softrl.cli.plot:main", "plot a run's learning curve to PNG"),
    "irl": ("softrl.cli.irl:main", "inverse RL on a gridworld: demos -> reward, PNG of both"),
    "bandit": ("softrl.cli.bandit:main", "bandit algorithms' regret curves (PNG) and a table"),
    "tune": ("softrl.cli.tune:main", "sweep hyperparameters and seeds on Ray Tune (softrl[tune])"),
    "demos": ("softrl.cli.demos:main", "record a trained agent's demonstrations to a .npz file"),
    "bc": ("softrl.cli.bc:main", "behavior cloning from a demos file into a run (softrl eval)"),
    "meta": ("softrl.cli.meta:main", "meta-RL: train rl2|maml|pearl on a task family, meta-test"),
}


def register(name: str, target: str, help: str) -> None:
    """Add a subcommand: ``target`` is ``"module:function"`` taking argv and returning an int."""
    COMMANDS[name] = (target, help)


def _resolve(target: str) -> Callable[[list[str]], int]:
    module, func = target.split(":")
    return getattr(importlib.import_module(module), func)


def _usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: softrl COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<{width}}  {help}" for name, (_, help) in sorted(COMMANDS.items())]
    lines += ["", "Run `softrl COMMAND --help` for the options of a command."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch ``argv[0]`` to its registered subcommand; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(_usage())
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        close = difflib.get_close_matches(name, list(COMMANDS), n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        print(f"softrl: unknown command {name!r}.{hint}\n\n{_usage()}", file=sys.stderr)
        return 2
    return int(_resolve(COMMANDS[name][0])(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
