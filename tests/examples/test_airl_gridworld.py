"""Gallery claim: AIRL's optimal discriminator on a deterministic gridworld gives f = the soft
advantage and g = the true reward up to shaping (EPIC < 0.1), improving with more episodes."""

import importlib.util
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "airl_gridworld.py"


def test_claim(tmp_path) -> None:
    spec = importlib.util.spec_from_file_location("airl_gridworld", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(tmp_path, quick=True)
    assert result["epic_largest"] < 0.1 < result["epic_smallest"]
    assert result["f_rms_error"] < 0.1
    assert (tmp_path / "airl_gridworld.png").stat().st_size > 10_000
