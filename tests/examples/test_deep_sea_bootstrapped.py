"""Gallery claim (fast mode, N = 5): bootstrapped soft DQN with priors solves deep_sea by
bsuite's criterion before 2^N + 100 episodes (and the picture is drawn)."""

import importlib.util
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "deep_sea_bootstrapped.py"


def load():
    spec = importlib.util.spec_from_file_location("deep_sea_bootstrapped", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_claim(tmp_path) -> None:
    result = load().main(tmp_path, fast=True)
    assert result["bootstrapped_solved_at"] < 2**5 + 100, result
    assert result["cells_visited"] == result["cells_reachable"] == 15, result
    assert (tmp_path / "deep_sea_bootstrapped.png").stat().st_size > 20_000
