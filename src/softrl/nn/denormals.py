"""Float denormals flushed to zero (x86 FTZ/DAZ) for a block of CPU work, on every thread.

Arithmetic that reads or produces a denormal (0 < |x| < 1.2e-38 in float32) takes a microcode
assist of ~100 cycles per element on Intel CPUs. Adam's first moment of a parameter whose
gradient stays exactly zero (a weight into or out of a dead ReLU unit) decays by beta_1 = 0.9
per step through the denormal range (~150 steps) on its way to zero; in SAC on Pendulum-v1
tens of thousands of such entries at a time made the Adam step ~8x slower on an Emerald Rapids
Xeon. Flushing changes only values below 1.2e-38 (to 0), which do not move a float32
parameter. JAX (XLA) runs its CPU work flushed the same way.

The mode is per thread (the MXCSR register). ``torch.set_flush_denormal`` sets the calling
thread only, while torch's intra-op work also runs on the OpenMP runtime's worker threads, so
:func:`flush_denormals` sets the mode on every thread of the calling thread's OpenMP team: it
runs libm's ``fesetenv`` once on each of them through the runtime's ``GOMP_parallel`` entry
point (the same team torch's ``parallel_for`` and MKL use), and restores it after the block.
Where that runtime cannot be reached (not Linux on x86-64, torch without a GNU-compatible
OpenMP runtime), or in a process made by ``fork`` (GNU OpenMP's team of the parent does not
survive a fork, and a parallel region in the child can wait for it forever), the calling
thread alone is flushed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import platform
import re
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import torch

__all__ = ["denormals_flushed", "flush_denormals"]

# float32's smallest denormal, 2^-149, built from its bits (a conversion could flush it).
_SMALLEST_DENORMAL = torch.tensor([1], dtype=torch.int32).view(torch.float32)
_FENV_BYTES = 32  # x86-64 fenv_t of glibc and musl: the x87 environment (28 bytes), then MXCSR
_MXCSR_AT = 28
_FTZ_DAZ = 0x8040  # MXCSR bit 15: flush results to zero; bit 6: read denormal inputs as zero


def denormals_flushed() -> bool:
    """Whether float arithmetic on this thread's CPU flushes denormals to zero (FTZ/DAZ set)."""
    return int(torch.mul(_SMALLEST_DENORMAL, 1.0).view(torch.int32)) == 0


@contextmanager
def flush_denormals(enabled: bool = True) -> Iterator[None]:
    """Run the block with CPU float denormals flushed to zero on this thread and on the
    threads of its OpenMP team (torch's intra-op workers), then restore their mode.

    A no-op where ``enabled`` is False, where this thread flushes already, or where the CPU
    has no such mode (not x86). Inside an enabled block on the same thread, a nested block
    costs nothing (no check of the mode: the outer block holds it).
    """
    if not enabled or getattr(_inside, "active", False):
        yield
        return
    _inside.active = True
    try:
        with _flushed():
            yield
    finally:
        _inside.active = False


_inside = threading.local()  # active: this thread is inside an enabled flush_denormals


@contextmanager
def _flushed() -> Iterator[None]:
    """The body of :func:`flush_denormals` for an outermost enabled block."""
    if denormals_flushed():
        yield
        return
    team = _team_setter() if torch.get_num_threads() > 1 and not _forked else None
    saved = None
    if team is not None:
        get_env, set_on_team = team
        saved = get_env()
        mxcsr = int.from_bytes(saved[_MXCSR_AT:], "little") | _FTZ_DAZ
        set_on_team(saved[:_MXCSR_AT] + mxcsr.to_bytes(4, "little"))
        if not denormals_flushed():  # not the fenv_t layout assumed: undo, flush this thread
            set_on_team(saved)
            saved = None
    if saved is None and not torch.set_flush_denormal(True):
        yield
        return
    try:
        yield
    finally:
        if saved is not None:
            set_on_team(saved)
        else:
            torch.set_flush_denormal(False)


_forked: list[bool] = []
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: _forked.append(True))


@functools.cache
def _team_setter() -> tuple[Callable[[], bytes], Callable[[bytes], None]] | None:
    """(read this thread's fenv_t, set a fenv_t on every thread of its OpenMP team), or None
    where torch's OpenMP runtime or libm cannot be reached (the caller skips it in a forked
    process: the answer is cached from before a fork)."""
    if sys.platform != "linux" or platform.machine() != "x86_64":
        return None
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    loaded = sorted(set(re.findall(r"(/\S*/lib(?:gomp|iomp5)[^/\s]*\.so[^/\s]*)", maps)))
    torch_lib = str(Path(torch.__file__).resolve().parent / "lib")
    ours = [p for p in loaded if p.startswith(torch_lib)] or loaded
    if len(ours) != 1:  # none, or several runtimes: which one torch uses is unknown
        return None
    try:
        omp = ctypes.CDLL(ours[0])
        libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
        gomp_parallel, fegetenv = omp.GOMP_parallel, libm.fegetenv
        fesetenv = ctypes.cast(libm.fesetenv, ctypes.c_void_p)
    except (OSError, AttributeError):
        return None
    gomp_parallel.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint]
    gomp_parallel.restype = None

    def get_env() -> bytes:
        env = ctypes.create_string_buffer(_FENV_BYTES)
        fegetenv(env)
        return env.raw

    def set_on_team(env: bytes) -> None:
        # GOMP_parallel(fn, data, 0, 0) runs fn(data) once on every thread of the team of the
        # current default size (the master included) and returns when all have: here
        # fesetenv(&env), whose int result the runtime ignores.
        buffer = ctypes.create_string_buffer(env, _FENV_BYTES)
        gomp_parallel(fesetenv, ctypes.addressof(buffer), 0, 0)

    return get_env, set_on_team
