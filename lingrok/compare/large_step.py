"""The predicted period-2 cycle as JSON: ``oscillation_end_predicted`` and its detail (stability, predict).

Renders a :class:`theory.prediction.CycleForecast` (theory.large_step's reduced two-step model:
cycle-averaged gradient for the central path, secant curvature for the cycle, integrated in log
time; never full GD). t counts GD steps from w = 0, b = 0.
"""

from __future__ import annotations

import math

from lingrok.inputs import json_float

__all__ = ["cycle_json"]

METHOD = ("theory.large_step.predict_cycle: central path dc/dt = (eta/2)(g(c+delta) + g(c-delta)) and cycle "
          "vector d delta/dt = log(eta K(c, delta) - I) delta, K the secant curvature sum_i kappa(m_i, d_i) "
          "z_i z_i^T, LSODA in log(1 + t) from GD's first step; the end is the last t at which some "
          "component alternates visibly (2|delta_j| > |dc_j/dt| and |delta_j| > 1e-9, the detector's rule); "
          "t_*_predicted: first t from which one ('either') or both parities c -+ delta classify every point. "
          "Where that 2-cycle is unstable near its end ('chaotic'), theory.large_step_escape.predict_escape: "
          "escape rate kappa(t) from ensembles of 64 GD-map windows (<= 250 steps, <= t/2) started on the "
          "model's cycle, the end is the median of S(t) = exp(-int kappa), and from it on the accuracy times "
          "use the central path alone")


def cycle_json(forecast) -> tuple[float | None, dict]:
    """(predicted end of the cycle or None, JSON-ready detail with the reason when None)."""
    pr = forecast.model
    esc = forecast.escape
    escape = None if esc is None else {
        "median": json_float(esc.median), "escaped_before_the_model_end": esc.escaped,
        "members": esc.members, "ensemble_steps": esc.ensemble_steps,
        "note": "the 10-90% interval of the escape time is not reported: it failed its pre-registered check "
                "(too narrow where the end is random; docs/stability.md, 'The chaotic class')"}
    return forecast.end, {
        "reason": forecast.reason, "end_kind": pr.end_kind, "chaotic": pr.chaotic, "short": pr.short,
        "validity": forecast.validity,
        "model_end": json_float(pr.end), "escape": escape,
        "last_unstable_t": json_float(pr.last_unstable_t) if pr.last_unstable_t >= 0 else None,
        "drift_margin": pr.drift_margin, "end_error_factor": math.exp(pr.drift_margin),
        "t_train_predicted": forecast.train_times, "t_test_predicted": forecast.test_times,
        "horizon": forecast.horizon, "nfev": pr.nfev, "solver_success": pr.success,
        "units": "GD steps", "method": METHOD,
    }
