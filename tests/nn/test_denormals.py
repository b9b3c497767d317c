"""flush_denormals: FTZ/DAZ on for the block, on torch's worker threads too, the previous mode
back after it.

numpy, which shares the thread's floating-point mode, is the independent witness: float32's
smallest denormal (the bit pattern 1) times 1 is itself with IEEE denormals and 0 when flushed.
"""

import os
import threading

import pytest
import torch

from fp_mode import numpy_flushes, x86_only
from softrl.nn import denormals
from softrl.nn.denormals import denormals_flushed, flush_denormals

pytestmark = x86_only


@pytest.fixture(autouse=True)
def _ieee_mode():
    torch.set_flush_denormal(False)
    yield
    torch.set_flush_denormal(False)


def test_flush_denormals_sets_the_mode_for_the_block_and_restores_it() -> None:
    assert not denormals_flushed() and not numpy_flushes()
    with flush_denormals():
        assert denormals_flushed() and numpy_flushes()
        assert float(torch.tensor([1e-39]) * 1.0) == 0.0
    assert not denormals_flushed() and not numpy_flushes()
    assert float(torch.tensor([1e-39]) * 1.0) == pytest.approx(1e-39, rel=1e-6)


def test_flush_denormals_keeps_a_mode_set_outside_and_restores_after_an_error() -> None:
    torch.set_flush_denormal(True)
    with flush_denormals():
        assert numpy_flushes()
    assert denormals_flushed() and numpy_flushes()  # the caller's mode survives
    torch.set_flush_denormal(False)
    with pytest.raises(RuntimeError, match="boom"), flush_denormals():
        raise RuntimeError("boom")
    assert not denormals_flushed() and not numpy_flushes()


def test_flush_denormals_disabled_changes_nothing() -> None:
    with flush_denormals(enabled=False):
        assert not denormals_flushed() and not numpy_flushes()


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def _flushed_share() -> float:
    """The share of a 2^22-element product of denormals that comes out 0: torch splits it
    over its intra-op threads, so this is the share of the work done on flushing threads."""
    x = torch.tensor([1], dtype=torch.int32).view(torch.float32).expand(1 << 22)
    return float(((x * 1.0).view(torch.int32) == 0).double().mean())


def test_flush_denormals_reaches_torchs_worker_threads(two_threads) -> None:
    assert _flushed_share() == 0.0
    torch.set_flush_denormal(True)  # torch's own switch: the calling thread only
    assert 0.0 < _flushed_share() < 1.0
    torch.set_flush_denormal(False)
    with flush_denormals():
        assert _flushed_share() == 1.0
    assert _flushed_share() == 0.0 and not numpy_flushes()


def test_without_the_openmp_runtime_only_this_thread_is_flushed(two_threads,
                                                                monkeypatch) -> None:
    monkeypatch.setattr(denormals, "_team_setter", lambda: None)
    with flush_denormals():
        assert numpy_flushes() and 0.0 < _flushed_share() < 1.0
    assert _flushed_share() == 0.0 and not numpy_flushes()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_flushes_its_own_thread_only(two_threads) -> None:
    """GNU OpenMP's team does not survive fork: a child flushes its calling thread and never
    enters a parallel region of its own for it (the child reports through a pipe)."""
    with flush_denormals():  # the parent's team exists and has been used
        pass
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            with flush_denormals():
                ok = numpy_flushes() and denormals._forked == [True]
            ok = ok and not numpy_flushes()
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write)
    assert os.read(read, 1) == b"1"
    os.waitpid(pid, 0)
    os.close(read)


def test_a_nested_block_checks_nothing_and_leaves_the_outer_blocks_mode(monkeypatch) -> None:
    with flush_denormals():
        checks = []
        monkeypatch.setattr(denormals, "denormals_flushed", lambda: checks.append(1) or True)
        with flush_denormals():
            assert numpy_flushes()
        assert checks == [] and numpy_flushes()  # the inner exit restored nothing
        # The marker is per thread: a block on another thread checks the mode itself.
        def other_block() -> None:
            with flush_denormals():
                pass

        worker = threading.Thread(target=other_block)
        worker.start()
        worker.join()
        assert checks == [1]
        monkeypatch.undo()
    assert not denormals_flushed() and not numpy_flushes()
    with flush_denormals():  # not nested any more: flushes again
        assert numpy_flushes()
    assert not numpy_flushes()
