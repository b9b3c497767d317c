"""The training loops' progress bar: steps/s, episodes and recent return."""

from __future__ import annotations

from softrl.progress import ProgressBar

__all__ = ["ProgressBar", "TrainingProgress"]


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
    """

    def __init__(self, total: int, enabled: bool = True, min_interval: float = 0.25) -> None:
        super().__init__(
            total,
            enabled,
            min_interval,
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
        if self._progress is None:
            return
        ret = "-" if recent_return is None else f"{recent_return:.1f}"
        sps = done / max(self.elapsed, 1e-9)
        self.advance(done, force, sps=sps, episodes=episodes, ret=ret)
