"""Issue 12 regressions at the `softrl train` / `softrl eval` boundary: one-line errors, never
a traceback, and --resume that refuses to silently ignore what the user typed."""

import importlib.util
import json

import pytest
import torch

from softrl.cli.main import main
from softrl.training.toy_env import POINT_MASS_ID as TOY_ID

FAST = ["--hidden-sizes", "16", "16", "--batch-size", "16", "--learning-starts", "20",
        "--torch-threads", "1", "--no-progress", "--no-tensorboard", "--final-eval-episodes", "1"]


def run(argv, capsys) -> tuple[int, str]:
    code = main(argv)
    err = capsys.readouterr().err
    return code, err


@pytest.fixture
def trained(tmp_path):
    run_dir = tmp_path / "run"
    assert main(["train", "sac", "--env", TOY_ID, "--steps", "40", "--seed", "3",
                 "--checkpoint-every", "20", "--run-dir", str(run_dir), *FAST]) == 0
    return run_dir


@pytest.mark.parametrize("extra,needle", [
    (["--steps", "-5"], "--steps must be >= 0"),
    (["--device", "cuda"] if not torch.cuda.is_available() else ["--gamma", "2"], "device"
     if not torch.cuda.is_available() else "'gamma'"),
    (["--final-eval-episodes", "0"], "--final-eval-episodes"),
    (["--stop-at-return", "0"], "--eval-every"),
])
def test_bad_train_flags_are_one_line_errors(tmp_path, capsys, extra, needle) -> None:
    code, err = run(["train", "sac", "--env", TOY_ID, "--run-dir", str(tmp_path / "r"),
                     *FAST, *extra], capsys)
    assert code == 2 and needle in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_run_dir_naming_a_file(tmp_path, capsys) -> None:
    (tmp_path / "f").write_text("mine")
    code, err = run(["train", "sac", "--env", TOY_ID, "--run-dir", str(tmp_path / "f"), *FAST],
                    capsys)
    assert code == 2 and "is a file" in err
    assert (tmp_path / "f").read_text() == "mine"


def test_resume_refuses_conflicting_flags_and_missing_runs(trained, tmp_path, capsys) -> None:
    code, err = run(["train", "sac", "--run-dir", str(trained), "--resume", "--steps", "60",
                     "--env", "Pendulum-v1", "--batch-size", "32", "--seed", "9",
                     "--no-progress"], capsys)
    assert code == 2
    assert "--env Pendulum-v1" in err and "--batch-size 32" in err and "--seed 9" in err
    code, err = run(["train", "sac", "--run-dir", str(tmp_path / "nowhere"), "--resume",
                     *FAST], capsys)
    assert code == 2 and "holds no checkpoints" in err
    assert not (tmp_path / "nowhere").exists()
    # Flags that agree with the saved run are fine.
    assert main(["train", "sac", "--run-dir", str(trained), "--resume", "--steps", "60",
                 "--env", TOY_ID, "--seed", "3", *FAST]) == 0


def test_eval_errors_and_step_choice(trained, capsys) -> None:
    code, err = run(["eval", str(trained), "--episodes", "0"], capsys)
    assert code == 2 and "--episodes must be >= 1" in err
    assert main(["eval", str(trained), "--episodes", "1", "--step", "20"]) == 0
    assert json.loads(capsys.readouterr().out)["steps"] == 20
    code, err = run(["eval", str(trained), "--step", "7"], capsys)
    assert code == 2 and "no checkpoint of step 7" in err


def test_help_prints_each_default_once(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["train", "sac", "--help"])
    out = capsys.readouterr().out
    assert "runs/AGENT-ENV-sSEED" in out
    assert "(default: None)" not in out.split("--run-dir")[1].split("--resume")[0]


def test_namespaced_env_id_gets_a_flat_default_run_dir(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["train", "sac", "--env", TOY_ID, "--steps", "20", *FAST]) == 0
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["sac-softrl-PointMass1D-v0-s0"]


def test_third_party_env_id_and_missing_dependency(tmp_path, capsys) -> None:
    third_party = f"softrl.training.toy_env:{TOY_ID}"
    assert main(["train", "sac", "--env", third_party, "--steps", "20",
                 "--run-dir", str(tmp_path / "r"), *FAST]) == 0
    code, err = run(["train", "sac", "--env", "nosuchpkg:Thing-v0", *FAST], capsys)
    assert code == 2 and "cannot import module 'nosuchpkg'" in err
    if importlib.util.find_spec("mujoco") is None:
        code, err = run(["train", "sac", "--env", "HalfCheetah-v5", "--run-dir",
                         str(tmp_path / "m"), *FAST], capsys)
        assert code == 2 and "pip install" in err and len(err.strip().splitlines()) == 1
