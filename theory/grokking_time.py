"""Test-time predictions: Theorem 4.6 of arXiv:2602.08302, the concentrated-test accuracy of its
proof (Appendix A.2), and the exact first-hit time of the asymptotic hyperplane on a test set.

Time unit: ``t`` (and T_te) counts the paper's time variable; the asymptotic hyperplane
theta(t) = theta_hat log t + theta_tilde is Soudry et al.'s statement in GD steps for the given
eta (theory.residual: theta_tilde(eta) = theta_tilde(1) + log(eta) theta_hat, i.e. eta only
rescales time). s = log t is used internally; t >= 1 means s >= 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from theory.validation import dataset, finite_array, finite_scalar, positive_scalar

__all__ = [
    "TestTimeBounds",
    "ConcentratedAccuracy",
    "AccuracyCurve",
    "theorem_4_6_test_time",
    "concentrated_test_accuracy",
    "asymptotic_test_time",
    "curve_accuracy",
]

# Accuracy a counts as reaching (1 - eps) * sup when sup - a <= eps * sup * (1 + REACH_RTOL):
# (1 - eps) * sup is rarely representable (0.999 * 1000 = 999.0000000000001), so exact comparison
# would miss exact hits; 1e-12 is far above that rounding and far below 1 / (number of test points).
REACH_RTOL = 1e-12


def _exp_or_inf(v: float) -> float:
    """e^v in float64, inf where it overflows (v > log(DBL_MAX) = 709.78...)."""
    try:
        return math.exp(v)
    except OverflowError:
        return math.inf


@dataclass(frozen=True)
class TestTimeBounds:
    """Theorem 4.6: log T_te and its bounds; T = exp(log T) (inf past float range)."""

    __test__ = False  # not a pytest test class despite the name

    exponent: float  # |log delta| / (1 + 2 eps (2 alpha - 1))
    log_T_headline: float  # = exponent ("for small enough gamma")
    log_T_lower: float  # exponent - gamma B / 2
    log_T_upper: float  # exponent + gamma B / 2
    T_headline: float
    T_lower: float
    T_upper: float
    critical_offset: float  # |b| / ||w|| at which Q = 1 - eps: (gamma/2)(1 + 2 eps (2 alpha - 1)), units of x


@dataclass(frozen=True)
class ConcentratedAccuracy:
    """Q(offset) of Appendix A.2 on the concentrated test distribution."""

    offset: np.ndarray  # |b| / ||w||, units of x
    accuracy: np.ndarray  # in [1/2, 1]
    gamma: float
    alpha: float


@dataclass(frozen=True)
class AccuracyCurve:
    """Exact test accuracy of theta(t) = theta_hat log t + theta_tilde as a function of s = log t >= 0.

    The accuracy is constant on the open intervals (0, s_1), (s_1, s_2), ..., (s_k, inf) between
    the sorted crossing points ``breakpoints`` = (s_1 < ... < s_k), and may be lower exactly at
    s = 0 and at each breakpoint (a point with decision value 0 counts as wrong).
    """

    breakpoints: np.ndarray  # (k,) s = log t where some test point's correctness changes, > 0
    interval_accuracy: np.ndarray  # (k + 1,) on (0, s_1), ..., (s_k, inf)
    point_accuracy: np.ndarray  # (k + 1,) at s = 0, s_1, ..., s_k
    sup_accuracy: float  # sup over s in [0, inf) (attained on an interval)
    limit_accuracy: float  # s -> inf, from the signs of y (w_hat^T x + b_hat) (and theta_tilde on ties)
    eps: float
    first_s: float  # inf{s >= 0 : accuracy(s) >= (1 - eps) sup}
    first_attained: bool  # True if accuracy(first_s) itself reaches it; else only for s just above
    first_t: float  # exp(first_s), GD steps (inf past float range)
    first_step: float  # smallest integer n >= 1 with accuracy(log n) >= (1 - eps) sup (integer-valued float; beyond 2^53, fl(e^s) at the crossing)
    n_test: int


def theorem_4_6_test_time(delta, eps, alpha, *, gamma, B) -> TestTimeBounds:
    """Grokking test time of Theorem 4.6 of arXiv:2602.08302 and its bounds.

    Formula: E = |log delta| / (1 + 2 eps (2 alpha - 1));
    exp(E - gamma B / 2) <= T_te(eps) <= exp(E + gamma B / 2); headline T_te = exp(E).
    Proof (A.2): Q = 1 - eps at offset |b|/||w|| = (gamma/2)(1 + 2 eps (2 alpha - 1)) with
    |b| = |log delta| and (2/gamma) log T - B <= ||w(T)|| <= (2/gamma) log T + B.

    Args:
        delta: sqrt(A_S^- / A_S^+) > 0 (Theorem 4.5).
        eps: accuracy tolerance in [0, 1).
        alpha: sensitivity of the concentrated test set, > 1/2 (band gamma/2 .. alpha gamma).
        gamma: margin width > 0 (units of x).
        B: bound on ||rho(t)|| (Theorem 4.1), >= 0 (units 1/x).

    Returns:
        :class:`TestTimeBounds`; T in the paper's time unit (GD steps in Table 1).

    >>> r = theorem_4_6_test_time(math.e**-3, 0.0, 10.0, gamma=1e-3, B=0.0)
    >>> r.log_T_headline, r.T_lower == r.T_upper
    (3.0, True)
    """
    delta = positive_scalar("delta", delta)
    eps = finite_scalar("eps", eps)
    if not 0.0 <= eps < 1.0:
        raise ValueError(f"`eps` must be in [0, 1), got {eps!r}")
    alpha = finite_scalar("alpha", alpha)
    if alpha <= 0.5:
        raise ValueError(f"`alpha` must exceed 1/2 (the test band is gamma/2 .. alpha gamma), got {alpha!r}")
    gamma = positive_scalar("gamma", gamma)
    B = finite_scalar("B", B)
    if B < 0:
        raise ValueError(f"`B` must be non-negative (a bound on ||rho||), got {B!r}")
    factor = 1.0 + 2.0 * eps * (2.0 * alpha - 1.0)
    E = abs(math.log(delta)) / factor
    lo, hi = E - gamma * B / 2.0, E + gamma * B / 2.0
    return TestTimeBounds(
        exponent=E, log_T_headline=E, log_T_lower=lo, log_T_upper=hi,
        T_headline=_exp_or_inf(E), T_lower=_exp_or_inf(lo), T_upper=_exp_or_inf(hi),
        critical_offset=gamma / 2.0 * factor,
    )


def concentrated_test_accuracy(offset, gamma, alpha) -> ConcentratedAccuracy:
    """Test accuracy Q on the concentrated distribution vs the hyperplane offset (Appendix A.2).

    Formula: Q = 1 for offset <= gamma/2; Q = 1 - (offset - gamma/2) / (2 (alpha gamma - gamma/2))
    for gamma/2 < offset <= alpha gamma; Q = 1/2 beyond (continuous at both ends). It assumes
    the hyperplane is parallel to the true one, shifted by ``offset``, test points uniform in
    w_true^T x within the band [gamma/2, alpha gamma] of each class, balanced classes.

    Args:
        offset: |b| / ||w|| >= 0, scalar or array (units of x).
        gamma: margin width > 0; alpha: sensitivity > 1/2.

    Returns:
        :class:`ConcentratedAccuracy` (``accuracy`` shaped like ``offset``).
    """
    off = finite_array("offset", offset)
    if np.any(off < 0):
        raise ValueError("`offset` must be non-negative (it is |b| / ||w||)")
    gamma = positive_scalar("gamma", gamma)
    alpha = finite_scalar("alpha", alpha)
    if alpha <= 0.5:
        raise ValueError(f"`alpha` must exceed 1/2 (the test band is gamma/2 .. alpha gamma), got {alpha!r}")
    width = alpha * gamma - gamma / 2.0
    q = 1.0 - np.clip(off - gamma / 2.0, 0.0, width) / (2.0 * width)
    return ConcentratedAccuracy(offset=off, accuracy=q, gamma=gamma, alpha=alpha)


def _first_integer_in(a: float, b: float, closed_left: bool) -> float:
    """Smallest integer n >= 1 with a < log n < b (a <= log n if closed_left); nan if none.

    Requires 0 <= a < b (breakpoints). log n is float64 ``math.log``, the s at which the accuracy
    of step n is evaluated. Below 2^53 every integer is a float and the search is exact: start at
    floor(e^a) and step past the rounding of exp. From 2^53 on, floats are >= 2 apart and n + 1
    would stall; there b >= a + ulp(a) >= a + 7e-15 makes (e^a, e^b) span >= 30 floats, so
    fl(e^a), within one ulp of e^a, is the answer up to the resolution (inf past float range).
    """
    ea = _exp_or_inf(a)
    if ea >= 2.0**53:
        return ea

    def past_left_end(m):
        return math.log(m) >= a if closed_left else math.log(m) > a

    n = math.floor(ea)  # >= 1 because a >= 0; off by the rounding of exp and log at most
    if past_left_end(n):
        while n > 1.0 and past_left_end(n - 1.0):
            n -= 1.0
    else:
        while not past_left_end(n):
            n += 1.0
    return n if math.log(n) < b else math.nan


def asymptotic_test_time(w_hat, b_hat, w_tilde, b_tilde, X_test, y_test, eps) -> AccuracyCurve:
    """Exact first time the asymptotic hyperplane reaches (1 - eps) of its best test accuracy.

    theta(t) = theta_hat log t + theta_tilde (Theorems 4.1-4.2 of arXiv:2602.08302, augmented).
    Test point i has margin m_i(s) = p_i s + q_i with s = log t, p_i = y_i (w_hat^T x_i + b_hat),
    q_i = y_i (w_tilde^T x_i + b_tilde); it is correct iff m_i(s) > 0 (sign(0) counts as WRONG).
    Its correctness can change only at s_i = -q_i / p_i, so the accuracy is piecewise constant
    with breakpoints at the positive s_i; it is swept exactly (sorting + counting), including
    the limit s -> inf. Definition 3.4's T_te(eps) is computed for this hyperplane.

    Args:
        w_hat, w_tilde: (d,) arrays (units 1/x); b_hat, b_tilde: floats.
        X_test: (m, d) test inputs; y_test: (m,) labels in {-1, +1}.
        eps: in [0, 1).

    Returns:
        :class:`AccuracyCurve`.
    """
    X, y = dataset(X_test, y_test, X_name="X_test", y_name="y_test")
    d = X.shape[1]
    wh = finite_array("w_hat", w_hat, ndim=1)
    wt = finite_array("w_tilde", w_tilde, ndim=1)
    if wh.shape[0] != d or wt.shape[0] != d:
        raise ValueError(f"`w_hat` and `w_tilde` must have length {d} (columns of X_test)")
    bh, bt = finite_scalar("b_hat", b_hat), finite_scalar("b_tilde", b_tilde)
    eps = finite_scalar("eps", eps)
    if not 0.0 <= eps < 1.0:
        raise ValueError(f"`eps` must be in [0, 1), got {eps!r}")
    m = X.shape[0]
    p = y * (X @ wh + bh)
    q = y * (X @ wt + bt)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        r = -q / p
    rp = np.sort(r[p > 0])  # correct for s > r
    rn = np.sort(r[p < 0])  # correct for s < r
    const = int(np.count_nonzero((p == 0) & (q > 0)))
    U = np.unique(np.concatenate([rp, rn]))
    U = U[(U > 0) & np.isfinite(U)]
    lefts = np.concatenate([[0.0], U])
    rights = np.concatenate([U, [np.inf]])
    interval = np.searchsorted(rp, lefts, "right") + (rn.size - np.searchsorted(rn, rights, "left")) + const
    point = np.searchsorted(rp, lefts, "left") + (rn.size - np.searchsorted(rn, lefts, "right")) + const
    sup = int(interval.max())
    limit = int(np.count_nonzero((p > 0) | ((p == 0) & (q > 0))))

    def reaches(count):
        return sup - count <= eps * sup * (1.0 + REACH_RTOL)

    first_s, attained, first_step = math.inf, False, math.nan
    for j in range(U.size + 1):  # point lefts[j], then interval (lefts[j], rights[j])
        if reaches(point[j]) and math.isinf(first_s):
            first_s, attained = float(lefts[j]), True
        if reaches(interval[j]):  # (point <= interval on both sides, so point[0] reaching gives n = 1 here)
            if math.isinf(first_s):
                first_s, attained = float(lefts[j]), False
            n = _first_integer_in(float(lefts[j]), float(rights[j]), closed_left=bool(reaches(point[j])))
            if not math.isnan(n):
                first_step = n
                break
    first_t = _exp_or_inf(first_s)
    return AccuracyCurve(
        breakpoints=U, interval_accuracy=interval / m, point_accuracy=point / m, sup_accuracy=sup / m,
        limit_accuracy=limit / m, eps=eps, first_s=first_s, first_attained=attained, first_t=first_t,
        first_step=first_step if not math.isnan(first_step) else math.inf, n_test=m,
    )


def curve_accuracy(curve: AccuracyCurve, s) -> np.ndarray:
    """Evaluate an :class:`AccuracyCurve` at s = log t >= 0 (array), honouring point values."""
    s = finite_array("s", s, allow_inf=True)
    if np.any(s < 0):
        raise ValueError("`s` must be >= 0 (t >= 1)")
    lefts = np.concatenate([[0.0], curve.breakpoints])
    j = np.searchsorted(lefts, s, "right") - 1
    on_point = lefts[j] == s
    return np.where(on_point, curve.point_accuracy[j], curve.interval_accuracy[j])
