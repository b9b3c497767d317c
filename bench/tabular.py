"""Tabular engine benchmark (issue 3): softrl against ``imitation``, and one 10^6-state backup.

Part 1 runs the finite-horizon MCE passes of ``imitation`` 1.0.1
(``mce_partition_fh`` + ``mce_occupancy_measures``: dense (S, A, S) transitions, numpy loops)
and softrl's public functions (``soft_backward`` + ``SoftSolution.policy`` +
``policy_marginals``) side by side on n x n gridworlds (5 actions with ``stay``, slip 0.1,
H = 100, a random state-only reward, temperature 1, variational backup, uniform improper
action prior), checks that V, Q, pi, D and Dcum agree to 1e-8 and prints the times and ratio.

Part 2 times one soft backup (``soft_bellman_step``) on a Garnet MDP with 10^6 states, 5
actions and 5 random successors (int32 indices, float64 probabilities) against the
memory-bandwidth floor: the bytes the backup must read and write divided by the copy
bandwidth measured in the same run.  It also measures the peak extra memory of the call and
the plain ``scipy.sparse`` mat-vec + numpy logsumexp baseline.

Set-up (imitation pins gymnasium 0.29, so it lives in its own venv, never in the project's;
``bench/.venv*/`` is gitignored), from the repository root::

    python3 -m venv bench/.venv-imitation
    bench/.venv-imitation/bin/pip install -q torch==2.13.0
    bench/.venv-imitation/bin/pip install -q imitation==1.0.1 numba
    bench/.venv-imitation/bin/pip install -q --no-deps -e .

imitation 1.0.1 does not constrain numba, so pip takes the newest (0.68.1 on 2026-12-01, the
version of the project's venv); nothing conflicts.  Every timed call also records the process
CPU time (all threads), printed beside the wall times: on a machine shared with other jobs the
CPU time is the steadier figure.

Run::

    bench/.venv-imitation/bin/python bench/tabular.py            # S = 400, 1600; 10^6 states
    bench/.venv-imitation/bin/python bench/tabular.py --quick    # S = 400; 10^5 states
    OPENBLAS_NUM_THREADS=1 bench/.venv-imitation/bin/python bench/tabular.py --part imitation
    bench/.venv-imitation/bin/python bench/tabular.py --part imitation --chunk 5   # in turns of 5

The machine is shared: every comparison is measured in one run, repeated, and reported as the
minimum and the median.  softrl is timed warm (numba kernels compiled and cached first).  The
third line gives imitation's numpy one BLAS thread: on a machine busy with other jobs its two
BLAS threads wait for each other (its S = 1600 occupancy took 4.7 s with two, 0.9 s with one).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import platform
import time
import types
from collections.abc import Callable

import numba as nb
import numpy as np
import scipy.sparse as sp
from imitation.algorithms.mce_irl import mce_occupancy_measures, mce_partition_fh
from numba.np.ufunc.parallel import _launch_threads

from softrl.envs import garnet, gridworld
from softrl.inference import kernels, policy_marginals, soft_backward, soft_bellman_step
from softrl.inference.kernels import _expect_rows, _row_dot
from softrl.mdp import FiniteMDP

TOLERANCE = 1e-8
# Both libraries leave threads spinning after a call (OpenBLAS's and numba's OpenMP pool), and
# on 2 cores those threads steal the other library's next call: measured here, softrl's S=1600
# passes took 60-140 ms right after imitation's and 27-41 ms after a 0.2 s pause.  Each timed
# call of either library therefore starts after the same short pause.
SETTLE = 0.25


def timed(fn: Callable[[], object], repeats: int) -> list[float]:
    """Wall times in seconds of ``repeats`` calls of ``fn`` (after one warm-up call)."""
    fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def ms(times: list[float]) -> str:
    """'min / median' in milliseconds."""
    return f"{1e3 * min(times):8.2f} / {1e3 * float(np.median(times)):8.2f}"


# ---------------------------------------------------------------------------- part 1


def compare_with_imitation(n: int, horizon: int, repeats: int, seed: int = 0,
                           chunk: int = 1) -> dict:
    """imitation vs softrl on an n x n grid; returns the times (s) and the max abs errors.

    The libraries take turns, ``chunk`` timed calls each (``repeats`` turns): with chunk = 1
    every softrl call starts on the caches imitation's dense 102 MB (S = 1600) array has just
    swept, with chunk > 1 the later calls of a chunk run the way an IRL loop runs the passes,
    one after the other.  Both are reported, the first call of each chunk apart.
    """
    rng = np.random.default_rng(seed)
    n_states = n * n
    reward = rng.normal(size=n_states)
    mdp = gridworld(n, slip=0.1, n_actions=5, reward=reward, gamma=1.0, horizon=horizon).mdp
    env = types.SimpleNamespace(
        horizon=horizon,
        state_dim=n_states,
        action_dim=mdp.n_actions,
        transition_matrix=mdp.dense_transitions(),
        reward_matrix=reward,
        initial_state_dist=mdp.initial.copy(),
    )

    def run_imitation():
        V, Q, pi = mce_partition_fh(env, reward=None, discount=1.0)
        D, Dcum = mce_occupancy_measures(env, pi=pi)
        return V, Q, pi, D, Dcum

    def run_softrl(target: FiniteMDP = mdp):
        sol = soft_backward(target, 1.0, "variational", horizon=horizon)
        pi = sol.policy
        marg = policy_marginals(target, pi)
        return sol.V[:-1], sol.Q, pi, marg.state, marg.state.sum(axis=0)

    names = ("V", "Q", "pi", "D", "Dcum")
    errors = {
        k: float(np.max(np.abs(a - b)))
        for k, a, b in zip(names, run_imitation(), run_softrl(), strict=True)
    }
    # A fresh FiniteMDP builds its cached transpose P^T (for the forward pass) on first use.
    fresh = FiniteMDP(mdp.transitions, reward, gamma=1.0, horizon=horizon, n_actions=5)
    t0 = time.perf_counter()
    run_softrl(fresh)
    first_call = time.perf_counter() - t0

    times: dict[str, list[float]] = {k: [] for k in ("partition", "occupancy", "backward",
                                                      "policy", "forward")}  # fmt: skip
    cpu: dict[str, list[float]] = {"imitation": [], "softrl": []}  # process CPU time
    for _ in range(repeats):  # in turn, so that both see the same machine load
        time.sleep(SETTLE)
        for _ in range(chunk):
            c0 = time.process_time()
            t0 = time.perf_counter()
            _, _, pi = mce_partition_fh(env, reward=None, discount=1.0)
            t1 = time.perf_counter()
            mce_occupancy_measures(env, pi=pi)
            t2 = time.perf_counter()
            cpu["imitation"].append(time.process_time() - c0)
            times["partition"].append(t1 - t0)
            times["occupancy"].append(t2 - t1)
        time.sleep(SETTLE)
        for _ in range(chunk):
            c0 = time.process_time()
            t2 = time.perf_counter()
            sol = soft_backward(mdp, 1.0, "variational", horizon=horizon)
            t3 = time.perf_counter()
            pol = sol.policy
            t4 = time.perf_counter()
            policy_marginals(mdp, pol)
            t5 = time.perf_counter()
            cpu["softrl"].append(time.process_time() - c0)
            for key, dt in zip(("backward", "policy", "forward"), (t3 - t2, t4 - t3, t5 - t4),
                               strict=True):  # fmt: skip
                times[key].append(dt)
    imitation = [a + b for a, b in zip(times["partition"], times["occupancy"], strict=True)]
    softrl = [a + b + c for a, b, c in zip(times["backward"], times["policy"],
                                           times["forward"], strict=True)]  # fmt: skip
    return dict(n_states=n_states, nnz=mdp.transitions.nnz, errors=errors, times=times,
                imitation=imitation, softrl=softrl, first_call=first_call, cpu=cpu, chunk=chunk,
                threads=kernels._cores_free(), load=os.getloadavg()[0])  # fmt: skip


def report_comparison(res: dict) -> None:
    S = res["n_states"]
    print(f"\n== imitation vs softrl: {int(S ** 0.5)}x{int(S ** 0.5)} grid, S={S}, A=5, "
          f"H=100, nnz={res['nnz']}  (ms: min / median)")  # fmt: skip
    err = res["errors"]
    print("  max |imitation - softrl|: " + ", ".join(f"{k} {v:.1e}" for k, v in err.items()))
    ok = max(err.values()) <= TOLERANCE
    print(f"  agree to {TOLERANCE:g}: {'yes' if ok else 'NO'}")
    t = res["times"]
    print(f"  imitation mce_partition_fh     {ms(t['partition'])}")
    print(f"  imitation mce_occupancy        {ms(t['occupancy'])}")
    print(f"  imitation total                {ms(res['imitation'])}")
    print(f"  softrl soft_backward           {ms(t['backward'])}")
    print(f"  softrl SoftSolution.policy     {ms(t['policy'])}")
    print(f"  softrl policy_marginals        {ms(t['forward'])}")
    print(f"  softrl total                   {ms(res['softrl'])}")
    print(f"  softrl total, first call on a fresh FiniteMDP (builds P^T): "
          f"{1e3 * res['first_call']:.2f}")  # fmt: skip
    imi, sof = np.array(res["imitation"]), np.array(res["softrl"])
    print(f"  speed-up: min/min {imi.min() / sof.min():.0f}x, median/median "
          f"{np.median(imi) / np.median(sof):.0f}x, per repeat "
          + " ".join(f"{r:.0f}" for r in imi / sof))  # fmt: skip
    ci, cs = np.array(res["cpu"]["imitation"]), np.array(res["cpu"]["softrl"])
    k = res["chunk"]
    if k > 1:  # the first call of each chunk follows the other library's calls
        first = np.arange(len(sof)) % k == 0
        parts = [(name, imi[sel], sof[sel]) for name, sel in (("first call of a chunk", first),
                                                               ("later calls", ~first))]
        print(f"  chunks of {k} calls in turn: " + "; ".join(
            f"softrl {name} {ms(list(s))}, speed-up min/min {i.min() / s.min():.0f}x, median of"
            f" per-call ratios {np.median(i / s):.0f}x" for name, i, s in parts))
    print(f"  process CPU time (all threads), ms min / median: imitation {ms(list(ci))}, "
          f"softrl {ms(list(cs))}; CPU-time ratio min/min {ci.min() / cs.min():.0f}x")  # fmt: skip
    print(f"  softrl ran {'threaded' if res['threads'] else 'serial'} (load average "
          f"{res['load']:.1f}; threads only below {kernels.PARALLEL_MAX_LOAD:g})")  # fmt: skip
    if not ok:
        raise SystemExit("softrl and imitation disagree")


# ---------------------------------------------------------------------------- part 2


def _proc_status(field: str) -> int:
    """A memory field of /proc/self/status (VmRSS, VmHWM) in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def peak_extra_memory(fn: Callable[[], object]) -> int:
    """Peak resident memory of ``fn()`` above the resident memory before it, in bytes.

    Hands freed heap memory back to the system (glibc ``malloc_trim``) and resets the kernel's
    high-water mark (``echo 5 > /proc/self/clear_refs``) first, so the peak is that of this
    call; the result of ``fn`` stays alive until the peak is read.
    """
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before = _proc_status("VmRSS")
    result = fn()
    peak = _proc_status("VmHWM")
    del result
    return peak - before


