"""Every gradient step an agent's ``learn`` takes (its updates, exploration bonus, pretraining,
an adversarial learner's discriminator) runs with CPU float denormals flushed to zero when
``flush_denormals`` is set (the default) and with IEEE denormals when it is not; acting and the
environments always run with IEEE arithmetic, and the thread is back in IEEE mode after.

numpy, which shares the thread's floating-point mode, is the witness at each optimizer step
(a global step pre-hook, and ``torch._fused_adam_``, which the hand-written SAC update calls
directly) and at each env step (the collector's): float32's smallest denormal times 1 is 0
only when flushed.
"""

import sys
from pathlib import Path

import pytest
import torch
from agent_zoo import ZOO
from torch.optim.optimizer import register_optimizer_step_pre_hook

from fp_mode import numpy_flushes, x86_only

sys.path.insert(0, str(Path(__file__).parents[1] / "irl" / "deep"))
from helpers import point_mass_demos  # noqa: E402

from softrl.agents.collector import Collector  # noqa: E402
from softrl.demos import save_demos  # noqa: E402
from softrl.irl.deep import AIRL  # noqa: E402
from softrl.training.toy_env import POINT_MASS_ID  # noqa: E402

pytestmark = x86_only


@pytest.fixture
def modes(monkeypatch):
    """Record the thread's mode at every optimizer step and every env step."""
    seen: dict[str, list[bool]] = {"update": [], "env": []}
    handle = register_optimizer_step_pre_hook(lambda *_: seen["update"].append(numpy_flushes()))
    fused = torch._fused_adam_

    def watched_fused(*args, **kwargs):
        seen["update"].append(numpy_flushes())
        return fused(*args, **kwargs)

    monkeypatch.setattr(torch, "_fused_adam_", watched_fused)
    collector_step = Collector.step

    def watched_step(self, actions):
        seen["env"].append(numpy_flushes())
        return collector_step(self, actions)

    monkeypatch.setattr(Collector, "step", watched_step)
    yield seen
    handle.remove()
    torch.set_flush_denormal(False)


@pytest.mark.parametrize("flush", [True, False])
@pytest.mark.parametrize("name", sorted(ZOO))
def test_every_gradient_step_of_learn_runs_in_the_agents_mode(name, flush, modes) -> None:
    agent = ZOO[name](seed=0, checkpoint_every=0)
    agent.flush_denormals = flush
    agent.learn(120)
    assert modes["update"] and set(modes["update"]) == {flush}
    assert modes["env"] and not any(modes["env"])
    assert not numpy_flushes()


@pytest.mark.parametrize("flush", [True, False])
def test_the_discriminator_steps_of_an_adversarial_learner_too(flush, modes, tmp_path) -> None:
    demos = save_demos(point_mass_demos(5), tmp_path / "demos.npz")
    learner = AIRL(POINT_MASS_ID, demos=str(demos), seed=0, hidden_sizes=(16,),
                   disc_hidden_sizes=(16,), learning_starts=40, disc_every=40, disc_steps=2,
                   batch_size=16, disc_batch_size=16, torch_threads=1, log_every=50)
    learner.flush_denormals = flush
    steps = learner.disc_optimizer.step
    disc: list[bool] = []

    def watched(*args, **kwargs):
        disc.append(numpy_flushes())
        return steps(*args, **kwargs)

    learner.disc_optimizer.step = watched  # type: ignore[method-assign]
    learner.learn(120)
    assert disc and set(disc) == {flush}
    assert set(modes["update"]) == {flush} and not any(modes["env"])
    assert not numpy_flushes()
