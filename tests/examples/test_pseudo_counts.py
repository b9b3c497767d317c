"""Gallery claim: the pseudo-count of the empirical density is the true count, that of the KT
histogram the count plus 1/2, and the factorized density's bonus is large off the visited
region of MountainCar and small on it."""

import importlib.util
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pseudo_counts.py"


def load():
    spec = importlib.util.spec_from_file_location("pseudo_counts", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_claim(tmp_path) -> None:
    result = load().main(tmp_path, fast=True)
    assert result["empirical_max_error"] < 1e-8, result
    assert result["kt_max_error"] < 1e-8, result
    assert result["bonus_unvisited_median"] > 10 * result["bonus_visited_median"], result
    assert 0.01 < result["visited_fraction"] < 0.5, result
    assert (tmp_path / "pseudo_counts.png").stat().st_size > 20_000
