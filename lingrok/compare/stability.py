"""The `lingrok stability` report: the edge-of-stability theory paired with what GD does.

Pairs, for one dataset and step size (GD of eqs. (3)-(5) of arXiv:2602.08302 from w = 0, b = 0):

* theory (:mod:`theory.stability`): ``sharpness0`` = eta lambda_max(H(0)), H(0) = (1/4) sum_i z_i z_i^T;
  the late-time edge of stability ``t_eos_predicted`` = lambda_max(M) / 2, M = sum_s alpha_s z_s z_s^T,
  and its logistic-curvature version ``t_eos_logistic`` (GD steps), alpha_s the duals of eq. (7)
  from :func:`theory.residual.residual_limit`. Needs separable data; otherwise null with a reason.
* measurement (:mod:`numerics.stability_measure`): one float64 run (:func:`numerics.engine.run_gd`)
  read at t .. t + 3 on log-spaced t; a period-2 oscillation is detected from two overlapping triples and
  ``oscillation_end`` is the first sampled t after the last oscillating one (null if the last sample
  still oscillates: the oscillation lasts the whole run).
* precision (:func:`numerics.highprec.precision_horizon`): float64 against double-double over
  ``reference_steps`` (a budget: double-double costs ~0.7 microseconds per point and step), the
  horizon up to which they agree to 1e-6 relative, and the table of distances.
* GD against the flow (:mod:`lingrok.compare.gd_vs_flow`) at the requested eta, and a scan over step
  sizes with eq. (11) (time made correct) against GD.

Every number in the report says how it was obtained (``*_method`` / ``precision`` fields).
"""

from __future__ import annotations

import math
import time

import numpy as np
from numerics.schedule import log_schedule

from lingrok.inputs import json_float

__all__ = ["DEFAULT_REFERENCE_POINT_STEPS", "HORIZON_RTOL", "default_reference_steps", "stability_report"]

# The default double-double reference costs N * steps point-steps at ~0.7 us each: 5e7 is ~35 s
# on one core (about a minute on a loaded machine); 25,000 steps for the paper's N = 2000.
DEFAULT_REFERENCE_POINT_STEPS = 50_000_000
HORIZON_RTOL = 1e-6  # numerics.highprec's default: six correct digits of theta = (w, b)
_OSC_PER_DECADE = 10  # sampled triples per decade of t
_TABLE_PER_DECADE = 5  # rows per decade of the GD-vs-flow and float64-vs-reference tables