@nb.njit(parallel=True, cache=True)
def _stream_read(a: np.ndarray, b: np.ndarray) -> int:
    """Integer sum of two arrays (int views): a pure streaming read over all threads."""
    total = 0
    for i in nb.prange(a.size):
        total += a[i]
    for i in nb.prange(b.size):
        total += b[i]
    return total


@nb.njit(parallel=True, cache=True)
def _expectations(indptr, indices, data, V, out, width):
    """E_{s'}[V(s')] of every row with the engine's own kernel (vector gathers,
    ``kernels._expect_rows``; ``width``: the common row length, or 0): the backup without Q,
    the max and the soft max, i.e. its gather and streaming part alone (for the profile)."""
    n_rows = indptr.size - 1
    for c in nb.prange(16):
        r0, r1 = c * n_rows // 16, (c + 1) * n_rows // 16
        gbuf = np.empty(kernels._GBUF)
        _expect_rows(indptr, indices, data, V, nb.uint64(r0), nb.uint64(r1), out[r0:r1], gbuf,
                     width)  # fmt: skip


@nb.njit(parallel=True, cache=True)
def _expectations_scalar(indptr, indices, data, V, out):
    """The same with the scalar row loop and its prefetch (``kernels._row_dot``), the
    engine's kernel for large MDPs before the vector gathers."""
    for row in nb.prange(indptr.size - 1):
        out[row] = _row_dot(indptr, indices, data, V, row)


