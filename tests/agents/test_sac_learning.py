"""SAC learns the toy point-mass task (a smoke test that fails when learning breaks)."""

import pytest
from sac_fast import SMALL, TOY_ID

from softrl.agents import SAC


def test_random_policy_is_poor() -> None:
    agent = SAC(TOY_ID, seed=0, **SMALL)  # untrained: tanh(mean) of a random network
    agent.learn(200)  # below learning_starts+150 updates: still nearly random
    assert agent.evaluate(20, deterministic=False)["mean_return"] < -1.5


@pytest.mark.parametrize("variant", ["twin_q", "v_network"])
def test_sac_learns_point_mass(variant: str) -> None:
    agent = SAC(TOY_ID, seed=0, variant=variant, hidden_sizes=(64, 64), batch_size=64,
                learning_rate=1e-3, learning_starts=200, gamma=0.9, torch_threads=1)
    agent.learn(1500)
    result = agent.evaluate(20)
    assert result["mean_return"] > -0.6, result
