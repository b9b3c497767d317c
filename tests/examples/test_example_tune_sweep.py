"""Gallery claim (examples/tune_sweep.py, quick mode): the sweep's picture, table and best
configuration agree: the best configuration is the one with the highest mean final evaluation
return among those that ran the whole budget, each trial's last return is its curve's last
point, and softrl train reads the best configuration's file."""

import csv
import importlib.util
from pathlib import Path

import pytest

from softrl.agents import SAC
from softrl.cli.train import _parse

pytest.importorskip("ray")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tune_sweep.py"


def test_claim(tmp_path, capsys) -> None:
    spec = importlib.util.spec_from_file_location("tune_sweep", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(["--quick", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert (tmp_path / "gallery" / "tune_sweep.png").stat().st_size > 10_000
    rows = list(csv.DictReader(result.table_path.open()))
    assert len(rows) == len(result.trials) == 2
    for row, trial in zip(rows, result.trials, strict=True):
        history = result.histories[trial["trial_id"]]
        assert float(row["mean_return"]) == trial["mean_return"] == history["mean_return"][-1]
        assert int(row["num_steps"]) == history["num_steps"][-1] >= 100
    complete = [t for t in result.trials if t["status"] == "complete"]
    assert complete
    best = max(complete, key=lambda t: t["mean_return"])
    assert result.best_index == best["config_index"]
    assert result.best_config["learning_rate"] == best["learning_rate"]
    args, _ = _parse("sac", SAC, ["--config", str(result.best_config_path)])
    assert args.hp.learning_rate == best["learning_rate"]
    assert f"best configuration #{best['config_index']}" in out
    assert "environment steps used" in out
