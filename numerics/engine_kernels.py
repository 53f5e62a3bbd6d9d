"""Compiled kernels (numba) of the exact GD engine, and their plain-Python twins.

The ARITHMETIC CONTRACT (what "bit for bit" means; :func:`numerics.engine.reference_gd`
performs exactly these float64 operations in plain Python):

1. margin of row i:  ``z = w_0 x_i0;  z = z + w_j x_ij  (j = 1..d-1, in order);  m = y_i (z + b)``.
2. weight:  ``s_i = sigma(-m) = num / (1 + e)`` with ``e = exp_nonpos(-|m|)`` and
   ``num = e`` if m >= 0 else 1 (both branches of the stable sigmoid; no overflow possible).
3. ``c_i = y_i s_i``;  ``G_j = sum_i c_i x_ij``, ``G_b = sum_i c_i``: each sum starts at +0.0
   and adds the terms SEQUENTIALLY in increasing row index i.
4. update (eqs. (4)-(5) of arXiv:2602.08302, grad L = -G):  sum: ``w_j <- w_j + eta G_j``, ``b <- b + eta G_b``;
   mean: ``w_j <- w_j + eta (G_j / N)``, ``b <- b + eta (G_b / N)``.
   (``w - eta (-G) == w + eta G`` exactly in IEEE arithmetic: negation is exact.)

``exp_nonpos`` is this module's own exp for arguments <= 0 (Cody-Waite reduction
``x = k ln2 + r``, |r| <= ln2/2, a degree-13 Taylor polynomial, scaling by 2^(k+64) then
2^-64 so that subnormal results are rounded once, correctly). Measured error < 0.9 ulp
against mpmath (checks/test_engine.py); it is written with +, -, *, floor only, so the
compiled loop vectorises (SIMD) and the Python twin reproduces it bit for bit. numba is used
without fastmath, so no fused multiply-add or reassociation is introduced.

SKIPPING (bit-exact): ``exp_nonpos(x)`` is exactly +0.0 iff x <= -745.1332191019412 =
fl(-1075 ln 2) (measured by bisection over floats and checked monotone; the true value is then
at most 2^-1075, and the final multiply rounds once, to even). The engine uses the safer
threshold M_ZERO = 745.2: for m >= M_ZERO, ``s_i = +0.0`` and the terms
``c_i x_ij`` are +-0. A sum that starts at +0.0 is never -0.0 (x + y is -0.0 only when both
are -0.0), and ``a + (+-0) == a`` for every a != 0 and ``+0 + (+-0) == +0``: adding a +-0 term
never changes a single bit, so such rows may be left out. Rows are left out without even
recomputing their margin while a certified lower bound stays above M_ZERO:

    m_i(theta) >= m_i(theta_r) - ||theta - theta_r||_2 ||(x_i, 1)||_2     (Cauchy-Schwarz)

with theta = (w, b) and theta_r the parameters at the last full refresh, plus a rounding
guard 4 (d + 4) 2^-53 (sum_j |w_j x_ij| + |b|) for the floating-point margins at both times.
A refresh recomputes all margins and keeps (in index order, copied to contiguous arrays) the
rows whose bound could fail within a drift budget B = 2 x the largest drift of the previous
window; the step loop refreshes as soon as ||theta - theta_r|| exceeds B, and at least every
W_MAX = 256 steps (to find rows that became skippable). The budget affects speed only.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

# --- the exponential ------------------------------------------------------------------------
INV_LN2 = 1.4426950408889634  # fl(1/ln 2)
LN2_HI = 6.93147180369123816490e-01  # ln 2 high part: 21 trailing zero bits, so k*LN2_HI is exact
LN2_LO = 1.90821492927058770002e-10  # ln 2 - LN2_HI
EXP_CLAMP = -746.0  # exp(x) rounds to 0 below -745.1332; clamping keeps k in int range
TWO_M64 = 2.0**-64
# Taylor coefficients 1/n!, n = 2..13 (|r|^14/14! < 4e-18 for |r| <= ln2/2)
_C2, _C3, _C4, _C5 = 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120
_C6, _C7, _C8, _C9 = 1.0 / 720, 1.0 / 5040, 1.0 / 40320, 1.0 / 362880
_C10, _C11, _C12, _C13 = 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800

M_ZERO = 745.2  # sigma(-m) == +0.0 exactly for every float m >= M_ZERO (see module docstring)
ROUND_UNIT = 2.0**-53


@intrinsic
def _bits_to_f64(typingctx, bits):
    """Reinterpret an int64 bit pattern as a float64 (a free register move; vectorises)."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


