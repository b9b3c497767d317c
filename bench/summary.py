"""The summary hook of the benches: each writes what it measured to ``bench/out/NAME.md`` (a
short markdown table) and ``bench/out/NAME.json`` (the numbers), which ``bench/run_all.py``
inserts into the generated blocks of ``bench/RESULTS.md``.

The driver sets ``SOFTRL_BENCH_SUMMARY`` to the path stem it wants for the command it runs
(``bench/out/softq-1``); run by hand, a bench writes to ``bench/out/<default name>``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out"
ENV = "SOFTRL_BENCH_SUMMARY"


def summary_stem(default: str) -> Path:
    """Where the summary goes, without the suffix: ``$SOFTRL_BENCH_SUMMARY`` if set, else
    ``bench/out/<default>``."""
    if not default or "/" in default:
        raise ValueError(f"default={default!r}: give a bare file name such as 'softq-speed'")
    env = os.environ.get(ENV)
    return Path(env) if env else OUT / default


def write_summary(default: str, markdown: str, data: dict[str, Any]) -> Path:
    """Write ``markdown`` to ``<stem>.md`` and ``data`` to ``<stem>.json``; return the stem."""
    stem = summary_stem(default)
    stem.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{stem}.md").write_text(markdown.rstrip() + "\n")
    Path(f"{stem}.json").write_text(json.dumps(data, indent=1, default=str) + "\n")
    return stem


def table(header: list[str], rows: list[list[Any]]) -> str:
    """A markdown table; floats with 4 significant digits."""
    def cell(x: Any) -> str:
        return f"{x:.4g}" if isinstance(x, float) else str(x)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(x) for x in row) + " |" for row in rows]
    return "\n".join(lines)
