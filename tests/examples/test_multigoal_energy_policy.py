"""Gallery claim (seed 003's figure): SQL's energy-based sampler keeps several goal directions
at the origin. The fast mode trains 600 steps; the full run's goal histograms over 5 seeds are
bench/sql.py's (bench/RESULTS.md)."""

import importlib.util
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "multigoal_energy_policy.py"


def test_claim(tmp_path) -> None:
    spec = importlib.util.spec_from_file_location("multigoal_energy_policy", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(tmp_path, quick=True)
    shares = result["SQL_origin_direction_shares"]
    assert sum(s >= 0.1 for s in shares) >= 2 and abs(sum(shares) - 1) < 1e-9
    for name in ("SQL", "SAC"):
        assert sum(result[f"{name}_goal_histogram"]) == 100
    assert (tmp_path / "multigoal_energy_policy.png").stat().st_size > 20_000
