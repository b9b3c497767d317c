"""Facts about the machine a bench run happened on, measured in the run itself.

``bench/run_all.py`` puts them at the top of ``bench/RESULTS.md`` so that every figure below
them can be read against the machine's own floors:

- CPU model (``/proc/cpuinfo``), logical cores and the cores this process may use,
  total memory (``/proc/meminfo``);
- copy bandwidth: ``np.copyto`` of a 512 MB float64 array, counted as read + write,
  ``B = 2 * bytes / t_min`` over repeats;
- GEMM FLOP/s: an ``n x n`` by ``n x n`` matmul (n = 1024) in float64 and float32 with numpy's
  BLAS at its default thread count, ``F = 2 n^3 / t_min``;
- date (UTC) and the load average before and after the measurements (the machine is shared:
  a high load means every timing below it was taken under contention).

    .venv/bin/python bench/machine.py            # prints the JSON and the markdown block
    .venv/bin/python bench/machine.py --quick    # 128 MB copy, fewer repeats
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The ``model name`` of the first processor in ``cpuinfo`` (``platform.processor()``
    where the file is missing or has no such line)."""
    try:
        for line in cpuinfo.read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib(meminfo: Path = Path("/proc/meminfo")) -> float | None:
    """Total memory in GiB from ``MemTotal`` (None where it cannot be read)."""
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except (OSError, ValueError, IndexError):
        pass
    return None


def _min_time(fn: Any, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def copy_bandwidth(megabytes: int = 512, repeats: int = 5) -> float:
    """Bytes per second of ``np.copyto`` between two ``megabytes`` MB float64 arrays, counting
    the read and the write: ``2 * nbytes / t_min``."""
    if megabytes < 1 or repeats < 1:
        raise ValueError(f"megabytes={megabytes}, repeats={repeats}: both must be >= 1")
    n = megabytes * 10**6 // 8
    src = np.ones(n)
    dst = np.empty_like(src)
    np.copyto(dst, src)  # fault the pages in before timing
    seconds = _min_time(lambda: np.copyto(dst, src), repeats)
    return 2 * src.nbytes / seconds


def gemm_flops(dtype: Any, n: int = 1024, repeats: int = 5) -> float:
    """FLOP/s of one ``n x n @ n x n`` matmul in ``dtype`` (numpy's BLAS): ``2 n^3 / t_min``."""
    if n < 1 or repeats < 1:
        raise ValueError(f"n={n}, repeats={repeats}: both must be >= 1")
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    out = np.empty((n, n), dtype)
    np.matmul(a, b, out=out)  # warm-up: BLAS threads started, pages faulted
    return 2 * n**3 / _min_time(lambda: np.matmul(a, b, out=out), repeats)


def machine_facts(quick: bool = False) -> dict[str, Any]:
    """Everything above as one JSON-ready dict (numbers in SI units: B/s, FLOP/s)."""
    load_before = os.getloadavg()
    repeats = 3 if quick else 5
    facts: dict[str, Any] = {
        "date_utc": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu_model": cpu_model(),
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "memory_gib": memory_gib(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "copy_megabytes": 128 if quick else 512,
    }
    facts["copy_bandwidth_Bps"] = copy_bandwidth(facts["copy_megabytes"], repeats)
    facts["gemm_n"] = 1024
    facts["gemm_float64_flops"] = gemm_flops(np.float64, 1024, repeats)
    facts["gemm_float32_flops"] = gemm_flops(np.float32, 1024, repeats)
    facts["loadavg_before"] = [round(x, 2) for x in load_before]
    facts["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    return facts


def facts_markdown(facts: dict[str, Any]) -> str:
    """The machine block of ``bench/RESULTS.md``: one bullet per fact."""
    mem = facts.get("memory_gib")
    lines = [
        f"- date: {facts['date_utc']}",
        f"- CPU: {facts['cpu_model']}, {facts['logical_cores']} logical cores "
        f"({facts['usable_cores']} usable by the run)"
        + (f", {mem:.1f} GiB memory" if mem else ""),
        f"- copy bandwidth (np.copyto of {facts['copy_megabytes']} MB, read + write): "
        f"{facts['copy_bandwidth_Bps'] / 1e9:.1f} GB/s",
        f"- GEMM {facts['gemm_n']}^2 (numpy BLAS): float64 "
        f"{facts['gemm_float64_flops'] / 1e9:.1f} GFLOP/s, float32 "
        f"{facts['gemm_float32_flops'] / 1e9:.1f} GFLOP/s",
        f"- load average (1, 5, 15 min) before / after these measurements: "
        f"{', '.join(map(str, facts['loadavg_before']))} / "
        f"{', '.join(map(str, facts['loadavg_after']))}",
        f"- Python {facts['python']}, numpy {facts['numpy']}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="128 MB copy, 3 repeats")
    args = parser.parse_args()
    facts = machine_facts(args.quick)
    print(json.dumps(facts, indent=1))
    print(facts_markdown(facts))


if __name__ == "__main__":
    main()
