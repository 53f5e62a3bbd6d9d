"""Late-time bias dynamics: the closed form eq. (11) and the ODE eq. (10) of arXiv:2602.08302.

Theorem 4.5 (exponential loss, gradient flow, late phase) says the bias obeys

    (10)  db/dt = (1/t) (A_+ e^{-b} - A_- e^{b}),                         t >= t0,
    (11)  b(t) = log( [(1 + delta e^{b0}) e^{g} - (1 - delta e^{b0})]
                     / [(1 + delta e^{b0}) e^{g} + (1 - delta e^{b0})] ) - log delta,

with delta = sqrt(A_- / A_+), g(t) = 2 sqrt(A_+ A_-) log(t / t0) and limit b_inf = -log delta.

Units. ``t`` and ``t0`` are in the time unit of eq. (10) (the paper's "t", a gradient-flow
time; whether it equals GD steps or eta * steps is an open point of the notes). Only the
ratio t/t0 enters. ``A_plus``, ``A_minus`` are dimensionless sums of exponentials; ``b`` is the
bias (dimensionless, units of the logit).

Stable form. With c0 = b0 - b_inf and k = (1 - delta e^{b0}) / (1 + delta e^{b0})
= -tanh(c0 / 2), dividing numerator and denominator of (11) by (1 + delta e^{b0}) e^{g} gives

    b - b_inf = log( (1 - k e^{-g}) / (1 + k e^{-g}) ) = 2 sign(c0) artanh(tau e^{-g}),
    tau = tanh(|c0| / 2).

(Mind the sign: log((1 + k e^{-g})/(1 - k e^{-g})) would give b(t0) = 2 b_inf - b0, not b0.)
We evaluate 2 artanh(x) = log1p(2x / (1 - x))
with 1 - x formed without cancellation,

    1 - tau e^{-g} = [ -expm1(-g) + e^{-|c0|} (1 + e^{-g}) ] / (1 + e^{-|c0|}),

a sum of non-negative terms, so the deviation b - b_inf keeps full relative accuracy for every
g in [0, inf] and every c0, apart from the unavoidable conditioning with respect to the inputs
(d log|b - b_inf| / d log g is about g, so rounding of g costs g * eps relative at late times).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np
from scipy.integrate import solve_ivp

from theory.validation import finite_array, finite_scalar, positive_scalar

__all__ = [
    "BiasLimit",
    "BiasTrajectory",
    "BiasTrajectoryMP",
    "LateTimeExpansion",
    "OdeSolution",
    "bias_limit",
    "bias_closed_form",
    "bias_closed_form_mp",
    "late_time_expansion",
    "bias_ode_rhs",
    "solve_bias_ode",
    "solve_bias_ode_mp",
]

# Below this value of 1 - tau e^{-g} the quotient 2 x / (1 - x) could overflow, so the log-domain
# branch is used; there b - b_inf is about log(2 / (1 - x)) >= 460, far from any cancellation.
_LOG_BRANCH_BELOW = 1e-200

# Tolerances of the reference ODE solver: rtol near 50 eps is as tight as DOP853 honours
# reliably; atol is tiny because b - b_inf decays like t^{-rate} and must stay resolved.
ODE_RTOL = 1e-13
ODE_ATOL = 1e-15


@dataclass(frozen=True)
class BiasLimit:
    """The fixed point of eq. (10): b_inf = -log delta = (1/2) log(A_+ / A_-)."""

    b_inf: float  # logit units
    delta: float  # sqrt(A_- / A_+), dimensionless
    rate: float  # 2 sqrt(A_+ A_-): relaxation rate per unit of log t


@dataclass(frozen=True)
class BiasTrajectory:
    """Eq. (11) evaluated on an array of times (float64)."""

    t: np.ndarray  # same time unit as t0
    b: np.ndarray  # b(t), logit units
    deviation: np.ndarray  # b(t) - b_inf, full relative accuracy
    g: np.ndarray  # 2 sqrt(A_+ A_-) log(t/t0), dimensionless
    b_inf: float
    delta: float


@dataclass(frozen=True)
class BiasTrajectoryMP:
    """Eq. (11) evaluated in mpmath at ``dps`` decimal digits."""

    t: tuple  # of mpmath.mpf
    b: tuple
    deviation: tuple
    b_inf: mpmath.mpf
    delta: mpmath.mpf
    dps: int


@dataclass(frozen=True)
class LateTimeExpansion:
    """b(t) = b_inf + coefficient * (t/t0)^(-rate) + O((t/t0)^(-3 rate)) (from eq. (11))."""

    b_inf: float
    coefficient: float  # 2 tanh((b0 - b_inf)/2), logit units
    rate: float  # 2 sqrt(A_+ A_-), dimensionless power of t/t0
    t0: float
    remainder_bound_factor: float  # |remainder| <= this * (t/t0)^(-3 rate) once tau e^{-g} <= 1/2


@dataclass(frozen=True)
class OdeSolution:
    """Numerical solution of eq. (10) at requested times."""

    t: np.ndarray
    b: np.ndarray
    method: str
    nfev: int
    status: int
    message: str


def _log_ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log(a / b) for positive a, b without cancellation near a = b and without overflow."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        ratio = a / b
        near = (ratio >= 0.5) & (ratio <= 2.0)
        # a - b is exact by Sterbenz's lemma when a/b is in [1/2, 2]: log1p keeps the relative accuracy.
        out = np.where(near, np.log1p((a - b) / b), np.log(ratio))
        bad = ~near & (~np.isfinite(ratio) | (ratio < np.finfo(float).tiny))  # overflow, or underflow to 0
        out = np.where(bad, np.log(a) - np.log(b), out)
    return out


def bias_limit(A_plus, A_minus) -> BiasLimit:
    """The late-time limit of the bias, Theorem 4.5 of arXiv:2602.08302.

    Formula: b_inf = -log delta = (1/2) log(A_+ / A_-), delta = sqrt(A_- / A_+),
    rate = 2 sqrt(A_+ A_-) (linearisation of eq. (10) in s = log t at b_inf).

    Args:
        A_plus: A_S^+ > 0, dimensionless.
        A_minus: A_S^- > 0, dimensionless.

    Returns:
        :class:`BiasLimit`.

    Raises:
        ValueError: if an argument is not finite and positive.

    >>> lim = bias_limit(4.0, 1.0)
    >>> abs(lim.b_inf - math.log(2.0)) < 1e-15, lim.delta, lim.rate
    (True, 0.5, 4.0)
    """
    ap = positive_scalar("A_plus", A_plus)
    am = positive_scalar("A_minus", A_minus)
    b_inf = 0.5 * float(_log_ratio(ap, am))
    with np.errstate(over="ignore"):
        delta = float(np.exp(-b_inf))
    rate = 2.0 * math.sqrt(ap) * math.sqrt(am)  # product of roots: no overflow of A_+ A_-
    return BiasLimit(b_inf=b_inf, delta=delta, rate=rate)


def _deviation(c0: float, g: np.ndarray) -> np.ndarray:
    """b - b_inf = 2 sign(c0) artanh(tanh(|c0|/2) e^{-g}) for g in [0, inf], float64, stable."""
    if c0 == 0.0:
        return np.zeros_like(g)
    a = abs(c0)
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        E = np.exp(-g)
        one_minus_E = -np.expm1(-g)
        F = math.exp(-a)
        tau = math.tanh(0.5 * a)
        q = (one_minus_E + F * (1.0 + E)) / (1.0 + F)  # = 1 - tau e^{-g}, no cancellation
        direct = np.log1p(2.0 * tau * E / q)
        # Log-domain branch, used only where q < 1e-200. Since q >= F / 2 and 1 - E <= 2 q there,
        # F = e^{-|c0|} < 2e-200 (so tau = 1.0 exactly in float64, and log1p(F) vanishes beside
        # log q), g < 3e-200, and log(2 x / (1 - x)) = log 2 - g - log q > 460, so that
        # log1p(2 x / (1 - x)) rounds to it: the terms dropped here are below half an ulp.
        log_q = np.logaddexp(np.log(one_minus_E), -a + np.log1p(E))
        logdom = math.log(2.0) - log_q
        dev = np.where(q >= _LOG_BRANCH_BELOW, direct, logdom)
    dev = np.where(np.isinf(g), 0.0, dev)  # exact t = inf branch
    return math.copysign(1.0, c0) * dev


def bias_closed_form(t, b0, t0, A_plus, A_minus) -> BiasTrajectory:
    """Bias b(t) from the closed form eq. (11) of arXiv:2602.08302, stably, vectorised over t.

    Formula: b(t) = b_inf + 2 sign(c0) artanh(tanh(|c0|/2) e^{-g(t)}), c0 = b0 - b_inf,
    g(t) = 2 sqrt(A_+ A_-) log(t/t0); algebraically identical to eq. (11) (module docstring).

    Args:
        t: times, scalar or array of any shape, t >= t0, +inf allowed (exact limit branch).
            Same unit as ``t0`` (the gradient-flow time of eq. (10)).
        b0: bias at t0, logit units, any finite value.
        t0: start of the late phase, > 0.
        A_plus, A_minus: A_S^+, A_S^- > 0.

    Returns:
        :class:`BiasTrajectory` with arrays shaped like ``t``.

    Raises:
        ValueError: non-finite or non-positive parameters, NaN in ``t``, or some t < t0.

    >>> tr = bias_closed_form([1.0, 10.0, np.inf], b0=0.0, t0=1.0, A_plus=4.0, A_minus=1.0)
    >>> float(tr.b[0]), bool(tr.b[2] == tr.b_inf)
    (0.0, True)
    """
    t_arr = finite_array("t", t, allow_inf=True)
    b0 = finite_scalar("b0", b0)
    t0 = positive_scalar("t0", t0)
    lim = bias_limit(A_plus, A_minus)
    if np.any(t_arr < t0):
        raise ValueError(f"`t` must satisfy t >= t0 = {t0!r} (eq. (11) starts at t0); got min(t) = {t_arr.min()!r}")
    with np.errstate(over="ignore"):
        g = lim.rate * _log_ratio(t_arr, t0)
    dev = _deviation(b0 - lim.b_inf, g)
    return BiasTrajectory(t=t_arr, b=lim.b_inf + dev, deviation=dev, g=g, b_inf=lim.b_inf, delta=lim.delta)


def bias_closed_form_mp(t, b0, t0, A_plus, A_minus, dps: int = 50) -> BiasTrajectoryMP:
    """Eq. (11) of arXiv:2602.08302 in mpmath at ``dps`` significant digits (same stable form).

    Inputs are converted to mpmath exactly (floats, ints, strings or mpf), computed with 10 guard
    digits inside ``mpmath.workdps`` and rounded to ``dps`` digits. ``t`` is a scalar or a
    sequence; ``mpmath.inf`` is allowed and gives b_inf exactly.

    Raises:
        ValueError: as :func:`bias_closed_form`, or ``dps`` < 15.

    >>> r = bias_closed_form_mp([1, 10], b0=0, t0=1, A_plus=4, A_minus=1, dps=30)
    >>> r.b[0] == 0, mpmath.nstr(r.b_inf, 10)
    (True, '0.6931471806')
    """
    if int(dps) != dps or dps < 15:
        raise ValueError(f"`dps` must be an integer >= 15, got {dps!r}")
    dps = int(dps)
    ts = list(t) if np.ndim(t) else [t]
    with mpmath.workdps(dps + 10):
        ap, am, tt0, bb0 = (mpmath.mpf(v) for v in (A_plus, A_minus, t0, b0))
        for name, v in (("A_plus", ap), ("A_minus", am), ("t0", tt0)):
            if not mpmath.isfinite(v) or v <= 0:
                raise ValueError(f"`{name}` must be finite and positive, got {v}")
        if not mpmath.isfinite(bb0):
            raise ValueError(f"`b0` must be finite, got {bb0}")
        mts = [mpmath.mpf(v) for v in ts]
        if any(mpmath.isnan(v) or v < tt0 for v in mts):
            raise ValueError(f"`t` must satisfy t >= t0 = {tt0} (eq. (11) starts at t0)")
        b_inf = (mpmath.log(ap) - mpmath.log(am)) / 2
        delta = mpmath.sqrt(am / ap)
        rate = 2 * mpmath.sqrt(ap * am)
        c0 = bb0 - b_inf
        a = abs(c0)
        devs = []
        for tv in mts:
            if mpmath.isinf(tv):  # exact limit (the formula below also gives 0 there, and at c0 = 0)
                devs.append(mpmath.mpf(0))
                continue
            g = rate * mpmath.log(tv / tt0)
            E, F = mpmath.exp(-g), mpmath.exp(-a)
            q = (-mpmath.expm1(-g) + F * (1 + E)) / (1 + F)
            devs.append(mpmath.sign(c0) * mpmath.log1p(2 * mpmath.tanh(a / 2) * E / q))
        bs = [b_inf + dv for dv in devs]
    with mpmath.workdps(dps):
        rnd = lambda v: +v  # noqa: E731  (unary plus rounds to the current precision)
        return BiasTrajectoryMP(
            t=tuple(rnd(v) for v in mts), b=tuple(rnd(v) for v in bs), deviation=tuple(rnd(v) for v in devs),
            b_inf=rnd(b_inf), delta=rnd(delta), dps=dps,
        )


def late_time_expansion(b0, t0, A_plus, A_minus) -> LateTimeExpansion:
    """Leading late-time behaviour of eq. (11) of arXiv:2602.08302.

    Formula: 2 artanh(x) = 2x + (2/3) x^3 + ... with x = tanh(c0/2) e^{-g}, e^{-g} = (t/t0)^{-rate}:
    b(t) - b_inf = C (t/t0)^{-rate} + R, C = 2 tanh((b0 - b_inf)/2), rate = 2 sqrt(A_+ A_-),
    |R| <= (2/3) |tanh(c0/2)|^3 e^{-3g} / (1 - x^2) <= (8/9) |tanh(c0/2)|^3 (t/t0)^{-3 rate} for |x| <= 1/2.

    Args: as :func:`bias_closed_form` (scalars only).

    Returns:
        :class:`LateTimeExpansion`.
    """
    b0 = finite_scalar("b0", b0)
    t0 = positive_scalar("t0", t0)
    lim = bias_limit(A_plus, A_minus)
    tau = math.tanh(0.5 * (b0 - lim.b_inf))
    return LateTimeExpansion(
        b_inf=lim.b_inf, coefficient=2.0 * tau, rate=lim.rate, t0=t0,
        remainder_bound_factor=(8.0 / 9.0) * abs(tau) ** 3,
    )


def bias_ode_rhs(t, b, A_plus, A_minus):
    """Right-hand side of eq. (10) of arXiv:2602.08302: db/dt = (A_+ e^{-b} - A_- e^{b}) / t.

    Evaluated as exp(log A_+ - b) - exp(log A_- + b), which overflows only when the true value
    does. Broadcasts over ``t`` (> 0, time unit of eq. (10)) and ``b`` (logit units).
    Multiply by t for the derivative with respect to s = log t.
    """
    ap = positive_scalar("A_plus", A_plus)
    am = positive_scalar("A_minus", A_minus)
    with np.errstate(over="ignore"):
        return (np.exp(math.log(ap) - np.asarray(b, dtype=float)) - np.exp(math.log(am) + np.asarray(b, dtype=float))) / np.asarray(t, dtype=float)


def solve_bias_ode(t, b0, t0, A_plus, A_minus, *, method: str = "DOP853", rtol: float = ODE_RTOL, atol: float = ODE_ATOL) -> OdeSolution:
    """Reference numerical solution of eq. (10) of arXiv:2602.08302 with scipy ``solve_ivp``.

    Integrates db/ds = t * rhs(t, b) (eq. (10) in s = log(t/t0)) from s = 0, b = b0, and
    returns b at the requested times (1-D, non-decreasing, each >= t0, finite).
    Independent of eq. (11): it only calls :func:`bias_ode_rhs`.
    """
    t_arr = finite_array("t", t, ndim=1)
    b0 = finite_scalar("b0", b0)
    t0 = positive_scalar("t0", t0)
    if t_arr.size == 0:
        raise ValueError("`t` must contain at least one time, got an empty array")
    if np.any(t_arr < t0) or np.any(np.diff(t_arr) < 0):
        raise ValueError("`t` must be non-decreasing with every t >= t0")
    s_eval = _log_ratio(t_arr, t0)

    def rhs(s, y):
        return bias_ode_rhs(1.0, y, A_plus, A_minus)  # t * (1/t) (...) = (...)

    sol = solve_ivp(rhs, (0.0, float(s_eval[-1])), [b0], method=method, t_eval=s_eval, rtol=rtol, atol=atol)
    return OdeSolution(t=t_arr, b=sol.y[0], method=method, nfev=int(sol.nfev), status=int(sol.status), message=str(sol.message))


def solve_bias_ode_mp(t, b0, t0, A_plus, A_minus, dps: int = 20) -> tuple:
    """Reference solution of eq. (10) of arXiv:2602.08302 by mpmath's Taylor-series ``odefun``.

    Integrates db/ds = A_+ e^{-b} - A_- e^{b} in s = log(t/t0) at ``dps`` digits; returns a
    tuple of mpf, one per requested t (scalars or sequence; values >= t0). Slow: ~1 s per unit
    of rate * log(t/t0) at 20 digits, ~6x that at 30 (mpmath's Taylor method differentiates exp).
    """
    if int(dps) != dps or dps < 15:
        raise ValueError(f"`dps` must be an integer >= 15, got {dps!r}")
    ts = list(t) if np.ndim(t) else [t]
    with mpmath.workdps(int(dps)):
        ap, am, tt0, bb0 = (mpmath.mpf(v) for v in (A_plus, A_minus, t0, b0))
        f = mpmath.odefun(lambda s, b: ap * mpmath.exp(-b) - am * mpmath.exp(b), 0, bb0)
        out = []
        for tv in ts:
            s = mpmath.log(mpmath.mpf(tv) / tt0)
            if s < 0:
                raise ValueError(f"`t` must satisfy t >= t0 = {tt0}")
            out.append(+f(s))
    return tuple(out)
