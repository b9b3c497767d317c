"""Gallery claim: on a sure 1 against a 0.1 chance of 5, the exact posterior takes the lottery
(85% at T = 1, believing in the jackpot at 94%), the variational posterior never prefers it and
earns more; soft_backward and posterior_marginals equal the closed forms."""

import importlib.util
from pathlib import Path

import numpy as np

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "optimism_lottery.py"


def test_claim(tmp_path) -> None:
    spec = importlib.util.spec_from_file_location("optimism_lottery", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(tmp_path, fast=True)
    assert result["p_lottery_exact_T1"] > 0.8 and result["believed_p_win_T1"] > 0.9
    assert result["p_lottery_variational_T1"] < 0.4
    assert result["max_p_lottery_variational"] < 0.5
    assert result["return_variational_T1"] > result["return_exact_T1"] + 0.2
    T = np.geomspace(0.1, 30.0, 9)
    engine, exact = module.sweep(T), module.closed_form(T)
    for key in ("exact", "variational", "believed_p_win"):
        np.testing.assert_allclose(engine[key], exact[key], atol=1e-12)
    # By hand at T = 1: sigmoid(log(0.1 e^5 + 0.9) - 1), sigmoid(-0.5).
    by_hand = 1 / (1 + np.exp(1 - np.log(0.1 * np.exp(5) + 0.9)))
    assert abs(result["p_lottery_exact_T1"] - by_hand) < 1e-12
    assert abs(result["p_lottery_variational_T1"] - 1 / (1 + np.exp(0.5))) < 1e-12
    assert (tmp_path / "optimism_lottery.png").stat().st_size > 20_000
