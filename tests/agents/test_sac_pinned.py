"""SAC's numbers are pinned: the agent-skeleton refactor must not change what a seed trains.

Recorded before the refactor (commit 13f539f) with ``SAC(TOY_ID, seed=3, variant=V,
checkpoint_every=0, **SMALL).learn(300)``. The SHA-256 of the actor, critic and log temperature
is compared exactly on the recording machine's kind (an AMD EPYC with AVX512: an Intel Xeon with
AVX512 rounds the matmuls differently, measured on 2026-12-01); the per-tensor sums are compared
to 1e-4 everywhere.
"""

import hashlib
import platform
from pathlib import Path

import numpy as np
import pytest
import torch
from sac_fast import SMALL, TOY_ID

from softrl.agents import SAC

PINNED = {
    "twin_q": ("09b2b36366a375a0", [
        -4.86291766166687, -3.3469925224781036, 0.8760429964895593, 0.9866005564108491,
        -0.5750262569636106, 0.1252918653190136, -0.6702165622264147, 3.9173638485372066,
        4.448489014153893, 0.24892093962989748, -1.6617669891566038, 0.03630460798740387,
    ], -0.07606073468923569),
    "v_network": ("7a298c132fcc92a4", [
        -4.875057131052017, -3.3082525841891766, 0.8687276527052745, 0.9920167168602347,
        -0.5852755974046886, 0.12341452576220036, -0.16023888159543276, 3.8339823884889483,
        3.5244048076856416, 0.16714270738884807, -2.5775298275984824, -0.03801444172859192,
    ], -0.07600019872188568),
}


def _recording_machine_kind() -> bool:
    """An AMD EPYC CPU where torch uses its AVX512 kernels, as on the recording machine."""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return (platform.machine() == "x86_64" and "AMD EPYC" in cpuinfo
            and torch.backends.cpu.get_cpu_capability() == "AVX512")


def _digest(agent: SAC) -> str:
    m = hashlib.sha256()
    for net in (agent.actor, agent.critic):
        for v in net.state_dict().values():
            m.update(v.detach().cpu().numpy().tobytes())
    m.update(agent.log_temperature.detach().cpu().numpy().tobytes())
    return m.hexdigest()[:16]


@pytest.mark.parametrize("manual", [False, True])
@pytest.mark.parametrize("variant", sorted(PINNED))
def test_sac_run_matches_numbers_recorded_before_refactor(variant: str, manual: bool) -> None:
    """The digest pins the autograd path bit for bit; the hand-written update (issue 19)
    rounds differently and is held to the sums."""
    digest, sums, log_temperature = PINNED[variant]
    agent = SAC(TOY_ID, seed=3, variant=variant, checkpoint_every=0, **SMALL)
    agent.manual_update = manual
    agent.learn(300)
    got = [float(p.detach().double().sum())
           for net in (agent.actor, agent.critic) for p in net.parameters()]
    np.testing.assert_allclose(got, sums, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(float(agent.log_temperature), log_temperature, rtol=1e-4)
    if _recording_machine_kind() and not manual:
        assert _digest(agent) == digest
