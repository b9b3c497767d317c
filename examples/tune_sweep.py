"""A sweep on Ray Tune: SAC's learning rate x target-update rate on the 1-D point mass, three
seeds per configuration, ASHA stopping the weak trials early (``examples/tune_toy.toml``).

The picture is the sweep's ``curves.png``: the mean evaluation return of each configuration
(line) and its min-max over seeds (band), against environment steps. The run prints the trials
table, the environment steps ASHA saved and the best configuration, written as a config file
for ``softrl train sac --config``.

    python examples/tune_sweep.py           # 12 trials x 1500 steps: out/gallery/tune_sweep.png
    python examples/tune_sweep.py --quick   # 2 configurations x 1 seed x 300 steps (the test)
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import tomllib

from softrl.tune import SweepResult, format_table, run

HERE = Path(__file__).resolve().parent


def sweep(quick: bool, output: Path) -> SweepResult:
    """Run the example spec (smaller in quick mode) into ``output`` (replaced)."""
    spec = tomllib.loads((HERE / "tune_toy.toml").read_text())
    spec["output"] = str(output)
    if quick:
        spec["seeds"] = [0]
        spec["space"] = {"learning_rate": {"grid": [1e-3, 3e-3]}}
        spec["budget"] = {"total_timesteps": 300, "eval_every": 100, "eval_episodes": 2}
        spec["scheduler"] = {"type": "asha", "grace_period": 100, "reduction_factor": 2}
        spec["fixed"] = {**spec["fixed"], "hidden_sizes": [16, 16], "learning_starts": 50,
                         "torch_threads": 1}
    if output.exists():
        shutil.rmtree(output)  # this example's own folder: a fresh sweep each time
    return run(spec, verbose=0)


def main(argv: list[str] | None = None) -> SweepResult:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 2-trial sweep (the test)")
    parser.add_argument("--out", type=Path, default=Path("out"),
                        help="writes OUT/tune/tune_sweep/ and OUT/gallery/tune_sweep.png")
    args = parser.parse_args(argv)
    result = sweep(args.quick, args.out / "tune" / "tune_sweep")
    picture = args.out / "gallery" / "tune_sweep.png"
    picture.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(result.curves_path, picture)
    print(format_table(result.trials))
    total = max(r["num_steps"] for r in result.trials)
    used = sum(r["num_steps"] for r in result.trials)
    stopped = sum(r["status"] == "stopped" for r in result.trials)
    print(f"ASHA stopped {stopped} of {len(result.trials)} trials early: {used} of "
          f"{total * len(result.trials)} environment steps used")
    print(f"best configuration #{result.best_index}: {result.best_config_path}")
    print(f"picture: {picture}")
    return result


if __name__ == "__main__":
    main()
