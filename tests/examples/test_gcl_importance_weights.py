"""Gallery claim: GCL's self-normalized importance-weighted gradient converges to the exact
MaxEnt IRL gradient like 1/sqrt(M), with or without the demonstrator in the proposal, and
fastest from the soft-optimal policy of the current reward (what GCL's inner loop learns)."""

import importlib.util
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gcl_importance_weights.py"


def test_claim(tmp_path) -> None:
    spec = importlib.util.spec_from_file_location("gcl_importance_weights", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(tmp_path, quick=True)
    for key in ("slope_uniform", "slope_mixture", "slope_guided"):
        assert -0.7 < result[key] < -0.3, result
    assert result["error_mixture_largest_M"] < 0.3 and result["error_uniform_largest_M"] < 0.3
    # The sampler GCL trains (soft-optimal for the current reward) is the better proposal.
    assert result["error_guided_largest_M"] < 0.7 * result["error_uniform_largest_M"]
    assert (tmp_path / "gcl_importance_weights.png").stat().st_size > 10_000
