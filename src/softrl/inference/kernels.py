"""Compiled kernels of the exact tabular engine (numba, parallel over states).

Every kernel takes the CSR arrays of p(s'|s,a) (rows ``j = s * A + a``) or of its transpose
and plain numpy arrays, and writes its result into preallocated outputs.  The backward and
forward kernels run a whole horizon in one call (one compiled loop over time, so no Python
work per step); a single backup is the horizon-1 case.  One backup is one fused pass over the
transition data: the successor expectation, the soft max over actions and the writes of Q and
V happen in the same loop, so the backup reads each stored probability exactly once.

What makes them fast (bench/RESULTS.md, "Issue 19 pass"): the backup runs per block of up to
1024 states, Q first, then the soft max as flat loops of :func:`~softrl.inference._vexp.vexp`
and ``vlog`` that compile to SIMD code; short rows are read from a fixed-width (ELL) copy of
p(s'|s,a) (:mod:`softrl.inference._layout`); when V is too large for the L2 cache, the
products p(s'|s,a) V(s') are gathered 8 at a time by vector gathers (:func:`_expect_rows`);
the optimistic backup takes the same reads of the rows, with E[exp((V - max V)/T)] per row
and its logarithm by ``vlog`` in a flat loop (:func:`_optimistic_q_block`; 2.2-2.4x faster
than a libm log per row); integer index arrays are passed unsigned (:func:`_unsigned`), so
that numba drops its test for negative indices; and the threaded build runs only when a core
is free (:func:`_cores_free`).

Conventions (seed 003): Q(s,a) = r(s,a) + gamma * backup_{s'}[V(s')] and
V(s) = T log sum_a exp(Q(s,a) / T), with ``T`` the temperature and ``T = 0`` the hard max.
"""

from __future__ import annotations

import math
import os
import time
import types

import numba as nb
import numpy as np
from llvmlite import ir
from numba.core import cgutils
from numba.extending import intrinsic

from softrl._numerics import JIT, TINY
from softrl.inference._vexp import vexp, vlog

# numba's cache checks this file's time stamp, not that of _vexp.py: after editing _vexp.py,
# touch this file (or clear __pycache__), or the cached kernels keep the old vexp / vlog.

__all__ = [
    "MODE_SOFT",
    "MODE_POLICY",
    "PARALLEL_MIN_NNZ",
    "PARALLEL_MAX_LOAD",
    "PARALLEL_ALWAYS_NNZ",
    "backward_pass",
    "forward_pass",
    "propagate",
    "log_propagate",
    "policy_from_q",
]

MODE_SOFT = 0  # V(s) = T logsumexp_a Q/T   (T = 0: max_a Q)
MODE_POLICY = 1  # V(s) = sum_a pi(a|s) (Q(s,a) - T log pi(a|s))   (policy evaluation)

# Below TINY, sum_j p_j exp((V_j - Vmax)/T) has lost relative precision: redo the row exactly.
_TINY = TINY
_SMALLEST_NORMAL = 2.2250738585072014e-308
_JIT = JIT


# Successor values are gathered at random places: when they do not fit in the L2 cache, ask
# for the one this many stored entries ahead, so that many cache misses are in flight at once
# (2-3x on a 10^6-state Garnet MDP).
_PREFETCH_AHEAD = 256
_PREFETCH_MIN_SIZE = 1 << 16  # 512 KB of float64: an L2 cache


