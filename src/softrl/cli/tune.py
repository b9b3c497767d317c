"""``softrl tune SPEC.toml [--address ADDR] [--resume]``: a hyperparameter and seed sweep on
Ray Tune (see :mod:`softrl.tune.spec` for the spec).

    softrl tune examples/tune_toy.toml                 # a local Ray on this machine
    softrl tune examples/tune_toy.toml --resume        # continue a killed sweep
    softrl tune spec.toml --address auto               # an existing Ray cluster

The spec is checked before Ray starts; every error is one line, ``softrl tune: error: ...``,
with exit status 2.
"""

from __future__ import annotations

import argparse
import sys

from softrl.cli.errors import USER_ERRORS, report

PROG = "softrl tune"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=(
        "Sweep an agent's hyperparameters and seeds on Ray Tune (pip install \"softrl[tune]\"); "
        "writes OUTPUT/trials.csv, OUTPUT/curves.png and OUTPUT/best_config.toml."))
    p.add_argument("spec", help="TOML sweep spec (agent, env, [fixed], [space], seeds, "
                   "[scheduler], [budget], [resources], output)")
    p.add_argument("--address", default=None,
                   help="address of a running Ray cluster (default: start a local Ray here)")
    p.add_argument("--resume", action="store_true",
                   help="continue the sweep in the spec's output directory (Tuner.restore): "
                        "no trial is lost or restarted")
    p.add_argument("--check", action="store_true",
                   help="only check the spec and list its configurations")
    p.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2),
                   help="Tune's console output (0 silent, 1 status table, 2 every result)")
    return p


def main(argv: list[str]) -> int:
    """Entry point of ``softrl tune``."""
    args = _parser().parse_args(argv)
    from softrl.tune import format_table, load_spec, run

    try:
        spec = load_spec(args.spec)
        if args.check:
            configs = spec.configurations()
            print(f"{args.spec}: {spec.agent} on {spec.env}, {len(configs)} configurations x "
                  f"{len(spec.seeds)} seeds = {len(configs) * len(spec.seeds)} trials, "
                  f"scheduler {spec.scheduler['type']}")
            for i, config in enumerate(configs):
                print(f"  #{i}: {config}")
            return 0
        result = run(spec, address=args.address, resume=args.resume, verbose=args.verbose)
    except USER_ERRORS as err:  # SpecError, MissingDependencyError, CheckpointError, OSError
        return report(PROG, err)
    print(format_table(result.trials))
    for error in result.errors:
        print(f"{PROG}: trial failed: {error}", file=sys.stderr)
    print(f"table: {result.table_path}\ncurves: {result.curves_path}\n"
          f"best configuration (#{result.best_index}): {result.best_config_path}")
    return 1 if result.errors else 0
