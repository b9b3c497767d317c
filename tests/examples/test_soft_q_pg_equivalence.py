"""Gallery claim: on the same sampled transitions, soft Q-learning and T x policy gradient +
value regression take the same steps and both approach soft_backward's exact soft Q."""

import importlib.util
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "soft_q_pg_equivalence.py"


def test_claim(tmp_path) -> None:
    spec = importlib.util.spec_from_file_location("soft_q_pg_equivalence", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(tmp_path, fast=True)
    assert result["max_gap_between_runs"] < 1e-10
    assert result["final_error_soft_q"] < 0.1 and result["initial_error"] > 5.0
    assert abs(result["final_error_pg"] - result["final_error_soft_q"]) < 1e-10
    assert (tmp_path / "soft_q_pg_equivalence.png").stat().st_size > 5000