def _scipy_backup(P: sp.csr_matrix, reward: np.ndarray, V: np.ndarray, gamma: float):
    """The plain baseline: Q = r + gamma P V (scipy mat-vec), V = logsumexp_a Q (numpy)."""
    Q = reward + gamma * (P @ V).reshape(reward.shape)
    m = Q.max(axis=1)
    return Q, m + np.log(np.exp(Q - m[:, None]).sum(axis=1))


def big_backup(n_states: int, repeats: int, seed: int = 0) -> dict:
    """One soft backup on a Garnet MDP (A = 5, 5 successors) against the bandwidth floor."""
    t0 = time.perf_counter()
    mdp = garnet(n_states, 5, 5, seed=seed, reward="normal", gamma=0.99)
    build = time.perf_counter() - t0
    P, r = mdp.transitions, mdp.reward
    V = np.random.default_rng(seed + 1).normal(size=n_states)
    Q_out, V_out = np.empty(mdp.shape), np.empty(n_states)
    transition_bytes = P.indptr.nbytes + P.indices.nbytes + P.data.nbytes
    # The backup reads the CSR arrays, r(s, a) and V, and writes Q (S, A) and V (S,).
    must_move = transition_bytes + r.nbytes + V.nbytes + Q_out.nbytes + V_out.nbytes

    copy_src = np.ones(max(2**26, 2 * P.data.size))  # >= 512 MB
    copy_dst = np.empty_like(copy_src)
    data_int, indices = P.data.view(np.int64), P.indices
    ip, ix = kernels._unsigned(P.indptr), kernels._unsigned(P.indices)

    def step(backup: str, out: bool) -> Callable[[], object]:
        if out:
            return lambda: soft_bellman_step(mdp, r, V, 1.0, backup, None, Q_out, V_out)
        return lambda: soft_bellman_step(mdp, r, V, 1.0, backup)

    tasks = {
        "softrl variational": step("variational", False),
        "softrl variational, preallocated Q_out, V_out": step("variational", True),
        "softrl optimistic": step("optimistic", False),
        "softrl optimistic, preallocated Q_out, V_out": step("optimistic", True),
        "scipy.sparse mat-vec + numpy logsumexp": lambda: _scipy_backup(P, r, V, mdp.gamma),
        "profile: softrl hard max (T = 0), preallocated": lambda: soft_bellman_step(
            mdp, r, V, 0.0, "variational", None, Q_out, V_out
        ),
        "profile: E[V] alone, vector gathers (engine)": lambda: _expectations(
            ip, ix, P.data, V, Q_out.reshape(-1), 5
        ),
        "profile: E[V] alone, scalar rows + prefetch (before)": lambda: _expectations_scalar(
            ip, ix, P.data, V, Q_out.reshape(-1)
        ),
        "np.copyto (bandwidth)": lambda: np.copyto(copy_dst, copy_src),
        "numba streaming read of indices+data": lambda: _stream_read(data_int, indices),
    }
    times: dict[str, list[float]] = {k: [] for k in tasks}
    cpu: dict[str, list[float]] = {k: [] for k in tasks}  # process CPU time, all threads
    for fn in tasks.values():  # warm-up: compile, fault the pages in
        fn()
    for _ in range(repeats):  # interleaved, so that all see the same machine load
        for key, fn in tasks.items():
            c0 = time.process_time()
            t0 = time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - t0)
            cpu[key].append(time.process_time() - c0)
    peaks = {key: peak_extra_memory(tasks[key]) for key in list(tasks)[:5]}
    Q_ref, V_ref = _scipy_backup(P, r, V, mdp.gamma)
    Q_new, V_new = soft_bellman_step(mdp, r, V, 1.0)
    return dict(
        n_states=n_states, nnz=P.nnz, build=build, times=times, peaks=peaks, cpu=cpu,
        transition_bytes=transition_bytes, must_move=must_move,
        copy_bytes=2 * copy_src.nbytes, read_bytes=data_int.nbytes + indices.nbytes,
        error=float(max(np.abs(Q_new - Q_ref).max(), np.abs(V_new - V_ref).max())),
    )  # fmt: skip


