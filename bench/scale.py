"""Scale benchmark (issue 19 item 3): 10^7-state soft value iteration, and an MCE IRL step at 10^6.

Part a builds a Garnet MDP (S states, 5 actions, 5 random successors, gamma 0.99, N(0, 1)
rewards, seed 0) with :func:`softrl.envs.garnet` and solves the infinite-horizon soft Bellman
equation (temperature 1, variational backup) to a sup-norm Bellman residual
||T V - V||_inf <= 1e-6 with :func:`softrl.planning.soft_value_iteration`
(``method="extrapolated"``: value iteration with the MacQueen-Porteus bounds).  Side by side in
the same process: plain soft value iteration (``method="value_iteration"``, the fixed point of
``soft_backward``).  At 10^7 states plain VI would take ~1,500 backups, so it is timed over a
few backups and its iteration count is the contraction bound
ceil(log(tol / residual_0) / log(gamma)); with ``--quick`` (10^5 states) it runs to the end and
the two solutions are compared.  Also printed: the copy-bandwidth floor of one backup (the
bytes it must read and write over the memory copy bandwidth measured in the run), the peak
resident memory, the load average and the process CPU time.

Part b is one gradient step of maximum causal entropy IRL with a state-only reward in the
setting of ``bench/tabular.py`` (open n x n gridworld, 5 actions with ``stay``, slip 0.1,
H = 100, gamma 1, temperature 1): the MCE partition and occupancy at the current reward
theta (:func:`softrl.inference.large.mce_occupancy`, which keeps V_t (H + 1, S) and pi_t
(H, S, A) while it fits in ``STORE_POLICY_MAX_BYTES``, else recomputes pi_t in the forward
sweep), the gradient
d/dtheta (E . r - p_0 . V_0) / T = sum_a (E - occupancy) / T and the update of theta.  The
expert counts E are the exact occupancy of the soft-optimal policy of a random N(0, 1) state
reward.  Side by side: at n = 40 the full-array path of ``bench/tabular.py``
(``soft_backward`` + ``policy_marginals``), which at n = 1000 would need 12 GB of (H, S, A)
arrays; and the floor of the step, 2H passes over the transition data (H backups, H forward
steps over P^T; 3H when pi_t is recomputed) at the copy bandwidth.

Run from the repository root (peak memory of part a at 10^7: ~8 GB)::

    .venv/bin/python bench/scale.py --quick          # 10^5 Garnet states, 316 x 316 grid
    /usr/bin/time -v .venv/bin/python bench/scale.py --part a     # 10^7 states
    .venv/bin/python bench/scale.py --part a --newton   # and soft policy iteration beside it
    /usr/bin/time -v .venv/bin/python bench/scale.py --part b     # 1000 x 1000 grid
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import resource
import time

import numba as nb
import numpy as np

from softrl.envs import garnet, gridworld
from softrl.inference import large, policy_marginals, soft_backward
from softrl.inference.large import mce_occupancy
from softrl.planning import soft_value_iteration

TOL = 1e-6
GAMMA = 0.99
HORIZON = 100


def _rss_gb() -> float:
    """Peak resident memory of this process so far, GB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def _copy_bandwidth(n_bytes: int = 1 << 28, repeats: int = 5) -> float:
    """Memory copy bandwidth (read + write), bytes/s, best of ``repeats``."""
    src = np.ones(n_bytes // 8)
    dst = np.empty_like(src)
    best = math.inf
    for _ in range(repeats):
        t = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - t)
    return 2 * n_bytes / best


