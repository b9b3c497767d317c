"""exp(x) for float64 as straight-line arithmetic, so that the compiler can vectorise loops of it.

libm's ``exp`` is a call that LLVM cannot vectorise, and it costs 8-10 ns here; the soft max of
a backup needs one per (s, a).  :func:`vexp` computes the same function with no call and no
branch (only selects), so a loop of it compiles to SIMD code.

The method is the classic one (Cody and Waite; Tang 1989): with n = round(x / ln 2) and
r = x - n ln 2 computed exactly in two parts (``_LN2_HI`` has 11 trailing zero bits, so
n * ln2_hi is exact for |n| < 2^11),

    exp(x) = 2^n exp(r),   |r| <= ln(2) / 2,

and exp(r) = 1 + p(r) with p the Taylor polynomial of degree 13, whose truncation error
0.347^14 / 14! < 5e-18 is below a twentieth of an ulp of 1.  2^n is built from its bit pattern in
two factors 2^(n // 2) 2^(n - n // 2), so that the results below 2^-1022 (subnormal) and near
the overflow threshold come out right without a branch.  Arguments are clamped to
[-746, 710] first (the results there are 0 and inf), and NaN gives NaN.  The measured error
against numpy's exp is at most 1 ulp over [-745, 709] (tests/inference/test_fast_kernels.py).
The polynomial is evaluated by Estrin's scheme with fused multiply-adds (``llvm.fma``), which
halves the chain of dependent operations: 0.66 ns an exp in a loop, against 1.08 with Horner's
scheme and 2.9 for libm's exp (AVX-512 machine of bench/RESULTS.md).

numba's cache does not see edits of this file from the kernels that inline these functions:
touch ``kernels.py`` after changing it.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from llvmlite import ir
from numba.extending import intrinsic

from softrl._numerics import JIT

__all__ = ["vexp", "vexp_array", "vlog", "vlog_array"]


@intrinsic
def _as_int64(typingctx, x):
    """The bit pattern of a float64 as an int64 (no conversion)."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return nb.types.int64(nb.types.float64), codegen


@intrinsic
def _as_float64(typingctx, n):
    """The float64 whose bit pattern is the int64 ``n``."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return nb.types.float64(nb.types.int64), codegen


@intrinsic
def _fma(typingctx, a, b, c):
    """a * b + c with one rounding (llvm.fma: one instruction on CPUs with FMA)."""

    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return nb.types.float64(nb.types.float64, nb.types.float64, nb.types.float64), codegen


_LOG2E = 1.4426950408889634
_LN2_HI = 6.93145751953125e-01  # ln 2 to 32 bits: n * _LN2_HI is exact for |n| < 2^11
_LN2_LO = 1.42860682030941723212e-06  # ln 2 - _LN2_HI
# 1.5 * 2^52: adding it rounds a float64 of magnitude < 2^51 to an integer (ties to even), and
# the low bits of the sum are that integer.
_ROUND = 6755399441055744.0
_ROUND_BITS = 0x4338000000000000
# 1/k!, k = 2..13
_C2 = 1.0 / 2
_C3 = 1.0 / 6
_C4 = 1.0 / 24
_C5 = 1.0 / 120
_C6 = 1.0 / 720
_C7 = 1.0 / 5040
_C8 = 1.0 / 40320
_C9 = 1.0 / 362880
_C10 = 1.0 / 3628800
_C11 = 1.0 / 39916800
_C12 = 1.0 / 479001600
_C13 = 1.0 / 6227020800


@nb.njit(inline="always", **JIT)
def vexp(x: float) -> float:
    """exp(x) of a float64: 0 below -745.2, inf above 709.8, NaN for NaN; within 1 ulp of libm."""
    xc = x if x > -746.0 else -746.0  # NaN compares false: clamped too, then restored below
    xc = xc if xc < 710.0 else 710.0
    t = xc * _LOG2E + _ROUND
    n = _as_int64(t) - _ROUND_BITS  # round(x / ln 2), from the low bits of t
    nf = t - _ROUND
    r = (xc - nf * _LN2_HI) - nf * _LN2_LO
    # Estrin's scheme (a shorter chain of dependent operations than Horner's), fused.
    r2 = r * r
    r4 = r2 * r2
    p23 = _fma(_C3, r, _C2)
    p45 = _fma(_C5, r, _C4)
    p67 = _fma(_C7, r, _C6)
    p89 = _fma(_C9, r, _C8)
    p1011 = _fma(_C11, r, _C10)
    p1213 = _fma(_C13, r, _C12)
    p2_5 = _fma(p45, r2, p23)
    p6_9 = _fma(p89, r2, p67)
    p10_13 = _fma(p1213, r2, p1011)
    p = _fma(_fma(p10_13, r4, p6_9), r4, p2_5)  # c2 + c3 r + ... + c13 r^11
    p = _fma(p, r2, r)
    e = 1.0 + p
    n1 = n >> 1
    n2 = n - n1
    e = e * _as_float64((n1 + 1023) << 52) * _as_float64((n2 + 1023) << 52)
    return e if x == x else x


@nb.njit(**JIT)
def vexp_array(x: np.ndarray, out: np.ndarray) -> None:
    """out[i] = vexp(x[i]) over 1-d arrays (the vectorised loop, for tests and benches)."""
    for i in range(x.size):
        out[i] = vexp(x[i])


# log: fdlibm's e_log.c (error < 1 ulp), without its branches.  x = 2^k m with m in
# [sqrt(2)/2, sqrt(2)), f = m - 1, s = f / (2 + f), and
# log(1 + f) = f - f^2/2 + s (f^2/2 + R(s^2)), R a minimax polynomial.
_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01
_LN2_HI_LOG = 6.93147180369123816490e-01
_LN2_LO_LOG = 1.90821492927058770002e-10
_TWO54 = 18014398509481984.0
_SMALLEST_NORMAL = 2.2250738585072014e-308
_SQRT_HALF_BITS = 0x3FE6A09E667F3BCD  # sqrt(2)/2
_ONE_BITS = 0x3FF0000000000000


@nb.njit(inline="always", **JIT)
def vlog(x: float) -> float:
    """log(x) of a float64: -inf at 0, NaN below 0 and for NaN, inf at inf; within 1 ulp."""
    sub = x < _SMALLEST_NORMAL
    xs = x * _TWO54 if sub else x  # subnormals scaled into the normal range
    bits = _as_int64(xs) + (_ONE_BITS - _SQRT_HALF_BITS)
    k = (bits >> 52) - 1023 - (54 if sub else 0)
    m = _as_float64((bits & 0x000FFFFFFFFFFFFF) + _SQRT_HALF_BITS)
    f = m - 1.0
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    r = t2 + t1
    dk = float(k)
    out = dk * _LN2_HI_LOG - ((hfsq - (s * (hfsq + r) + dk * _LN2_LO_LOG)) - f)
    out = out if x < np.inf else x  # inf, and NaN kept as NaN below
    out = out if x > 0.0 else (-np.inf if x == 0.0 else np.nan)
    return out if x == x else x


@nb.njit(**JIT)
def vlog_array(x: np.ndarray, out: np.ndarray) -> None:
    """out[i] = vlog(x[i]) over 1-d arrays."""
    for i in range(x.size):
        out[i] = vlog(x[i])
