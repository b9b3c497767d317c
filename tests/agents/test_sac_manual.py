"""SAC's hand-written update (issue 19) against the autograd reference path.

The same batch and the same noise go through ``SAC._autograd_grads`` and ``SAC._manual_grads``:
in float64 every gradient agrees to 1e-10; in float32, N full steps (Adam included) from the
same seed leave the same parameters up to float rounding.
"""

from typing import Any

import numpy as np
import pytest
import torch
from sac_fast import SMALL, TOY_ID

from fp_mode import numpy_flushes, x86_only
from softrl.agents import SAC
from softrl.envs.multigoal import MULTIGOAL_ID


def _params(agent: SAC) -> list[torch.Tensor]:
    return [p for g in agent.optimizer.param_groups for p in g["params"]]


def _grads_both_ways(agent: SAC, batch: Any) -> tuple[list[torch.Tensor], list[torch.Tensor],
                                                      dict, dict]:
    state = agent.rngs.torch.get_state()
    losses_a = agent._autograd_grads(batch)
    grads_a = [p.grad.clone() for p in _params(agent)]
    agent.rngs.torch.set_state(state)
    losses_m = agent._manual_grads(batch)
    grads_m = [p.grad.clone() for p in _params(agent)]
    return grads_a, grads_m, losses_a, losses_m


@pytest.mark.parametrize("env_id,temperature,at_clamp", [
    (TOY_ID, "auto", False),        # A = 1: the matrix-vector paths
    (MULTIGOAL_ID, "auto", False),  # A = 2
    (MULTIGOAL_ID, 0.3, False),     # fixed temperature
    (TOY_ID, "auto", True),         # log_std at its upper clamp on about half the rows
])
def test_manual_gradients_equal_autograd_in_float64(env_id: str, temperature: Any,
                                                    at_clamp: bool) -> None:
    agent = SAC(env_id, seed=1, temperature=temperature, checkpoint_every=0,
                **{**SMALL, "hidden_sizes": (24, 20)})
    agent.learn(80)
    assert agent._manual_layers() is not None
    for module in agent._modules().values():
        module.double()
    batch = agent.buffer.sample(64, agent.rngs.torch)
    batch = type(batch)(*[t.double() if t.is_floating_point() else t for t in batch])
    if at_clamp:  # shift the log_std output so that its median sits at the upper bound
        a, high = agent.action_dim, agent.actor.log_std_bounds[1]
        with torch.no_grad():
            raw = agent.actor.net(batch.obs)[:, a:]
            agent.actor.net[-1].bias[a:] += high - raw.median(0).values + 1e-7
            raw = agent.actor.net(batch.obs)[:, a:]
        assert bool((raw > high).any()) and bool((raw < high).any())

    grads_a, grads_m, losses_a, losses_m = _grads_both_ways(agent, batch)
    assert losses_a.keys() == losses_m.keys()
    for key in losses_a:
        torch.testing.assert_close(losses_m[key], losses_a[key], rtol=0, atol=1e-12)
    assert len(grads_a) == len(grads_m)
    for ga, gm in zip(grads_a, grads_m, strict=True):
        torch.testing.assert_close(gm, ga, rtol=1e-10, atol=1e-10)
    assert any(float(g.abs().max()) > 1e-3 for g in grads_a)  # not all zero


