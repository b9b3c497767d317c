"""Rich progress bar for training loops: steps/s, episodes and recent return."""

from __future__ import annotations

import time
from types import TracebackType

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class TrainingProgress:
    """Context manager showing a progress bar; refreshes at most every ``min_interval`` s.

    Parameters
    ----------
    total : int
        Number of environment steps of this ``learn`` call.
    enabled : bool
        When False every method is a no-op.
    min_interval : float
        Seconds between redraws (drawing is done in the caller's thread, no refresh thread).
    """

    def __init__(self, total: int, enabled: bool = True, min_interval: float = 0.25) -> None:
        self.total = total
        self.enabled = enabled
        self.min_interval = min_interval
        self._last = 0.0
        self._start = time.perf_counter()
        self._progress: Progress | None = None
        self._task = None

    def __enter__(self) -> TrainingProgress:
        if self.enabled:
            self._progress = Progress(
                TextColumn("[bold]train"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[sps]:>6.0f} steps/s"),
                TextColumn("episodes {task.fields[episodes]}"),
                TextColumn("return {task.fields[ret]}"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                auto_refresh=False,
            )
            self._progress.start()
            self._task = self._progress.add_task(
                "train", total=self.total, sps=0.0, episodes=0, ret="-"
            )
        self._start = time.perf_counter()
        return self

    def update(self, done: int, episodes: int, recent_return: float | None,
               force: bool = False) -> None:
        """Show ``done`` steps of ``total``, the episode count and the recent mean return."""
        if self._progress is None:
            return
        now = time.perf_counter()
        if not force and now - self._last < self.min_interval:
            return
        self._last = now
        sps = done / max(now - self._start, 1e-9)
        ret = "-" if recent_return is None else f"{recent_return:.1f}"
        assert self._task is not None
        self._progress.update(self._task, completed=done, sps=sps, episodes=episodes, ret=ret)
        self._progress.refresh()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
