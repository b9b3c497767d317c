"""The training loops' progress bar: steps/s, episodes and the recent return."""

from __future__ import annotations

from softrl.progress import TrainingProgress


def test_training_bar_shows_steps_per_second_episodes_and_return():
    with TrainingProgress(100, min_interval=0.0, plain=False) as bar:
        progress = bar._progress
        assert progress is not None
        bar.update(40, episodes=3, recent_return=None)
        assert progress.tasks[0].fields["ret"] == "-"
        bar.update(100, episodes=7, recent_return=-12.345)
    task = progress.tasks[0]
    assert task.completed == 100 and task.fields["episodes"] == 7
    assert task.fields["ret"] == "-12.3" and task.fields["sps"] > 0


def test_plain_lines_outside_a_terminal():
    import io

    stream = io.StringIO()  # not a TTY: plain lines, chosen automatically
    with TrainingProgress(1000, stream=stream) as bar:
        for done in range(0, 1001, 50):
            bar.update(done, episodes=done // 100, recent_return=-float(done))
    lines = stream.getvalue().strip().splitlines()
    assert 10 <= len(lines) <= 12  # one per 10% and a last one, never one per update
    assert lines[-1].startswith("train 1000/1000 100%")
    assert "episodes 10" in lines[-1] and "return -1000.0" in lines[-1] and "elapsed" in lines[-1]
    assert "steps/s" in lines[0]
