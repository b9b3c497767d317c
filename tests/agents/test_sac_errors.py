"""Each SAC error path gives a clear ValueError; a bad checkpoint modifies nothing."""

import hashlib
import json

import gymnasium as gym
import pytest
from sac_fast import SMALL, TOY_ID

from softrl.agents import SAC
from softrl.training import ActionSpaceError, CheckpointError, UnknownEnvironmentError


def test_unknown_env_id_suggests_close_matches() -> None:
    with pytest.raises(UnknownEnvironmentError, match="Did you mean: Pendulum-v1"):
        SAC("Pendulum-v2x")


def test_discrete_action_space() -> None:
    with pytest.raises(ActionSpaceError, match="Box"):
        SAC("CartPole-v1")
    with pytest.raises(ActionSpaceError):
        SAC(gym.make("CartPole-v1"))


@pytest.mark.parametrize("name,value,match", [
    ("batch_size", 0, "'batch_size' .* int in the range \\[1, inf\\)"),
    ("batch_size", 2.5, "batch_size"),
    ("gamma", 1.5, "'gamma' .* \\[0, 1\\]"),
    ("tau", 0.0, "'tau'"),
    ("learning_rate", -1e-3, "'learning_rate'"),
    ("temperature", -0.1, "'temperature' .*auto"),
    ("temperature", "hot", "'temperature'"),
    ("variant", "q_only", "'variant'"),
    ("hidden_sizes", (), "'hidden_sizes'"),
    ("buffer_size", 10, "'batch_size' .* <= buffer_size"),
    ("target_entropy", float("nan"), "'target_entropy'"),
    ("device", "tpu9", "'device'"),
])
def test_bad_hyperparameters_name_the_field(name, value, match) -> None:
    with pytest.raises(ValueError, match=match):
        SAC("Pendulum-v1", **{name: value})


def test_unknown_hyperparameter_suggests_the_right_name() -> None:
    with pytest.raises(ValueError, match="'learning_rate'"):
        SAC("Pendulum-v1", learning_rte=1e-3)


def test_learn_rejects_bad_step_count() -> None:
    with pytest.raises(ValueError, match="total_timesteps"):
        SAC(TOY_ID, **SMALL).learn(-5)


def digest(path) -> str:
    h = hashlib.sha256()
    for p in sorted(path.rglob("*")):
        h.update(str(p.relative_to(path)).encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


@pytest.mark.parametrize("damage", ["truncated_tensor", "bad_json", "missing_file",
                                    "other_env", "bad_config", "wrong_shapes"])
def test_bad_checkpoint_raises_and_changes_nothing(tmp_path, damage) -> None:
    run = tmp_path / "run"
    SAC(TOY_ID, seed=0, run_dir=run, checkpoint_every=100, **SMALL).learn(100)
    ckpt = run / "checkpoints" / "step_000000100"
    env = None
    if damage == "truncated_tensor":
        data = (ckpt / "actor.pt").read_bytes()
        (ckpt / "actor.pt").write_bytes(data[:100])
    elif damage == "bad_json":
        (ckpt / "meta.json").write_text('{"kind": "SAC", ')
    elif damage == "missing_file":
        (ckpt / "optimizer.pt").unlink()
    elif damage == "other_env":
        env = "Pendulum-v1"  # obs_dim 3 vs 1
    elif damage == "bad_config":
        cfg = json.loads((ckpt / "config.json").read_text())
        (ckpt / "config.json").write_text(json.dumps({**cfg, "gamma": 7}))
    else:
        cfg = json.loads((ckpt / "config.json").read_text())
        (ckpt / "config.json").write_text(json.dumps({**cfg, "hidden_sizes": [8, 8]}))
    before = digest(run)
    with pytest.raises(CheckpointError) as info:
        SAC.load(run, env=env, run_dir=run)
    assert isinstance(info.value, ValueError)
    assert digest(run) == before
