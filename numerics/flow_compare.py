"""Full-batch GD against the gradient flow it discretises, at equal flow time tau = eta t.

GD of eqs. (4)-(5) of arXiv:2602.08302 with step eta is forward Euler for the flow
``d theta / d tau = -grad L(theta)`` at flow time ``tau = eta t`` (t counts GD steps). This module
measures how far the two are apart (:func:`gd_vs_flow`, :func:`compare_with_flow`).

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

Never imports theory.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from numerics.flow import FLOW_ATOL, FLOW_RTOL, logistic_flow
from numerics.measure import set_metrics
from numerics.schedule import merge_schedules

__all__ = ["FLOW_CHECK_FACTOR", "FLOW_METHOD", "GDFlowComparison", "compare_with_flow", "flow_time_checkpoints",
           "gd_vs_flow", "positive"]

FLOW_METHOD = "LSODA"  # see the module docstring ("Flow precision")
FLOW_CHECK_FACTOR = 10.0  # the check solve runs at FLOW_RTOL / 10, FLOW_ATOL / 10 (see the module docstring)


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


def positive(name, value) -> float:
    """``value`` as a float, checked positive and finite (ValueError naming ``name``)."""
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
    eta = positive("eta", eta)
    tau_start, tau_end = positive("tau_start", tau_start), positive("tau_end", tau_end)
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
    eta = positive("eta", eta)
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
    from numerics.simulation import simulate

    traj = simulate(X, y, eta=eta, steps=steps, schedule=merge_schedules(steps, t, t + 1), reduction=reduction,
                    progress=progress).run
    pos = np.searchsorted(traj.t, np.stack([t, t + 1], axis=1))
    return compare_with_flow(X, y, eta=eta, t=t, w_pair=traj.w[pos], b_pair=traj.b[pos], reduction=reduction,
                             eval_set=eval_set, gd_wall_s=traj.wall_s)
