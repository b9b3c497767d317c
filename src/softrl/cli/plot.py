"""``softrl plot RUN_DIR``: learning curve PNG from the run's metrics.csv."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import tyro

from softrl.plot.curves import DEFAULT_KEYS, plot_runs


@dataclass
class PlotArgs:
    """Plot evaluation and episode returns against environment steps."""

    run_dirs: Annotated[tuple[Path, ...], tyro.conf.Positional]
    """One or more run directories."""
    out: Path | None = None
    """PNG path (default: RUN_DIR/learning_curve.png of the first run)."""
    keys: tuple[str, ...] = DEFAULT_KEYS
    """Metric keys to plot, one panel each."""


def main(argv: list[str]) -> int:
    """Write the PNG and print its path."""
    if not [a for a in argv if not a.startswith("-")] and not {"-h", "--help"} & set(argv):
        print("softrl plot: error: give one or more run directories, e.g. "
              "`softrl plot runs/pendulum`", file=sys.stderr)
        return 2
    args = tyro.cli(PlotArgs, args=argv, prog="softrl plot")
    out = args.out or args.run_dirs[0] / "learning_curve.png"
    try:
        path = plot_runs(args.run_dirs, out, keys=args.keys,
                         strict=args.keys != DEFAULT_KEYS)
    except (FileNotFoundError, ValueError) as err:
        print(f"softrl plot: error: {err}", file=sys.stderr)
        return 2
    print(path)
    return 0
