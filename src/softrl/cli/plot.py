"""``softrl plot RUN_DIR``: learning curve PNG from the run's metrics.csv."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import tyro

from softrl.cli.errors import USER_ERRORS, report
from softrl.plot.curves import DEFAULT_KEYS, plot_runs


@dataclass
class PlotArgs:
    """Plot evaluation and episode returns against environment steps."""

    run_dirs: Annotated[tuple[Path, ...], tyro.conf.Positional, tyro.conf.arg(
        metavar="RUN_DIR...", help_behavior_hint="(required)")]
    """One or more run directories."""
    out: Annotated[Path | None, tyro.conf.arg(
        metavar="PATH", help_behavior_hint="(default: RUN_DIR/learning_curve.png of the first run)")
    ] = None
    """PNG file to write."""
    keys: tuple[str, ...] = DEFAULT_KEYS
    """Metric keys to plot, one panel each."""


def main(argv: list[str]) -> int:
    """Write the PNG and print its path."""
    args = tyro.cli(PlotArgs, args=argv, prog="softrl plot")
    if not args.run_dirs:
        print("softrl plot: error: give one or more run directories, e.g. "
              "`softrl plot runs/pendulum`", file=sys.stderr)
        return 2
    out = args.out or args.run_dirs[0] / "learning_curve.png"
    try:
        path = plot_runs(args.run_dirs, out, keys=args.keys,
                         strict=args.keys != DEFAULT_KEYS)
    except USER_ERRORS as err:
        return report("softrl plot", err)
    print(path)
    return 0