def default_reference_steps(n_points: int, steps: int) -> int:
    """min(steps, DEFAULT_REFERENCE_POINT_STEPS / N), at least 100: the double-double budget."""
    return int(min(steps, max(100, DEFAULT_REFERENCE_POINT_STEPS // max(1, n_points))))


def _theory(data, eta, reduction):
    """sharpness0 and the late-time edge of stability; the latter None with a reason if unavailable.

    ``data``: the training set (numerics.datafiles.LoadedData).
    """
    X, y = data.X, data.y
    from theory.geometry import NotSeparableError
    from theory.residual import residual_limit
    from theory.stability import augmented_features, late_time_stability, sharpness_at_init

    try:
        init = sharpness_at_init(X, y, eta=eta, reduction=reduction)
    except (np.linalg.LinAlgError, OverflowError, FloatingPointError) as exc:
        from lingrok.errors import UsageError
        from lingrok.inputs import range_words

        raise UsageError(f"numeric range: the Hessian at w = 0, b = 0 leaves float64's range ({type(exc).__name__}: "
                         f"{exc}); {range_words(data)}; the sharpness and GD depend on the scale of X, so rescale "
                         "the data (e.g. to coordinates of order 1) and rerun") from None
    sharp = {
        "lambda_max": init.lambda_max, "eta_lambda_max": init.eta_lambda, "unstable": init.unstable,
        "eta_critical": 2.0 / init.lambda_max if init.lambda_max > 0 else None,
        "method": "float64 eigvalsh of H(0) = (1/4) sum_i z_i z_i^T, z_i = y_i (x_i, 1)"
                  + (" / N (mean loss)" if reduction == "mean" else " (summed loss, eq. (3))")
                  + "; relative error ~1e-15",
    }
    try:
        res = residual_limit(X, y, 1.0)
    except NotSeparableError as exc:
        from lingrok.inputs import range_error, separable_after_rescaling

        check = separable_after_rescaling(data)
        if check is not None and check[0]:  # separability is scale-invariant: the solvers failed at this scale
            return init, sharp, None, str(range_error(data, "the residual limit and t_EoS"))
        return init, sharp, None, (f"the data are not linearly separable ({exc}); the late-time theory "
                                   "(Theorems 4.1-4.2, t_EoS) needs separable data")
    except (OverflowError, FloatingPointError, np.linalg.LinAlgError) as exc:
        return init, sharp, None, (f"numeric range: the residual limit of Theorem 4.2 leaves float64's range "
                                   f"({type(exc).__name__}: {exc}); rescale the data")
    except (ValueError, RuntimeError) as exc:
        return init, sharp, None, f"the residual limit of Theorem 4.2 could not be computed: {exc}"
    S = res.support
    eta_eff = eta / X.shape[0] if reduction == "mean" else eta  # the mean loss is the sum at eta / N
    lt = late_time_stability(res.alphas[S], augmented_features(X, y)[S], eta=eta_eff)
    late = {
        "lambda_max_M": lt.lambda_max, "t_monotone": lt.t_monotone,
        "top_direction": [float(v) for v in lt.top_direction],
        "boundary_fraction": lt.boundary_fraction, "normal_fraction": lt.normal_fraction,
        "bias_fraction": lt.bias_fraction, "support_size": int(S.size),
        "alphas_stationarity": res.stationarity, "alphas_status": res.status,
        "units": "GD steps",
        "method": "t_EoS = lambda_max(M) / 2, M = sum_s alpha_s z_s z_s^T (exponential tail, "
                  "theory.stability.late_time_stability); t_eos_logistic keeps the logistic curvature "
                  "sigma'(m_s) = q/(1+q)^2, q = alpha_s/(eta t), and is 0 when the asymptote is never "
                  "unstable; alpha_s from theory.residual (relative stationarity given)",
        "t_eos": lt.t_eos, "t_eos_logistic": lt.t_eos_logistic,
    }
    return init, sharp, late, None


def _main_run(X, y, eta, steps, reduction, progress):
    """One float64 run (numerics.simulate) read at the table checkpoints (t, t + 1) and at oscillation quadruples."""
    from numerics.cycle_measure import oscillation_samples
    from numerics.schedule import merge_schedules
    from numerics.simulation import simulate

    table_t = log_schedule(steps, _TABLE_PER_DECADE)[1:]
    osc_t, osc_ck = oscillation_samples(steps, max(2, int(round(_OSC_PER_DECADE * math.log10(max(steps, 10)))) + 1))
    total = steps + 3
    ck = merge_schedules(total, table_t, table_t + 1, osc_ck)
    traj = simulate(X, y, eta=eta, steps=total, schedule=ck, reduction=reduction, progress=progress).run
    return traj, table_t, osc_t


def _oscillation(traj, osc_t, eta, reduction):
    """numerics.cycle_measure's rule (both triples (t, t+1, t+2) and (t+1, t+2, t+3) alternate) as JSON."""
    from numerics.cycle_measure import read_oscillation

    o = read_oscillation(traj.t, traj.w, traj.b, osc_t, eta=eta, reduction=reduction)
    lo, hi = o.bracket
    end, bracket = (None, [lo, None]) if o.lasts else (hi, [lo, hi])
    last = int(osc_t[np.flatnonzero(o.oscillating)[-1]]) if o.detected else None
    detail = {
        "detected": o.detected, "end_bracket": bracket, "samples": int(osc_t.size),
        "last_oscillating_t": last, "min_amplitude": o.min_amplitude,
        "amplitude_b_last": float(o.amplitude[-1, -1]), "amplitude_b_max": float(o.amplitude[:, -1].max()),
        "amplitude_max_last": float(o.amplitude[-1].max()),
        "method": "float64 GD (numerics.engine.run_gd) read at t, t+1, t+2, t+3 for "
                  f"{osc_t.size} log-spaced t in [1, steps]; a component oscillates at t when its first differences "
                  "alternate in sign in both triples (t..t+2 and t+1..t+3) with amplitude |v(t) - 2v(t+1) + v(t+2)|/4 "
                  "> min_amplitude (a turning point alternates once, a period-2 cycle in both); oscillation_end is the "
                  "first sampled t after the last oscillating one (the end lies in end_bracket); null if the last "
                  "sample oscillates; if none oscillates it is the first sampled t",
    }
    return end, detail


def _precision(X, y, eta, reference_steps, reduction):
    from numerics.highprec import precision_horizon

    cp = log_schedule(reference_steps, _TABLE_PER_DECADE)[1:]
    tic = time.perf_counter()
    ph = precision_horizon(X, y, eta=eta, checkpoints=cp, precision="float64", rtol=HORIZON_RTOL,
                           reduction=reduction)
    wall = time.perf_counter() - tic
    all_agree = ph.first_disagreement == -1
    detail = {
        "rtol": ph.rtol, "reference": "double-double (106-bit significand, numerics.highprec.run_gd_dd)",
        "reference_steps": int(reference_steps), "all_agree": bool(all_agree),
        "lower_bound": bool(all_agree),
        "first_disagreement": None if all_agree else int(ph.first_disagreement),
        "method": "float64 GD (same operations in the same order) against double-double; horizon = last "
                  "checkpoint up to which ||theta_64 - theta_dd|| / ||theta_dd|| <= rtol at every checkpoint; "
                  "when all agree it is a lower bound (the reference stops at reference_steps); "
                  "null if the first checkpoint already disagrees",
        "wall_s": wall,
    }
    horizon = int(ph.horizon) if ph.horizon >= 0 else None
    table = [{"t": int(t), "rel_diff": json_float(r)} for t, r in zip(ph.t, ph.rel_diff)]
    return horizon, detail, table


def _flow_table(cmp_) -> dict:
    rows = []
    for k in range(cmp_.t.size):
        rows.append({
            "t": int(cmp_.t[k]), "tau": float(cmp_.tau[k]),
            "b_gd": [float(v) for v in cmp_.gd_b_pair[k]], "b_flow": [float(v) for v in cmp_.flow_b_pair[k]],
            "w_norm_gd": [float(v) for v in cmp_.gd_w_norm_pair[k]],
            "w_norm_flow": [float(v) for v in cmp_.flow_w_norm_pair[k]],
            "accuracy_gd": [float(v) for v in cmp_.gd_accuracy_pair[k]],
            "accuracy_flow": [float(v) for v in cmp_.flow_accuracy_pair[k]],
            "b_abs": float(cmp_.b_abs[k]), "b_rel": json_float(cmp_.b_rel[k]),
            "b_abs_parity_mean": float(cmp_.b_abs_parity_mean[k]),
            "w_norm_rel": json_float(cmp_.w_norm_rel[k]), "distance_rel": json_float(cmp_.distance_rel[k]),
            "theta_rel": json_float(cmp_.theta_rel[k]), "accuracy_abs": float(cmp_.accuracy_abs[k]),
        })
    return {
        "eta": cmp_.eta, "accuracy_set": cmp_.accuracy_set, "rows": rows,
        "max": {"b_abs": float(cmp_.b_abs.max()), "w_norm_rel": json_float(np.max(cmp_.w_norm_rel)),
                "distance_rel": json_float(np.max(cmp_.distance_rel)), "theta_rel": json_float(np.max(cmp_.theta_rel)),
                "accuracy_abs": float(cmp_.accuracy_abs.max())},
        "flow_method": f"numerics.flow.logistic_flow, {cmp_.flow_method}, rtol {cmp_.flow_rtol:g}, in log time",
        "flow_precision": cmp_.flow_precision, "flow_success": cmp_.flow_success,
        "parity": "GD is read at t and t + 1 (and the flow at eta t, eta (t + 1)); each distance is the larger "
                  "of the two parities; b_abs_parity_mean compares the two-step means",
        "definitions": "b_abs = |b_GD - b_F| (logit units); b_rel = b_abs / |b_F|; w_norm_rel, distance_rel "
                       "(|b|/||w||), theta_rel: |GD - F| / |F|; accuracy_abs = |acc_GD - acc_F| on accuracy_set",
    }


def _eq11_json(e) -> dict | None:
    if e is None:
        return None
    return {"t0": int(e.t[0]), "b0": e.b0, "max_error": e.max_error, "max_error_literal": e.max_error_literal,
            "scaled_error": e.scaled_error, "matches": e.matches}


def _scan_json(scan) -> dict:
    rows = []
    for r in scan.rows:
        row = {"eta": r.eta, "steps": r.steps, "eta_sharpness0": r.eta_sharpness0, "skipped": r.skipped}
        if r.comparison is not None:
            cm = r.comparison
            row.update({
                "tau": [float(v) for v in cm.tau],
                "b_abs": [float(v) for v in cm.b_abs],
                "w_norm_rel": [json_float(v) for v in cm.w_norm_rel],
                "distance_rel": [json_float(v) for v in cm.distance_rel],
                "theta_rel": [json_float(v) for v in cm.theta_rel],
                "accuracy_abs": [float(v) for v in cm.accuracy_abs],
                "max_b_abs": float(cm.b_abs.max()), "max_w_norm_rel": json_float(cm.w_norm_rel.max()),
                "max_distance_rel": json_float(cm.distance_rel.max()), "max_theta_rel": json_float(cm.theta_rel.max()),
                "max_accuracy_abs": float(cm.accuracy_abs.max()), "flow_precision": cm.flow_precision,
                "gd_wall_s": cm.gd_wall_s,
                "eq11_gd": _eq11_json(r.eq11_gd), "eq11_flow": _eq11_json(r.eq11_flow),
            })
        rows.append(row)
    first = next((r.eq11_gd for r in scan.rows if r.eq11_gd is not None), None)
    c = scan.constants
    return {
        "tau_end": scan.tau_end, "tau_window": list(scan.tau_window), "max_steps": scan.max_steps,
        "tolerance": None if first is None else {
            "atol": first.atol, "rtol": first.rtol,
            "rule": "eq. (11) matches when |b_GD - b_11| <= atol + rtol |b_11| at every checkpoint of tau_window, "
                    "GD read at t and t + 1"},
        "largest_matching_eta": scan.largest_matching_eta, "matching_below": scan.matching_below,
        "eq11_unavailable": scan.eq11_unavailable,
        "eq11_constants": None if c is None else {
            "A_plus": c.A_plus, "A_minus": c.A_minus, "rate": c.rate,
            "b_inf": c.b_inf, "b_hat": c.b_hat, "stationarity": c.stationarity,
            "late_onset_tau": c.late_onset_tau,
            "window_starts_after_onset": scan.tau_window[0] >= c.late_onset_tau,
            "late_onset_rule": "max_s alpha_s: from this flow time on every support-vector margin on the asymptote is "
                               "positive; eq. (11) (exponential loss) describes the logistic flow only for tau >> it",
            "normalisation": "flow: exp(-z_s^T theta_tilde) = alpha_s (Theorem 4.2 at eta = 1); eq. (11) then holds "
                             "with t in GD steps; 'literal' uses A/eta (g 1/eta times larger)"},
        "rows": rows,
        "method": "each eta runs ceil(tau_end / eta) float64 GD steps from w = 0, b = 0 and is compared with the "
                  "flow at equal tau = eta t on a log grid; eq. (11) (corrected time) started at the window's "
                  "first checkpoint t0 with b0 = b_GD(t0); eq11_flow is the same comparison for the flow "
                  "(eq. (11)'s own floor)",
    }


def stability_report(train, test=None, *, eta=0.01, steps=1_000_000, reference_steps=None, etas=None,
                     scan_tau=None, scan_max_steps=None, atol=None, rtol=None, reduction="sum",
                     progress=None) -> dict:
    """Compute the `lingrok stability` report for ``train`` (a :class:`numerics.datafiles.LoadedData`).

    Args:
        train: training data (X, y, path).  test: optional test set (accuracies are on it).
        eta: step size.  steps: float64 GD steps of the main run (t counts GD steps).
        reference_steps: double-double reference horizon (default :func:`default_reference_steps`).
        etas: step sizes of the GD-vs-flow scan (default eta, eta/3, eta/10, eta/30); empty: no scan.
        scan_tau: common flow-time horizon of the scan (default eta * steps).
        scan_max_steps: GD step budget per scanned step size (default 30 * steps: enough for eta / 30
            to reach the main run's flow time).
        atol, rtol: eq. (11) match tolerance (defaults :data:`lingrok.compare.gd_vs_flow.EQ11_ATOL`, ``EQ11_RTOL``).
        reduction: "sum" (eq. (3)) or "mean".
        progress: optional callable ``f(message)``.

    Returns:
        JSON-ready dict (see docs/stability.md for the fields).

    Raises:
        lingrok.errors.UsageError: on unusable options or a diverging run.
    """
    from lingrok.errors import UsageError
    from numerics.flow_compare import compare_with_flow

    from lingrok.compare.gd_vs_flow import EQ11_ATOL, EQ11_RTOL, eta_scan

    say = progress or (lambda msg: None)
    X, y = train.X, train.y
    eval_set = (test.X, test.y) if test is not None else None
    atol = EQ11_ATOL if atol is None else atol
    rtol = EQ11_RTOL if rtol is None else rtol
    if reference_steps is None:
        reference_steps = default_reference_steps(train.n, steps)
    if reference_steps > steps:
        raise UsageError(f"--reference-steps ({reference_steps:,}) must not exceed --steps ({steps:,}); pass a smaller --reference-steps")
    etas = [eta, eta / 3, eta / 10, eta / 30] if etas is None else list(etas)
    scan_tau = eta * steps if scan_tau is None else scan_tau
    scan_max_steps = 30 * steps if scan_max_steps is None else scan_max_steps
    timings = {}

    with np.errstate(over="ignore"):
        gram = np.max(np.abs(X)) ** 2 * X.shape[0] * (X.shape[1] + 1)  # numpy float64: inf, not OverflowError
    if not np.isfinite(gram):  # the Hessian sum_i z_i z_i^T / 4 (and the flow's Jacobian) overflow float64
        from lingrok.inputs import range_words

        raise UsageError(f"numeric range: {range_words(train)}, so the Hessian sum_i z_i z_i^T / 4 of the loss "
                         "overflows float64 (the sharpness, the flow and GD all depend on the scale of X); rescale "
                         "the data (e.g. to coordinates of order 1) and rerun")
    tic = time.perf_counter()
    init, sharp, late, late_reason = _theory(train, eta, reduction)
    timings["theory_s"] = time.perf_counter() - tic

    say(f"float64 GD: {steps + 3:,} steps at eta = {eta:g}")
    tic = time.perf_counter()
    try:
        traj, table_t, osc_t = _main_run(X, y, eta, steps, reduction, progress is not None)
    except FloatingPointError as exc:
        raise UsageError(f"gradient descent diverged ({exc}); lower --eta") from None
    timings["gd_s"] = time.perf_counter() - tic
    osc_end, osc_detail = _oscillation(traj, osc_t, eta, reduction)
    from theory.prediction import cycle_forecast

    from lingrok.compare.large_step import cycle_json

    tic = time.perf_counter()
    try:
        osc_pred, osc_pred_detail = cycle_json(cycle_forecast(X, y, eval_set, eta=eta, reduction=reduction,
                                                              steps=steps))
    except (ValueError, OverflowError, FloatingPointError, ZeroDivisionError, np.linalg.LinAlgError) as exc:
        from lingrok.inputs import range_words

        osc_pred, osc_pred_detail = None, {"reason": (
            f"numeric range: the large-step model could not be evaluated ({type(exc).__name__}: {exc}); "
            f"{range_words(train)}; rescale the data (e.g. to coordinates of order 1)")}
    timings["cycle_theory_s"] = time.perf_counter() - tic

    from theory.stability import sharpness

    last = np.searchsorted(traj.t, [steps, steps + 1])
    sharp_final = [eta * sharpness(np.r_[traj.w[k], traj.b[k]], X, y, reduction=reduction) for k in last]

    say("gradient flow at the same flow time (LSODA, two tolerances)")
    tic = time.perf_counter()
    pos = np.searchsorted(traj.t, np.stack([table_t, table_t + 1], axis=1))
    try:
        cmp_ = compare_with_flow(X, y, eta=eta, t=table_t, w_pair=traj.w[pos], b_pair=traj.b[pos],
                                 reduction=reduction, eval_set=eval_set, gd_wall_s=traj.wall_s)
    except ValueError as exc:  # the flow did not reach every checkpoint: NaN parameters
        from lingrok.inputs import range_words

        raise UsageError(f"numeric range: the gradient flow could not be integrated to tau = {eta * steps:g} "
                         f"({exc}); {range_words(train)}; rescale the data (e.g. to coordinates of order 1) or "
                         "shorten --steps") from None
    timings["flow_s"] = time.perf_counter() - tic

    say(f"double-double reference: {reference_steps:,} steps on {train.n:,} points")
    tic = time.perf_counter()
    horizon, horizon_detail, f64_table = _precision(X, y, eta, reference_steps, reduction)
    timings["reference_s"] = time.perf_counter() - tic

    scan_json = None
    if etas:
        tic = time.perf_counter()
        try:
            scan = eta_scan(X, y, etas, tau_end=scan_tau, max_steps=scan_max_steps, eval_set=eval_set,
                            reduction=reduction, atol=atol, rtol=rtol, progress=say)
        except FloatingPointError as exc:
            raise UsageError(f"gradient descent diverged in the eta scan ({exc}); lower --etas") from None
        except ValueError as exc:
            raise UsageError(f"eta scan: {exc}") from None
        timings["scan_s"] = time.perf_counter() - tic
        scan_json = _scan_json(scan)

    return {
        "data": train.path, "test": None if test is None else test.path, "n": train.n, "d": train.d,
        "eta": eta, "steps": steps, "reduction": reduction,
        "sharpness0": init.eta_lambda, "sharpness0_detail": sharp,
        "t_eos_predicted": None if late is None else late["t_eos"],
        "t_eos_logistic": None if late is None else late["t_eos_logistic"],
        "t_eos_reason": late_reason, "t_eos_detail": late,
        "oscillation_end": osc_end, "oscillation": osc_detail,
        "oscillation_end_predicted": osc_pred, "oscillation_predicted": osc_pred_detail,
        "sharpness_final": {"t": [steps, steps + 1], "eta_lambda_max": sharp_final,
                            "method": "float64 eigvalsh of the logistic Hessian at GD's theta(t), times eta"},
        "precision_horizon": horizon, "precision_horizon_detail": horizon_detail,
        "float64_vs_reference": f64_table,
        "gd_vs_flow": _flow_table(cmp_),
        "eta_scan": scan_json,
        "timings": timings,
        "units": "t counts GD steps from w = 0, b = 0; flow time tau = eta t",
    }