def _timed(fn, *args, **kwargs):
    """(result, wall s, process CPU s)."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def part_a(n_states: int, full_plain: bool, newton: bool = False) -> None:
    garnet(1000, 5, 5, seed=1)  # compile the builder and the solver's kernels first
    soft_value_iteration(garnet(1000, 5, 5, seed=1), 1.0, tol=TOL)
    bandwidth = _copy_bandwidth()
    print(f"\n## a: soft value iteration, Garnet S={n_states:,}, A=5, b=5, gamma={GAMMA}, "
          f"T=1, tol={TOL:g}   (load {os.getloadavg()[0]:.1f}, copy bandwidth "
          f"{bandwidth / 1e9:.1f} GB/s)")  # fmt: skip

    mdp, build_s, build_cpu = _timed(garnet, n_states, 5, 5, seed=0, gamma=GAMMA)
    P = mdp.transitions
    data_gb = (P.data.nbytes + P.indices.nbytes + P.indptr.nbytes) / 1e9
    print(f"build: {build_s:.1f} s wall, {build_cpu:.1f} s CPU; transitions {data_gb:.2f} GB "
          f"(indices {P.indices.dtype}); peak RSS so far {_rss_gb():.2f} GB")  # fmt: skip

    # Plain soft VI, a few backups: its cost per backup and its first residual.
    plain, plain_s, plain_cpu = _timed(soft_value_iteration, mdp, 1.0,
                                       method="value_iteration", tol=TOL,
                                       max_iter=10**6 if full_plain else 3)  # fmt: skip
    per_backup = plain_s / plain.iterations
    # The floor of one backup: read P (data + indices + indptr), r and V (gathered), write Q, V.
    floor_s = (data_gb * 1e9 + 8 * mdp.n_states * (1 + 5 + 5 + 1)) / bandwidth
    print(f"one backup: {per_backup * 1e3:.0f} ms ({per_backup / floor_s:.1f}x the copy floor "
          f"{floor_s * 1e3:.0f} ms)")  # fmt: skip

    sol, solve_s, solve_cpu = _timed(soft_value_iteration, mdp, 1.0, method="extrapolated",
                                     tol=TOL)  # fmt: skip
    print(f"extrapolated VI: {sol.iterations} backups, {solve_s:.1f} s wall, {solve_cpu:.1f} s "
          f"CPU, residual ||T V_k - V_k|| = {sol.residual:.2e}")  # fmt: skip
    from softrl.inference import soft_bellman_step

    _, TV = soft_bellman_step(mdp, mdp.reward, sol.V, 1.0)
    print(f"check: ||T V - V|| of the returned V = {np.abs(TV - sol.V).max():.2e}")
    del TV
    if newton:  # soft policy iteration: the same fixed point by Newton + GMRES
        pol, pol_s, pol_cpu = _timed(soft_value_iteration, mdp, 1.0, method="policy_iteration",
                                     tol=TOL)  # fmt: skip
        print(f"soft policy iteration: {pol.iterations} backups + {pol.matvecs} GMRES mat-vecs, "
              f"{pol_s:.1f} s wall, {pol_cpu:.1f} s CPU, residual {pol.residual:.2e}; "
              f"max |V_newton - V_extrapolated| = {np.abs(pol.V - sol.V).max():.1e}; peak RSS "
              f"{_rss_gb():.2f} GB")  # fmt: skip
        del pol
    if full_plain:
        diff = np.abs(plain.V - sol.V).max()
        print(f"plain VI: {plain.iterations} backups, {plain_s:.1f} s wall, {plain_cpu:.1f} s "
              f"CPU, residual {plain.residual:.2e}; max |V_plain - V_extrapolated| = "
              f"{diff:.1e} (each is within gamma / (1 - gamma) * tol = "
              f"{GAMMA / (1 - GAMMA) * TOL:.0e} of the fixed point)")  # fmt: skip
        plain_iterations, plain_total = plain.iterations, plain_s
    else:
        # From V = 0 the first residual is ||T 0|| and plain VI contracts by gamma per backup.
        first = float(np.abs(soft_value_iteration(mdp, 1.0, method="value_iteration",
                                                  max_iter=1, tol=1e-300).residual))
        plain_iterations = math.ceil(math.log(TOL / first) / math.log(GAMMA)) + 1
        plain_total = plain_iterations * per_backup
        print(f"plain VI (projected): {plain_iterations} backups x {per_backup:.2f} s = "
              f"{plain_total / 60:.0f} min")  # fmt: skip
    print(f"total a (build + extrapolated solve): {build_s + solve_s:.1f} s; plain VI would "
          f"take {plain_total / solve_s:.0f}x the solve; peak RSS {_rss_gb():.2f} GB; "
          f"load {os.getloadavg()[0]:.1f}")  # fmt: skip


def _mce_step(mdp, theta: np.ndarray, E: np.ndarray, lr: float) -> tuple[float, np.ndarray]:
    """One MCE IRL gradient step on a state reward theta (S,): (objective, new theta)."""
    reward = np.repeat(theta[:, None], mdp.n_actions, axis=1)
    V0, occ = mce_occupancy(mdp, 1.0, reward=reward)
    value = float(np.vdot(E, reward) - mdp.initial @ V0)  # T = 1
    grad = (E - occ).sum(axis=1)
    return value, theta + lr * grad


def _full_array_step(mdp, theta: np.ndarray, E: np.ndarray, lr: float
                     ) -> tuple[float, np.ndarray]:
    """The same step with soft_backward + policy_marginals ((H, S, A) arrays)."""
    reward = np.repeat(theta[:, None], mdp.n_actions, axis=1)
    sol = soft_backward(mdp.replace(reward=reward), 1.0)
    occ = policy_marginals(mdp, sol.policy).visitation(mdp.gamma)
    value = float(np.vdot(E, reward) - mdp.initial @ sol.V[0])
    return value, theta + lr * (E - occ).sum(axis=1)


def _world(n: int):
    rng = np.random.default_rng(0)
    true_reward = rng.standard_normal(n * n)
    mdp = gridworld(n, slip=0.1, n_actions=5, reward=true_reward, gamma=1.0,
                    horizon=HORIZON).mdp  # fmt: skip
    _, E = mce_occupancy(mdp, 1.0)  # the expert's exact counts
    return mdp, E


def part_b(n: int, repeats: int) -> None:
    small, E_small = _world(40)
    theta0 = np.zeros(small.n_states)
    bandwidth = _copy_bandwidth()
    print(f"\n## b: MCE IRL gradient step, {n} x {n} grid (S={n * n:,}), A=5, slip 0.1, "
          f"H={HORIZON}, gamma 1, T=1   (load {os.getloadavg()[0]:.1f}, copy bandwidth "
          f"{bandwidth / 1e9:.1f} GB/s)")  # fmt: skip
    lean_t, full_t = [], []
    for _ in range(5):  # interleaved, at n = 40
        (v_lean, th_lean), t, _ = _timed(_mce_step, small, theta0, E_small, 0.1)
        lean_t.append(t)
        (v_full, th_full), t, _ = _timed(_full_array_step, small, theta0, E_small, 0.1)
        full_t.append(t)
    print(f"n=40: mce_occupancy step {min(lean_t) * 1e3:.1f} ms (median "
          f"{np.median(lean_t) * 1e3:.1f}), full-array step {min(full_t) * 1e3:.1f} ms (median "
          f"{np.median(full_t) * 1e3:.1f}); same objective {abs(v_lean - v_full):.1e}, same new "
          f"theta {np.abs(th_lean - th_full).max():.1e}")  # fmt: skip

    (mdp, E), setup_s, _ = _timed(_world, n)
    P = mdp.transitions
    pass_bytes = P.data.nbytes + P.indices.nbytes + P.indptr.nbytes
    stored = HORIZON * mdp.n_states * mdp.n_actions * 8 <= large.STORE_POLICY_MAX_BYTES
    passes = 2 if stored else 3  # pi_t kept from the backward pass, or recomputed
    floor_s = passes * HORIZON * pass_bytes / bandwidth
    print(f"setup (grid, P^T, expert counts; not timed below): {setup_s:.1f} s; "
          f"transitions {pass_bytes / 1e9:.2f} GB")  # fmt: skip
    theta = np.zeros(mdp.n_states)
    times, cpus, values = [], [], []
    for _ in range(repeats):
        (value, theta), t, c = _timed(_mce_step, mdp, theta, E, 0.1)
        times.append(t)
        cpus.append(c)
        values.append(value)
    print(f"n={n}: gradient step {min(times):.1f} s wall (median {np.median(times):.1f}), "
          f"{min(cpus):.1f} s CPU; pi_t {'kept' if stored else 'recomputed'}; floor "
          f"{floor_s:.1f} s ({passes}H passes over P at the copy "
          f"bandwidth) -> {min(times) / floor_s:.1f}x; objective {values[0]:.1f} -> "
          f"{values[-1]:.1f} over {repeats} steps; peak RSS {_rss_gb():.2f} GB; load "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10^5 states, 316 x 316 grid")
    parser.add_argument("--part", choices=("a", "b", "all"), default="all")
    parser.add_argument("--states", type=int, default=None, help="Garnet states of part a")
    parser.add_argument("--grid", type=int, default=None, help="grid side n of part b")
    parser.add_argument("--newton", action="store_true",
                        help="part a: also soft policy iteration (+3 GB at 10^7)")  # fmt: skip
    args = parser.parse_args(argv)
    n_states = args.states or (10**5 if args.quick else 10**7)
    print(f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs "
          f"({nb.get_num_threads()} threads), load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    if args.part in ("a", "all"):
        part_a(n_states, full_plain=n_states <= 10**5, newton=args.newton)
    if args.part in ("b", "all"):
        part_b(args.grid or (316 if args.quick else 1000), repeats=3)


if __name__ == "__main__":
    main()
