"""The shared progress bar: throttled redraws, the last values drawn on exit."""

from __future__ import annotations

from softrl.progress import ProgressBar


def test_redraws_are_throttled_and_the_last_values_drawn_on_exit():
    fields = {"loss": ("loss {task.fields[loss]:.2f}", float("nan"))}
    with ProgressBar(10, min_interval=3600.0, label="fit", fields=fields, plain=False) as bar:
        progress = bar._progress
        assert progress is not None
        for i in range(10):
            bar.advance(i + 1, loss=float(i))
        task = progress.tasks[0]
        assert (task.completed, task.fields["loss"]) == (1, 0.0)  # only the first call drew
        bar.advance(5, force=True, loss=-1.0)
        assert (task.completed, task.fields["loss"]) == (5, -1.0)
        bar.advance(10, loss=9.0)
    assert (task.completed, task.fields["loss"]) == (10, 9.0)


def test_disabled_bar_is_a_no_op():
    with ProgressBar(3, enabled=False) as bar:
        bar.advance(1, force=True, anything=1.0)
        assert bar._progress is None
