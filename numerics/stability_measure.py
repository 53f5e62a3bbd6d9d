"""Measured instability of gradient descent: rounding amplification and period-2 oscillation.

Two measurements on the GD of eqs. (3)-(5) of arXiv:2602.08302 (engines of :mod:`numerics.highprec`):

* **Rounding amplification.** A float64 run is compared with a high-precision reference run
  (double-double by default): ``D(t) = ||theta_64(t) - theta_ref(t)|| / ||theta_ref(t)||``. To
  see *where* the GD map amplifies errors, each interval [t_k, t_{k+1}] between checkpoints is
  rerun from the state at t_k nudged by one ulp (a fresh nudge per interval: a single nudge at
  step 1 is often absorbed -- the float64 twin merges back bit for bit within a few steps while
  the map is contracting). The gain ``D_twin(t_{k+1}) / nudge`` gives a finite-time growth rate
  ``log(gain) / (t_{k+1} - t_k)`` per GD step; rounding is *amplified* where it is positive.
* **Period-2 oscillation.** From the values at three consecutive steps t, t+1, t+2, a component v
  oscillates with period 2 when its first differences alternate in sign,
  ``(v(t+1) - v(t)) (v(t+2) - v(t+1)) < 0``. Its amplitude is ``|v(t) - 2 v(t+1) + v(t+2)| / 4``,
  the size ``A`` of an alternating part ``A (-1)^t`` on top of a smooth drift (the drift cancels
  to first order); the jump ``|v(t+1) - v(t)|`` is reported too. The oscillation *ends* after the
  last sampled time at which some component alternates with amplitude above a threshold; the
  end is bracketed between that time and the next sampled one.

t always counts GD steps from the start state (default w = 0, b = 0, eq. (5)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from numerics.ddarith import dd_add_d
from numerics.highprec import GDState, relative_theta_difference, run_gd_at_precision, run_gd_float64
from numerics.schedule import log_spaced_times  # noqa: F401 (in __all__: the samplers' grid, defined in numerics.schedule)

__all__ = [
    "Period2Oscillation",
    "RoundingAmplification",
    "TripleSample",
    "detect_period2",
    "log_spaced_times",
    "rounding_amplification",
    "sample_triples",
]

_EPS = float(np.finfo(np.float64).eps)
_DEFAULT_FLOOR_ULPS = 64.0  # a relative distance of 64 ulps is beyond a few roundings' reach
_DEFAULT_MIN_AMPLITUDE = 1e-9  # far above float64 rounding of O(1e3) parameters (~1e-13)


@dataclass(frozen=True)
class RoundingAmplification:
    """How float64 GD departs from a reference, and where the GD map amplifies one-ulp errors.

    Attributes:
        t: (K,) checkpoints, GD steps (all >= 1).
        dist_reference: (K,) ||theta_64(t) - theta_ref(t)|| / ||theta_ref(t)||.
        rate_reference: (K-1,) Delta log dist_reference / Delta t per GD step (nan where the
            distance is 0 at the start of an interval).
        nudge: (K-1,) relative size of the one-ulp nudge applied at t_k.
        gain: (K-1,) distance at t_{k+1} between the twin (nudged at t_k) and the unnudged run,
            divided by the nudge: the amplification of a one-ulp error over [t_k, t_{k+1}]
            (0 if the twin merged back bit for bit).
        rate: (K-1,) finite-time growth rate log(gain) / (t_{k+1} - t_k) per GD step.
        amplified: (K-1,) bool, gain > 1 (rate > 0) and, for a float64 twin, the twin's
            distance above ``floor_ulps * eps * (t_{k+1} - t_k)`` (what rounding alone can add).
        window: (t_start, t_end) from the start of the first to the end of the last amplified
            interval; (-1, -1) if none.
        twin_precision: precision of the twin and of the run it is compared with ("dd": the
            exact map's response; "float64": includes rounding noise).
        reference_precision: precision of the reference run ("dd" or digits).
        float64, reference: the two full trajectories.
    """

    t: np.ndarray
    dist_reference: np.ndarray
    rate_reference: np.ndarray
    nudge: np.ndarray
    gain: np.ndarray
    rate: np.ndarray
    amplified: np.ndarray
    window: tuple
    twin_precision: object
    reference_precision: object
    float64: object
    reference: object


@dataclass(frozen=True)
class TripleSample:
    """GD iterates at three consecutive steps t, t+1, t+2 for each sampled t.

    Attributes:
        t: (K,) sampled times (GD steps).
        w: (K, 3, d) w(t), w(t+1), w(t+2).
        b: (K, 3) b(t), b(t+1), b(t+2).
        precision: engine precision ("float64", "dd" or digits).
        eta, reduction: as in the run.
    """

    t: np.ndarray
    w: np.ndarray
    b: np.ndarray
    precision: object
    eta: float
    reduction: str


@dataclass(frozen=True)
class Period2Oscillation:
    """Period-2 behaviour detected from consecutive triples (see the module docstring).

    Attributes:
        t: (K,) sampled times.
        alternating: (K, d + 1) bool, first differences alternate in sign (w components, then b).
        amplitude: (K, d + 1) |v(t) - 2 v(t+1) + v(t+2)| / 4.
        jump: (K, d + 1) |v(t+1) - v(t)|.
        oscillating: (K,) bool, some component alternates with amplitude > min_amplitude.
        end: last sampled t that oscillates; -1 if none.
        end_bracket: (end, next sampled t) -- the oscillation stops in between; (-1, -1) if none
            oscillates, (end, -1) if the last sample still oscillates.
        min_amplitude: the threshold (same units as w and b).
    """

    t: np.ndarray
    alternating: np.ndarray
    amplitude: np.ndarray
    jump: np.ndarray
    oscillating: np.ndarray
    end: int
    end_bracket: tuple
    min_amplitude: float

    @property
    def b_amplitude(self) -> np.ndarray:
        """(K,) amplitude of the bias (0 where it does not alternate)."""
        return np.where(self.alternating[:, -1], self.amplitude[:, -1], 0.0)


# --- rounding amplification --------------------------------------------------------------------


def _nudged(state: GDState, component: int):
    """``state`` with one coordinate (-1: b) raised by one ulp of max|theta|; also that ulp and ulp / ||theta||."""
    w = state.w_hi + state.w_lo
    b = state.b_hi + state.b_lo
    scale = max(float(np.max(np.abs(w), initial=0.0)), abs(b))
    ulp = float(np.spacing(scale)) if scale > 0 else float(np.finfo(np.float64).tiny)
    norm = math.sqrt(float(w @ w) + b * b)
    w_hi, w_lo = state.w_hi.copy(), state.w_lo.copy()
    b_hi, b_lo = state.b_hi, state.b_lo
    if component == -1:  # double-double addition: the nudge is added exactly
        b_hi, b_lo = dd_add_d(b_hi, b_lo, ulp)
    else:
        w_hi[component], w_lo[component] = dd_add_d(w_hi[component], w_lo[component], ulp)
    return GDState(w_hi, w_lo, b_hi, b_lo), ulp, (ulp / norm if norm > 0 else math.inf)


def rounding_amplification(
    X, y, *, eta, checkpoints, reduction="sum", reference_precision="dd", twin_precision="dd",
    component=-1, floor_ulps=_DEFAULT_FLOOR_ULPS, start=None,
) -> RoundingAmplification:
    """Distance of float64 GD from a high-precision reference, and the map's amplification of one ulp.

    For each interval [t_k, t_{k+1}] between checkpoints a twin run starts from the
    ``twin_precision`` run's state at t_k with one coordinate (``component``; -1 is b) nudged by
    one ulp of max|theta(t_k)|; its relative distance from the unnudged run at t_{k+1}, divided
    by the nudge, is the gain of that interval and log(gain) / Delta t its finite-time growth
    rate per GD step (a finite-time Lyapunov exponent along the nudge). With the default
    double-double twin the gain is the exact map's: rounding is amplified where gain > 1.

    Args:
        X: (N, d) inputs.  y: (N,) labels in {-1, +1}.  eta: step size.
        checkpoints: strictly increasing GD step counts, all >= 1 (log-spaced is typical).
        reduction: "sum" (eq. (3) of arXiv:2602.08302) or "mean".
        reference_precision: "dd" (default) or mpmath digits, for ``dist_reference``.
        twin_precision: "dd" (default) or "float64", for the nudged twins.
        component: the coordinate of theta = (w, b) to nudge; -1 is b.
        floor_ulps: float64 twins only: a twin distance below ``floor_ulps * eps * Delta t`` is
            within what accumulated rounding can produce and does not count as amplified.
        start: initial :class:`~numerics.highprec.GDState` (default w = 0, b = 0, eq. (5));
            checkpoints then count steps from it.

    Returns:
        :class:`RoundingAmplification`.

    Raises:
        ValueError: on malformed input or a checkpoint below 1.
    """
    cp = np.asarray(checkpoints)
    if cp.ndim != 1 or cp.size < 2 or np.any(cp < 1):
        raise ValueError("`checkpoints` must list at least two step counts, all >= 1")
    if twin_precision not in ("dd", "float64"):
        raise ValueError(f"`twin_precision` must be 'dd' or 'float64', got {twin_precision!r}")
    if not (math.isfinite(floor_ulps) and floor_ulps > 0):
        raise ValueError(f"`floor_ulps` must be positive, got {floor_ulps}")
    kwargs = dict(eta=eta, reduction=reduction)
    run = run_gd_float64(X, y, checkpoints=cp, start=start, **kwargs)
    d = run.w.shape[1]
    if not (-1 <= component < d):
        raise ValueError(f"`component` must be -1 (b) or a weight index in [0, {d - 1}], got {component}")
    ref = run_gd_at_precision(X, y, checkpoints=cp, precision=reference_precision, start=start, **kwargs)
    if twin_precision == "float64":
        base = run
    elif reference_precision == "dd":
        base = ref
    else:
        base = run_gd_at_precision(X, y, checkpoints=cp, precision="dd", start=start, **kwargs)
    K = cp.size
    nudge = np.empty(K - 1)
    gain = np.empty(K - 1)
    twin_dist = np.empty(K - 1)
    for k in range(K - 1):
        start, ulp, nudge[k] = _nudged(base.state_at(k), component)
        twin = run_gd_at_precision(X, y, checkpoints=[int(cp[k + 1] - cp[k])], precision=twin_precision,
                                   start=start, **kwargs)
        dw = (twin.w_hi[0] - base.w_hi[k + 1]) + (twin.w_lo[0] - base.w_lo[k + 1])
        db = (twin.b_hi[0] - base.b_hi[k + 1]) + (twin.b_lo[0] - base.b_lo[k + 1])
        dist = math.sqrt(float(dw @ dw) + db * db)
        twin_dist[k] = dist / math.hypot(float(np.linalg.norm(ref.w[k + 1])), float(ref.b[k + 1]))
        gain[k] = dist / ulp
    dt = np.diff(cp).astype(float)
    with np.errstate(divide="ignore"):
        rate = np.log(gain) / dt
    amplified = gain > 1.0
    if twin_precision == "float64":
        amplified &= twin_dist > floor_ulps * _EPS * dt
    dist_ref = relative_theta_difference(run, ref)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate_ref = np.diff(np.log(dist_ref)) / dt
    rate_ref = np.where(dist_ref[:-1] == 0.0, np.nan, rate_ref)
    idx = np.flatnonzero(amplified)
    window = (int(cp[idx[0]]), int(cp[idx[-1] + 1])) if idx.size else (-1, -1)
    return RoundingAmplification(
        t=cp.astype(np.int64), dist_reference=dist_ref, rate_reference=rate_ref, nudge=nudge,
        gain=gain, rate=rate, amplified=amplified, window=window, twin_precision=twin_precision,
        reference_precision=reference_precision, float64=run, reference=ref,
    )


# --- period-2 oscillation ----------------------------------------------------------------------


def sample_triples(X, y, *, eta, times, precision="float64", reduction="sum", start=None) -> TripleSample:
    """Run GD once and record w, b at t, t+1, t+2 for every t in ``times``.

    Args:
        X: (N, d) inputs.  y: (N,) labels.  eta: step size.
        times: sampled GD steps, strictly increasing, >= 0 (see :func:`log_spaced_times`).
        precision: "float64", "dd" or mpmath digits (:func:`numerics.highprec.run_gd_at_precision`).
        reduction: "sum" (eq. (3) of arXiv:2602.08302) or "mean".
        start: initial :class:`~numerics.highprec.GDState` (default w = 0, b = 0); times then
            count steps from it.

    Returns:
        :class:`TripleSample`.
    """
    times = np.asarray(times)
    if times.ndim != 1 or times.size == 0 or np.any(times < 0) or np.any(np.diff(times) <= 0):
        raise ValueError("`times` must be a non-empty strictly increasing list of steps >= 0")
    times = times.astype(np.int64)
    steps = np.unique(np.concatenate([times, times + 1, times + 2]))
    tr = run_gd_at_precision(X, y, eta=eta, checkpoints=steps, precision=precision, reduction=reduction,
                             start=start)
    pos = np.searchsorted(steps, np.stack([times, times + 1, times + 2], axis=1))
    return TripleSample(times, tr.w[pos], tr.b[pos], precision, float(eta), reduction)


def detect_period2(sample: TripleSample, *, min_amplitude=_DEFAULT_MIN_AMPLITUDE) -> Period2Oscillation:
    """Detect period-2 behaviour of b and of each w_j from consecutive triples.

    A component oscillates at t when (v(t+1) - v(t)) (v(t+2) - v(t+1)) < 0 and its amplitude
    |v(t) - 2 v(t+1) + v(t+2)| / 4 exceeds ``min_amplitude`` (absolute, units of w and b; the
    default 1e-9 is far above float64 rounding of parameters up to ~1e3).

    Returns:
        :class:`Period2Oscillation`; ``end`` is the last sampled t that oscillates.

    Raises:
        ValueError: if ``min_amplitude`` is not positive and finite.
    """
    if not (math.isfinite(min_amplitude) and min_amplitude > 0):
        raise ValueError(f"`min_amplitude` must be positive and finite, got {min_amplitude}")
    v = np.concatenate([sample.w, sample.b[:, :, None]], axis=2)  # (K, 3, d + 1)
    d1 = v[:, 1] - v[:, 0]
    d2 = v[:, 2] - v[:, 1]
    alternating = d1 * d2 < 0
    amplitude = np.abs(v[:, 0] - 2 * v[:, 1] + v[:, 2]) / 4
    oscillating = np.any(alternating & (amplitude > min_amplitude), axis=1)
    idx = np.flatnonzero(oscillating)
    if idx.size == 0:
        end, bracket = -1, (-1, -1)
    else:
        k = idx[-1]
        end = int(sample.t[k])
        bracket = (end, int(sample.t[k + 1]) if k + 1 < sample.t.size else -1)
    return Period2Oscillation(sample.t, alternating, amplitude, np.abs(d1), oscillating, end, bracket,
                              float(min_amplitude))
