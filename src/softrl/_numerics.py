"""Numerical constants and compiler settings shared by the tabular kernels (defined once).

``TINY``: below this, a shifted sum sum_j p_j exp((V_j - Vmax)/T) has lost relative precision,
so the row is redone exactly (numba kernels and the torch backend use the same threshold).
``JIT``: the numba settings of every compiled kernel: no fast-math (IEEE semantics, so NaN and
inf checks hold), numpy's error model (division by zero gives inf, not an exception), the
on-disk cache, and the GIL released.
"""

from __future__ import annotations

from typing import Any

TINY = 1e-280
JIT: dict[str, Any] = dict(nogil=True, cache=True, fastmath=False, error_model="numpy")

__all__ = ["JIT", "TINY"]
