"""softrl meta train / test: runs, checkpoints, resume, one-line errors."""

import numpy as np

from softrl.cli.main import main
from softrl.meta import RL2, rl2_meta_test
from softrl.training.logger import read_metrics

TINY = ["--set", "hidden_sizes=[8]", "--set", "episodes_per_task=2", "--set",
        "n_train_tasks=3", "--set", "n_test_tasks=2", "--set", "meta_batch=2"]


def test_maml_train_resume_and_test(tmp_path, capsys) -> None:
    run = tmp_path / "maml"
    assert main(["meta", "train", "maml", "--tasks", "point-sparse", "--run-dir", str(run),
                 "--iterations", "1", "--episodes", "2", *TINY]) == 0
    assert main(["meta", "train", "maml", "--tasks", "point-sparse", "--run-dir", str(run),
                 "--iterations", "2", "--resume"]) == 0
    out = capsys.readouterr().out
    assert "iteration 2" in out and "episode 2:" in out
    assert (run / "metrics.csv").exists() and len(read_metrics(run)) >= 2
    assert main(["meta", "test", str(run), "--episodes", "2"]) == 0
    assert "MAML meta-test" in capsys.readouterr().out
    assert main(["meta", "train", "maml", "--run-dir", str(run), *TINY]) == 2
    assert "already holds a run" in capsys.readouterr().err


def test_rl2_train_and_meta_test(tmp_path, capsys) -> None:
    run = tmp_path / "rl2"
    assert main(["meta", "train", "rl2", "--tasks", "bandit-k3-n5", "--run-dir", str(run),
                 "--steps", "40", "--set", "n_envs=2", "--set", "n_steps=10", "--set",
                 "gru_size=8", "--set", "tensorboard=false"]) == 0
    assert "RL2 meta-test" in capsys.readouterr().out
    assert main(["meta", "test", str(run), "--trials", "5"]) == 0
    out = capsys.readouterr().out
    assert "episode 1:" in out and "episode 2" not in out
    agent = RL2("softrl/MetaTrial-point-dense-v0", gru_size=8, hidden_sizes=(8,),
                tensorboard=False)
    res = rl2_meta_test(agent, n_trials=3)
    assert res["returns"].shape == (3, 2) and np.all(res["returns"] < 0)
    capsys.readouterr()


def test_errors_are_one_line(tmp_path, capsys) -> None:
    assert main(["meta", "train", "maml", "--tasks", "point-medium", "--run-dir",
                 str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("softrl meta: error: unknown task family") and err.count("\n") == 1
    assert main(["meta", "train", "pearl", "--tasks", "bandit-k5-n10", "--run-dir",
                 str(tmp_path / "y")]) == 2
    assert "Box actions" in capsys.readouterr().err
    assert main(["meta", "train", "sac", "--run-dir", "z"]) == 2


def test_softrl_train_forwards_meta_learners_to_meta_train(tmp_path, capsys) -> None:
    # The spelling: `softrl train maml|pearl --tasks ...` and `softrl train rl2 --tasks`.
    run = tmp_path / "pearl"
    assert main(["train", "pearl", "--tasks", "point-dense", "--run-dir", str(run),
                 "--iterations", "1", "--episodes", "2", "--set", "hidden_sizes=[8]",
                 "--set", "n_train_tasks=3", "--set", "n_test_tasks=2", "--set", "grad_steps=2",
                 "--set", "meta_batch=2", "--set", "initial_episodes=1"]) == 0
    assert "PEARL meta-test" in capsys.readouterr().out
    assert main(["meta", "test", str(run), "--episodes", "2"]) == 0
    run = tmp_path / "rl2"
    assert main(["train", "rl2", "--tasks", "bandit-k3-n5", "--run-dir", str(run),
                 "--steps", "20", "--set", "n_envs=2", "--set", "n_steps=10", "--set",
                 "gru_size=8", "--set", "tensorboard=false"]) == 0
    assert "RL2 meta-test" in capsys.readouterr().out
    assert main(["train", "maml", "--tasks", "point-medium", "--run-dir",
                 str(tmp_path / "m")]) == 2
    assert "point-medium" in capsys.readouterr().err
    assert main(["train", "--help"]) == 0
    assert "maml, pearl" in capsys.readouterr().out
