"""A rich progress bar with named fields, shared by the training loops
(:class:`softrl.training.TrainingProgress`) and the IRL fits (iteration, objective, gap).

It lives outside :mod:`softrl.training` so that the tabular packages can use it without
importing gymnasium.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

__all__ = ["ProgressBar"]


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
    ) -> None:
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
        if self.enabled:
            self._progress = Progress(
                TextColumn(f"[bold]{self.label}"),
                BarColumn(),
                MofNCompleteColumn(),
                *(TextColumn(template) for template, _ in self.fields.values()),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                auto_refresh=False,
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
        if self._progress is None:
            return
        self._pending = {"completed": done, **fields}
        now = time.perf_counter()
        if not force and now - self._last < self.min_interval:
            return
        self._last = now
        self._draw()

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
        if self._progress is not None:
            self._draw()
            self._progress.stop()
            self._progress = None
