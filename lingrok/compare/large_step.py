"""The predicted period-2 cycle for `lingrok stability`: ``oscillation_end_predicted``, ``oscillation_predicted``.

Runs :func:`theory.large_step.predict_cycle` (the reduced two-step model: cycle-averaged gradient
for the central path, secant curvature for the cycle, integrated in log time; never full GD) and
turns it into JSON. t counts GD steps from w = 0, b = 0.
"""

from __future__ import annotations

import math

__all__ = ["CYCLE_MAX_SHARPNESS", "HORIZON_FACTOR", "MIN_HORIZON", "cycle_prediction"]

MIN_HORIZON = 1e8  # the model's horizon in GD steps (at least 10x the run's --steps)
HORIZON_FACTOR = 10
# theory.large_step's cycle ODE gets stiffer with eta lambda_max(H(0)): measured on a 20-point set
# rescaled by powers of two, 0.2 s up to 3.5e11, 16 s at 3.6e14, no end at 1e28 (coordinates 1e15);
# above 1e12 the prediction is refused with a numeric-range reason (such a cycle ends within ~10 steps).
CYCLE_MAX_SHARPNESS = 1e12


def _num(v):
    return None if v is None or not math.isfinite(v) else float(v)


def cycle_prediction(X, y, test=None, *, eta, reduction="sum", steps=0) -> tuple[float | None, dict]:
    """(predicted end of the cycle or None, detail dict with the reason when None).

    Args:
        X, y: training set.  test: optional (X_test, y_test) for the predicted T_te.
        eta: step size.  reduction: "sum" or "mean".  steps: the run's GD steps (sets the horizon).

    Raises:
        FloatingPointError: eta lambda_max(H(0)) exceeds CYCLE_MAX_SHARPNESS (the model's ODE is too stiff).
    """
    from theory.large_step import cycle_accuracy_times, predict_cycle
    from theory.stability import sharpness_at_init

    eta_lambda = sharpness_at_init(X, y, eta=eta, reduction=reduction).eta_lambda
    if eta_lambda > CYCLE_MAX_SHARPNESS:
        raise FloatingPointError(f"eta lambda_max(H(0)) = {eta_lambda:.3g} exceeds {CYCLE_MAX_SHARPNESS:g}, "
                                 "where the model's ODE is too stiff to integrate (such a cycle ends within ~10 steps)")

    horizon = max(MIN_HORIZON, HORIZON_FACTOR * float(steps))
    pr = predict_cycle(X, y, eta=eta, t_max=horizon, reduction=reduction)
    reason = None
    if pr.end_kind == "none":
        reason = "no cycle predicted: eta lambda_max(H(0)) <= 2, GD is linearly stable everywhere (sigma' <= 1/4)"
    elif pr.end_kind == "unresolved":
        reason = (f"no prediction: the reduced model's 2-cycle keeps hopping between branches and its integration "
                  f"ran out of its evaluation budget ({pr.message})")
    elif pr.end is None:
        reason = f"the predicted cycle outlasts the model's horizon of {horizon:.3g} GD steps"
    elif pr.short:
        reason = None  # predicted, but flagged: see validity
    end = None if reason else float(pr.end)
    train_times = cycle_accuracy_times(pr, X, y) if pr.end_kind != "none" else {"either": None, "both": None}
    test_times = None
    if test is not None and pr.end_kind != "none":
        test_times = cycle_accuracy_times(pr, test[0], test[1])
    validity = ("upper bound: the 2-cycle period-doubles (two-step multiplier > 1) within the last decade before "
                "the end, and GD can leave it early" if pr.chaotic else
                "order of magnitude only: the cycle dies within 100 steps, where two-step averaging is not slow"
                if pr.short else "within the model's validity: 2-cycle stable near the end, end >= 100 steps")
    detail = {
        "reason": reason, "end_kind": pr.end_kind, "chaotic": pr.chaotic, "short": pr.short,
        "validity": validity, "last_unstable_t": _num(pr.last_unstable_t) if pr.last_unstable_t >= 0 else None,
        "drift_margin": pr.drift_margin, "end_error_factor": math.exp(pr.drift_margin),
        "t_train_predicted": train_times, "t_test_predicted": test_times,
        "horizon": horizon, "nfev": pr.nfev, "solver_success": pr.success,
        "units": "GD steps",
        "method": "theory.large_step.predict_cycle: central path dc/dt = (eta/2)(g(c+delta) + g(c-delta)) and cycle "
                  "vector d delta/dt = log(eta K(c, delta) - I) delta, K the secant curvature sum_i kappa(m_i, d_i) "
                  "z_i z_i^T, LSODA in log(1 + t) from GD's first step; the end is the last t at which some "
                  "component alternates visibly (2|delta_j| > |dc_j/dt| and |delta_j| > 1e-9, the detector's rule); "
                  "t_*_predicted: first t from which one ('either') or both parities c -+ delta classify every point",
    }
    return end, detail
