"""A finished sweep's results: the trials table (CSV), the curves (PNG) and the best
configuration as a config file for ``softrl train KIND --config``."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from softrl.tune.spec import TuneSpec

__all__ = ["SweepResult", "collect_results", "format_table", "write_config_toml"]

TABLE_FILE = "trials.csv"
CURVES_FILE = "curves.png"
BEST_FILE = "best_config.toml"


@dataclass
class SweepResult:
    """What :func:`softrl.tune.run` returns."""

    trials: list[dict[str, Any]]
    """One row per trial (``trials.csv``), ordered by configuration then seed."""
    histories: dict[str, dict[str, list[Any]]]
    """Per trial id, every reported value by key (``num_steps``, ``mean_return``, ...)."""
    best_config: dict[str, Any]
    """Hyperparameters of the best configuration (as written to ``best_config.toml``)."""
    best_index: int
    """Its configuration index."""
    table_path: Path
    curves_path: Path
    best_config_path: Path
    errors: list[str] = field(default_factory=list)
    """Trials that raised, with their error."""


def collect_results(grid: Any, spec: TuneSpec) -> SweepResult:
    """Read Tune's ``ResultGrid`` and write the table, the curves and the best config."""
    from softrl.plot.sweeps import plot_sweep_curves

    names = [d.name for d in spec.space]
    trials, histories, errors = [], {}, []
    for result in grid:
        config = result.config or {}
        metrics = result.metrics or {}
        frame = result.metrics_dataframe
        history: dict[str, list[Any]] = {}
        if frame is not None and "num_steps" in frame:
            # A trial restored from a checkpoint older than its last report repeats steps
            # (with the same numbers): keep one row per step.
            frame = frame.sort_values("num_steps", kind="stable").drop_duplicates(
                "num_steps", keep="last")
            history = {k: frame[k].tolist() for k in ("num_steps", "mean_return",
                                                      "loaded_from_trial", "loaded_step")
                       if k in frame}
        trial_id = metrics.get("trial_id") or Path(str(result.path)).name
        histories[trial_id] = history
        returns = history.get("mean_return", [])
        steps = int(max(history.get("num_steps", []), default=0))
        status = ("error" if result.error is not None
                  else "complete" if steps >= spec.total_timesteps else "stopped")
        if result.error is not None:
            errors.append(f"{trial_id}: {result.error}")
        trials.append({
            "trial_id": trial_id, "config_index": int(config.get("config_index", -1)),
            "seed": config.get("seed"), **{n: config.get(n) for n in names},
            "status": status, "num_steps": steps,
            "mean_return": returns[-1] if returns else math.nan,
            "best_return": max(returns) if returns else math.nan,
            "path": str(result.path),
        })
    trials.sort(key=lambda r: (r["config_index"], r["seed"]))

    out = spec.output
    out.mkdir(parents=True, exist_ok=True)
    table_path = out / TABLE_FILE
    with table_path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(trials[0]) if trials else ["trial_id"])
        writer.writeheader()
        writer.writerows(trials)

    curves: dict[str, list[tuple[list[float], list[float]]]] = {}
    for row in trials:
        hist = histories[row["trial_id"]]
        if hist.get("num_steps"):
            label = _label(row["config_index"], {n: row[n] for n in names},
                           spec.scheduler["type"] == "pbt")
            curves.setdefault(label, []).append((hist["num_steps"], hist["mean_return"]))
    curves_path = out / CURVES_FILE
    if curves:
        plot_sweep_curves(curves, curves_path,
                          title=f"{spec.agent} on {spec.env}: {len(trials)} trials")

    best_index, chosen = _best(trials, names, spec)
    best = {**spec.fixed, **chosen, "eval_every": spec.eval_every,
            "eval_episodes": spec.eval_episodes}
    best_path = out / BEST_FILE
    header = (f"Best configuration of the sweep {spec.output} (configuration {best_index}: "
              "highest mean final evaluation return over the seeds that ran the whole "
              "budget).\nTrain it with: softrl train "
              f"{spec.agent.lower()} --env {spec.env} --steps {spec.total_timesteps} "
              f"--config {best_path}")
    write_config_toml(best_path, best, header)
    return SweepResult(trials, histories, best, best_index, table_path, curves_path, best_path,
                       errors)


def _label(index: int, values: dict[str, Any], pbt: bool) -> str:
    text = ", ".join(f"{k}={_short(v)}" for k, v in values.items())
    return f"#{index}{' (final)' if pbt else ''}: {text}"


def _short(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _best(trials: list[dict[str, Any]], names: list[str],
          spec: TuneSpec) -> tuple[int, dict[str, Any]]:
    """The configuration with the highest mean final return over its seeds.

    Only trials that ran the whole budget count when there are any (a trial that ASHA stopped
    early ended on a shorter budget), and configurations whose seeds all did come first. With
    PBT, the best trial's final hyperparameters.
    """
    scored = [r for r in trials if r["status"] != "error" and not math.isnan(r["mean_return"])]
    if not scored:
        raise RuntimeError(f"no trial of the sweep {spec.output} reported a result; see the "
                           "errors in its trial folders")
    if spec.scheduler["type"] == "pbt":
        top = max(scored, key=lambda r: r["mean_return"])
        return top["config_index"], {n: top[n] for n in names}
    groups: dict[int, list[dict[str, Any]]] = {}
    for row in scored:
        groups.setdefault(row["config_index"], []).append(row)
    size = {i: sum(r["config_index"] == i for r in trials) for i in groups}  # errors count
    done = {i: [r for r in g if r["status"] == "complete"] for i, g in groups.items()}
    pool = ({i: d for i, d in done.items() if d and len(d) == size[i]}
            or {i: d for i, d in done.items() if d} or groups)
    index = max(pool, key=lambda i: float(np.mean([r["mean_return"] for r in pool[i]])))
    return index, {n: pool[index][0][n] for n in names}


def format_table(trials: list[dict[str, Any]]) -> str:
    """The trials as an aligned text table (without their folders)."""
    if not trials:
        return "(no trials)"
    keys = [k for k in trials[0] if k != "path"]
    cells = [[_short(row[k]) for k in keys] for row in trials]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    lines = ["  ".join(k.ljust(w) for k, w in zip(keys, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)


def write_config_toml(path: Path, values: dict[str, Any], header: str = "") -> Path:
    """A flat TOML table of hyperparameters (None values, which TOML lacks, are left out:
    the agent's default applies)."""
    lines = [f"# {line}" for line in header.splitlines()]
    for key, value in values.items():
        if value is None:
            lines.append(f"# {key} = None (the default)")
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise ValueError(f"cannot write {value!r} ({type(value).__name__}) to a TOML config file")
