"""Scalar logging to CSV and TensorBoard with namespaced keys (charts/, losses/, eval/)."""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

METRICS_FILE = "metrics.csv"
CSV_FIELDS = ("step", "key", "value", "wall_time")


class Logger:
    """Write scalars as long-format CSV rows ``step,key,value,wall_time`` and to TensorBoard.

    Parameters
    ----------
    run_dir : path or None
        Directory of the run; ``None`` logs nothing to disk (values are still kept in
        :attr:`latest`).
    tensorboard : bool
        Also write TensorBoard event files under ``run_dir/tb``.
    resume_step : int, optional
        When resuming, rows with ``step > resume_step`` (written after the checkpoint that is
        resumed from) are dropped, so the log matches an uninterrupted run.
    """

    def __init__(
        self, run_dir: str | os.PathLike | None, tensorboard: bool = True,
        resume_step: int | None = None,
    ) -> None:
        self.run_dir = None if run_dir is None else Path(run_dir)
        self.latest: dict[str, float] = {}
        self._writer: Any = None
        self._file = None
        self._csv: Any = None
        if self.run_dir is None:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        path = self.run_dir / METRICS_FILE
        if resume_step is not None and path.exists():
            _truncate_csv(path, resume_step)
        new = not path.exists()
        self._file = path.open("a", newline="")
        self._csv = csv.writer(self._file)
        if new:
            self._csv.writerow(CSV_FIELDS)
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(str(self.run_dir / "tb"), purge_step=resume_step)

    def log(self, step: int, metrics: Mapping[str, float]) -> None:
        """Record each ``key: value`` at ``step``; keys should be namespaced (``losses/q``)."""
        now = time.time()
        for key, value in metrics.items():
            value = float(value)
            self.latest[key] = value
            if self._csv is not None:
                self._csv.writerow((step, key, repr(value), f"{now:.3f}"))
            if self._writer is not None:
                self._writer.add_scalar(key, value, step)
        if self._file is not None:
            self._file.flush()

    def log_config(self, config: Mapping[str, Any]) -> None:
        """Record the hyperparameters once (TensorBoard text)."""
        if self._writer is not None:
            text = "\n".join(f"|{k}|{v}|" for k, v in config.items())
            self._writer.add_text("hyperparameters", "|param|value|\n|-|-|\n" + text)

    def close(self) -> None:
        """Flush and close the files."""
        if self._file is not None:
            self._file.close()
            self._file = None
            self._csv = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def read_metrics(path: str | os.PathLike) -> dict[str, tuple[list[int], list[float]]]:
    """Read a metrics CSV into ``{key: (steps, values)}`` (a run dir or the CSV itself)."""
    path = Path(path)
    if path.is_dir():
        path = path / METRICS_FILE
    if not path.exists():
        raise FileNotFoundError(f"no metrics file at {path}")
    series: dict[str, tuple[list[int], list[float]]] = {}
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            steps, values = series.setdefault(row["key"], ([], []))
            steps.append(int(row["step"]))
            values.append(float(row["value"]))
    return series


def _truncate_csv(path: Path, max_step: int) -> None:
    """Rewrite ``path`` atomically without the rows whose step exceeds ``max_step``."""
    with path.open(newline="") as f:
        rows = [r for r in csv.reader(f)]
    kept = [rows[0]] + [r for r in rows[1:] if r and int(r[0]) <= max_step]
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="") as f:
        csv.writer(f).writerows(kept)
    os.replace(tmp, path)


def write_json(path: str | os.PathLike, data: Mapping[str, Any]) -> None:
    """Write JSON atomically (temp file + ``os.replace``)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
