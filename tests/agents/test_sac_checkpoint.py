"""SAC save/load round trip and resume == uninterrupted run (bitwise, CPU, same seed)."""

import numpy as np
import torch
from sac_fast import SMALL, TOY_ID

from softrl.agents import SAC
from softrl.training import read_metrics


def assert_same_agent(a: SAC, b: SAC) -> None:
    for name, net in a._networks().items():
        for (k, v), (k2, v2) in zip(net.state_dict().items(),
                                    b._networks()[name].state_dict().items(), strict=True):
            assert k == k2
            assert torch.equal(v, v2), f"{name}.{k} differs"
    assert torch.equal(a.log_temperature, b.log_temperature)
    assert torch.equal(a.buffer.data, b.buffer.data)
    assert (a.num_steps, a.num_updates) == (b.num_steps, b.num_updates)
    sa, sb = a.optimizer.state_dict()["state"], b.optimizer.state_dict()["state"]
    assert sa.keys() == sb.keys()
    for k in sa:
        assert all(torch.equal(sa[k][f], sb[k][f]) for f in sa[k])


def test_save_load_round_trip(tmp_path) -> None:
    agent = SAC(TOY_ID, seed=0, **SMALL).learn(150)
    agent.save(tmp_path / "model")
    loaded = SAC.load(tmp_path / "model")
    assert loaded.config == agent.config
    assert_same_agent(agent, loaded)
    obs = np.linspace(-1, 1, 7, dtype=np.float32)[:, None]
    np.testing.assert_array_equal(agent.act(obs, True), loaded.act(obs, True))
    assert loaded.rngs.np.bit_generator.state == agent.rngs.np.bit_generator.state
    assert torch.equal(loaded.rngs.torch.get_state(), agent.rngs.torch.get_state())


def test_resume_equals_uninterrupted_run(tmp_path) -> None:
    config = {**SMALL, "checkpoint_every": 100}
    full = SAC(TOY_ID, seed=1, run_dir=tmp_path / "full", **config).learn(300)

    # "Killed" at step 250: only the checkpoints at 100 and 200 survive.
    SAC(TOY_ID, seed=1, run_dir=tmp_path / "cut", **config).learn(250)
    resumed = SAC.load(tmp_path / "cut", run_dir=tmp_path / "cut")
    assert resumed.num_steps == 200
    resumed.learn(100)
    assert_same_agent(full, resumed)
    # The metrics log of the resumed run matches too (rows after the checkpoint were dropped).
    a, b = read_metrics(tmp_path / "full"), read_metrics(tmp_path / "cut")
    assert a["losses/critic"] == b["losses/critic"]
    assert a["charts/episodic_return"] == b["charts/episodic_return"]


def test_v_network_fixed_temperature_round_trip(tmp_path) -> None:
    agent = SAC(TOY_ID, seed=0, variant="v_network", temperature=0.05, **SMALL).learn(120)
    loaded = SAC.load(agent.save(tmp_path / "m", include_buffer=False))
    assert len(loaded.buffer) == 0
    obs = np.zeros((2, 1), np.float32)
    np.testing.assert_array_equal(agent.act(obs, True), loaded.act(obs, True))
    assert torch.equal(agent.value_target.net[0].weight, loaded.value_target.net[0].weight)
