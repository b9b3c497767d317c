"""A rich progress bar for IRL fits: iteration, objective (demo log-likelihood) and gap."""

from __future__ import annotations

from types import TracebackType

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

__all__ = ["IRLProgress"]


class IRLProgress:
    """Context manager; every method is a no-op when ``enabled`` is False.

    Parameters
    ----------
    total : int
        Maximum number of iterations.
    enabled : bool
    label : str
        Shown in front of the bar.
    """

    def __init__(self, total: int, enabled: bool = True, label: str = "irl") -> None:
        self.total = total
        self.enabled = enabled
        self.label = label
        self._progress: Progress | None = None
        self._task = None

    def __enter__(self) -> IRLProgress:
        if self.enabled:
            self._progress = Progress(
                TextColumn(f"[bold]{self.label}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("log-lik {task.fields[objective]:>12.5g}"),
                TextColumn("gap {task.fields[gap]:>10.3g}"),
                TimeElapsedColumn(),
            )
            self._progress.start()
            self._task = self._progress.add_task(
                self.label, total=self.total, objective=float("nan"), gap=float("nan")
            )
        return self

    def update(self, iteration: int, objective: float, gap: float) -> None:
        """Show iteration ``iteration``, the objective and the feature-count gap."""
        if self._progress is None or self._task is None:
            return
        self._progress.update(self._task, completed=iteration, objective=objective, gap=gap)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
