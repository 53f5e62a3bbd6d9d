"""Gradient descent on the summed logistic loss at three working precisions, and the precision horizon.

One iteration, eqs. (3)-(5) of arXiv:2602.08302, with the bias learned:

    m_i = y_i (w^T x_i + b),    c_i = y_i sigma(-m_i) = -y_i l'(m_i),    l(u) = log(1 + e^{-u})
    G = sum_i c_i x_i,  G_b = sum_i c_i,    w <- w + eta G,    b <- b + eta G_b   (reduction "sum")

(with reduction "mean", G / N and G_b / N), started from w = 0, b = 0. All engines here follow
the arithmetic contract of :mod:`numerics.engine_kernels` (the production float64 engine
:func:`numerics.engine.run_gd`), *the same operations in the same order*: ``z = w_0 x_i0``, then
``z += w_j x_ij`` for j = 1..d-1, ``m = y_i (z + b)``; the sums G start at 0 and add the rows in
index order; then w and b are updated. The engines differ only in the precision of every operation:

* :func:`run_gd_float64`  -- IEEE float64 with the contract's own exp: bit for bit equal to
  :func:`numerics.engine.run_gd` (checked in checks/test_highprec.py);
* :func:`run_gd_dd`       -- double-double (~106 bits, :mod:`numerics.ddarith`), numba-compiled;
  about 1 microsecond per data point per step (N = 200 and 1e5 steps: about 20 s on one core);
* :func:`run_gd_mpmath`   -- mpmath at any number of decimal digits (slow; tiny problems only).

The data X, y and the step size eta are float64 numbers and are used *exactly* by every engine:
eta = 0.01 means the float64 number nearest to 1/100, for the reference too.

Iterates are returned at the requested checkpoints (t counts GD steps from the start state) as
double-double pairs ``hi + lo``; a run at more than ~32 digits is rounded to that on output, which
is enough for every comparison made here (agreement tolerances are far above 1e-30).

:func:`precision_horizon` reruns at twice the precision (float64 -> double-double -> mpmath at
64 digits -> mpmath at 2n digits) and reports up to which checkpoint the two agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np
from numba import njit

from numerics.ddarith import dd_add, dd_div_d, dd_mul_d, dd_sigmoid
from numerics.engine_kernels import sigmoid_neg

__all__ = [
    "GDState",
    "PrecisionHorizon",
    "PrecisionTrajectory",
    "doubled_precision",
    "precision_horizon",
    "relative_theta_difference",
    "run_gd_at_precision",
    "run_gd_dd",
    "run_gd_float64",
    "run_gd_mpmath",
]

_REDUCTIONS = ("sum", "mean")
_DD_BITS = 106  # double-double significand: two 53-bit significands
_DEFAULT_HORIZON_RTOL = 1e-6


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GDState:
    """A GD iterate theta = (w, b) stored as double-double pairs (exact for float64 states).

    Attributes:
        w_hi, w_lo: (d,) leading and trailing parts of w.
        b_hi, b_lo: leading and trailing parts of b (floats).
    """

    w_hi: np.ndarray
    w_lo: np.ndarray
    b_hi: float
    b_lo: float

    @classmethod
    def zeros(cls, d: int) -> "GDState":
        """w = 0, b = 0: the initialisation of eq. (5) of arXiv:2602.08302."""
        return cls(np.zeros(d), np.zeros(d), 0.0, 0.0)

    @classmethod
    def from_float(cls, w, b) -> "GDState":
        """The exact state of float64 values w (d,) and b."""
        w = np.array(w, dtype=np.float64)
        if w.ndim != 1 or not np.all(np.isfinite(w)) or not math.isfinite(float(b)):
            raise ValueError("`w` must be a finite 1-D array and `b` a finite number")
        return cls(w, np.zeros_like(w), float(b), 0.0)


@dataclass(frozen=True)
class PrecisionTrajectory:
    """GD iterates at checkpoints, from one of the engines of this module.

    Attributes:
        t: (K,) int64, checkpoints; t counts GD steps from the start state.
        w_hi, w_lo: (K, d) w(t) as double-double pairs (lo = 0 for the float64 engine).
        b_hi, b_lo: (K,) b(t) likewise.
        arithmetic: "float64", "double-double" or "mpmath-<digits>".
        bits: significand bits of the working arithmetic (53, 106, or mpmath's ``prec``).
        eta: the float64 step size (used exactly).
        reduction: "sum" (eq. (3), the paper's) or "mean".
    """

    t: np.ndarray
    w_hi: np.ndarray
    w_lo: np.ndarray
    b_hi: np.ndarray
    b_lo: np.ndarray
    arithmetic: str
    bits: int
    eta: float
    reduction: str

    @property
    def w(self) -> np.ndarray:
        """(K, d) float64 values of w(t)."""
        return self.w_hi + self.w_lo

    @property
    def b(self) -> np.ndarray:
        """(K,) float64 values of b(t)."""
        return self.b_hi + self.b_lo

    def state_at(self, k: int) -> GDState:
        """The iterate at the k-th checkpoint, e.g. to resume a run from there."""
        return GDState(self.w_hi[k].copy(), self.w_lo[k].copy(), float(self.b_hi[k]), float(self.b_lo[k]))


@dataclass(frozen=True)
class PrecisionHorizon:
    """Where a GD run stops being converged in precision (see :func:`precision_horizon`).

    Attributes:
        t: (K,) checkpoints (GD steps).
        rel_diff: (K,) ||theta_p(t) - theta_2p(t)|| / ||theta_2p(t)||, theta = (w, b), 2-norm.
        agrees: (K,) rel_diff <= rtol.
        horizon: last checkpoint up to which *every* checkpoint agrees; -1 if the first does not.
        first_disagreement: first checkpoint that does not agree; -1 if all agree.
        rtol: the agreement tolerance.
        precision, reference_precision: the two precisions compared (see :func:`run_gd_at_precision`).
        run, reference: the two trajectories.
    """

    t: np.ndarray
    rel_diff: np.ndarray
    agrees: np.ndarray
    horizon: int
    first_disagreement: int
    rtol: float
    precision: object
    reference_precision: object
    run: PrecisionTrajectory
    reference: PrecisionTrajectory


# --- validation --------------------------------------------------------------------------------


def _validate(X, y, eta, checkpoints, reduction, start):
    X = np.ascontiguousarray(X, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"`X` must be a non-empty (N, d) array, got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("`X` must be finite, got non-finite entries")
    if y.shape != (X.shape[0],):
        raise ValueError(f"`y` must have shape ({X.shape[0]},) to match `X`, got {y.shape}")
    if not np.all(np.abs(y) == 1.0):
        raise ValueError("`y` must contain only labels -1 and +1")
    eta = float(eta)
    if not (math.isfinite(eta) and eta > 0):
        raise ValueError(f"`eta` must be positive and finite, got {eta}")
    cp = np.asarray(checkpoints)
    if cp.ndim != 1 or cp.size == 0:
        raise ValueError("`checkpoints` must be a non-empty list of step counts")
    if not np.all(cp == np.round(cp)) or np.any(cp < 0):
        raise ValueError("`checkpoints` must be non-negative integers (GD step counts)")
    cp = cp.astype(np.int64)
    if np.any(np.diff(cp) <= 0):
        raise ValueError("`checkpoints` must be strictly increasing")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"`reduction` must be 'sum' or 'mean', got {reduction!r}")
    if start is None:
        start = GDState.zeros(X.shape[1])
    if start.w_hi.shape != (X.shape[1],):
        raise ValueError(f"`start` must have d = {X.shape[1]} weights, got {start.w_hi.shape}")
    return X, y, eta, cp, start


def _empty(K, d):
    return np.empty((K, d)), np.zeros((K, d)), np.empty(K), np.zeros(K)


# --- float64 engine ----------------------------------------------------------------------------


@njit(cache=True)
def _gd_float64_kernel(X, y, eta, mean, w, b, checkpoints, out_w, out_b):
    N, d = X.shape
    G = np.empty(d)
    t = 0
    for k in range(checkpoints.size):
        while t < checkpoints[k]:
            G[:] = 0.0
            Gb = 0.0
            for i in range(N):
                z = w[0] * X[i, 0]
                for j in range(1, d):
                    z += w[j] * X[i, j]
                c = y[i] * sigmoid_neg(y[i] * (z + b))  # c_i = y_i sigma(-m_i)
                for j in range(d):
                    G[j] += c * X[i, j]
                Gb += c
            if mean:
                for j in range(d):
                    w[j] += eta * (G[j] / N)
                b += eta * (Gb / N)
            else:
                for j in range(d):
                    w[j] += eta * G[j]
                b += eta * Gb
            t += 1
        out_w[k, :] = w
        out_b[k] = b


def run_gd_float64(X, y, *, eta, checkpoints, reduction="sum", start=None) -> PrecisionTrajectory:
    """GD of eqs. (3)-(5) of arXiv:2602.08302 in float64, same operation order as :func:`run_gd_dd`.

    Args:
        X: (N, d) inputs.  y: (N,) labels in {-1, +1}.
        eta: step size (float64).
        checkpoints: strictly increasing step counts t >= 0 at which to record (t counts GD steps).
        reduction: "sum" (the paper's eq. (3)) or "mean".
        start: initial :class:`GDState` (default w = 0, b = 0); its lo parts are dropped.

    Returns:
        :class:`PrecisionTrajectory` with arithmetic "float64" and lo parts zero.

    Raises:
        ValueError: on malformed or non-finite input.
    """
    X, y, eta, cp, start = _validate(X, y, eta, checkpoints, reduction, start)
    w_hi, w_lo, b_hi, b_lo = _empty(cp.size, X.shape[1])
    w = (start.w_hi + start.w_lo).copy()
    _gd_float64_kernel(X, y, eta, reduction == "mean", w, start.b_hi + start.b_lo, cp, w_hi, b_hi)
    return PrecisionTrajectory(cp, w_hi, w_lo, b_hi, b_lo, "float64", 53, eta, reduction)


# --- double-double engine ----------------------------------------------------------------------


@njit(cache=True)
def _gd_dd_kernel(X, y, eta, mean, w_hi, w_lo, b_hi, b_lo, checkpoints, out_wh, out_wl, out_bh, out_bl):
    N, d = X.shape
    gwh = np.empty(d)
    gwl = np.empty(d)
    t = 0
    for k in range(checkpoints.size):
        while t < checkpoints[k]:
            gwh[:] = 0.0
            gwl[:] = 0.0
            gbh, gbl = 0.0, 0.0
            for i in range(N):
                zh, zl = dd_mul_d(w_hi[0], w_lo[0], X[i, 0])
                for j in range(1, d):
                    ph, pl = dd_mul_d(w_hi[j], w_lo[j], X[i, j])
                    zh, zl = dd_add(zh, zl, ph, pl)
                zh, zl = dd_add(zh, zl, b_hi, b_lo)
                yi = y[i]  # +-1: multiplying by it is exact
                ch, cl = dd_sigmoid(-yi * zh, -yi * zl)  # sigma(-m_i)
                ch, cl = yi * ch, yi * cl  # c_i = y_i sigma(-m_i)
                for j in range(d):
                    ph, pl = dd_mul_d(ch, cl, X[i, j])
                    gwh[j], gwl[j] = dd_add(gwh[j], gwl[j], ph, pl)
                gbh, gbl = dd_add(gbh, gbl, ch, cl)
            if mean:
                for j in range(d):
                    gwh[j], gwl[j] = dd_div_d(gwh[j], gwl[j], float(N))
                gbh, gbl = dd_div_d(gbh, gbl, float(N))
            for j in range(d):
                ph, pl = dd_mul_d(gwh[j], gwl[j], eta)
                w_hi[j], w_lo[j] = dd_add(w_hi[j], w_lo[j], ph, pl)
            ph, pl = dd_mul_d(gbh, gbl, eta)
            b_hi, b_lo = dd_add(b_hi, b_lo, ph, pl)
            t += 1
        out_wh[k, :] = w_hi
        out_wl[k, :] = w_lo
        out_bh[k] = b_hi
        out_bl[k] = b_lo


def run_gd_dd(X, y, *, eta, checkpoints, reduction="sum", start=None) -> PrecisionTrajectory:
    """GD of eqs. (3)-(5) of arXiv:2602.08302 in double-double arithmetic (~32 digits).

    Every operation of :func:`run_gd_float64` is replaced by its double-double counterpart
    (relative error per operation <= ~5 * 2**-104, sigmoid ~ 3e-31), in the same order.

    Args: as :func:`run_gd_float64`; ``start`` keeps its lo parts (resuming is exact).

    Returns:
        :class:`PrecisionTrajectory` with arithmetic "double-double", bits 106.

    Raises:
        ValueError: on malformed or non-finite input.
    """
    X, y, eta, cp, start = _validate(X, y, eta, checkpoints, reduction, start)
    w_hi, w_lo, b_hi, b_lo = _empty(cp.size, X.shape[1])
    _gd_dd_kernel(
        X, y, eta, reduction == "mean", start.w_hi.copy(), start.w_lo.copy(), start.b_hi, start.b_lo,
        cp, w_hi, w_lo, b_hi, b_lo,
    )
    return PrecisionTrajectory(cp, w_hi, w_lo, b_hi, b_lo, "double-double", _DD_BITS, eta, reduction)


# --- mpmath engine -----------------------------------------------------------------------------


def _round_to_dd(v):
    hi = float(v)
    return hi, float(v - hi)


def run_gd_mpmath(X, y, *, eta, checkpoints, dps, reduction="sum", start=None) -> PrecisionTrajectory:
    """GD of eqs. (3)-(5) of arXiv:2602.08302 in mpmath at ``dps`` decimal digits (slow).

    Same operations in the same order as :func:`run_gd_float64`; about 20 microseconds per data
    point per step, so only for tiny problems (N * steps up to ~1e5).

    Args: as :func:`run_gd_float64`, plus
        dps: working decimal digits (>= 16), set with ``mpmath.workdps`` for this call only.

    Returns:
        :class:`PrecisionTrajectory` with arithmetic "mpmath-<dps>", values rounded to double-double.

    Raises:
        ValueError: on malformed or non-finite input or ``dps < 16``.
    """
    X, y, eta, cp, start = _validate(X, y, eta, checkpoints, reduction, start)
    if int(dps) != dps or dps < 16:
        raise ValueError(f"`dps` must be an integer >= 16, got {dps}")
    N, d = X.shape
    w_hi, w_lo, b_hi, b_lo = _empty(cp.size, d)
    with mpmath.workdps(int(dps)):
        bits = mpmath.mp.prec
        one = mpmath.mpf(1)
        Xm = [[mpmath.mpf(float(v)) for v in row] for row in X]
        ym = [mpmath.mpf(float(v)) for v in y]
        etam = mpmath.mpf(eta)
        w = [mpmath.mpf(float(h)) + mpmath.mpf(float(l)) for h, l in zip(start.w_hi, start.w_lo)]
        b = mpmath.mpf(start.b_hi) + mpmath.mpf(start.b_lo)
        t = 0
        for k, target in enumerate(cp):
            while t < target:
                G = [mpmath.mpf(0)] * d
                Gb = mpmath.mpf(0)
                for i in range(N):
                    z = w[0] * Xm[i][0]
                    for j in range(1, d):
                        z += w[j] * Xm[i][j]
                    c = ym[i] / (one + mpmath.exp(ym[i] * (z + b)))  # y_i sigma(-m_i); no overflow in mpmath
                    for j in range(d):
                        G[j] += c * Xm[i][j]
                    Gb += c
                if reduction == "mean":
                    G = [g / N for g in G]
                    Gb = Gb / N
                w = [wj + etam * gj for wj, gj in zip(w, G)]
                b = b + etam * Gb
                t += 1
            for j in range(d):
                w_hi[k, j], w_lo[k, j] = _round_to_dd(w[j])
            b_hi[k], b_lo[k] = _round_to_dd(b)
    return PrecisionTrajectory(cp, w_hi, w_lo, b_hi, b_lo, f"mpmath-{int(dps)}", bits, eta, reduction)


# --- precision ladder --------------------------------------------------------------------------


def _check_precision(precision):
    if precision in ("float64", "dd"):
        return precision
    if isinstance(precision, (int, np.integer)) and not isinstance(precision, bool) and precision >= 16:
        return int(precision)
    raise ValueError(f"`precision` must be 'float64', 'dd' or an integer number of digits >= 16, got {precision!r}")


def doubled_precision(precision):
    """The precision with twice the significand: float64 -> "dd" -> 64 digits -> 2n digits.

    "dd" (106 bits, ~32 digits) doubles to mpmath at 64 decimal digits (213 bits).
    """
    precision = _check_precision(precision)
    if precision == "float64":
        return "dd"
    if precision == "dd":
        return 64
    return 2 * precision


def run_gd_at_precision(X, y, *, eta, checkpoints, precision, reduction="sum", start=None) -> PrecisionTrajectory:
    """Dispatch to the engine for ``precision``: "float64", "dd", or an int (mpmath digits)."""
    precision = _check_precision(precision)
    kwargs = dict(eta=eta, checkpoints=checkpoints, reduction=reduction, start=start)
    if precision == "float64":
        return run_gd_float64(X, y, **kwargs)
    if precision == "dd":
        return run_gd_dd(X, y, **kwargs)
    return run_gd_mpmath(X, y, dps=precision, **kwargs)


def relative_theta_difference(run: PrecisionTrajectory, ref: PrecisionTrajectory) -> np.ndarray:
    """(K,) ||theta_run(t) - theta_ref(t)||_2 / ||theta_ref(t)||_2 with theta = (w, b).

    Differences are formed part by part, (hi - hi') + (lo - lo'), so relative differences down
    to ~1e-30 are resolved. 0 where both are exactly equal (e.g. t = 0); inf where the
    reference is 0 and the run is not.

    Raises:
        ValueError: if the checkpoints differ.
    """
    if not np.array_equal(run.t, ref.t):
        raise ValueError("`run` and `ref` must have the same checkpoints")
    dw = (run.w_hi - ref.w_hi) + (run.w_lo - ref.w_lo)
    db = (run.b_hi - ref.b_hi) + (run.b_lo - ref.b_lo)
    num = np.sqrt(np.sum(dw**2, axis=1) + db**2)
    den = np.sqrt(np.sum(ref.w**2, axis=1) + ref.b**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = num / den
    rel = np.where(num == 0.0, 0.0, rel)
    return np.where((den == 0.0) & (num > 0.0), np.inf, rel)


def precision_horizon(
    X, y, *, eta, checkpoints, precision="float64", rtol=_DEFAULT_HORIZON_RTOL, reduction="sum"
) -> PrecisionHorizon:
    """Up to which checkpoint a GD run at ``precision`` is converged in precision.

    A run is converged in precision at step t when a rerun at twice the precision
    (:func:`doubled_precision`) agrees there:
    ``||theta_p(t) - theta_2p(t)|| / ||theta_2p(t)|| <= rtol``, theta = (w, b). The horizon is
    the last checkpoint up to which all checkpoints agree. The default ``rtol = 1e-6`` asks for six
    correct digits of theta, more than any tabulated or plotted quantity of the paper needs.

    Args:
        X, y, eta, checkpoints, reduction: as :func:`run_gd_float64`.
        precision: "float64", "dd" or int digits (mpmath).
        rtol: agreement tolerance on the relative difference of theta, in (0, 1).

    Returns:
        :class:`PrecisionHorizon`.

    Raises:
        ValueError: on malformed input or ``rtol`` outside (0, 1).
    """
    rtol = float(rtol)
    if not (0.0 < rtol < 1.0):
        raise ValueError(f"`rtol` must lie in (0, 1), got {rtol}")
    precision = _check_precision(precision)
    reference_precision = doubled_precision(precision)
    kwargs = dict(eta=eta, checkpoints=checkpoints, reduction=reduction)
    run = run_gd_at_precision(X, y, precision=precision, **kwargs)
    ref = run_gd_at_precision(X, y, precision=reference_precision, **kwargs)
    rel = relative_theta_difference(run, ref)
    agrees = rel <= rtol
    bad = np.flatnonzero(~agrees)
    if bad.size == 0:
        horizon, first_bad = int(run.t[-1]), -1
    else:
        horizon = int(run.t[bad[0] - 1]) if bad[0] > 0 else -1
        first_bad = int(run.t[bad[0]])
    return PrecisionHorizon(run.t, rel, agrees, horizon, first_bad, rtol, precision, reference_precision, run, ref)
