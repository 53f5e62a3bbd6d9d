"""GD against the gradient flow it discretises, and eq. (11) with its time variable made correct.

GD of eqs. (4)-(5) of arXiv:2602.08302 with step eta is forward Euler for the flow
``d theta / d tau = -grad L(theta)`` at flow time ``tau = eta t`` (t counts GD steps), the flow
that Theorem 4.5 and eqs. (10)-(11) describe. This module measures how far the two are apart
and whether eq. (11) describes GD's bias; it is the only place where the flow
(:func:`numerics.flow.logistic_flow`) meets GD (:func:`numerics.simulation.simulate`) and the closed
form (:func:`theory.closed_form.bias_closed_form`).

* **Parity.** Where GD runs a period-2 cycle (eta lambda_max(H) > 2), every quantity read at a
  single step depends on its parity. Each checkpoint t is therefore read at t *and* t + 1; the
  reported distance is the larger of the two (``*_pair`` arrays hold both).
* **Distances** at equal flow time, per checkpoint: |b_GD - b_F| (logit units) and relative to
  |b_F|; relative differences of ||w||, of the hyperplane's distance from the origin |b| / ||w||
  and of theta = (w, b); the absolute difference of accuracy on an evaluation set (a test set
  if given, else the training set).
* **Flow precision.** The flow is integrated by LSODA with the analytic Jacobian at
  ``FLOW_RTOL`` (Radau, the solver's default, needs minutes once only support vectors carry
  the gradient: the right-hand side then cancels terms ~lambda_max(M) times larger than its
  value, and Radau's error estimate stalls on that rounding noise). A second solve at
  ``FLOW_RTOL / 10`` gives ``flow_precision``, the relative theta difference between the two
  (a tighter check stalls the same way: LSODA at rtol 1e-12 takes 100 times more steps at
  tau = 1e4 on the paper's 2000 points and lands further from both looser solves).
* **Eq. (11), time made correct** (derivation ``thm4.5-gd-time``, theory/derivations_bias.py):
  with t in GD steps, eq. (11) holds verbatim when A_S^+- are built from the *flow-normalised*
  residual ``exp(-z_s^T theta_tilde_F) = alpha_s`` (Theorem 4.2 at eta = 1); the paper's literal
  reading with Theorem 4.2's ``eta exp(-z_s^T theta_tilde) = alpha_s`` makes g(t) 1/eta times
  larger. Started at (t0, b0 = b_GD(t0)), eq. (11) is compared with b_GD(t) (both parities) over
  a window of flow time; it *matches* when every checkpoint of the window has
  ``|b_GD - b_11| <= atol + rtol |b_11|``. The same comparison with the flow in place of GD
  gives eq. (11)'s own floor (exponential loss and Assumption 4.4 against the logistic flow).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from numerics.simulation import simulate
from numerics.flow import FLOW_ATOL, FLOW_RTOL, logistic_flow
from numerics.measure import set_metrics
from numerics.schedule import merge_schedules
from theory.closed_form import bias_closed_form
from theory.residual import residual_limit
from theory.stability import sharpness_at_init

__all__ = [
    "FLOW_CHECK_FACTOR",
    "FLOW_METHOD",
    "EQ11_ATOL",
    "EQ11_RTOL",
    "Eq11Comparison",
    "Eq11Constants",
    "EtaScan",
    "GDFlowComparison",
    "ScanRow",
    "compare_with_flow",
    "eq11_constants",
    "eq11_vs_bias",
    "eta_scan",
    "flow_time_checkpoints",
    "gd_vs_flow",
]

FLOW_METHOD = "LSODA"  # see the module docstring ("Flow precision")
FLOW_CHECK_FACTOR = 10.0  # the check solve runs at FLOW_RTOL / 10, FLOW_ATOL / 10 (see the module docstring)
# Default match tolerance of eq. (11) against GD, |b_GD - b_11| <= atol + rtol |b_11| (logit units):
# rtol = 1 asks eq. (11) to get b right to within its own size, which tells b_inf apart from the
# balanced phase-1 steady state b = 0 (eq. (14)); atol keeps the criterion meaningful when b_inf = 0.
EQ11_ATOL = 1e-3
EQ11_RTOL = 1.0


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GDFlowComparison:
    """GD and the gradient flow at equal flow time tau = eta t, each checkpoint read at t and t + 1.

    Attributes:
        eta: GD step size.  reduction: "sum" (eq. (3)) or "mean".
        t: (K,) int64 checkpoints, GD steps (>= 1).  tau: (K,) flow time eta t.
        gd_b_pair, flow_b_pair: (K, 2) b at t and t + 1.
        gd_w_norm_pair, flow_w_norm_pair: (K, 2) ||w||.
        gd_accuracy_pair, flow_accuracy_pair: (K, 2) accuracy on the evaluation set.
        accuracy_set: "test" or "train" (which set the accuracies are on).
        b_abs: (K,) max over the parities of |b_GD - b_F| (logit units).
        b_rel: (K,) max over the parities of |b_GD - b_F| / |b_F| (inf where b_F = 0).
        b_abs_parity_mean: (K,) |mean_{t,t+1} b_GD - mean_{t,t+1} b_F|: the distance of the
            cycle's centre from the flow.
        w_norm_rel, distance_rel, theta_rel: (K,) max over the parities of the relative
            differences of ||w||, of |b| / ||w|| and of theta = (w, b) (2-norm), relative to the flow.
        accuracy_abs: (K,) max over the parities of |accuracy_GD - accuracy_F|.
        flow_precision: max over checkpoints of ||theta_F - theta_F'|| / ||theta_F||, F' the
            flow solved at 1/10 of the tolerances; the flow values are good to about this.
        flow_method, flow_rtol: the solver and its relative tolerance.
        flow_success: both flow solves reached the end.
        gd_wall_s, flow_wall_s: seconds spent in GD and in the two flow solves.
    """

    eta: float
    reduction: str
    t: np.ndarray
    tau: np.ndarray
    gd_b_pair: np.ndarray
    flow_b_pair: np.ndarray
    gd_w_norm_pair: np.ndarray
    flow_w_norm_pair: np.ndarray
    gd_accuracy_pair: np.ndarray
    flow_accuracy_pair: np.ndarray
    accuracy_set: str
    b_abs: np.ndarray
    b_rel: np.ndarray
    b_abs_parity_mean: np.ndarray
    w_norm_rel: np.ndarray
    distance_rel: np.ndarray
    theta_rel: np.ndarray
    accuracy_abs: np.ndarray
    flow_precision: float
    flow_method: str
    flow_rtol: float
    flow_success: bool
    gd_wall_s: float
    flow_wall_s: float


@dataclass(frozen=True)
class Eq11Constants:
    """Constants of eq. (11) of arXiv:2602.08302 in the flow normalisation (time made correct).

    Attributes:
        A_plus, A_minus: A_S^+- built from theta_tilde of Theorem 4.2 at eta = 1, i.e.
            exp(-z_s^T theta_tilde_F) = alpha_s; then eq. (11) holds with t in GD steps (or in flow
            time: only t / t0 enters). The paper's literal reading uses A_S^+- / eta.
        rate: 2 sqrt(A_plus A_minus), per unit of log t (= ||theta_hat||^2 when b_hat = 0).
        b_inf: -log delta = (1/2) log(A_plus / A_minus).
        b_hat: the max-margin bias of eq. (7) (Assumption 3.1 asks for 0).
        stationarity: relative stationarity of the residual solver (its accuracy).
        late_onset_tau: max_s alpha_s, the flow time from which every support vector's margin on the
            asymptote, log(tau / alpha_s), is positive. Eq. (11) is derived for the exponential loss;
            the logistic loss's curvature differs by the factor 1 / (1 + alpha_s / tau)^2, so eq. (11)
            describes the logistic flow only for tau >> late_onset_tau (t >> late_onset_tau / eta steps).
    """

    A_plus: float
    A_minus: float
    rate: float
    b_inf: float
    b_hat: float
    stationarity: float
    late_onset_tau: float


@dataclass(frozen=True)
class Eq11Comparison:
    """Eq. (11) started at (t0, b(t0)) against a bias trajectory read at t and t + 1.

    Attributes:
        eta: GD step size of the trajectory (sets tau = eta t and the literal reading).
        t: (K,) checkpoints of the window, GD steps; t[0] = t0.
        tau_window: (tau_start, tau_end) requested window of flow time.
        b0: the trajectory's b at t0 (parity t0), the initial value given to eq. (11).
        b_pair: (K, 2) the trajectory's b at t and t + 1.
        b_eq11: (K,) eq. (11) with the corrected time (flow-normalised A_S^+-).
        b_eq11_literal: (K,) eq. (11) read literally in GD steps (A_S^+- / eta: g 1/eta times larger).
        error, error_literal: (K,) max over the parities of |b - b_eq11| (resp. literal).
        max_error, max_error_literal: their maxima over the window (logit units).
        scaled_error: max over the window of error / (atol + rtol |b_eq11|); matches iff <= 1.
        atol, rtol: the tolerance.  matches: scaled_error <= 1.
        constants: the :class:`Eq11Constants` used.
    """

    eta: float
    t: np.ndarray
    tau_window: tuple
    b0: float
    b_pair: np.ndarray
    b_eq11: np.ndarray
    b_eq11_literal: np.ndarray
    error: np.ndarray
    error_literal: np.ndarray
    max_error: float
    max_error_literal: float
    scaled_error: float
    atol: float
    rtol: float
    matches: bool
    constants: Eq11Constants


@dataclass(frozen=True)
class ScanRow:
    """One step size of :func:`eta_scan`.

    Attributes:
        eta: step size.  steps: GD steps run (ceil(tau_end / eta)); 0 if skipped.
        eta_sharpness0: eta lambda_max(H(0)) (GD is linearly stable everywhere iff <= 2).
        skipped: None, or why the step size was not run.
        comparison: :class:`GDFlowComparison` over the scan's flow-time grid (None if skipped).
        eq11_gd, eq11_flow: :class:`Eq11Comparison` of GD and of the flow (None if skipped or
            if eq. (11) is not available for the data).
    """

    eta: float
    steps: int
    eta_sharpness0: float
    skipped: str | None
    comparison: GDFlowComparison | None
    eq11_gd: Eq11Comparison | None
    eq11_flow: Eq11Comparison | None


@dataclass(frozen=True)
class EtaScan:
    """GD against the flow and against eq. (11) for several step sizes over one flow-time horizon.

    Attributes:
        tau_end: common flow-time horizon (each eta runs ceil(tau_end / eta) GD steps).
        tau_window: (tau_start, tau_end) window of the eq. (11) comparison.
        max_steps: step sizes needing more GD steps are skipped.
        rows: one :class:`ScanRow` per step size, in decreasing eta.
        largest_matching_eta: largest eta whose GD matches eq. (11) to the tolerance; None if none.
        matching_below: every scanned eta below ``largest_matching_eta`` matches too.
        eq11_unavailable: None, or why eq. (11) could not be evaluated (e.g. non-separable data).
        constants: the :class:`Eq11Constants` used (None when unavailable).
    """

    tau_end: float
    tau_window: tuple
    max_steps: int
    rows: tuple
    largest_matching_eta: float | None
    matching_below: bool
    eq11_unavailable: str | None
    constants: Eq11Constants | None


# --- helpers -----------------------------------------------------------------------------------


def _positive(name, value) -> float:
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"`{name}` must be positive and finite, got {value}")
    return value


def _rel(num, den):
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.abs(num) / np.abs(den)
    return np.where(num == 0.0, 0.0, np.where(den == 0.0, np.inf, out))


def _distance(b, w_norm):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(w_norm > 0.0, np.abs(b) / np.where(w_norm > 0.0, w_norm, 1.0), np.nan)


def flow_time_checkpoints(eta, tau_start, tau_end, per_decade=10) -> np.ndarray:
    """GD steps t = round(tau / eta) for tau log-spaced in [tau_start, tau_end], t >= 1, distinct.

    Args:
        eta: GD step size.  tau_start, tau_end: flow-time range (tau = eta t), 0 < start <= end.
        per_decade: points per factor of ten in tau.

    Returns:
        (K,) int64, strictly increasing.

    Raises:
        ValueError: on non-positive or inverted arguments.
    """
    eta = _positive("eta", eta)
    tau_start, tau_end = _positive("tau_start", tau_start), _positive("tau_end", tau_end)
    if tau_start > tau_end:
        raise ValueError(f"`tau_start` must be <= `tau_end`, got {tau_start} > {tau_end}")
    if int(per_decade) < 1:
        raise ValueError(f"`per_decade` must be >= 1, got {per_decade}")
    n = max(2, int(math.ceil(per_decade * math.log10(tau_end / tau_start))) + 1)
    t = np.round(np.geomspace(tau_start, tau_end, n) / eta).astype(np.int64)
    return np.unique(np.maximum(t, 1))


# --- GD vs flow ----------------------------------------------------------------------------------


def compare_with_flow(X, y, *, eta, t, w_pair, b_pair, reduction="sum", eval_set=None,
                      gd_wall_s=0.0) -> GDFlowComparison:
    """Distances between given GD states and the gradient flow at tau = eta t (and eta (t + 1)).

    Args:
        X: (N, d) inputs.  y: (N,) labels in {-1, +1}.
        eta: step size of the GD run; flow time tau = eta t.
        t: (K,) GD steps of the checkpoints (>= 1, strictly increasing).
        w_pair: (K, 2, d) GD's w at t and t + 1.  b_pair: (K, 2) GD's b at t and t + 1.
        reduction: "sum" (eq. (3) of arXiv:2602.08302) or "mean"; the flow uses the same.
        eval_set: optional (X_eval, y_eval) for the accuracies (default: the training set).
        gd_wall_s: seconds the GD run took (reported only).

    Returns:
        :class:`GDFlowComparison`.

    Raises:
        ValueError: on malformed input.
    """
    eta = _positive("eta", eta)
    t = np.asarray(t)
    if t.ndim != 1 or t.size == 0 or np.any(t < 1) or np.any(np.diff(t) <= 0):
        raise ValueError("`t` must be a non-empty strictly increasing array of GD steps >= 1")
    t = t.astype(np.int64)
    w_pair = np.asarray(w_pair, dtype=np.float64)
    b_pair = np.asarray(b_pair, dtype=np.float64)
    d = np.asarray(X).shape[1]
    if w_pair.shape != (t.size, 2, d) or b_pair.shape != (t.size, 2):
        raise ValueError(f"`w_pair` must have shape ({t.size}, 2, {d}) and `b_pair` ({t.size}, 2), "
                         f"got {w_pair.shape} and {b_pair.shape}")
    steps = np.stack([t, t + 1], axis=1).ravel()  # t < t + 1 <= next t: non-decreasing
    tic = time.perf_counter()
    flow = logistic_flow(X, y, steps, eta, reduction=reduction, method=FLOW_METHOD)
    check = logistic_flow(X, y, steps, eta, reduction=reduction, method=FLOW_METHOD,
                          rtol=FLOW_RTOL / FLOW_CHECK_FACTOR, atol=FLOW_ATOL / FLOW_CHECK_FACTOR)
    flow_wall = time.perf_counter() - tic
    fw = np.asarray(flow.w).reshape(t.size, 2, d)
    fb = np.asarray(flow.b).reshape(t.size, 2)
    theta_f = np.concatenate([flow.w, flow.b[:, None]], axis=1)
    theta_c = np.concatenate([check.w, check.b[:, None]], axis=1)
    flow_precision = float(np.max(_rel(np.linalg.norm(theta_f - theta_c, axis=1), np.linalg.norm(theta_c, axis=1))))
    Xe, ye = (X, y) if eval_set is None else eval_set
    gd_acc = np.asarray(set_metrics(Xe, ye, w_pair.reshape(-1, d), b_pair.ravel()).accuracy).reshape(t.size, 2)
    fl_acc = np.asarray(set_metrics(Xe, ye, fw.reshape(-1, d), fb.ravel()).accuracy).reshape(t.size, 2)
    gd_wn, fl_wn = np.linalg.norm(w_pair, axis=2), np.linalg.norm(fw, axis=2)
    theta_diff = np.sqrt(np.sum((w_pair - fw) ** 2, axis=2) + (b_pair - fb) ** 2)
    theta_norm = np.sqrt(fl_wn**2 + fb**2)
    return GDFlowComparison(
        eta=eta, reduction=reduction, t=t, tau=eta * t.astype(np.float64),
        gd_b_pair=b_pair, flow_b_pair=fb, gd_w_norm_pair=gd_wn, flow_w_norm_pair=fl_wn,
        gd_accuracy_pair=gd_acc, flow_accuracy_pair=fl_acc,
        accuracy_set="train" if eval_set is None else "test",
        b_abs=np.max(np.abs(b_pair - fb), axis=1),
        b_rel=np.max(_rel(b_pair - fb, fb), axis=1),
        b_abs_parity_mean=np.abs(b_pair.mean(axis=1) - fb.mean(axis=1)),
        w_norm_rel=np.max(_rel(gd_wn - fl_wn, fl_wn), axis=1),
        distance_rel=np.max(_rel(_distance(b_pair, gd_wn) - _distance(fb, fl_wn), _distance(fb, fl_wn)), axis=1),
        theta_rel=np.max(_rel(theta_diff, theta_norm), axis=1),
        accuracy_abs=np.max(np.abs(gd_acc - fl_acc), axis=1),
        flow_precision=flow_precision, flow_method=FLOW_METHOD, flow_rtol=FLOW_RTOL,
        flow_success=bool(flow.success and check.success),
        gd_wall_s=float(gd_wall_s), flow_wall_s=flow_wall,
    )


def gd_vs_flow(X, y, *, eta, checkpoints, reduction="sum", eval_set=None, progress=False) -> GDFlowComparison:
    """Run float64 GD from w = 0, b = 0 (eq. (5) of arXiv:2602.08302) and compare it with the flow.

    GD is :func:`numerics.simulation.simulate` (exact float64 engine), read at every checkpoint t and at t + 1.

    Args:
        X, y: training data.  eta: step size.
        checkpoints: GD steps >= 1, strictly increasing (e.g. :func:`flow_time_checkpoints`).
        reduction, eval_set: as :func:`compare_with_flow`.
        progress: passed to the engine.

    Returns:
        :class:`GDFlowComparison`.

    Raises:
        ValueError: on malformed input.  FloatingPointError: GD left the float64 range.
    """
    t = np.asarray(checkpoints)
    if t.ndim != 1 or t.size == 0 or np.any(t < 1) or np.any(np.diff(t) <= 0):
        raise ValueError("`checkpoints` must be a non-empty strictly increasing array of GD steps >= 1")
    t = t.astype(np.int64)
    steps = int(t[-1]) + 1
    traj = simulate(X, y, eta=eta, steps=steps, schedule=merge_schedules(steps, t, t + 1), reduction=reduction,
                    progress=progress).run
    pos = np.searchsorted(traj.t, np.stack([t, t + 1], axis=1))
    return compare_with_flow(X, y, eta=eta, t=t, w_pair=traj.w[pos], b_pair=traj.b[pos], reduction=reduction,
                             eval_set=eval_set, gd_wall_s=traj.wall_s)


# --- eq. (11) --------------------------------------------------------------------------------------


def eq11_constants(X, y) -> Eq11Constants:
    """A_S^+-, rate and b_inf of Theorem 4.5 in the flow normalisation (Theorem 4.2 at eta = 1).

    Raises:
        theory.geometry.NotSeparableError: the data are not linearly separable.
        ValueError: a class has no support vector (A_S^+- = 0: eq. (11) is undefined).
    """
    res = residual_limit(X, y, 1.0)
    if not (res.A_plus > 0 and res.A_minus > 0 and math.isfinite(res.A_plus) and math.isfinite(res.A_minus)):
        raise ValueError("eq. (11) needs support vectors in both classes (A_S^+ and A_S^- positive)")
    return Eq11Constants(A_plus=res.A_plus, A_minus=res.A_minus, rate=res.rate, b_inf=res.b_inf,
                         b_hat=float(res.b_hat), stationarity=res.stationarity,
                         late_onset_tau=float(np.max(res.alphas[res.support])))


def eq11_vs_bias(t, b_pair, *, eta, constants: Eq11Constants, tau_window, atol=EQ11_ATOL,
                 rtol=EQ11_RTOL) -> Eq11Comparison:
    """Eq. (11) of arXiv:2602.08302 with the corrected time against a bias trajectory.

    The window is the checkpoints with tau_start <= eta t <= tau_end; t0 is its first
    checkpoint and b0 the trajectory's b(t0). Corrected: g = rate log(t / t0) with the
    flow-normalised rate; literal: g = (rate / eta) log(t / t0).

    Args:
        t: (K,) GD steps.  b_pair: (K, 2) b at t and t + 1 (pass the same column twice for a flow).
        eta: step size (tau = eta t).  constants: :func:`eq11_constants` of the data.
        tau_window: (tau_start, tau_end) in flow time.
        atol, rtol: match tolerance |b - b_11| <= atol + rtol |b_11| (logit units).

    Returns:
        :class:`Eq11Comparison`.

    Raises:
        ValueError: no checkpoint in the window, or malformed input.
    """
    eta = _positive("eta", eta)
    atol, rtol = float(atol), float(rtol)
    if not (atol >= 0 and rtol >= 0 and atol + rtol > 0 and math.isfinite(atol + rtol)):
        raise ValueError(f"`atol` and `rtol` must be non-negative, finite and not both 0, got {atol}, {rtol}")
    t = np.asarray(t, dtype=np.int64)
    b_pair = np.asarray(b_pair, dtype=np.float64)
    lo, hi = (float(v) for v in tau_window)
    tau = eta * t.astype(np.float64)
    sel = (tau >= lo * (1 - 1e-12)) & (tau <= hi * (1 + 1e-12))
    if not sel.any():
        raise ValueError(f"no checkpoint lies in the flow-time window [{lo:g}, {hi:g}] (eta = {eta:g}); "
                         "widen `tau_window` or run longer")
    tw, bw = t[sel], b_pair[sel]
    b0 = float(bw[0, 0])
    c = constants
    corrected = bias_closed_form(tw.astype(np.float64), b0, float(tw[0]), c.A_plus, c.A_minus).b
    literal = bias_closed_form(tw.astype(np.float64), b0, float(tw[0]), c.A_plus / eta, c.A_minus / eta).b
    err = np.max(np.abs(bw - corrected[:, None]), axis=1)
    err_lit = np.max(np.abs(bw - literal[:, None]), axis=1)
    scaled = float(np.max(err / (atol + rtol * np.abs(corrected))))
    return Eq11Comparison(
        eta=eta, t=tw, tau_window=(lo, hi), b0=b0, b_pair=bw, b_eq11=corrected, b_eq11_literal=literal,
        error=err, error_literal=err_lit, max_error=float(err.max()), max_error_literal=float(err_lit.max()),
        scaled_error=scaled, atol=atol, rtol=rtol, matches=scaled <= 1.0, constants=c,
    )


# --- the scan ----------------------------------------------------------------------------------------


def eta_scan(X, y, etas, *, tau_end, max_steps, tau_window=None, eval_set=None, reduction="sum",
             atol=EQ11_ATOL, rtol=EQ11_RTOL, per_decade=10, tau_start=None, progress=None) -> EtaScan:
    """GD vs flow and GD vs eq. (11) (corrected time) for several step sizes, one flow-time horizon.

    Each eta runs ceil(tau_end / eta) float64 GD steps from w = 0, b = 0 and is read on the flow
    time grid ``flow_time_checkpoints(eta, tau_start, tau_end, per_decade)``; step sizes needing
    more than ``max_steps`` steps are skipped (reported). Eq. (11) is compared over ``tau_window``
    (default: the last decade, (tau_end / 10, tau_end)).

    Args:
        X, y: training data.  etas: step sizes (> 0).
        tau_end: flow-time horizon (> 0).  max_steps: GD step budget per step size.
        tau_window: (tau_start, tau_end) of the eq. (11) comparison.
        eval_set, reduction: as :func:`compare_with_flow`.
        atol, rtol: eq. (11) match tolerance (:func:`eq11_vs_bias`).
        per_decade: checkpoints per decade of tau.  tau_start: first checkpoint's flow time
            (default min(1, tau_end / 1e3)).
        progress: optional callable ``f(message)`` told about each step size before it runs.

    Returns:
        :class:`EtaScan` (rows in decreasing eta).

    Raises:
        ValueError: on malformed input.
    """
    etas = sorted({_positive("etas", e) for e in etas}, reverse=True)
    if not etas:
        raise ValueError("`etas` must hold at least one step size")
    tau_end = _positive("tau_end", tau_end)
    max_steps = int(max_steps)
    if max_steps < 1:
        raise ValueError(f"`max_steps` must be >= 1, got {max_steps}")
    tau_start = min(1.0, tau_end / 1e3) if tau_start is None else _positive("tau_start", tau_start)
    window = (tau_end / 10.0, tau_end) if tau_window is None else tuple(float(v) for v in tau_window)
    try:
        constants, unavailable = eq11_constants(X, y), None
    except ValueError as exc:  # NotSeparableError is a ValueError
        constants, unavailable = None, f"eq. (11) is not available for these data: {exc}"
    rows = []
    for eta in etas:
        sharp = sharpness_at_init(X, y, eta=eta, reduction=reduction).eta_lambda
        need = tau_end / eta * (1.0 - 1e-12)  # tau_end / eta may round just above an integer
        if not need <= max_steps:  # also inf (tau_end / eta beyond float64): skipped, never converted to int
            rows.append(ScanRow(eta, 0, sharp, f"needs {need:.3g} GD steps to reach tau = {tau_end:g}, "
                                f"more than the budget of {max_steps:,} (raise --scan-max-steps)", None, None, None))
            continue
        steps = int(math.ceil(need))
        if steps > max_steps:
            rows.append(ScanRow(eta, 0, sharp, f"needs {steps:,} GD steps to reach tau = {tau_end:g}, "
                                f"more than the budget of {max_steps:,} (raise --scan-max-steps)", None, None, None))
            continue
        if progress is not None:
            progress(f"eta = {eta:g}: {steps:,} GD steps to tau = {tau_end:g}")
        cp = flow_time_checkpoints(eta, tau_start, tau_end, per_decade)
        cmp_ = gd_vs_flow(X, y, eta=eta, checkpoints=cp, reduction=reduction, eval_set=eval_set)
        e_gd = e_fl = None
        if constants is not None:
            e_gd = eq11_vs_bias(cmp_.t, cmp_.gd_b_pair, eta=eta, constants=constants, tau_window=window,
                                atol=atol, rtol=rtol)
            e_fl = eq11_vs_bias(cmp_.t, cmp_.flow_b_pair, eta=eta, constants=constants, tau_window=window,
                                atol=atol, rtol=rtol)
        rows.append(ScanRow(eta, steps, sharp, None, cmp_, e_gd, e_fl))
    run = [r for r in rows if r.eq11_gd is not None]
    matching = [r.eta for r in run if r.eq11_gd.matches]
    largest = max(matching) if matching else None
    below = largest is not None and all(r.eq11_gd.matches for r in run if r.eta <= largest)
    return EtaScan(tau_end=tau_end, tau_window=window, max_steps=max_steps, rows=tuple(rows),
                   largest_matching_eta=largest, matching_below=below, eq11_unavailable=unavailable,
                   constants=constants)
