"""The one place softrl imports matplotlib: lazily, with the Agg backend unless pyplot is
already in use (a notebook's inline backend is left alone)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any


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


def save_figure(fig: Any, out: str | os.PathLike, dpi: int = 100) -> Path:
    """Lay out ``fig``, write it to ``out`` (parent folders created), close it; returns the
    path."""
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    pyplot().close(fig)
    return out
