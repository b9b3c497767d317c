"""`softrl train sac`, `softrl eval`, `softrl plot`: flags, config file, resume, errors."""

import json
from pathlib import Path

import torch

from softrl.cli.main import main
from softrl.training.toy_env import POINT_MASS_ID as TOY_ID

FAST = ["--hidden-sizes", "16", "16", "--batch-size", "16", "--learning-starts", "20",
        "--torch-threads", "1", "--no-progress", "--no-tensorboard", "--final-eval-episodes", "2"]


def actor_weights(run: Path) -> dict:
    latest = (run / "checkpoints" / "latest").read_text().strip()
    return torch.load(run / "checkpoints" / latest / "actor.pt", weights_only=True)


def test_train_eval_plot(tmp_path, capsys) -> None:
    run = tmp_path / "run"
    assert main(["train", "sac", "--env", TOY_ID, "--steps", "60", "--seed", "0",
                 "--run-dir", str(run), "--eval-every", "30", *FAST]) == 0
    assert "eval mean return" in capsys.readouterr().out
    assert main(["eval", str(run), "--episodes", "3"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["steps"] == 60 and result["episodes"] == 3
    assert main(["plot", str(run)]) == 0
    assert (run / "learning_curve.png").exists()


def test_config_file_and_flag_override(tmp_path) -> None:
    cfg = tmp_path / "sac.json"
    cfg.write_text(json.dumps({"gamma": 0.5, "tau": 0.1}))
    run = tmp_path / "run"
    assert main(["train", "sac", "--env", TOY_ID, "--steps", "30", "--config", str(cfg),
                 "--tau", "0.2", "--run-dir", str(run), *FAST]) == 0
    saved = json.loads((run / "checkpoints" / "step_000000030" / "config.json").read_text())
    assert saved["gamma"] == 0.5 and saved["tau"] == 0.2 and saved["hidden_sizes"] == [16, 16]


def test_resume_continues_to_the_uninterrupted_numbers(tmp_path) -> None:
    common = ["--env", TOY_ID, "--seed", "2", "--checkpoint-every", "40", *FAST]
    full, cut = tmp_path / "full", tmp_path / "cut"
    assert main(["train", "sac", "--steps", "120", "--run-dir", str(full), *common]) == 0
    assert main(["train", "sac", "--steps", "80", "--run-dir", str(cut), *common]) == 0
    assert main(["train", "sac", "--steps", "120", "--run-dir", str(cut), "--resume",
                 *common]) == 0
    a, b = actor_weights(full), actor_weights(cut)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_errors(tmp_path, capsys) -> None:
    assert main(["train", "sac", "--env", "Pendulm-v1", "--steps", "10", *FAST]) == 2
    assert "Pendulum-v1" in capsys.readouterr().err
    assert main(["train", "sac", "--env", "CartPole-v1", "--steps", "10", *FAST]) == 2
    assert "Box" in capsys.readouterr().err
    assert main(["train", "sac", "--gamma", "2", "--steps", "10", *FAST]) == 2
    assert "'gamma'" in capsys.readouterr().err
    assert main(["trian"]) == 2
    assert "Did you mean: train" in capsys.readouterr().err
    assert main(["eval", str(tmp_path / "nowhere")]) == 2
    run = tmp_path / "run"
    assert main(["train", "sac", "--env", TOY_ID, "--steps", "20", "--run-dir", str(run),
                 *FAST]) == 0
    # Training again into a used run dir without --resume would overwrite it: refused.
    assert main(["train", "sac", "--env", TOY_ID, "--steps", "20", "--run-dir", str(run),
                 *FAST]) == 2
    assert "--resume" in capsys.readouterr().err
    # A corrupt checkpoint: clear error, nothing overwritten.
    ckpt = run / "checkpoints" / "step_000000020"
    (ckpt / "critic.pt").write_bytes(b"garbage")
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    assert main(["train", "sac", "--env", TOY_ID, "--steps", "40", "--run-dir", str(run),
                 "--resume", *FAST]) == 2
    assert "corrupt" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file()} == before