@intrinsic
def _prefetch(typingctx, arr, idx):
    """Hint the CPU to bring ``arr[idx]`` into the caches (llvm.prefetch; never faults)."""

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        ptr = builder.bitcast(builder.gep(ary.data, [args[1]]), ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [ptr.type, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        # read (0), high temporal locality (3), data cache (1)
        builder.call(fn, [ptr, i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return nb.types.void(arr, idx), codegen


# Products p(s'|s,a) V(s') are gathered 8 at a time by one vector gather (AVX-512 vgatherqpd):
# the scalar loop spent 10-12 instructions a stored entry (load of the index, of V, of p, the
# prefetch and its index, the loop), and at 10^6 states it was bound by them, not by memory:
# with every successor index taken modulo 4096 (V in L1) it took 29 of its 37 ms.
_GATHER = 8


@intrinsic
def _gather_products(typingctx, out, j, data, indices, k, v):
    """out[j + i] = data[k + i] * v[indices[k + i]] for i = 0..7: one vector gather of v.

    llvm.masked.gather with every lane on; LLVM lowers it to the target's gather instruction,
    or to scalar loads where there is none.  The caller keeps k + 8 <= indices.size and
    j + 8 <= out.size; ``indices`` are unsigned (32 or 64 bits) and ``v``, ``data``, ``out``
    contiguous float64.
    """

    def codegen(context, builder, signature, args):
        idx_t = signature.args[3]
        out_ptr, data_ptr, idx_ptr, v_ptr = (
            context.make_array(signature.args[i])(context, builder, args[i]).data
            for i in (0, 2, 3, 5)
        )
        j, k = args[1], args[4]
        i32, i64 = ir.IntType(32), ir.IntType(64)
        width = idx_t.dtype.bitwidth
        vec_f = ir.VectorType(ir.DoubleType(), _GATHER)
        vec_i64 = ir.VectorType(i64, _GATHER)

        def vector_at(ptr, index, vec_t):
            return builder.bitcast(builder.gep(ptr, [index]), vec_t.as_pointer())

        idx = builder.load(vector_at(idx_ptr, k, ir.VectorType(ir.IntType(width), _GATHER)),
                           align=width // 8)  # fmt: skip
        if width < 64:
            idx = builder.zext(idx, vec_i64)
        # The addresses v + 8 idx as integers (llvmlite's gep takes no vector of indices).
        base = builder.insert_element(
            ir.Constant(vec_i64, None), builder.ptrtoint(v_ptr, i64), i32(0)
        )
        zeros = ir.Constant(ir.VectorType(i32, _GATHER), [0] * _GATHER)
        base = builder.shuffle_vector(base, ir.Constant(vec_i64, None), zeros)
        addr = builder.add(base, builder.shl(idx, ir.Constant(vec_i64, [3] * _GATHER)))
        ptr_t = ir.VectorType(v_ptr.type, _GATHER)
        mask_t = ir.VectorType(ir.IntType(1), _GATHER)
        fnty = ir.FunctionType(vec_f, [ptr_t, i32, mask_t, vec_f])
        name = f"llvm.masked.gather.v{_GATHER}f64.v{_GATHER}p0"
        gather = cgutils.get_or_insert_function(builder.module, fnty, name)
        all_on = ir.Constant(mask_t, [1] * _GATHER)
        values = builder.call(
            gather, [builder.inttoptr(addr, ptr_t), i32(8), all_on, ir.Constant(vec_f, None)]
        )
        p = builder.load(vector_at(data_ptr, k, vec_f), align=8)
        builder.store(builder.fmul(p, values), vector_at(out_ptr, j, vec_f), align=8)
        return context.get_dummy_value()

    return nb.types.void(out, j, data, indices, k, v), codegen


def _make_row_sums(width: int):
    """An intrinsic summing 8 consecutive rows of ``width`` products each, in row order.

    ``row_sums(g, j, out, o)``: out[o + i] = (((0 + g[j + w i]) + g[j + w i + 1]) + ...)
    + g[j + w i + w - 1] for i = 0..7, with w = ``width``.  The 8 w products are loaded as w
    vectors, transposed by shuffles (column c holds g[j + w i + c], i = 0..7) and added column
    by column: the sums of :func:`_row_dot` bit for bit, at 0.5 ns a row of 5 against 1.4 ns
    for the scalar loop over ``indptr``.
    """
    i32, i64 = ir.IntType(32), ir.IntType(64)
    vec_f = ir.VectorType(ir.DoubleType(), _GATHER)

    def lanes_of(lanes):
        lanes = list(lanes)
        return ir.Constant(ir.VectorType(i32, len(lanes)), lanes)

    @intrinsic
    def row_sums(typingctx, g, j, out, o):
        def codegen(context, builder, signature, args):
            g_ptr = context.make_array(signature.args[0])(context, builder, args[0]).data
            out_ptr = context.make_array(signature.args[2])(context, builder, args[2]).data
            base = builder.gep(g_ptr, [args[1]])
            whole, n = None, 0
            for t in range(width):  # the 8 w products as one <8 w x double>
                ptr = builder.bitcast(builder.gep(base, [i64(_GATHER * t)]), vec_f.as_pointer())
                part = builder.load(ptr, align=8)
                if whole is None:
                    whole, n = part, _GATHER
                    continue
                if n > _GATHER:  # widen the new part to n lanes (the rest undefined)
                    lanes = lanes_of(list(range(_GATHER)) + [_GATHER] * (n - _GATHER))
                    part = builder.shuffle_vector(part, ir.Constant(vec_f, None), lanes)
                whole = builder.shuffle_vector(whole, part, lanes_of(range(n + _GATHER)))
                n += _GATHER
            undef = ir.Constant(ir.VectorType(ir.DoubleType(), n), None)
            acc = ir.Constant(vec_f, [0.0] * _GATHER)
            for c in range(width):
                column = lanes_of([i * width + c for i in range(_GATHER)])
                acc = builder.fadd(acc, builder.shuffle_vector(whole, undef, column))
            out = builder.bitcast(builder.gep(out_ptr, [args[3]]), vec_f.as_pointer())
            builder.store(acc, out, align=8)
            return context.get_dummy_value()

        return nb.types.void(g, j, out, o), codegen

    return row_sums


# Rows of 2..8 stored entries each (Garnet MDPs: every row the same length) are summed 8 at a
# time by these; other rows by the scalar loop.
_ROW_SUMS_MAX = 8
_row_sums2, _row_sums3, _row_sums4, _row_sums5, _row_sums6, _row_sums7, _row_sums8 = (
    _make_row_sums(w) for w in range(2, _ROW_SUMS_MAX + 1)
)


@nb.njit(inline="always", **_JIT)
def _sum_rows8(width, g, j, out, o):
    """out[o:o + 8] = the sums of the 8 rows of ``width`` products at g[j:] (2 <= width <= 8)."""
    if width == 5:
        _row_sums5(g, j, out, o)
    elif width == 4:
        _row_sums4(g, j, out, o)
    elif width == 3:
        _row_sums3(g, j, out, o)
    elif width == 2:
        _row_sums2(g, j, out, o)
    elif width == 6:
        _row_sums6(g, j, out, o)
    elif width == 7:
        _row_sums7(g, j, out, o)
    else:
        _row_sums8(g, j, out, o)


@nb.njit(inline="always", **_JIT)
def _row_dot(indptr, indices, data, v, row):
    """sum_k p_k v(s'_k) over the stored successors of one CSR row."""
    lo, hi = indptr[row], indptr[row + 1]
    acc = 0.0
    if v.size < _PREFETCH_MIN_SIZE:  # v sits in the caches: the plain loop (2x faster)
        for k in range(lo, hi):
            acc += data[k] * v[indices[k]]
        return acc
    ahead = min(hi, indices.size - _PREFETCH_AHEAD)
    for k in range(lo, ahead):
        _prefetch(v, indices[k + _PREFETCH_AHEAD])
        acc += data[k] * v[indices[k]]
    for k in range(max(lo, ahead), hi):
        acc += data[k] * v[indices[k]]
    return acc


@nb.njit(inline="always", **_JIT)
def _ell_dot(idx, p, v, row):
    """sum_k p_k v(s'_k) over one row of a fixed-width (ELL) layout (padding: p = 0).

    The first six terms are written out (each test of the width is predicted perfectly), so
    the rows overlap in the pipeline; the order of the sum is that of the CSR row.
    """
    width = idx.shape[1]
    acc = p[row, 0] * v[idx[row, 0]]
    if width == 1:
        return acc
    acc += p[row, 1] * v[idx[row, 1]]
    if width == 2:
        return acc
    acc += p[row, 2] * v[idx[row, 2]]
    if width == 3:
        return acc
    acc += p[row, 3] * v[idx[row, 3]]
    if width == 4:
        return acc
    acc += p[row, 4] * v[idx[row, 4]]
    if width == 5:
        return acc
    acc += p[row, 5] * v[idx[row, 5]]
    for k in range(6, width):
        acc += p[row, k] * v[idx[row, k]]
    return acc


@nb.njit(inline="always", **_JIT)
def _row_log_mean_exp(indptr, indices, data, V, inv_t, row, w, vmax):
    """T-scaled log E_{s'~p(.|row)} exp(V(s')/T), with a global shift and an exact fallback."""
    acc = _row_dot(indptr, indices, data, w, row)
    if acc >= _TINY:
        return vmax + math.log(acc) / inv_t
    return _row_exact_log_mean_exp(indptr, indices, data, V, inv_t, row)


@nb.njit(**_JIT)
def _row_exact_log_mean_exp(indptr, indices, data, V, inv_t, row):
    """T log sum_k p_k exp(V(j_k)/T) over one CSR row, by the row's own log-sum-exp (-inf
    when every V(j_k) is -inf): the fallback for rows whose values sit so far below a global
    max that the shifted sum is below TINY (the optimistic backup, the forward messages)."""
    m = -np.inf
    for k in range(indptr[row], indptr[row + 1]):
        v = V[indices[k]]
        if v > m:
            m = v
    if m == -np.inf:
        return -np.inf
    acc = 0.0
    for k in range(indptr[row], indptr[row + 1]):
        acc += data[k] * math.exp((V[indices[k]] - m) * inv_t)
    return m + math.log(acc) / inv_t if acc > 0.0 else -np.inf


@nb.njit(inline="always", **_JIT)
def _policy_value(q, pi, temperature):
    """sum_a pi_a (q_a - T log pi_a) of one row (soft policy evaluation)."""
    acc = 0.0
    for a in range(q.size):
        p = pi[a]
        if p > 0.0:
            acc += p * q[a]
            if temperature > 0.0:
                acc -= temperature * p * math.log(p)
    return acc


# States per block of the backward pass: the block's Q rows are written first, then its soft
# max runs as flat loops over the block's (s, a) entries, which compile to SIMD code (vexp).
# A block has between _BLOCK_MIN and _BLOCK states, _BLOCK when there are enough states for
# _CHUNKS chunks of them: switching between the gather and the soft max costs, and at 10^6
# states blocks of 1024 took 45 ms of CPU a backup against 49 ms for blocks of 128.
_BLOCK = 1024
_BLOCK_MIN = 128
# Parallel work items per step: enough for the threads to balance; each has its own scratch.
_CHUNKS = 16
# Stored entries of the product buffer of _expect_rows (32 KB), and rows per group in it.
_GBUF = 4096
_GROUP_ROWS = 512


@nb.njit(**_JIT)
def _backup_block(
    indptr, indices, data, ell_idx, ell_p, reward, v_next, gamma, temperature, inv_t,
    optimistic, terminal, mode, pol, Q, V, pi, w, vmax, lo, hi, ebuf, mbuf, zbuf, gbuf,
):  # fmt: skip
    """One backup of the states lo..hi-1: Q(s, a) = r(s, a) + gamma * backup[v_next], then V.

    ``Q``, ``V``, ``pi``: the (S, A), (S,) and (S, A) (or (S, 0)) outputs of one step;
    ``ell_idx``, ``ell_p``: the (S*A, K) fixed-width layout of the same p(s'|s,a), used for the
    expectation when it has rows and V is small, or (0, 1) placeholders;
    ``ebuf``, ``mbuf``: (block * A,) scratch for exp((Q - m) / T) and the row maxima m;
    ``zbuf``: (2 * block,) scratch for z = sum_a exp((Q - m) / T) and log z, with
    block >= hi - lo; ``gbuf``: (_GBUF,) scratch for the products p(s'|s,a) V(s') of
    :func:`_expect_rows` when V is large, else empty.
    """
    n_actions = Q.shape[1]
    # The fixed-width rows while V sits in the caches; for a large V the CSR rows, whose loop
    # prefetches V (a prefetch of the ELL rows measured 1.4x slower than none, and the CSR
    # loop with its prefetch 1.2x faster than ELL without, at 10^6 states).
    use_ell = ell_idx.shape[0] > 0 and v_next.size < _PREFETCH_MIN_SIZE
    if mode == MODE_SOFT and not optimistic:
        # The common case, with no test per state: Q and m(s) = max_a Q(s, a) (repeated over
        # a, so that the exp loop below is flat) of every state as if it were live; terminal
        # states and states with no allowed action (m = -inf) are set afterwards, in the rare
        # blocks that have them.  Unsigned loop indices: numba then drops the wrap-around
        # tests of negative indices.
        n_a = nb.uint64(n_actions)
        lo_u = nb.uint64(lo)
        no_action = False
        if use_ell:
            for s in range(lo_u, nb.uint64(hi)):
                row = s * n_a
                m = -np.inf
                for a in range(n_a):
                    q = reward[s, a] + gamma * _ell_dot(ell_idx, ell_p, v_next, row + a)
                    Q[s, a] = q
                    m = max(m, q)
                no_action |= m == -np.inf
                k = (s - lo_u) * n_a
                for a in range(n_a):
                    mbuf[k + a] = m
        elif v_next.size >= _PREFETCH_MIN_SIZE and _contiguous(v_next, indices, data):
            # E[V] of the block's rows into ebuf by vector gathers, then Q and m from it.
            _expect_rows(indptr, indices, data, v_next, lo_u * n_a, nb.uint64(hi) * n_a,
                         ebuf, gbuf, _common_width(ell_idx, indices))  # fmt: skip
            for s in range(lo_u, nb.uint64(hi)):
                k = (s - lo_u) * n_a
                m = -np.inf
                for a in range(n_a):
                    q = reward[s, a] + gamma * ebuf[k + a]
                    Q[s, a] = q
                    m = max(m, q)
                no_action |= m == -np.inf
                for a in range(n_a):
                    mbuf[k + a] = m
        else:
            for s in range(lo_u, nb.uint64(hi)):
                row = s * n_a
                m = -np.inf
                for a in range(n_a):
                    q = reward[s, a] + gamma * _row_dot(indptr, indices, data, v_next, row + a)
                    Q[s, a] = q
                    m = max(m, q)
                no_action |= m == -np.inf
                k = (s - lo_u) * n_a
                for a in range(n_a):
                    mbuf[k + a] = m
        _soft_max_block(Q, V, pi, temperature, inv_t, lo, hi, ebuf, mbuf, zbuf)
        if no_action or _any(terminal, lo, hi):
            _fix_block(Q, V, pi, terminal, lo, hi, mbuf)
        return
    if mode == MODE_SOFT:  # optimistic: Q = r + gamma (vmax + T log E[w]), w = exp((V - vmax)/T)
        _optimistic_q_block(indptr, indices, data, ell_idx, ell_p, reward, v_next, gamma,
                            inv_t, use_ell, w, vmax, lo, hi, Q, ebuf, mbuf, gbuf)
        _soft_max_block(Q, V, pi, temperature, inv_t, lo, hi, ebuf, mbuf, zbuf)
        _fix_block(Q, V, pi, terminal, lo, hi, mbuf)
        return
    for s in range(lo, hi):
        if terminal[s]:
            for a in range(n_actions):
                Q[s, a] = 0.0
            continue
        row = s * n_actions
        for a in range(n_actions):
            if optimistic:
                nxt = _row_log_mean_exp(indptr, indices, data, v_next, inv_t, row + a, w, vmax)
            elif use_ell:
                nxt = _ell_dot(ell_idx, ell_p, v_next, row + a)
            else:
                nxt = _row_dot(indptr, indices, data, v_next, row + a)
            Q[s, a] = reward[s, a] + gamma * nxt
    if mode == MODE_POLICY:
        for s in range(lo, hi):
            V[s] = 0.0 if terminal[s] else _policy_value(Q[s], pol[s], temperature)
        return
    # m(s) = max_a Q(s, a), repeated over a so that the exp loop below is flat.
    for s in range(lo, hi):
        m = -np.inf
        for a in range(n_actions):
            m = max(m, Q[s, a])
        for a in range(n_actions):
            mbuf[(s - lo) * n_actions + a] = m
    _soft_max_block(Q, V, pi, temperature, inv_t, lo, hi, ebuf, mbuf, zbuf)
    _fix_block(Q, V, pi, terminal, lo, hi, mbuf)


@nb.njit(inline="always", **_JIT)
def _optimistic_q_block(indptr, indices, data, ell_idx, ell_p, reward, v_next, gamma, inv_t,
                        use_ell, w, vmax, lo, hi, Q, ebuf, mbuf, gbuf):
    """Q(s, a) = r(s, a) + gamma T log E_{s'} exp(V(s')/T) for the states lo..hi-1, and
    m(s) = max_a Q(s, a) repeated over a into ``mbuf`` (terminal states are computed as if
    live: :func:`_fix_block` sets them).

    E[w] of every (s, a) row of the block goes into ``ebuf`` first (the fixed-width rows, the
    vector gathers of :func:`_expect_rows` or the CSR rows, each summed in the order of the
    CSR row), its logarithms into ``mbuf`` in one flat loop (:func:`vlog`, vectorised), then
    T log E exp(V/T) = vmax + T log E[w] where E[w] >= TINY, and the row's own log-sum-exp
    below (the successors' values far below the global max).
    """
    n_a = nb.uint64(Q.shape[1])
    lo_u, hi_u = nb.uint64(lo), nb.uint64(hi)
    r0 = lo_u * n_a
    n_rows = (hi_u - lo_u) * n_a
    if use_ell:
        for j in range(n_rows):
            ebuf[j] = _ell_dot(ell_idx, ell_p, w, r0 + j)
    elif w.size >= _PREFETCH_MIN_SIZE and _contiguous(w, indices, data):
        _expect_rows(indptr, indices, data, w, r0, r0 + n_rows, ebuf, gbuf,
                     _common_width(ell_idx, indices))
    else:
        for j in range(n_rows):
            ebuf[j] = _row_dot(indptr, indices, data, w, r0 + j)
    for j in range(n_rows):
        mbuf[j] = vlog(ebuf[j])
    for s in range(lo_u, hi_u):
        k = (s - lo_u) * n_a
        for a in range(n_a):
            if ebuf[k + a] >= _TINY:
                nxt = vmax + mbuf[k + a] / inv_t
            else:
                nxt = _row_exact_log_mean_exp(indptr, indices, data, v_next, inv_t,
                                              s * n_a + a)
            Q[s, a] = reward[s, a] + gamma * nxt
    for s in range(lo_u, hi_u):
        k = (s - lo_u) * n_a
        m = -np.inf
        for a in range(n_a):
            m = max(m, Q[s, a])
        for a in range(n_a):
            mbuf[k + a] = m


@nb.njit(inline="always", **_JIT)
def _expect_rows(indptr, indices, data, v, r0, r1, ev, gbuf, width):
    """ev[j] = sum_k p_k v(s'_k) over CSR row r0 + j, for the rows r0..r1-1 (unsigned).

    The rows go in groups whose stored entries fit in ``gbuf`` (halved until they do): their
    products p_k v(s'_k) are gathered 8 at a time (:func:`_gather_products`) into ``gbuf``,
    then summed row by row in the order of the row, so every sum is that of :func:`_row_dot`
    bit for bit.  A row longer than ``gbuf`` is summed by :func:`_row_dot`.  ``width``: the
    length of every row when they all have the same one, from 2 to 8 (their sums then go 8
    rows at a time, :func:`_sum_rows8`), else 0.
    """
    one = nb.uint64(1)
    eight = nb.uint64(_GATHER)
    cap = nb.uint64(gbuf.size)
    r = r0
    while r < r1:
        r_end = min(r1, r + nb.uint64(_GROUP_ROWS))
        while r_end > r + one and nb.uint64(indptr[r_end]) - nb.uint64(indptr[r]) > cap:
            r_end = r + (r_end - r) // nb.uint64(2)
        e0 = nb.uint64(indptr[r])
        n = nb.uint64(indptr[r_end]) - e0
        if n > cap:  # one row longer than the buffer
            ev[r - r0] = _row_dot(indptr, indices, data, v, r)
            r = r_end
            continue
        k = nb.uint64(0)
        while k + eight <= n:
            _gather_products(gbuf, k, data, indices, e0 + k, v)
            k += eight
        while k < n:
            gbuf[k] = data[e0 + k] * v[indices[e0 + k]]
            k += one
        first = r  # the rows before it are summed 8 at a time
        if width > 0:
            w = nb.uint64(width)
            while first + eight <= r_end:
                _sum_rows8(width, gbuf, (first - r) * w, ev, first - r0)
                first += eight
        for row in range(first, r_end):
            acc = 0.0
            for j in range(nb.uint64(indptr[row]) - e0, nb.uint64(indptr[row + one]) - e0):
                acc += gbuf[j]
            ev[row - r0] = acc
        r = r_end


@nb.njit(inline="always", **_JIT)
def _common_width(ell_idx, indices):
    """The length of every row when they all have one from 2 to _ROW_SUMS_MAX (the rows of
    :func:`_expect_rows` are then summed eight at a time), else 0.  Every row has the same
    length when the fixed-width layout is a view of the CSR arrays."""
    width = ell_idx.shape[1] if ell_idx.size == indices.size else 0
    return width if 2 <= width <= _ROW_SUMS_MAX else 0


@nb.njit(inline="always", **_JIT)
def _contiguous(v, indices, data):
    """Whether the 1-d arrays are contiguous, as :func:`_gather_products` reads them."""
    return (v.strides[0] == v.itemsize and indices.strides[0] == indices.itemsize
            and data.strides[0] == data.itemsize)  # fmt: skip


@nb.njit(inline="always", **_JIT)
def _any(flags, lo, hi):
    """Whether any of flags[lo:hi] is set."""
    for i in range(lo, hi):
        if flags[i]:
            return True
    return False


@nb.njit(inline="always", **_JIT)
def _soft_max_block(Q, V, pi, temperature, inv_t, lo, hi, ebuf, mbuf, zbuf):
    """V(s) = m + T log sum_a exp((Q(s, a) - m) / T) and pi (if wanted) for s = lo..hi-1.

    ``mbuf`` holds m = max_a Q(s, a) repeated over a (flat from 0 for state lo); ``ebuf`` and
    ``zbuf`` are (block * A,) and (2 * block,) scratch (z, then log z).  T = 0: V = m.
    Every state is treated as live: :func:`_fix_block` then sets terminal states and states
    with m = -inf (no action allowed).
    """
    n_actions = Q.shape[1]
    n_a = nb.uint64(n_actions)
    n_s = nb.uint64(hi - lo)
    v = V[lo:hi]  # slices: lo + j would cost a wrap-around test
    if temperature == 0.0:  # the hard max
        for j in range(n_s):
            v[j] = mbuf[j * n_a]
        return
    want_pi = pi.shape[1] > 0
    n_entries = (hi - lo) * n_actions
    q = Q.reshape(Q.size)[lo * n_actions : lo * n_actions + n_entries]
    for i in range(n_entries):  # the soft max's exponentials, vectorised
        ebuf[i] = vexp((q[i] - mbuf[i]) * inv_t)
    # z(s) = sum_a exp((Q - m) / T), then log z and V in flat (vectorised) loops.
    z_all = zbuf[: zbuf.size // 2]
    log_z = zbuf[zbuf.size // 2 :]
    for j in range(n_s):
        k = j * n_a
        z = 0.0
        for a in range(n_a):
            z += ebuf[k + a]
        z_all[j] = z
    for j in range(n_s):
        log_z[j] = vlog(z_all[j])
    for j in range(n_s):
        v[j] = mbuf[j * n_a] + log_z[j] * temperature
    if want_pi:  # pi from the same exponentials
        for j in range(n_s):
            k = j * n_a
            inv_z = 1.0 / z_all[j]
            for a in range(n_a):
                pi[lo + j, a] = ebuf[k + a] * inv_z


@nb.njit(inline="always", **_JIT)
def _fix_block(Q, V, pi, terminal, lo, hi, mbuf):
    """Terminal states: Q = V = 0; no action allowed (m = -inf): V = -inf; pi uniform in both."""
    n_actions = Q.shape[1]
    want_pi = pi.shape[1] > 0
    uniform = 1.0 / n_actions
    for s in range(lo, hi):
        dead = terminal[s]
        if not (dead or mbuf[(s - lo) * n_actions] == -np.inf):
            continue
        if dead:
            V[s] = 0.0
            for a in range(n_actions):
                Q[s, a] = 0.0
        else:
            V[s] = -np.inf
        if want_pi:
            for a in range(n_actions):
                pi[s, a] = uniform


def _backward_pass(
    indptr,
    indices,
    data,
    ell_idx,
    ell_p,
    reward,
    V_next,
    gamma,
    temperature,
    optimistic,
    terminal,
    mode,
    policy,
    Q_out,
    V_out,
    pi_out,
):
    """Backups for t = H-1, ..., 0: Q_t = r + gamma * backup[V_next[t]], then V_out[t](Q_t).

    ``V_next`` and ``V_out`` may be views of one (H + 1, S) array, ``V[1:]`` and ``V[:-1]``:
    then step t reads the V_{t+1} that step t + 1 wrote, and the call is a whole backward pass.
    With H = 1 it is a single backup.

    Parameters
    ----------
    indptr, indices, data : CSR arrays of p(s'|s,a), shape (S*A, S)
    ell_idx, ell_p : the same p(s'|s,a) in a fixed-width layout, (S*A, K) int32 successor
        indices and float64 probabilities (padding: probability 0), used by the expectation
        E[V] when it has rows; (0, 1) placeholders otherwise
    reward : (S, A) float64
    V_next : (H, S) float64, the value after each step
    gamma, temperature : float
    optimistic : bool, use Q = r + gamma T log E exp(V_next/T) (requires temperature > 0)
    terminal : (S,) bool; terminal states get Q = V = 0
    mode : MODE_SOFT or MODE_POLICY
    policy : (H, S, A) or (1, S, A) (stationary) float64, read only in MODE_POLICY
    Q_out : (H, S, A) float64 output, V_out : (H, S) float64 output
    pi_out : (H, S, A) float64 output of the soft-max policy (MODE_SOFT, T > 0; uniform at
        terminal states), or (1, 1, 0) to skip it
    """
    horizon, n_states, n_actions = Q_out.shape
    inv_t = 1.0 / temperature if temperature > 0.0 else np.inf
    w = np.empty(n_states if optimistic else 0)
    # Blocks of _BLOCK states, or smaller (down to _BLOCK_MIN) to make _CHUNKS chunks.
    block = max(_BLOCK_MIN, min(_BLOCK, (n_states + _CHUNKS - 1) // _CHUNKS))
    n_blocks = (n_states + block - 1) // block
    n_chunks = min(n_blocks, _CHUNKS)
    # Scratch for each chunk, allocated once a pass (not once a step: 3,900 allocations on a
    # 40 x 40 grid, H = 100), and sized to the block: scratch for blocks of _BLOCK went
    # through mmap and paid its page faults again each pass (5% of a 40 x 40 grid's pass).
    ebufs = np.empty((n_chunks, block * n_actions))
    mbufs = np.empty((n_chunks, block * n_actions))
    zbufs = np.empty((n_chunks, 2 * block))
    gbufs = np.empty((n_chunks, _GBUF if V_next.shape[1] >= _PREFETCH_MIN_SIZE else 0))
    for t in range(horizon - 1, -1, -1):
        v_next = V_next[t]
        vmax = 0.0
        if optimistic:  # the global shift of the optimistic backup, w = exp((V - max V) / T)
            vmax = np.max(v_next)
            for i in nb.prange(n_states):
                w[i] = vexp((v_next[i] - vmax) * inv_t)
        pol = policy[min(t, policy.shape[0] - 1)]
        # pi_out is a (1, 1, 0) placeholder when the policy is not wanted.
        pi = pi_out[min(t, pi_out.shape[0] - 1)]
        for c in nb.prange(n_chunks):  # a few chunks of whole blocks, one scratch each
            ebuf, mbuf, zbuf, gbuf = ebufs[c], mbufs[c], zbufs[c], gbufs[c]
            for b in range(c * n_blocks // n_chunks, (c + 1) * n_blocks // n_chunks):
                _backup_block(
                    indptr, indices, data, ell_idx, ell_p, reward, v_next, gamma, temperature,
                    inv_t, optimistic, terminal, mode, pol, Q_out[t], V_out[t], pi, w, vmax,
                    b * block, min(n_states, (b + 1) * block), ebuf, mbuf, zbuf, gbuf,
                )  # fmt: skip


@nb.njit(inline="always", **_JIT)
def _gather_sum(t_indptr, t_indices, t_data, weight, col):
    """sum_{(s,a) -> col} weight(s,a) p(col|s,a) over one row of P^T.

    Four partial sums: the rows of P^T are long (25 on a 5-action grid) and one chain of
    dependent additions was the bottleneck (3x).
    """
    lo, hi = t_indptr[col], t_indptr[col + 1]
    a0 = a1 = a2 = a3 = 0.0
    k = lo
    while k + 4 <= hi:
        a0 += weight[t_indices[k]] * t_data[k]
        a1 += weight[t_indices[k + 1]] * t_data[k + 1]
        a2 += weight[t_indices[k + 2]] * t_data[k + 2]
        a3 += weight[t_indices[k + 3]] * t_data[k + 3]
        k += 4
    while k < hi:
        a0 += weight[t_indices[k]] * t_data[k]
        k += 1
    return (a0 + a1) + (a2 + a3)


@nb.njit(inline="always", **_JIT)
def _gather_row(t_indptr, t_indices, t_data, weight, col, v_next, tilt, inv_t):
    """sum_{(s,a) -> col} weight(s,a) p(col|s,a) [exp((v_next(col) - tilt(s,a)) / T)].

    One row of P^T (the (s, a) pairs that reach state ``col``); ``tilt`` empty: no tilt.
    """
    if tilt.size == 0:
        return _gather_sum(t_indptr, t_indices, t_data, weight, col)
    lo, hi = t_indptr[col], t_indptr[col + 1]
    # p exp(x) with x = (V(s') - tilt(s, a)) / T <= -log p: at most 1/p, finite for any normal
    # p; a subnormal p takes exp(log p + x) instead.  vexp: no call, 1 ulp (libm's exp and
    # log per stored entry were most of a posterior forward pass).
    acc = 0.0
    v = v_next[col]
    for k in range(lo, hi):
        j = t_indices[k]
        wj = weight[j]
        if wj != 0.0:
            p = t_data[k]
            x = (v - tilt[j]) * inv_t
            acc += wj * (p * vexp(x) if p >= _SMALLEST_NORMAL else math.exp(math.log(p) + x))
    return acc


def _propagate(t_indptr, t_indices, t_data, weight, n_actions, V_next, tilt, inv_t, out):
    """Forward step of a Markov chain: out(s') = sum_{s,a} weight(s,a) p(s'|s,a) [tilt].

    ``t_*`` are the CSR arrays of P^T, shape (S, S*A).  ``weight`` is (S*A,), for example
    d_t(s) pi_t(a|s).  With ``tilt`` (S*A,) non-empty, each transition is reweighted to the
    posterior p(s'|s,a,O) = p(s'|s,a) exp((V_next(s') - tilt(s,a)) / T), where
    tilt = T log E exp(V_next/T): the optimistic model's posterior dynamics.
    """
    for col in nb.prange(t_indptr.size - 1):
        out[col] = _gather_row(t_indptr, t_indices, t_data, weight, col, V_next, tilt, inv_t)


@nb.njit(inline="always", **_JIT)
def _weigh_row(pi, terminal, d_t, D_t, weight, s_, n_actions, atol):
    """weight(s, a) = D_t(s, a) = d_t(s) pi_t(a|s) for one state s (terminal states: mass
    d_t(s) / A each way in ``weight``, D_t = 0, as they take no action); returns 1 when the
    policy row is not a distribution (an entry negative or not finite, or a sum off 1 by more
    than ``atol``), else 0."""
    s = nb.uint64(s_)  # unsigned: no wrap-around tests on the indices below
    n_a = nb.uint64(n_actions)
    ds = d_t[s]
    row = s * n_a
    total = 0.0
    lowest = 0.0
    if terminal[s]:
        uniform = ds * (1.0 / n_actions)
        for a in range(n_a):
            p = pi[s, a]
            total += p
            lowest = min(lowest, p)
            weight[row + a] = uniform
            D_t[s, a] = 0.0
    else:
        for a in range(n_a):
            p = pi[s, a]
            total += p
            lowest = min(lowest, p)
            w = ds * p
            weight[row + a] = w
            D_t[s, a] = w
    # A NaN or an inf makes the sum test fail.
    return 0 if lowest >= 0.0 and abs(total - 1.0) <= atol else 1


def _forward_pass(
    t_indptr, t_indices, t_data, policy, terminal, V, tilt, inv_t, atol, d, D, weight
):
    """Roll d_{t+1}(s') = sum_{s,a} d_t(s) pi_t(a|s) p~(s'|s,a) forward for t = 0..H-1.

    ``t_*`` are the CSR arrays of P^T, shape (S, S*A).  Terminal states act uniformly (their
    mass loops back to themselves) but take no action: D_t(s, a) = 0 there.  Returns the
    number of policy rows that are not a distribution (an entry negative or not finite, or
    a sum off 1 by more than ``atol``), checked on the way: 0 for a valid policy.

    One parallel region a step: the iteration for state s' gathers d_{t+1}(s') from step t's
    weights d_t(s) pi_t(a|s), then writes step t + 1's weights of s' itself, which only
    d_{t+1}(s') enters, into the other half of ``weight`` (so no iteration reads what another
    one writes in the same region).

    Parameters
    ----------
    policy : (H, S, A) or (1, S, A) (stationary) pi_t(a|s)
    terminal : (S,) bool
    V, tilt : (H + 1, S) and (H, S*A), or (1, 0) and (1, 0) for the true dynamics.
        With them p~(s'|s,a) = p(s'|s,a) exp((V_{t+1}(s') - tilt_t(s,a)) / T), the optimistic
        posterior dynamics (tilt_t = T log E exp(V_{t+1}/T)).
    inv_t : float, 1 / T
    atol : float, tolerance on the row sums of the policy
    d : (H + 1, S) output with d[0] = p(s_0) on entry; D : (H, S, A) output, d_t(s) pi_t(a|s)
    weight : (2 * S*A,) scratch
    """
    horizon, n_states, n_actions = D.shape
    n_sa = n_states * n_actions
    n_bad = 0
    if horizon == 0:
        return n_bad
    last_pi = policy.shape[0] - 1
    first = weight[:n_sa]
    for s_ in nb.prange(n_states):
        n_bad += _weigh_row(policy[0], terminal, d[0], D[0], first, s_, n_actions, atol)
    for t in range(horizon):
        half = t % 2
        current = weight[half * n_sa : (half + 1) * n_sa]
        following = weight[(1 - half) * n_sa : (2 - half) * n_sa]
        tilt_t = tilt[min(t, tilt.shape[0] - 1)]
        v_next = V[min(t + 1, V.shape[0] - 1)]
        more = t + 1 < horizon
        pi_next = policy[min(t + 1, last_pi)]
        D_next = D[min(t + 1, horizon - 1)]
        d_next = d[t + 1]
        for col in nb.prange(n_states):
            d_next[col] = _gather_row(
                t_indptr, t_indices, t_data, current, col, v_next, tilt_t, inv_t
            )
            if more:
                n_bad += _weigh_row(pi_next, terminal, d_next, D_next, following, col,
                                    n_actions, atol)  # fmt: skip
    return n_bad


def _log_propagate(t_indptr, t_indices, t_data, log_weight, out):
    """Log-space forward message step: out(s') = log sum_{s,a} p(s'|s,a) exp(log_weight(s,a)).

    With one global shift M = max log_weight: w = exp(log_weight - M) once per (s, a) (a flat,
    vectorised loop), then out(s') = M + log sum p w, a plain gather.  A state whose sum falls
    below TINY (its predecessors' weights far below the global max) is redone exactly with
    its own max (:func:`_row_exact_log_mean_exp`, as in the optimistic backup).
    """
    n_next = t_indptr.size - 1
    n_sa = log_weight.size
    top = -np.inf
    for j in range(n_sa):
        top = max(top, log_weight[j])
    w = np.empty(n_sa)
    for j in nb.prange(n_sa):
        w[j] = vexp(log_weight[j] - top) if top > -np.inf else 0.0
    for sp_ in nb.prange(n_next):
        acc = _gather_sum(t_indptr, t_indices, t_data, w, sp_)
        out[sp_] = top + vlog(acc) if acc >= _TINY else _row_exact_log_mean_exp(
            t_indptr, t_indices, t_data, log_weight, 1.0, sp_)


def _policy_from_q(Q, V, inv_t, log_pi, pi):
    """log pi(a|s) = (Q - V) / T renormalised over a (the last ulp of rounding), and/or pi.

    Q : (N, A), V : (N,); ``log_pi`` and ``pi`` are (N, A) outputs, or empty (0, A) to skip
    one.  pi = exp((Q - V) / T) / z with z = sum_a exp((Q - V) / T), so each row sums to 1.
    """
    n_rows, n_actions = Q.shape
    want_log, want_pi = log_pi.shape[0] > 0, pi.shape[0] > 0
    for i in nb.prange(n_rows):
        z = 0.0
        for a in range(n_actions):
            e = math.exp((Q[i, a] - V[i]) * inv_t)
            z += e
            if want_pi:
                pi[i, a] = e
        log_z = math.log(z)
        for a in range(n_actions):
            if want_log:
                log_pi[i, a] = (Q[i, a] - V[i]) * inv_t - log_z
            if want_pi:
                pi[i, a] /= z


# Each kernel is compiled twice: threads pay off only when a step has enough work, as a
# parallel region costs microseconds to start (more on a loaded machine).  The size that
# decides is that of the work of one region: the nnz of a step, or the entries of Q.  On the
# 2-core machine of bench/RESULTS.md, threads already win at 2,300 stored entries a step.
PARALLEL_MIN_NNZ = 5_000
# Threads only pay when a core is free.  With every core busy (other processes), each step's
# parallel region waits for a thread that the scheduler has parked: measured on the 2-core
# machine at load average 6, a 40 x 40 grid's backward pass took 24 ms threaded against 7 ms
# serial.  So the threaded build runs only while the 1-minute load average (read at most once
# a second) is below this, or when a step is so large (PARALLEL_ALWAYS_NNZ) that a region runs
# for milliseconds; the two builds give the same numbers, bit for bit.
PARALLEL_MAX_LOAD = (os.cpu_count() or 1) - 0.5
PARALLEL_ALWAYS_NNZ = 1 << 20
_LOAD = [0.0, -math.inf]  # the load average and the time.monotonic() it was read at


def _cores_free() -> bool:
    """Whether the 1-minute load average leaves a core for a second thread."""
    now = time.monotonic()
    if now - _LOAD[1] > 1.0:
        _LOAD[0], _LOAD[1] = os.getloadavg()[0], now
    return _LOAD[0] < PARALLEL_MAX_LOAD


def _renamed(fn, suffix: str):
    """A copy of ``fn`` under another name.

    numba's on-disk cache files an overload by the function's qualified name and signature,
    not by its ``parallel`` flag: two dispatchers of one function would load each other's
    machine code (the threaded one then runs serially).
    """
    clone = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + suffix,
                               fn.__defaults__, fn.__closure__)  # fmt: skip
    clone.__qualname__ = fn.__qualname__ + suffix
    clone.__doc__ = fn.__doc__
    return clone


def _unsigned(arg):
    """An int32 / int64 array as the same bits in uint32 / uint64 (other arguments as given).

    Every integer array a kernel takes holds indices (>= 0).  Unsigned, numba knows that an
    index cannot be negative and drops its wrap-around test (a[i] for i < 0): the gather
    ``weight[indices[k]]`` of the forward pass ran 2.3x faster (0.67 -> 0.29 ns an entry).
    """
    if isinstance(arg, np.ndarray) and arg.dtype.kind == "i" and arg.dtype.isnative:
        return arg.view(np.dtype(f"u{arg.dtype.itemsize}"))
    return arg


def _read_only(arg):
    """A read-only view of an array (the array itself if it is read-only already)."""
    if isinstance(arg, np.ndarray) and arg.flags.writeable:
        arg = arg.view()
        arg.flags.writeable = False
    return arg


def _dispatch(fn, size_arg: int, as_given: tuple[str, ...]):
    """The kernel ``fn`` behind one entry point that picks the threaded or the serial build.

    Arguments reach the builds in one canonical form, so that numba compiles one machine
    code per real difference: integer index arrays as unsigned (:func:`_unsigned`), and every
    array the kernel only reads as a read-only view. numba types an array's writability, so
    a read-only and a writable ``reward`` (say) would each cost a compilation of a large
    kernel (5-10 s on a cold cache). ``as_given``: the parameters passed as they are, the
    outputs. An input may alias an output (the backward pass reads V_{t+1} from the rows it
    wrote a step earlier): numba's read-only type only forbids writes through that view, it
    does not let the compiler assume the memory is constant. ``kernel.sequential`` and
    ``kernel.parallel`` force one build, with the same canonical arguments.
    """
    seq = nb.njit(parallel=False, **_JIT)(fn)
    par = nb.njit(parallel=True, **_JIT)(_renamed(fn, "_threaded"))
    names = fn.__code__.co_varnames[: fn.__code__.co_argcount]
    unknown = set(as_given) - set(names)
    if unknown:
        raise TypeError(f"{fn.__name__} has no parameter(s) {sorted(unknown)}")
    keep = [name in as_given for name in names]

    def canonical(args):
        return [_unsigned(a) if k else _read_only(_unsigned(a))
                for a, k in zip(args, keep, strict=True)]

    def kernel(*args):
        size = args[size_arg].size
        threads = size >= PARALLEL_ALWAYS_NNZ or (size >= PARALLEL_MIN_NNZ and _cores_free())
        return (par if threads else seq)(*canonical(args))

    kernel.__name__ = fn.__name__.lstrip("_")
    kernel.__doc__ = fn.__doc__
    kernel.sequential = lambda *args: seq(*canonical(args))  # type: ignore[attr-defined]
    kernel.parallel = lambda *args: par(*canonical(args))  # type: ignore[attr-defined]
    kernel.builds = (seq, par)  # type: ignore[attr-defined]
    return kernel


backward_pass = _dispatch(_backward_pass, 2, ("Q_out", "V_out", "pi_out"))
forward_pass = _dispatch(_forward_pass, 2, ("d", "D", "weight"))
propagate = _dispatch(_propagate, 2, ("out",))
log_propagate = _dispatch(_log_propagate, 2, ("out",))
policy_from_q = _dispatch(_policy_from_q, 0, ("log_pi", "pi"))
