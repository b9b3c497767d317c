"""`softrl bc`: clones a scripted expert into a run directory that `softrl eval` loads."""

import json

import gymnasium as gym
import numpy as np

from softrl.cli.main import main
from softrl.demos import record_demos, save_demos
from softrl.training.toy_env import POINT_MASS_DISCRETE_ID, POINT_MASS_ID


def test_bc_cli_discrete_and_continuous(tmp_path, capsys) -> None:
    expert = lambda o: 0 if o[0] > 0.25 else (2 if o[0] < -0.25 else 1)  # noqa: E731
    demos = record_demos(expert, 50, env=gym.make(POINT_MASS_DISCRETE_ID))
    path = save_demos(demos, tmp_path / "d.npz")
    run = tmp_path / "bc"
    common = ["--hidden-sizes", "32", "--epochs", "100", "--eval-episodes", "5",
              "--learning-rate", "3e-3", "--batch-size", "32", "--torch-threads", "1"]
    assert main(["bc", "--demos", str(path), "--run-dir", str(run), *common]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["agent"] == "PG" and out["env_id"] == POINT_MASS_DISCRETE_ID
    # the clone does about as well as the expert (-0.3; a random policy scores about -3.5)
    assert out["evaluation"]["mean_return"] > demos.episode_returns().mean() - 0.3
    assert json.loads((run / "bc.json").read_text())["val_nll"]
    assert main(["eval", str(run), "--episodes", "2"]) == 0
    assert json.loads(capsys.readouterr().out)["agent"] == "PG"
    assert main(["bc", "--demos", str(path), "--run-dir", str(run), *common]) == 2
    assert "already holds a run" in capsys.readouterr().err
    # pretrain and fine-tune from the command line: RL continues from the cloned policy
    assert main(["train", "pg", "--env", POINT_MASS_DISCRETE_ID, "--run-dir", str(run),
                 "--resume", "--steps", "32", "--no-progress", "--no-tensorboard",
                 "--final-eval-episodes", "1"]) == 0
    assert "at step 0 (saved hyperparameters)" in capsys.readouterr().out

    cont = record_demos(lambda o: np.clip(-2 * o, -1, 1).astype(np.float32), 10,
                        env=gym.make(POINT_MASS_ID))
    cpath = save_demos(cont, tmp_path / "c.npz")
    assert main(["bc", "--demos", str(cpath), "--run-dir", str(tmp_path / "sac"), *common]) == 0
    assert json.loads(capsys.readouterr().out)["agent"] == "SAC"
    assert main(["bc", "--demos", str(cpath), "--env", "CartPole-v1",
                 "--run-dir", str(tmp_path / "x")]) == 2
    assert "recorded in 'softrl/PointMass1D-v0'" in capsys.readouterr().err
