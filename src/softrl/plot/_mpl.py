"""The one place softrl imports matplotlib: lazily, with the Agg backend unless pyplot is
already in use (a notebook's inline backend is left alone)."""

from __future__ import annotations

import sys
from types import ModuleType


def pyplot() -> ModuleType:
    """``matplotlib.pyplot``, selecting the non-interactive Agg backend on first import.

    A process that imported pyplot before (a notebook, a script with its own backend) keeps
    its backend; otherwise Agg is chosen, so plotting works without a display (batch jobs,
    ssh, CI) and never opens a window.
    """
    if "matplotlib.pyplot" not in sys.modules:
        import matplotlib

        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
