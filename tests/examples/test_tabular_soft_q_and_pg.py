"""Gallery claim: tabular soft Q-learning and entropy PG approach the exact engine's Q* and
soft-optimal policy (fast mode: fewer samples, looser bounds)."""

import importlib.util
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tabular_soft_q_and_pg.py"


def test_claim(tmp_path) -> None:
    spec = importlib.util.spec_from_file_location("tabular_soft_q_and_pg", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(tmp_path, fast=True)
    assert result["soft_q_error"] < 1e-2
    assert result["kl_reinforce"] < 1e-3 and result["kl_actor_critic"] < 1e-3
    assert (tmp_path / "tabular_soft_q_and_pg.png").stat().st_size > 5000
