"""Gallery claim: SAC's Algorithm 1 (V network) and the twin-Q form both learn the point mass,
near its closed-form optimum -1/24, and the trained V network matches the soft value
E_{a~pi}[min Q - T log pi] estimated by Monte Carlo from the Q networks and the policy."""

import importlib.util
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sac_v_network.py"


def test_claim(tmp_path) -> None:
    spec = importlib.util.spec_from_file_location("sac_v_network", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(tmp_path, fast=True)
    optimum = module.point_mass_optimum()
    assert abs(optimum + 1 / 24) < 1e-12
    # A uniformly random policy scores about -3.5 per episode.
    for variant in ("v_network", "twin_q"):
        assert optimum - 0.25 < result[f"{variant}_final_return"] <= 0.0, result
    assert result["v_network_soft_value_gap"] < 0.25 * max(result["soft_value_scale"], 0.5)
    assert (tmp_path / "sac_v_network.png").stat().st_size > 5000
