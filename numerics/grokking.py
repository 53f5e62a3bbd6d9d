"""Grokking times (Definition 3.4 of arXiv:2602.08302), phase boundaries, period-2 diagnostics.

Definition 3.4.  With P(t), Q(t) the train and test accuracy after t GD steps,
    T_tr(eps) = first t with P(t) >= (1 - eps) sup_t P(t),
    T_te(eps) = first t with Q(t) >= (1 - eps) sup_t Q(t),
    zeta = T_te / T_tr,   T_gr(eps) = T_te(eps) - T_tr(eps),
and the model "groks with delay zeta" if T_te(eps) > zeta T_tr(eps) for all small eps.

Sampling.  Accuracy is known only at checkpoints t_0 < t_1 < ... < t_{K-1} (GD steps).
The supremum is the maximum over the checkpoints unless the caller supplies it.  The
first checkpoint t_k at which the condition holds is reported (`t_first`, the HEADLINE:
it is what an experiment that logs every few steps, like the paper's, measures), together
with the previous checkpoint t_{k-1} (`t_prev`).  If the curve does not dip above the
level between earlier checkpoints, the true first crossing lies in (t_prev, t_first];
when every step is a checkpoint the bracket is exact.  `t_interp` is an estimate from
linear interpolation of the accuracy in log(1 + t) between the two (log(1 + t) rather
than log t so that t_prev = 0 is allowed; for t >> 1 the two agree).

The initial model w = 0, b = 0 has accuracy 0 under the convention of numerics.measure
(a margin of 0 is wrong), so for a curve that starts at t = 0 with that model, T(eps) > 0
whenever (1 - eps) sup > 0.

Parity.  At the paper's settings GD can settle into a period-2 cycle (b and the accuracies
differ between even and odd steps), so a time read on checkpoints of one parity describes
that parity only; `parity_differences` on checkpoint pairs (t, t + 1) says how large the gap is.

Ties.  Accuracies are ratios of counts and (1 - eps) sup is rounded; the condition is
evaluated as P >= (1 - eps) sup (1 - TIE_RTOL) so that an exact tie is not lost to the
last bit of the product.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "TIE_RTOL",
    "DEFAULT_SHARE_THRESHOLD",
    "Crossing",
    "GrokkingTimes",
    "DelayVerdict",
    "PhaseBoundary",
    "ParityDifferences",
    "accuracy_crossing",
    "grokking_times",
    "groks_with_delay",
    "phase_one_end",
    "phase_two_end",
    "parity_differences",
    "period_two_amplitude",
]

# Relative slack on the level (1 - eps) sup: a few ulps, so that P == (1 - eps) sup counts as reached.
TIE_RTOL = 8.0 * float(np.finfo(np.float64).eps)

# Phase 1 -> 2 when the non-support-vector share of the bias gradient weight drops below 1/2,
# i.e. when the support vectors carry the majority of the weight that drives b: the midpoint of
# the crossover from eq. (14) (A^+-, all points) to eq. (10) (A_S^+-, support vectors only).
DEFAULT_SHARE_THRESHOLD = 0.5


@dataclass(frozen=True)
class Crossing:
    """First checkpoint at which an accuracy curve reaches (1 - eps) of its supremum.

    Attributes:
        eps: the eps of Definition 3.4.
        sup: the supremum used (max over checkpoints unless given).
        level: (1 - eps) * sup.
        index: index of the first checkpoint meeting the level; None if undefined.
        t_first: t[index] in GD steps, the headline value (upper end of the bracket).
        t_prev: t[index - 1] (exclusive lower end); None when index is 0 or undefined.
        t_interp: log(1 + t)-linear interpolation estimate in (t_prev, t_first];
            equals t_first when index is 0; None if undefined.
        sup_at_last_only: the supremum is attained only at the final checkpoint, so the
            horizon may have cut the curve short (eps = 0 times are then censored).
    """

    eps: float
    sup: float
    level: float
    index: int | None
    t_first: int | None
    t_prev: int | None
    t_interp: float | None
    sup_at_last_only: bool


@dataclass(frozen=True)
class GrokkingTimes:
    """T_tr(eps), T_te(eps), zeta = T_te / T_tr and T_gr = T_te - T_tr (Definition 3.4).

    The headline values use t_first of both crossings.  The brackets use
    T_tr in (t_prev_tr, t_first_tr] and T_te in (t_prev_te, t_first_te] (a missing
    t_prev counts as 0): zeta in (zeta_lower, zeta_upper), T_gr in (t_grok_lower, t_grok_upper).
    zeta is None when T_tr = 0 or a time is undefined; zeta_upper is inf when t_prev_tr is 0/None.
    """

    eps: float
    train: Crossing
    test: Crossing
    zeta: float | None
    zeta_lower: float | None
    zeta_upper: float | None
    t_grok: int | None
    t_grok_lower: int | None
    t_grok_upper: int | None


@dataclass(frozen=True)
class DelayVerdict:
    """Whether T_te(eps) > zeta T_tr(eps) holds for every eps in a list (Definition 3.4).

    Attributes:
        zeta: the delay tested.
        eps: (E,) the eps values ("all small eps" is read as "all eps in this list").
        times: one GrokkingTimes per eps.
        holds: headline verdict from t_first; None if any time is undefined.
        zeta_max: min over eps of the headline T_te / T_tr, the supremum of the delays
            for which `holds` would be True; None if undefined.
        bracketed: "holds" if it holds for every point of the brackets, "fails" if it
            fails for every point of some eps's brackets, else "undecided"; None if undefined.
    """

    zeta: float
    eps: np.ndarray
    times: tuple
    holds: bool | None
    zeta_max: float | None
    bracketed: str | None


@dataclass(frozen=True)
class PhaseBoundary:
    """A phase boundary located on the checkpoint grid.

    Attributes:
        rule: what was located, in words.
        index: checkpoint index of the headline; None if not found.
        t: t[index] in GD steps (headline).
        t_lower, t_upper: bracket in GD steps around the true boundary (None = open).
        at_edge: the boundary sits at the first or last usable checkpoint, so the true
            boundary may lie outside the sampled window.
    """

    rule: str
    index: int | None
    t: int | None
    t_lower: int | None
    t_upper: int | None
    at_edge: bool


@dataclass(frozen=True)
class ParityDifferences:
    """x(odd step) - x(even step) for every pair of consecutive-step checkpoints.

    Attributes:
        t_even: (M,) the even GD step of each pair (the pair is t_even and t_even + 1
            in whatever order they were sampled).
        diff: (M,) x(odd) - x(even).  A period-2 cycle gives a diff of constant sign.
        max_abs: max |diff| (0.0 when M = 0).
    """

    t_even: np.ndarray
    diff: np.ndarray
    max_abs: float


# ---------------------------------------------------------------- validation


def _grid(t):
    arr = np.asarray(t)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"`t` must be a non-empty 1-D array of GD steps, got shape {arr.shape}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError("`t` must hold whole numbers of GD steps")
    elif arr.dtype.kind not in "iu":
        raise ValueError(f"`t` must be integer GD step counts, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if arr[0] < 0:
        raise ValueError("`t` must be non-negative (GD steps taken)")
    if np.any(np.diff(arr) <= 0):
        raise ValueError("`t` must be strictly increasing")
    return arr


def _curve(name, values, n, allow_nan=False):
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (n,):
        raise ValueError(f"`{name}` must have shape ({n},) like `t`, got {arr.shape}")
    bad = np.isinf(arr) if allow_nan else ~np.isfinite(arr)
    if np.any(bad):
        raise ValueError(f"`{name}` must be finite" + ("" if allow_nan else " (NaN is rejected)"))
    return arr


def _eps(eps):
    eps = float(eps)
    if not (0.0 <= eps < 1.0):
        raise ValueError(f"`eps` must lie in [0, 1), got {eps}")
    return eps


# ---------------------------------------------------------------- Definition 3.4


def accuracy_crossing(t, accuracy, eps: float, *, sup: float | None = None) -> Crossing:
    """First checkpoint with accuracy >= (1 - eps) sup (Definition 3.4 of arXiv:2602.08302).

    T(eps) = min{ t_k : A(t_k) >= (1 - eps) sup_t A(t) }.

    Args:
        t: (K,) strictly increasing GD steps (t = 0 is the initial model).
        accuracy: (K,) accuracy in [0, 1] at each checkpoint; NaN is rejected.
        eps: in [0, 1).
        sup: the supremum to use; default max over the checkpoints.  A given sup above the
            sampled maximum may never be reached (then the crossing is undefined).

    Returns:
        Crossing.  Undefined (index None) when the level is never reached or sup = 0 (a curve
        that never classifies anything correctly has no meaningful accuracy time).

    Raises:
        ValueError: non-increasing or negative t, NaN or out-of-range accuracy, eps outside [0, 1),
            sup outside (0, 1].
    """
    t = _grid(t)
    acc = _curve("accuracy", accuracy, t.size)
    if np.any((acc < 0.0) | (acc > 1.0)):
        raise ValueError("`accuracy` must lie in [0, 1]")
    eps = _eps(eps)
    top = float(acc.max())
    if sup is None:
        sup = top
    else:
        sup = float(sup)
        if not (0.0 < sup <= 1.0):
            raise ValueError(f"`sup` must lie in (0, 1], got {sup}")
    at_last_only = bool(acc[-1] == top and np.count_nonzero(acc == top) == 1 and t.size > 1)
    level = (1.0 - eps) * sup
    undefined = Crossing(eps, sup, level, None, None, None, None, at_last_only)
    if sup == 0.0:
        return undefined
    hits = np.flatnonzero(acc >= level * (1.0 - TIE_RTOL))
    if hits.size == 0:
        return undefined
    k = int(hits[0])
    if k == 0:
        return Crossing(eps, sup, level, 0, int(t[0]), None, float(t[0]), at_last_only)
    s0, s1 = math.log1p(t[k - 1]), math.log1p(t[k])
    a0, a1 = acc[k - 1], acc[k]  # a0 < level <= a1 (up to the tie slack)
    frac = min(1.0, max(0.0, (level - a0) / (a1 - a0)))
    t_interp = math.expm1(s0 + frac * (s1 - s0))
    t_interp = min(float(t[k]), max(float(t[k - 1]), t_interp))
    return Crossing(eps, sup, level, k, int(t[k]), int(t[k - 1]), t_interp, at_last_only)


def _times(eps, tr: Crossing, te: Crossing) -> GrokkingTimes:
    if tr.index is None or te.index is None:
        return GrokkingTimes(eps, tr, te, None, None, None, None, None, None)
    lo_tr = tr.t_prev or 0
    lo_te = te.t_prev or 0
    zeta = te.t_first / tr.t_first if tr.t_first > 0 else None
    zeta_lower = lo_te / tr.t_first if tr.t_first > 0 else None
    zeta_upper = te.t_first / lo_tr if lo_tr > 0 else math.inf
    return GrokkingTimes(
        eps, tr, te, zeta, zeta_lower, zeta_upper,
        te.t_first - tr.t_first, lo_te - tr.t_first, te.t_first - lo_tr,
    )


def grokking_times(t, train_accuracy, test_accuracy, eps: float) -> GrokkingTimes:
    """T_tr(eps), T_te(eps), zeta = T_te / T_tr, T_gr = T_te - T_tr (Definition 3.4 of arXiv:2602.08302).

    Args:
        t: (K,) strictly increasing GD steps.
        train_accuracy: (K,) P(t).  test_accuracy: (K,) Q(t).
        eps: in [0, 1).

    Returns:
        GrokkingTimes (headline from the first checkpoints meeting the levels, plus brackets).

    Raises:
        ValueError: as for accuracy_crossing.
    """
    eps = _eps(eps)
    return _times(eps, accuracy_crossing(t, train_accuracy, eps), accuracy_crossing(t, test_accuracy, eps))


def groks_with_delay(t, train_accuracy, test_accuracy, eps_values, zeta: float) -> DelayVerdict:
    """Whether T_te(eps) > zeta T_tr(eps) for every eps in `eps_values` (Definition 3.4 of arXiv:2602.08302).

    Args:
        t: (K,) strictly increasing GD steps.
        train_accuracy, test_accuracy: (K,) P(t), Q(t).
        eps_values: (E,) eps values in [0, 1), the "small eps" to test.
        zeta: the delay, positive (the paper speaks of grokking for zeta >= ~100).

    Returns:
        DelayVerdict.

    Raises:
        ValueError: empty eps_values, zeta not positive, and as for accuracy_crossing.
    """
    eps_arr = np.array(eps_values, dtype=np.float64).ravel()  # a copy: it is frozen below
    if eps_arr.size == 0:
        raise ValueError("`eps_values` must contain at least one eps")
    zeta = float(zeta)
    if not (np.isfinite(zeta) and zeta > 0.0):
        raise ValueError(f"`zeta` must be positive and finite, got {zeta}")
    times = tuple(grokking_times(t, train_accuracy, test_accuracy, e) for e in eps_arr)
    eps_arr.setflags(write=False)
    if any(g.t_grok is None for g in times):
        return DelayVerdict(zeta, eps_arr, times, None, None, None)
    # T_tr = 0 means any delay holds as soon as T_te > 0.
    ratios = [g.zeta if g.zeta is not None else (math.inf if g.test.t_first > 0 else 0.0) for g in times]
    holds = all(g.test.t_first > zeta * g.train.t_first for g in times)
    # Brackets: T_tr in (t_prev_tr, t_first_tr], T_te in (t_prev_te, t_first_te] (a missing t_prev: [0, ...]).
    always = all(g.test.t_prev is not None and g.test.t_prev >= zeta * g.train.t_first for g in times)
    never = any(g.test.t_first <= zeta * (g.train.t_prev or 0) for g in times)
    bracketed = "holds" if always else ("fails" if never else "undecided")
    return DelayVerdict(zeta, eps_arr, times, holds, float(min(ratios)), bracketed)


# ---------------------------------------------------------------- phase boundaries


def phase_one_end(t, share, threshold: float = DEFAULT_SHARE_THRESHOLD) -> PhaseBoundary:
    """Phase 1 -> 2: the non-support-vector share of the bias gradient falls below `threshold` for good.

    Section 4.3-4.4 of arXiv:2602.08302: phase 1 is population-dominated (eq. (14)),
    phase 2 support-vector-dominated (eq. (10)).  The headline is the first checkpoint
    from which the share stays below the threshold at every later checkpoint (a
    transient dip does not count); the bracket is (previous usable checkpoint, t].
    NaN entries (e.g. t = 0 with w = 0) are skipped as missing checkpoints.

    Args:
        t: (K,) strictly increasing GD steps.
        share: (K,) share in [0, 1], e.g. Measurements.nonsv_mass_share_b (recommended: it
            falls monotonically from |N| / N_total at t = 0 towards 0).  The signed
            Measurements.nonsv_net_share_b is a poor indicator: once b nears the support-vector
            steady state, the SV part itself cancels towards 0 and the ratio stays of order 1
            (about 0.32 from t = 1e3 to 1e6 in a 205-point planted run with eta = 1e-3, while
            the mass share fell from 0.42 to 0.019).
        threshold: in (0, 1); default 1/2 (support vectors carry the majority).

    Returns:
        PhaseBoundary; index None if the share is never below the threshold at the end.

    Raises:
        ValueError: bad t, share not in [0, 1] (NaN allowed), threshold outside (0, 1).
    """
    t = _grid(t)
    share = _curve("share", share, t.size, allow_nan=True)
    threshold = float(threshold)
    if not (0.0 < threshold < 1.0):
        raise ValueError(f"`threshold` must lie in (0, 1), got {threshold}")
    valid = np.flatnonzero(~np.isnan(share))
    if np.any((share[valid] < 0.0) | (share[valid] > 1.0)):
        raise ValueError("`share` must lie in [0, 1]")
    rule = f"non-SV share of the bias gradient < {threshold} from here on"
    if valid.size == 0 or share[valid[-1]] >= threshold:
        return PhaseBoundary(rule, None, None, None, None, False)
    above = np.flatnonzero(share[valid] >= threshold)
    pos = 0 if above.size == 0 else int(above[-1]) + 1
    k = int(valid[pos])
    lower = int(t[valid[pos - 1]]) if pos > 0 else None
    return PhaseBoundary(rule, k, int(t[k]), lower, int(t[k]), pos == 0)


def phase_two_end(t, distance) -> PhaseBoundary:
    """Phase 2 -> 3: the peak of the hyperplane's distance |b| / ||w|| from the origin.

    Section 4.5 of arXiv:2602.08302: in phase 2 |b| / ||w|| grows (unlearning), in phase 3 it
    decays like 1 / log t.  The headline is the checkpoint of the maximum (first one on ties);
    the bracket is its two usable neighbours, between which a smooth curve's true peak lies.
    NaN entries (||w|| = 0) are skipped.

    Args:
        t: (K,) strictly increasing GD steps.
        distance: (K,) |b| / ||w|| (Measurements.distance), non-negative or NaN.

    Returns:
        PhaseBoundary; index None if every entry is NaN; at_edge if the maximum is at the
        first or last usable checkpoint (no interior peak in the window).

    Raises:
        ValueError: bad t, negative or infinite distance.
    """
    t = _grid(t)
    dist = _curve("distance", distance, t.size, allow_nan=True)
    valid = np.flatnonzero(~np.isnan(dist))
    if np.any(dist[valid] < 0.0):
        raise ValueError("`distance` must be non-negative")
    rule = "maximum of |b| / ||w||"
    if valid.size == 0:
        return PhaseBoundary(rule, None, None, None, None, False)
    pos = int(np.argmax(dist[valid]))
    k = int(valid[pos])
    lower = int(t[valid[pos - 1]]) if pos > 0 else None
    upper = int(t[valid[pos + 1]]) if pos + 1 < valid.size else None
    return PhaseBoundary(rule, k, int(t[k]), lower, upper, pos == 0 or pos == valid.size - 1)


# ---------------------------------------------------------------- period 2


def parity_differences(t, values) -> ParityDifferences:
    """x(odd step) - x(even step) at every pair of checkpoints t, t + 1 (GD's period-2 cycle).

    A quantity read at a single GD step mixes the two parities of a period-2 cycle; this
    reports how far apart they are.  diff_k = x(t_k + 1) - x(t_k) if t_k is even, else
    x(t_k) - x(t_k + 1), for every k with t_{k+1} = t_k + 1.

    Args:
        t: (K,) strictly increasing GD steps.
        values: (K,) the quantity, e.g. b(t) or the train accuracy; must be finite.

    Returns:
        ParityDifferences (empty arrays when no two checkpoints are consecutive steps).

    Raises:
        ValueError: bad t, non-finite values.
    """
    t = _grid(t)
    x = _curve("values", values, t.size)
    k = np.flatnonzero(np.diff(t) == 1)
    sign = np.where(t[k] % 2 == 0, 1.0, -1.0)
    diff = sign * (x[k + 1] - x[k])
    t_even = np.where(t[k] % 2 == 0, t[k], t[k + 1])
    t_even.setflags(write=False)
    diff.setflags(write=False)
    return ParityDifferences(t_even, diff, float(np.max(np.abs(diff))) if diff.size else 0.0)


def period_two_amplitude(values) -> np.ndarray:
    """Drift-free period-2 amplitude of a run of values at consecutive GD steps.

    a_k = x_k - (x_{k-1} + x_{k+1}) / 2 for k = 1..n-2: a linear drift cancels, a cycle
    x_k = c + A (-1)^k gives a_k = 2 A (-1)^k.  So |a_k| / 2 estimates the amplitude A and
    alternating signs of a_k identify the cycle.

    Args:
        values: (n,) x at n >= 3 consecutive GD steps; must be finite.

    Returns:
        (n - 2,) array a_k (read-only).

    Raises:
        ValueError: fewer than 3 values, non-finite values.
    """
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or x.size < 3:
        raise ValueError(f"`values` must be a 1-D run of at least 3 consecutive steps, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("`values` must be finite")
    a = x[1:-1] - 0.5 * (x[:-2] + x[2:])
    a.setflags(write=False)
    return a