@pytest.mark.parametrize("env_id", [TOY_ID, MULTIGOAL_ID])
def test_manual_steps_equal_autograd_steps_in_float32(env_id: str) -> None:
    """Two agents with the same seed: identical until the first gradient step, then one takes
    20 hand-written steps and the other 20 autograd steps on the same batches."""
    kwargs = {**SMALL, "hidden_sizes": (32, 32), "learning_starts": 10**6}
    agents = [SAC(env_id, seed=4, checkpoint_every=0, **kwargs) for _ in range(2)]
    agents[1].manual_update = False
    for agent in agents:
        agent.learn(200)  # fills the buffer only
    for a, b in zip(_params(agents[0]), _params(agents[1]), strict=True):
        assert torch.equal(a, b)
    for _ in range(20):
        for agent in agents:
            agent.train_step(agent.buffer.sample(64, agent.rngs.torch))
    assert agents[0]._manual_layers() is not None and agents[1]._manual_layers() is None
    moved = 0.0
    for a, b in zip(_params(agents[0]), _params(agents[1]), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=2e-6)
    for a, t in zip(agents[0].critic.parameters(), agents[0].critic_target.parameters(),
                    strict=True):
        moved = max(moved, float((a - t).detach().abs().max()))
    assert moved > 1e-4  # the steps did change the critic
    for a, b in zip(agents[0].critic_target.parameters(), agents[1].critic_target.parameters(),
                    strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=2e-6)


class _WithExtraLoss(SAC):
    kind = "_TestSACWithExtraLoss"  # its own registry entry: "SAC" stays softrl's SAC

    def _extra_losses(self, batch: Any) -> dict[str, torch.Tensor]:
        return {"losses/extra": self.actor.sample(batch.obs, self.rngs.torch)[1].mean()}


def test_manual_path_only_where_it_computes_the_same_update() -> None:
    assert SAC(TOY_ID, seed=0, checkpoint_every=0, **SMALL)._manual_layers() is not None
    assert SAC(TOY_ID, seed=0, variant="v_network", checkpoint_every=0,
               **SMALL)._manual_layers() is None
    assert _WithExtraLoss(TOY_ID, seed=0, checkpoint_every=0, **SMALL)._manual_layers() is None
    agent = SAC(TOY_ID, seed=0, checkpoint_every=0, **SMALL)
    agent.manual_update = False
    assert agent._manual_layers() is None
    # the subclass still trains (through autograd)
    _WithExtraLoss(TOY_ID, seed=0, checkpoint_every=0, **SMALL).learn(80)


def test_manual_and_autograd_steps_can_alternate() -> None:
    """Switching paths mid-run (the autograd path frees ``.grad``) keeps training finite and
    the optimizer state shared."""
    agent = SAC(TOY_ID, seed=2, checkpoint_every=0, **SMALL)
    agent.learn(60)
    for manual in (True, False, True, False, True):
        agent.manual_update = manual
        agent.train_step(agent.buffer.sample(32, agent.rngs.torch))
    steps = {int(agent.optimizer.state[p]["step"]) for p in _params(agent)}
    assert steps == {agent.num_updates}
    assert all(bool(torch.isfinite(p).all()) for p in _params(agent))


@x86_only
@pytest.mark.parametrize("flush", [True, False])
def test_manual_update_flushes_denormals_only_inside_the_step(flush: bool) -> None:
    """The hand-written update (gradients and Adam) runs with FTZ/DAZ where the agent's
    ``flush_denormals`` asks for it, and the thread's mode is back to IEEE after the step; an
    Adam first moment planted as a denormal under a zero gradient is then read as 0 (flushed)
    or decays by beta_1 (IEEE). numpy is the witness of the thread's mode."""
    smallest = np.frombuffer(np.int32(1 << 20).tobytes(), dtype=np.float32)  # 1.5e-39
    agent = SAC(TOY_ID, seed=0, checkpoint_every=0, **SMALL)
    agent.learn(60)
    agent.flush_denormals = flush
    seen: list[bool] = []
    adam_step = agent._adam_step

    def planted_adam_step() -> None:
        seen.append(numpy_flushes())
        bias = agent.actor.net[0].bias
        bias.grad[0] = 0.0
        agent.optimizer.state[bias]["exp_avg"][0] = float(smallest[0])
        adam_step()

    agent._adam_step = planted_adam_step  # type: ignore[method-assign]
    agent.train_step(agent.buffer.sample(32, agent.rngs.torch))
    assert seen == [flush] and not numpy_flushes()
    moment = float(agent.optimizer.state[agent.actor.net[0].bias]["exp_avg"][0])
    assert moment == (0.0 if flush else pytest.approx(0.9 * float(smallest[0]), rel=1e-5))
