"""The one progress module: a throttled rich bar on a terminal (the last values drawn on exit),
plain periodic lines elsewhere; the training loops' steps/s, episodes and return."""

from __future__ import annotations

import io

from softrl.progress import ProgressBar, TrainingProgress


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
    stream = io.StringIO()  # not a TTY: plain lines, chosen automatically
    with TrainingProgress(1000, stream=stream) as bar:
        for done in range(0, 1001, 50):
            bar.update(done, episodes=done // 100, recent_return=-float(done))
    lines = stream.getvalue().strip().splitlines()
    assert 10 <= len(lines) <= 12  # one per 10% and a last one, never one per update
    assert lines[-1].startswith("train 1000/1000 100%")
    assert "episodes 10" in lines[-1] and "return -1000.0" in lines[-1] and "elapsed" in lines[-1]
    assert "steps/s" in lines[0]


def test_plain_lines_every_interval_on_a_slow_run():
    stream = io.StringIO()
    with ProgressBar(1000, label="fit", stream=stream, plain_interval=0.0) as bar:
        for done in range(1, 4):  # under 1%: only the interval prints
            bar.advance(done)
    lines = stream.getvalue().strip().splitlines()
    assert [line.split()[1] for line in lines] == ["1/1000", "2/1000", "3/1000"]  # none twice


def test_the_last_values_are_printed_on_exit():
    stream = io.StringIO()
    fields = {"gap": ("gap {task.fields[gap]:.2f}", float("nan"))}
    with ProgressBar(100, label="fit", fields=fields, stream=stream) as bar:
        bar.advance(10, gap=1.0)  # 10%: printed
        bar.advance(11, gap=0.5)  # not yet
    lines = stream.getvalue().strip().splitlines()
    assert len(lines) == 2 and lines[-1].startswith("fit 11/100 11% gap 0.50 elapsed")


def test_a_terminal_gets_the_bar():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    with ProgressBar(5, stream=Terminal()) as bar:
        assert not bar.plain and bar._progress is not None
    with ProgressBar(5, stream=io.StringIO()) as bar:
        assert bar.plain and bar._progress is None