@njit(inline="always", error_model="numpy", cache=True)
def exp_nonpos(x):
    """exp(x) for float x <= 0 (the contract's exp; < 0.9 ulp; exactly 0 for x <= -745.2)."""
    x = max(x, EXP_CLAMP)
    kf = math.floor(x * INV_LN2 + 0.5)
    r = (x - kf * LN2_HI) - kf * LN2_LO
    q = _C12 + r * _C13
    q = _C11 + r * q
    q = _C10 + r * q
    q = _C9 + r * q
    q = _C8 + r * q
    q = _C7 + r * q
    q = _C6 + r * q
    q = _C5 + r * q
    q = _C4 + r * q
    q = _C3 + r * q
    q = _C2 + r * q
    p = 1.0 + (r + (r * r) * q)
    scale = _bits_to_f64((np.int64(kf) + 1087) << 52)  # 2^(k + 64), always a normal number
    return (p * scale) * TWO_M64


@njit(inline="always", error_model="numpy", cache=True)
def sigmoid_neg(m):
    """sigma(-m) = 1 / (1 + exp(m)) by the contract's formula (step 2)."""
    e = exp_nonpos(-abs(m))
    num = e if m >= 0.0 else 1.0
    return num / (1.0 + e)


def exp_nonpos_py(x: float) -> float:
    """Plain-Python twin of :func:`exp_nonpos` (same operations, same bits)."""
    x = max(float(x), EXP_CLAMP)
    kf = float(math.floor(x * INV_LN2 + 0.5))
    r = (x - kf * LN2_HI) - kf * LN2_LO
    q = _C12 + r * _C13
    for c in (_C11, _C10, _C9, _C8, _C7, _C6, _C5, _C4, _C3, _C2):
        q = c + r * q
    p = 1.0 + (r + (r * r) * q)
    return (p * math.ldexp(1.0, int(kf) + 64)) * TWO_M64


def sigmoid_neg_py(m: float) -> float:
    """Plain-Python twin of :func:`sigmoid_neg`."""
    m = float(m)
    e = exp_nonpos_py(-abs(m))
    num = e if m >= 0.0 else 1.0
    return num / (1.0 + e)


@njit(error_model="numpy", cache=True)
def sigmoid_neg_array(m):
    """Vectorised :func:`sigmoid_neg` over a 1-D float64 array (for tests and measurements)."""
    out = np.empty_like(m)
    for i in range(m.shape[0]):
        out[i] = sigmoid_neg(m[i])
    return out


@njit(error_model="numpy", cache=True)
def exp_nonpos_array(x):
    """Vectorised :func:`exp_nonpos` over a 1-D float64 array (arguments must be <= 0)."""
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = exp_nonpos(x[i])
    return out


# --- one run ---------------------------------------------------------------------------------
STATUS_OK = 0
STATUS_NONFINITE = 1
W_MAX = 256  # full refresh at least every W_MAX steps (cost ~ one step; finds newly skippable rows)
BUDGET_FACTOR = 2.0  # drift budget B = 2 x the largest drift seen in the previous window


@njit(error_model="numpy", cache=True)
def certificate_constants(d):
    """(guard, drift_inflate) of the skip certificate for dimension d (see module docstring).

    guard multiplies sum_j |w_j x_ij| + |b| to cover the float margin's rounding at both times
    (2 gamma_{d+1} with room to spare); drift_inflate covers the rounding of ||theta - theta_r||.
    """
    return 4.0 * (d + 4) * ROUND_UNIT, 1.0 + 4.0 * (d + 4) * ROUND_UNIT


@njit(error_model="numpy", cache=True)
def _refresh(XT, y, zn, theta, budget, guard, act_idx):
    """Recompute all margins at theta; fill act_idx with rows that may not be skipped; return their count."""
    d, n = XT.shape
    b = theta[d]
    n_act = 0
    for i in range(n):
        z = theta[0] * XT[0, i]
        a = abs(theta[0] * XT[0, i])
        for j in range(1, d):
            z = z + theta[j] * XT[j, i]
            a = a + abs(theta[j] * XT[j, i])
        m = y[i] * (z + b)
        a = a + abs(b)
        rho = (m - M_ZERO - guard * a) / zn[i]
        if not (rho > budget):  # also keeps NaN rows active
            act_idx[n_act] = i
            n_act += 1
    return n_act


