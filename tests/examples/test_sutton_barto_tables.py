"""Gallery claim: softrl's random-policy and optimal value tables of Sutton & Barto's gridworld
are the book's Figures 3.2 and 3.5 to within their printed precision (0.05), and equal an
independent dense numpy solve (linear system, value iteration) to 1e-8."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from softrl.envs import sutton_barto_gridworld

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sutton_barto_tables.py"
REFERENCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference"


def load():
    spec = importlib.util.spec_from_file_location("sutton_barto_tables", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_claim(tmp_path) -> None:
    module = load()
    result = module.main(tmp_path, fast=True)
    assert result["max_diff_random"] < 0.05 and result["max_diff_optimal"] < 0.05
    t = module.tables()
    mdp = sutton_barto_gridworld()
    P = mdp.dense_transitions()  # (S, A, S)
    v_random = np.linalg.solve(np.eye(25) - 0.9 * P.mean(axis=1), mdp.reward.mean(axis=1))
    v = np.zeros(25)
    for _ in range(400):  # 0.9^400 ~ 5e-19: converged far below 1e-8
        v = (mdp.reward + 0.9 * P @ v).max(axis=1)
    np.testing.assert_allclose(t["random"].ravel(), v_random, atol=1e-8)
    np.testing.assert_allclose(t["optimal"].ravel(), v, atol=1e-8)
    # Ties split: at A every action is optimal, at the bottom-left corner north and east.
    np.testing.assert_allclose(t["optimal_policy"][1], 0.25)
    np.testing.assert_allclose(t["optimal_policy"][20], [0.5, 0.0, 0.5, 0.0])
    text = (tmp_path / "sutton_barto_tables.md").read_text()
    assert "24.42 (24.4)" in text and "8.79 (8.8)" in text
    assert (tmp_path / "sutton_barto_tables.png").stat().st_size > 10_000


def test_book_numbers_are_the_reference() -> None:
    path = REFERENCE / "sutton-barto-gridworld.json"
    if not path.exists():
        pytest.skip(f"{path} not present (the repository was cloned alone)")
    ref = json.loads(path.read_text())
    t = load().tables()
    np.testing.assert_array_equal(t["book_random"], ref["value_equiprobable_random_policy"])
    np.testing.assert_array_equal(t["book_optimal"], ref["value_optimal"])
