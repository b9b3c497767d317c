"""Progress of long work: a rich bar on a terminal, plain periodic lines elsewhere.

One module for every loop: :class:`ProgressBar` (named fields; the IRL fits show iteration,
objective and gap) and :class:`TrainingProgress` (the agents' steps/s, episodes and return).
When stdout is not a terminal (nohup, a batch scheduler, a pipe) the bar would print nothing
until the end, so plain lines are printed instead: one every 10% of the work or every 30 s,
whichever comes first, and a last one. It imports neither torch nor gymnasium, so the tabular
packages use it too.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Mapping
from types import SimpleNamespace, TracebackType
from typing import IO, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

__all__ = ["ProgressBar", "TrainingProgress"]


class ProgressBar:
    """Context manager showing a progress bar; refreshes at most every ``min_interval`` s.

    Parameters
    ----------
    total : int
        Number of units (steps, iterations) of the run.
    enabled : bool
        When False every method is a no-op.
    min_interval : float
        Seconds between redraws (drawing is done in the caller's thread, no refresh thread).
        The last values given are drawn when the context exits.
    label : str
        Shown in front of the bar.
    fields : mapping of str to (str, object)
        Extra columns: field name -> (rich template such as ``"gap {task.fields[gap]:.3g}"``,
        initial value).  :meth:`advance` updates them by name.
    plain : bool, optional
        Print plain lines instead of a bar (default: when ``stream`` is not a terminal).
    stream : file, optional
        Where the bar or the plain lines go (default: ``sys.stdout``).
    plain_interval : float
        Seconds between plain lines (one is also printed at every 10% of ``total``).

    Examples
    --------
    >>> fields = {"loss": ("loss {task.fields[loss]:.3f}", float("nan"))}
    >>> with ProgressBar(10, enabled=False, label="fit", fields=fields) as bar:
    ...     for i in range(10):
    ...         bar.advance(i + 1, loss=1.0 / (i + 1))
    """

    def __init__(
        self,
        total: int,
        enabled: bool = True,
        min_interval: float = 0.25,
        label: str = "",
        fields: Mapping[str, tuple[str, Any]] | None = None,
        plain: bool | None = None,
        stream: IO[str] | None = None,
        plain_interval: float = 30.0,
    ) -> None:
        self.stream = stream
        if plain is None:
            out = sys.stdout if stream is None else stream
            plain = not (hasattr(out, "isatty") and out.isatty())
        self.plain = plain
        self.plain_interval = plain_interval
        self._values: dict[str, Any] = {}
        self._done = 0
        self._last_line = -math.inf
        self._last_decile = 0
        self._printed: tuple[int, dict[str, Any]] | None = None  # (done, fields) last printed
        self.total = total
        self.enabled = enabled
        self.min_interval = min_interval
        self.label = label
        self.fields = dict(fields or {})
        self._last = -math.inf  # the first call draws
        self._start = time.perf_counter()
        self._progress: Progress | None = None
        self._task = None
        self._pending: dict[str, Any] | None = None

    def __enter__(self) -> ProgressBar:
        self._values = {name: value for name, (_, value) in self.fields.items()}
        if self.enabled and self.plain:
            self._start = time.perf_counter()
            self._last_line = time.perf_counter()
            return self
        if self.enabled:
            self._progress = Progress(
                TextColumn(f"[bold]{self.label}"),
                BarColumn(),
                MofNCompleteColumn(),
                *(TextColumn(template) for template, _ in self.fields.values()),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                auto_refresh=False,
                console=None if self.stream is None else Console(file=self.stream),
            )
            self._progress.start()
            initial = {name: value for name, (_, value) in self.fields.items()}
            self._task = self._progress.add_task(self.label, total=self.total, **initial)
        self._start = time.perf_counter()
        return self

    @property
    def elapsed(self) -> float:
        """Seconds since the context was entered."""
        return time.perf_counter() - self._start

    def advance(self, done: int, force: bool = False, **fields: Any) -> None:
        """Show ``done`` units of ``total`` and the given fields (redrawn at most every
        ``min_interval`` s unless ``force``)."""
        if self.enabled and self.plain:
            self._done = done
            self._values.update(fields)
            now = time.perf_counter()
            decile = int(10 * done / self.total) if self.total > 0 else 10
            if decile > self._last_decile or now - self._last_line >= self.plain_interval:
                self._last_decile, self._last_line = decile, now
                self._print_line()
            return
        if self._progress is None:
            return
        self._pending = {"completed": done, **fields}
        now = time.perf_counter()
        if not force and now - self._last < self.min_interval:
            return
        self._last = now
        self._draw()

    def _print_line(self) -> None:
        """One plain line: label, done/total, percent, fields, elapsed."""
        pct = 100.0 * self._done / self.total if self.total > 0 else 100.0
        task = SimpleNamespace(fields=self._values)
        parts = [template.format(task=task) for template, _ in self.fields.values()]
        elapsed = int(self.elapsed)
        line = (f"{self.label} {self._done}/{self.total} {pct:.0f}% " + " ".join(parts)
                + f" elapsed {elapsed // 3600}:{elapsed // 60 % 60:02d}:{elapsed % 60:02d}")
        print(" ".join(line.split()), file=self.stream or sys.stdout, flush=True)
        self._printed = (self._done, dict(self._values))

    def _draw(self) -> None:
        assert self._progress is not None and self._task is not None
        if self._pending is not None:
            self._progress.update(self._task, **self._pending)
            self._pending = None
        self._progress.refresh()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.enabled and self.plain:
            if self._printed != (self._done, self._values):  # the last values, once
                self._print_line()
            return
        if self._progress is not None:
            self._draw()
            self._progress.stop()
            self._progress = None


class TrainingProgress(ProgressBar):
    """The training loops' bar: steps/s, episodes and the recent mean return.

    Parameters
    ----------
    total : int
        Number of environment steps of this ``learn`` call.
    enabled : bool
        When False every method is a no-op.
    min_interval : float
        Seconds between redraws (drawing is done in the caller's thread, no refresh thread).
    plain, stream
        Plain lines instead of a bar (default: when stdout is not a terminal), and where.
    """

    def __init__(self, total: int, enabled: bool = True, min_interval: float = 0.25,
                 plain: bool | None = None, stream: IO[str] | None = None) -> None:
        super().__init__(
            total,
            enabled,
            min_interval,
            plain=plain,
            stream=stream,
            label="train",
            fields={
                "sps": ("{task.fields[sps]:>6.0f} steps/s", 0.0),
                "episodes": ("episodes {task.fields[episodes]}", 0),
                "ret": ("return {task.fields[ret]}", "-"),
            },
        )

    def update(
        self, done: int, episodes: int, recent_return: float | None, force: bool = False
    ) -> None:
        """Show ``done`` steps of ``total``, the episode count and the recent mean return."""
        if self._progress is None and not (self.enabled and self.plain):
            return
        ret = "-" if recent_return is None else f"{recent_return:.1f}"
        sps = done / max(self.elapsed, 1e-9)
        self.advance(done, force, sps=sps, episodes=episodes, ret=ret)