@njit(error_model="numpy", cache=True)
def advance_run(XT, XR, y, zn, theta, eta, mean, t_start, t_stop, ck, ck_pos, rec_w, rec_b, ctl, stats):
    """Advance one GD run from step t_start to t_stop in place, recording checkpoints.

    Args:
        XT: (d, N) inputs, transposed (C order); XR: (N, d) the same, row major.
        y: (N,) labels +-1.0; zn: (N,) upper bounds of ||(x_i, 1)||_2 (inflated for rounding).
        theta: (d+1,) [w, b], updated in place; eta: learning rate; mean: divide G by N.
        t_start, t_stop: steps already taken / to reach (t counts GD updates).
        ck: (K,) sorted checkpoint steps; ck_pos: index of the first unrecorded checkpoint.
        rec_w: (K, d), rec_b: (K,) checkpoint records, written at rows ck_pos...
        ctl: (1,) float64, largest drift of the last window (sets the budget; performance
            only, never changes a result).
        stats: (4,) int64 [exponentials evaluated, rows skipped, refreshes, status], accumulated.

    Returns:
        (new ck_pos, steps actually taken); stops early with status STATUS_NONFINITE if an
        update would leave the float64 range (theta keeps the last finite state).
    """
    d, n = XT.shape
    nf = float(n)
    guard, drift_inflate = certificate_constants(d)
    act_idx = np.empty(n, dtype=np.int64)
    AT = np.empty((d, n))
    AR = np.empty((n if d != 2 else 0, d))  # row-major copy for the generic-d gradient loop
    ya = np.empty(n)
    cbuf = np.empty(n)
    zbuf = np.empty(n)
    G = np.empty(d)
    theta_r = theta.copy()
    budget = 0.0
    max_drift = 0.0
    n_act = 0
    window = 0
    t = t_start
    while True:
        while ck_pos < ck.shape[0] and ck[ck_pos] == t:
            for j in range(d):
                rec_w[ck_pos, j] = theta[j]
            rec_b[ck_pos] = theta[d]
            ck_pos += 1
        if t >= t_stop:
            break
        # drift since the last refresh; refresh when the skip certificate could fail
        dd = 0.0
        for j in range(d + 1):
            dj = theta[j] - theta_r[j]
            dd += dj * dj
        drift = math.sqrt(dd) * drift_inflate
        if window > 0:
            max_drift = max(max_drift, drift)
        if window == 0 or drift > budget or window >= W_MAX:
            if window > 0:
                ctl[0] = max_drift
            budget = BUDGET_FACTOR * ctl[0]
            n_act = _refresh(XT, y, zn, theta, budget, guard, act_idx)
            if n_act == n:
                budget = math.inf  # nothing skipped: nothing to certify until the next refresh
            for k in range(n_act):
                i = act_idx[k]
                ya[k] = y[i]
                for j in range(d):
                    AT[j, k] = XT[j, i]
                if d != 2:
                    for j in range(d):
                        AR[k, j] = XR[i, j]
            for j in range(d + 1):
                theta_r[j] = theta[j]
            window = 0
            max_drift = 0.0
            stats[2] += 1
        b = theta[d]
        if d == 2:
            w0 = theta[0]
            w1 = theta[1]
            for k in range(n_act):
                m = ya[k] * ((w0 * AT[0, k] + w1 * AT[1, k]) + b)
                cbuf[k] = ya[k] * sigmoid_neg(m)
            g0 = 0.0
            g1 = 0.0
            gb = 0.0
            for k in range(n_act):
                c = cbuf[k]
                g0 = g0 + c * AT[0, k]
                g1 = g1 + c * AT[1, k]
                gb = gb + c
            G[0] = g0
            G[1] = g1
        else:
            w0 = theta[0]
            for k in range(n_act):
                zbuf[k] = w0 * AT[0, k]
            for j in range(1, d):
                wj = theta[j]
                for k in range(n_act):
                    zbuf[k] = zbuf[k] + wj * AT[j, k]
            for k in range(n_act):
                m = ya[k] * (zbuf[k] + b)
                cbuf[k] = ya[k] * sigmoid_neg(m)
            for j in range(d):
                G[j] = 0.0
            gb = 0.0
            for k in range(n_act):
                c = cbuf[k]
                for j in range(d):
                    G[j] = G[j] + c * AR[k, j]
                gb = gb + c
        if mean:
            for j in range(d):
                G[j] = G[j] / nf
            gb = gb / nf
        finite = True
        for j in range(d):
            v = theta[j] + eta * G[j]
            finite = finite and math.isfinite(v)
        vb = b + eta * gb
        finite = finite and math.isfinite(vb)
        if not finite:
            stats[3] = STATUS_NONFINITE
            break
        for j in range(d):
            theta[j] = theta[j] + eta * G[j]
        theta[d] = vb
        stats[0] += n_act
        stats[1] += n - n_act
        window += 1
        t += 1
    return ck_pos, t - t_start


@njit(error_model="numpy", cache=True, parallel=True)
def advance_batch(XT3, XR3, Y, ZN, Theta, etas, mean, t_start, t_stop, ck, ck_pos, RecW, RecB, Ctl, Stats, taken):
    """:func:`advance_run` for R independent runs in parallel (prange over runs; bitwise the same per run)."""
    for r in prange(XT3.shape[0]):
        pos, steps = advance_run(
            XT3[r], XR3[r], Y[r], ZN[r], Theta[r], etas[r], mean, t_start, t_stop,
            ck, ck_pos[r], RecW[r], RecB[r], Ctl[r], Stats[r],
        )
        ck_pos[r] = pos
        taken[r] = steps
