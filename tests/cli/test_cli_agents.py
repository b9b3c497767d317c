"""Every registered agent trains, resumes, evaluates and plots through the same CLI."""

import json

import pytest

from softrl.cli.main import main
from softrl.training.toy_env import POINT_MASS_DISCRETE_ID

COMMON = ["--torch-threads", "1", "--no-progress", "--no-tensorboard",
          "--final-eval-episodes", "1", "--hidden-sizes", "16"]
EXTRA = {"softq": ["--learning-starts", "20", "--batch-size", "16", "--train-freq", "1"],
         "pg": ["--n-steps", "10"]}


@pytest.mark.parametrize("agent", ["softq", "pg"])
def test_train_resume_eval_plot(agent, tmp_path, capsys) -> None:
    run = tmp_path / agent
    args = ["--env", POINT_MASS_DISCRETE_ID, "--run-dir", str(run), "--checkpoint-every", "30",
            *COMMON, *EXTRA[agent]]
    assert main(["train", agent, "--steps", "60", *args]) == 0
    assert main(["train", agent, "--steps", "120", "--resume", *args]) == 0
    capsys.readouterr()
    assert main(["eval", str(run), "--episodes", "2"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["steps"] >= 120 and result["agent"] in ("SoftQ", "PG")
    assert main(["plot", str(run), "--keys", "charts/episodic_return"]) == 0
    assert (run / "learning_curve.png").exists()


def test_train_lists_every_agent(capsys) -> None:
    assert main(["train", "--help"]) == 0
    out = capsys.readouterr().out
    assert "pg" in out and "sac" in out and "softq" in out
    assert main(["train", "ppo"]) == 2
    assert "unknown agent 'ppo'" in capsys.readouterr().err
