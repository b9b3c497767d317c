"""flush_denormals: FTZ/DAZ on for the block, the previous mode back after it.

numpy, which shares the thread's floating-point mode, is the independent witness: float32's
smallest denormal (the bit pattern 1) times 1 is itself with IEEE denormals and 0 when flushed.
"""

import platform

import numpy as np
import pytest
import torch

from softrl.nn.manual import denormals_flushed, flush_denormals

pytestmark = pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"),
                                reason="FTZ/DAZ are x86 modes")


def _numpy_flushes() -> bool:
    smallest = np.frombuffer(np.int32(1).tobytes(), dtype=np.float32)
    return bool((smallest * np.float32(1.0))[0] == 0)


@pytest.fixture(autouse=True)
def _ieee_mode():
    torch.set_flush_denormal(False)
    yield
    torch.set_flush_denormal(False)


def test_flush_denormals_sets_the_mode_for_the_block_and_restores_it() -> None:
    assert not denormals_flushed() and not _numpy_flushes()
    with flush_denormals():
        assert denormals_flushed() and _numpy_flushes()
        assert float(torch.tensor([1e-39]) * 1.0) == 0.0
    assert not denormals_flushed() and not _numpy_flushes()
    assert float(torch.tensor([1e-39]) * 1.0) == pytest.approx(1e-39, rel=1e-6)


def test_flush_denormals_keeps_a_mode_set_outside_and_restores_after_an_error() -> None:
    torch.set_flush_denormal(True)
    with flush_denormals():
        assert _numpy_flushes()
    assert denormals_flushed() and _numpy_flushes()  # the caller's mode survives
    torch.set_flush_denormal(False)
    with pytest.raises(RuntimeError, match="boom"), flush_denormals():
        raise RuntimeError("boom")
    assert not denormals_flushed() and not _numpy_flushes()


def test_flush_denormals_disabled_changes_nothing() -> None:
    with flush_denormals(enabled=False):
        assert not denormals_flushed() and not _numpy_flushes()
