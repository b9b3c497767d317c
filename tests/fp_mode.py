"""The thread's x86 floating-point mode as numpy sees it, for the tests of denormal flushing.

numpy shares the calling thread's MXCSR with torch, so it is an independent witness of the
mode: float32's smallest denormal (the bit pattern 1, built from its bits since a conversion
could flush it) times 1 is itself with IEEE denormals and 0 when they are flushed.
"""

import platform

import numpy as np
import pytest

X86 = platform.machine().lower() in ("x86_64", "amd64")
x86_only = pytest.mark.skipif(not X86, reason="FTZ/DAZ are x86 modes")
SMALLEST_DENORMAL = np.frombuffer(np.int32(1).tobytes(), dtype=np.float32)


def numpy_flushes() -> bool:
    """Whether float32 arithmetic on this thread flushes denormals to zero."""
    return bool((SMALLEST_DENORMAL * np.float32(1.0))[0] == 0)
