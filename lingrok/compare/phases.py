"""Predicted vs measured phases and grokking times (issue 13): theory.phases paired with numerics.phases.

:func:`phase_prediction` evaluates the finite-time theory (theory.phases: closed forms plus a reduced
model of the support vectors and a summary of the population) on a training set, a test set and eta;
:func:`phase_measurement` runs the exact GD engine and applies the measurement rules of
numerics.phases at step resolution; :func:`compare_phases` does both. Times are GD steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["PhaseContext", "phase_context", "phase_prediction", "phase_measurement", "phase_measurement_recorded",
           "compare_phases", "regime_note", "prediction_json"]


@dataclass(frozen=True)
class PhaseContext:
    """What the theory needs from a training set at one eta."""

    support: np.ndarray  # strict support vectors of eq. (7) (theory.residual)
    theta_hat: np.ndarray  # (w_hat, b_hat)
    eta: float
    eta_lambda: float  # eta lambda_max(H(0))
    k_star: float  # e^{-kappa}: the asymptote's clock, GD steps
    b_inf: float
    T_te_asymptotic: float  # first step of theta_hat log t + theta_tilde on the test set (inf if never)
    horizon: int  # steps over which Definition 3.4's sup is taken


def phase_context(X, y, X_test, y_test, *, eta: float, horizon: int | None = None) -> PhaseContext:
    """Max-margin geometry, residual limit, sharpness and the default horizon.

    Default horizon: max(30 k* e^{|b_inf|}, 3 T_te(asymptote), 1000) GD steps, the horizon the
    project's agreement checks use (long enough for the test accuracy to settle at its limit).
    """
    from theory.geometry import augmented_max_margin
    from theory.grokking_time import asymptotic_test_time
    from theory.residual import residual_limit
    from theory.stability import sharpness_at_init

    sol = augmented_max_margin(X, y)
    res = residual_limit(X, y, eta, solution=sol)
    k_star = math.exp(-float(res.kappa))
    curve = asymptotic_test_time(sol.w_hat, sol.b_hat, res.w_tilde, res.b_tilde, X_test, y_test, 0.0)
    if horizon is None:
        t_asym = curve.first_step if math.isfinite(curve.first_step) else 0.0
        b_inf = abs(res.b_inf) if math.isfinite(res.b_inf) else 0.0
        horizon = int(max(30.0 * k_star * math.exp(min(b_inf, 20.0)), 3.0 * t_asym, 1000.0))
    return PhaseContext(support=np.asarray(res.support), theta_hat=np.append(sol.w_hat, sol.b_hat), eta=float(eta),
                        eta_lambda=float(sharpness_at_init(X, y, eta=eta).eta_lambda), k_star=k_star,
                        b_inf=float(res.b_inf), T_te_asymptotic=float(curve.first_step), horizon=int(horizon))


def regime_note(eta_lambda: float) -> tuple[str, str]:
    """("stable" | "unstable", what the prediction assumes)."""
    if eta_lambda <= 2.0:
        return "stable", (f"eta lambda_max(H(0)) = {eta_lambda:.4g} <= 2: GD is linearly stable at every theta; "
                          "the reduced model is run by the same discrete GD, then by its modified flow")
    return "unstable", (f"eta lambda_max(H(0)) = {eta_lambda:.4g} > 2 (edge of stability): the prediction runs "
                        "discrete GD on the reduced model, which has the same H(0) but not the full data's "
                        "period-2 dynamics; its stated errors were derived for the stable regime only and the "
                        "refinement estimate is skipped (errors reported as null)")


def phase_prediction(X, y, X_test, y_test, *, eta: float, horizon: int | None = None, ctx: PhaseContext | None = None,
                     refine: bool | None = None):
    """theory.phases.predict_phases on a data set; returns (PhasePrediction, PhaseContext)."""
    from theory.phases import predict_phases

    ctx = ctx or phase_context(X, y, X_test, y_test, eta=eta, horizon=horizon)
    if refine is None:
        refine = ctx.eta_lambda <= 2.0
    pred = predict_phases(X, y, X_test, y_test, support=ctx.support, theta_hat=ctx.theta_hat, eta=eta,
                          horizon=ctx.horizon, eta_lambda=ctx.eta_lambda, refine=refine)
    return pred, ctx


def phase_measurement(X, y, X_test, y_test, *, eta: float, steps: int, support, per_decade: int = 100,
                      dense_until: int = 2000) -> dict:
    """Exact GD (numerics.engine) and the four rules of numerics.phases at step resolution.

    Returns:
        {"phase1_end", "phase2_end", "T_tr", "T_te"} -> numerics.phases.StepTime.
    """
    from numerics.engine import run_gd
    from numerics.phases import (accuracy_time_step, gd_window, phase_one_end_step, phase_two_end_step)
    from numerics.schedule import log_schedule

    ck = np.unique(np.concatenate([log_schedule(int(steps), per_decade), np.arange(min(int(steps), dense_until) + 1)]))
    tr = run_gd(X, y, eta=eta, steps=int(steps), checkpoints=ck)
    refine = gd_window(X, y, tr.t, tr.w, tr.b, eta=eta)
    return {
        "phase1_end": phase_one_end_step(X, y, tr.t, tr.w, tr.b, support, refine=refine),
        "phase2_end": phase_two_end_step(tr.t, tr.w, tr.b, refine=refine),
        "T_tr": accuracy_time_step(tr.t, tr.w, tr.b, X, y, refine=refine),
        "T_te": accuracy_time_step(tr.t, tr.w, tr.b, X_test, y_test, refine=refine),
    }


def phase_measurement_recorded(X, y, X_test, y_test, t, w, b, *, eta: float, support, reduction: str = "sum") -> dict:
    """The four rules of numerics.phases on an already recorded GD trajectory (t, w, b), at step resolution.

    Each rule's bracket between two checkpoints is resolved by rerunning the exact engine from the
    recorded state at the bracket's start (numerics.phases.gd_window), so only a few windows are
    recomputed instead of the whole run (the ledger reuses its stable runs this way). ``t`` must hold
    the window starts as checkpoints (any checkpoint schedule does: a bracket starts at a checkpoint).

    Returns:
        {"phase1_end", "phase2_end", "T_tr", "T_te"} -> numerics.phases.StepTime.
    """
    from numerics.phases import accuracy_time_step, gd_window, phase_one_end_step, phase_two_end_step

    refine = gd_window(X, y, t, w, b, eta=eta, reduction=reduction)
    return {
        "phase1_end": phase_one_end_step(X, y, t, w, b, support, refine=refine),
        "phase2_end": phase_two_end_step(t, w, b, refine=refine),
        "T_tr": accuracy_time_step(t, w, b, X, y, refine=refine),
        "T_te": accuracy_time_step(t, w, b, X_test, y_test, refine=refine),
    }


def compare_phases(X, y, X_test, y_test, *, eta: float, horizon: int | None = None) -> dict:
    """Prediction and measurement over the same horizon: name -> (predicted, measured StepTime, stated error)."""
    pred, ctx = phase_prediction(X, y, X_test, y_test, eta=eta, horizon=horizon)
    meas = phase_measurement(X, y, X_test, y_test, eta=eta, steps=ctx.horizon, support=ctx.support)
    return {k: (getattr(pred, k), meas[k], pred.rel_error[k]) for k in ("phase1_end", "phase2_end", "T_tr", "T_te")} | {
        "_prediction": pred, "_context": ctx}


def _num(v):
    v = float(v)
    return v if math.isfinite(v) else None


def prediction_json(pred, ctx: PhaseContext, *, has_test: bool) -> dict:
    """The keys `lingrok predict --json` adds (issue 13)."""
    regime, note = regime_note(ctx.eta_lambda)
    refined = regime == "stable"

    def err(k):
        return _num(pred.rel_error[k]) if refined and (has_test or k != "T_te") else None

    def bracket(k):
        return [_num(v) for v in pred.bracket[k]] if refined and (has_test or k != "T_te") else None

    out = {
        "T_tr_predicted": _num(pred.T_tr),
        "T_te_predicted": _num(pred.T_te) if has_test else None,
        "phases": {"phase1_end": _num(pred.phase1_end), "phase2_end": _num(pred.phase2_end)},
        "regime": regime,
        "regime_note": note,
        "eta_lambda_max_H0": ctx.eta_lambda,
        "phase_prediction": {
            "units": "GD steps",
            "horizon": ctx.horizon,
            "relative_error": {k: err(k) for k in ("phase1_end", "phase2_end", "T_tr", "T_te")},
            "bracket": {k: bracket(k) for k in ("phase1_end", "phase2_end", "T_tr", "T_te")},
            "censored": {k: v for k, v in pred.censored.items() if has_test or k != "T_te"},
            "sup_train_accuracy": pred.sup_train,
            "sup_test_accuracy": pred.sup_test if has_test else None,
            "reduced_model_size": pred.reduced_size, "n_points": pred.n_points, "t_switch": pred.t_switch,
            "k_star": _num(ctx.k_star),
            "method": "theory.phases: support vectors + population summary (nearest points, sigma-point bins), "
                      "discrete GD then modified flow; errors from the last refinement (docs/derivations/phases.md, "
                      "docs/phases/README.md)",
        },
    }
    if not has_test:
        out["phase_prediction"]["T_te_note"] = "no --test given: T_te needs a test set"
    return out
