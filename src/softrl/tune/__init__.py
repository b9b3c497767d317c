"""Sweeps over agents' hyperparameters and seeds on Ray Tune (``pip install "softrl[tune]"``).

``softrl tune SPEC.toml`` or :func:`run`: a search space over any agent's config fields and
seeds (:mod:`softrl.tune.spec`), run as Tune trials of softrl's own agents and checkpoints
(:mod:`softrl.tune.trainable`) under no scheduler, ASHA or PBT, on a local Ray started here or
an existing cluster; results as a table, curves and the best config (:mod:`softrl.tune.results`).
Ray is imported only when a sweep runs, so spec checking works without it.
"""

from softrl.tune.results import SweepResult, format_table
from softrl.tune.spec import SpecError, TuneSpec, load_spec
from softrl.tune.sweep import run

__all__ = ["SpecError", "SweepResult", "TuneSpec", "format_table", "load_spec", "run"]
