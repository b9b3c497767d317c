"""Atomic checkpoints: round trip, latest pointer, corrupt and incompatible files."""

import json

import pytest
import torch

from softrl.training import CheckpointError, load_checkpoint, save_checkpoint, save_run_checkpoint
from softrl.training.checkpoint import resolve_checkpoint


def test_round_trip(tmp_path) -> None:
    states = {"net": {"w": torch.arange(4.0)}, "opt": {"step": 3, "lr": 0.1}}
    path = save_checkpoint(tmp_path / "ck", {"a": 1}, states, {"kind": "X", "step": 7})
    ck = load_checkpoint(path, kind="X")
    assert ck.config == {"a": 1} and ck.meta["step"] == 7
    torch.testing.assert_close(ck.states["net"]["w"], torch.arange(4.0))
    assert ck.states["opt"] == {"step": 3, "lr": 0.1}
    assert sorted(p.name for p in path.iterdir()) == ["config.json", "meta.json", "net.pt",
                                                       "opt.pt"]
    assert not list(tmp_path.glob(".*"))  # no temporary directories left behind


def test_overwrite_and_run_pointer(tmp_path) -> None:
    for step in (10, 20, 30):
        save_run_checkpoint(tmp_path / "checkpoints", step, {}, {"s": {"v": torch.tensor(step)}},
                            {"kind": "X"})
    assert [p.name for p in resolve_checkpoint(tmp_path)] == ["step_000000030", "step_000000020"]
    assert sorted(p.name for p in (tmp_path / "checkpoints").glob("step_*")) == [
        "step_000000020", "step_000000030"]
    assert load_checkpoint(tmp_path, "X").states["s"]["v"].item() == 30
    path = save_checkpoint(tmp_path / "ck", {}, {"s": {"v": torch.tensor(1)}}, {"kind": "X"})
    save_checkpoint(path, {}, {"s": {"v": torch.tensor(2)}}, {"kind": "X"})
    assert load_checkpoint(path, "X").states["s"]["v"].item() == 2


def test_weights_only_refuses_pickled_objects(tmp_path) -> None:
    path = save_checkpoint(tmp_path / "ck", {}, {"s": {"v": torch.tensor(1)}}, {"kind": "X"})
    torch.save({"obj": object()}, path / "s.pt")
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(path, "X")


@pytest.mark.parametrize("damage", ["truncate_pt", "garble_meta", "drop_pt", "drop_config",
                                    "format", "kind", "nothing_there"])
def test_bad_checkpoints_raise_checkpoint_error(tmp_path, damage: str) -> None:
    path = save_checkpoint(tmp_path / "ck", {}, {"s": {"v": torch.zeros(100)}}, {"kind": "X"})
    if damage == "truncate_pt":
        data = (path / "s.pt").read_bytes()
        (path / "s.pt").write_bytes(data[: len(data) // 2])
    elif damage == "garble_meta":
        (path / "meta.json").write_text("{not json")
    elif damage == "drop_pt":
        (path / "s.pt").unlink()
    elif damage == "drop_config":
        (path / "config.json").unlink()
    elif damage == "format":
        meta = json.loads((path / "meta.json").read_text())
        (path / "meta.json").write_text(json.dumps({**meta, "format": 999}))
    elif damage == "kind":
        pass
    else:
        path = tmp_path / "missing"
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path, "Y" if damage == "kind" else "X")
    assert isinstance(info.value, ValueError)