def report_big(res: dict) -> None:
    t = res["times"]
    copy_bw = res["copy_bytes"] / min(t["np.copyto (bandwidth)"])
    read_bw = res["read_bytes"] / min(t["numba streaming read of indices+data"])
    floor = res["must_move"] / copy_bw
    print(f"\n== one soft backup, Garnet S={res['n_states']:,}, A=5, 5 successors, "
          f"nnz={res['nnz']:,} (built in {res['build']:.1f} s)  (ms: min / median)")  # fmt: skip
    print(f"  transition data (indptr+indices+data): {res['transition_bytes'] / 1e6:.0f} MB; "
          f"bytes a backup must move: {res['must_move'] / 1e6:.0f} MB")  # fmt: skip
    print(f"  copy bandwidth (np.copyto, read+write): {copy_bw / 1e9:.1f} GB/s; streaming read "
          f"({nb.get_num_threads()} threads): {read_bw / 1e9:.1f} GB/s")  # fmt: skip
    print(f"  floor = bytes / copy bandwidth: {1e3 * floor:.1f} ms")
    # On a loaded machine the copy's wall time is inflated too; its CPU time gives a floor in
    # CPU time, to set beside each line's CPU time.
    cpu_floor = res["must_move"] / (res["copy_bytes"] / min(res["cpu"]["np.copyto (bandwidth)"]))
    print(f"  CPU-time floor = bytes at the copy's CPU-time rate: {1e3 * cpu_floor:.1f} ms")
    print(
        f"  every successor read missing the caches would move {res['nnz'] * 64 / 1e9:.1f} GB "
        f"more (64 B lines): {1e3 * res['nnz'] * 64 / copy_bw:.0f} ms at copy bandwidth"
    )
    print(f"  {'':54s} {'min / median ms':>19s}  x floor  CPU ms (all threads)  x CPU floor  "
          "peak extra MB (x transition data)")  # fmt: skip
    for key, times in t.items():
        line = f"  {key:54s} {ms(times)}"
        backup = not key.startswith(("np.", "numba"))
        line += f"  {min(times) / floor:6.1f}" if backup else " " * 8
        cpu = min(res["cpu"][key])
        line += f"  {1e3 * cpu:8.1f}" + (f"  {cpu / cpu_floor:6.1f}" if backup else " " * 8)
        if key in res["peaks"]:
            peak = res["peaks"][key]
            line += f"  {peak / 1e6:7.0f} ({peak / res['transition_bytes']:.2f}x)"
        print(line)
    print(f"  max |softrl - scipy baseline| (Q, V): {res['error']:.1e}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="S = 400 grid and 10^5 states")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--chunk", type=int, default=1,
                        help="part 1: calls of one library before the other's turn (1: "
                             "strictly alternating, every softrl call after imitation's)")
    parser.add_argument("--part", choices=("all", "imitation", "backup"), default="all",
                        help="part 1 (imitation) or part 2 (one backup) alone")  # fmt: skip
    args = parser.parse_args(argv)
    if args.chunk < 1:
        parser.error(f"--chunk must be at least 1; got {args.chunk}")
    _launch_threads()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, numpy "
          f"{np.__version__}, numba {nb.__version__} ({nb.threading_layer()} threading layer, "
          f"{nb.get_num_threads()} threads), load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    grids = (20,) if args.quick else (20, 40)
    repeats = args.repeats or (3 if args.quick else 7)
    if args.part in ("all", "imitation"):
        for n in grids:
            report_comparison(compare_with_imitation(n, 100, repeats, chunk=args.chunk))
    if args.part in ("all", "backup"):
        report_big(big_backup(10**5 if args.quick else 10**6, repeats))
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
