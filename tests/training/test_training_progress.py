"""The training loops' progress bar: steps/s, episodes and the recent return."""

from __future__ import annotations

from softrl.training.progress import TrainingProgress


def test_training_bar_shows_steps_per_second_episodes_and_return():
    with TrainingProgress(100, min_interval=0.0) as bar:
        progress = bar._progress
        assert progress is not None
        bar.update(40, episodes=3, recent_return=None)
        assert progress.tasks[0].fields["ret"] == "-"
        bar.update(100, episodes=7, recent_return=-12.345)
    task = progress.tasks[0]
    assert task.completed == 100 and task.fields["episodes"] == 7
    assert task.fields["ret"] == "-12.3" and task.fields["sps"] > 0
