"""`softrl irl --algorithm airl|gail --env ENV --demos demos.npz`: a run, its picture, resume,
reward transfer, and one-line errors; the tabular algorithms stay under the same command."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "irl" / "deep"))
from helpers import point_mass_demos  # noqa: E402

from softrl.cli.main import main  # noqa: E402
from softrl.demos import save_demos  # noqa: E402
from softrl.training import read_metrics  # noqa: E402
from softrl.training.toy_env import POINT_MASS_ID  # noqa: E402

FAST = ["--set", "hidden_sizes=[16]", "disc_hidden_sizes=[16]", "learning_starts=40",
        "disc_every=40", "disc_steps=2", "batch_size=16", "disc_batch_size=16",
        "checkpoint_every=60", "torch_threads=1", "--no-progress", "--eval-episodes", "2"]


@pytest.fixture(scope="module")
def demos(tmp_path_factory):
    return save_demos(point_mass_demos(5), tmp_path_factory.mktemp("d") / "demos.npz")


def test_airl_run_resume_and_transfer(demos, tmp_path, capsys) -> None:
    run = tmp_path / "run"
    argv = ["irl", "--algorithm", "airl", "--env", POINT_MASS_ID, "--demos", str(demos),
            "--run-dir", str(run), *FAST]
    assert main([*argv, "--steps", "120"]) == 0
    assert (run / "irl.png").stat().st_size > 10_000
    assert (run / "final" / "config.json").exists()
    out = capsys.readouterr().out
    assert "learner_return" in out and "expert_return" in out
    # Resume up to 180 steps: the log continues from the checkpoint.
    assert main([*argv, "--steps", "180", "--resume"]) == 0
    steps, _ = read_metrics(run)["charts/episodic_return"]
    assert max(steps) == 180
    # Transfer from the finished run.
    assert main(["irl", "--algorithm", "airl", "--env", POINT_MASS_ID, "--reward-from",
                 str(run / "final"), "--transfer-steps", "60", "--no-progress",
                 "--eval-episodes", "2", "--out", str(tmp_path / "t.png")]) == 0
    assert "transfer_return" in capsys.readouterr().out
    assert (tmp_path / "t.png").exists()


@pytest.mark.parametrize("argv,needle", [
    (["--algorithm", "airl"], "--demos is required"),
    (["--algorithm", "gail", "--demos", "nowhere.npz"], "no such file"),
    (["--algorithm", "airl", "--demos", "DEMOS", "--set", "oops"], "KEY=VALUE"),
    (["--algorithm", "airl", "--demos", "DEMOS", "--set", "disc_stepz=3"], "disc_steps"),
    (["--algorithm", "airl", "--reward-from", "x"], "--transfer-steps"),
])
def test_bad_settings_fail_with_one_line(argv, needle, demos, tmp_path, capsys) -> None:
    argv = [str(demos) if a == "DEMOS" else a for a in argv]
    code = main(["irl", *argv, "--env", POINT_MASS_ID, "--run-dir", str(tmp_path / "r"),
                 "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and needle in err and "Traceback" not in err
