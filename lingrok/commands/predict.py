"""`lingrok predict`: the paper's closed-form predictions (and corrected ones) for a dataset.

Pairs the theory only (no simulation): eq. (7) and eq. (9) max-margin solutions, Assumptions
3.1-3.3 and Theorem 4.3, the augmented residual limit of Theorem 4.2, delta and b_inf of
Theorem 4.5, Theorem 4.6's T_te (headline and bounds), and, given a test set, the exact
"asymptotic" test time of the hyperplane theta_hat log t + theta_tilde.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from lingrok.errors import AssumptionViolation, UsageError
from lingrok.inputs import json_text, load, range_error, range_words, require_same_dimension, \
    separable_after_rescaling


def _num(value):
    """JSON-safe float: inf / nan become null."""
    value = float(value)
    return value if math.isfinite(value) else None


def predict(train, test, *, eta: float, eps: float, alpha: float, allow_violations: bool = False) -> dict:
    """Evaluate every prediction on ``train`` (and ``test``); return the JSON-ready report.

    Raises:
        UsageError: the data are not linearly separable, or eps / alpha out of range.
        AssumptionViolation: Assumption 3.1 (b_s = 0) fails, or the support vectors do not span
            the data (precondition of Theorem 4.2), unless ``allow_violations``.
    """
    from theory.geometry import NotSeparableError, paper_assumptions
    from theory.grokking_time import asymptotic_test_time, theorem_4_6_test_time
    from theory.residual import residual_limit

    if not 0.0 <= eps < 1.0:
        raise UsageError(f"--eps must be in [0, 1), got {eps}; pass an accuracy tolerance such as 0 or 0.001")
    if alpha <= 0.5:
        raise UsageError(f"--alpha must exceed 1/2 (the concentrated band is gamma/2 .. alpha gamma), got {alpha}; "
                         "pass e.g. the paper's 10")
    try:
        assumptions = paper_assumptions(train.X, train.y)
    except NotSeparableError as exc:
        # Separability is invariant under X -> 2^-k X (exact): a different verdict there means the
        # solvers failed at this scale, a numeric-range problem, not a property of the data.
        check = separable_after_rescaling(train)
        if check is not None and check[0]:
            raise range_error(train, "eq. (7), the residual limit and the grokking times") from None
        raise UsageError(f"{train.path}: {exc}; the theory needs linearly separable data "
                         "(remove overlapping points or add features)") from None
    except (OverflowError, FloatingPointError, ZeroDivisionError, RuntimeError, np.linalg.LinAlgError) as exc:
        raise range_error(train, f"the max-margin problems ({type(exc).__name__}: {exc}) and everything after them") \
            from None
    violations = []
    if not assumptions.b_s_is_zero:
        violations.append(f"Assumption 3.1 violated: the max-margin bias (eq. 9) is {assumptions.b_s:.6g}, not 0 "
                          f"(tolerance {assumptions.b_zero_tol:g})")
    if not assumptions.support_spans_data:
        violations.append("Theorem 4.2's precondition violated: the support vectors of eq. (7) do not span the data, "
                          "so the residual limit theta_tilde is not determined")
    if violations and not allow_violations:
        raise AssumptionViolation("; ".join(violations) + "; rerun with --allow-violations to see the predictions anyway")

    eq7 = assumptions.eq7
    try:
        res = residual_limit(train.X, train.y, eta, solution=eq7)
        B = float(np.linalg.norm(np.append(res.w_tilde, res.b_tilde)))  # ||theta_tilde||
        t46 = theorem_4_6_test_time(res.delta, eps, alpha, gamma=assumptions.gamma, B=B)
    except UsageError:
        raise
    except ValueError as exc:  # e.g. eq. (7) solved inaccurately at this scale: no strict support vector
        raise UsageError(f"the residual limit of Theorem 4.2 could not be computed ({exc}); {range_words(train)}; "
                         "rescaling the data to coordinates of order 1 may help") from None
    except (OverflowError, FloatingPointError, ZeroDivisionError, RuntimeError, np.linalg.LinAlgError) as exc:
        raise UsageError(f"numeric range: the residual limit of Theorem 4.2 and the times of Theorem 4.6 leave "
                         f"float64's range ({type(exc).__name__}: {exc}) at eta = {eta:g} ({range_words(train)}); "
                         "pass an --eta nearer the paper's 0.01, or rescale the data") from None
    report = {
        "data": train.path, "n": train.n, "d": train.d, "eta": eta, "eps": eps, "alpha": alpha,
        "support": sorted(int(i) for i in eq7.support),
        "support_tol": eq7.support_tol,
        "w_hat": [float(v) for v in eq7.w_hat], "b_hat": float(eq7.b_hat),
        "gamma": assumptions.gamma, "R": assumptions.R,
        "qp": {"status": eq7.status, "iterations": eq7.iterations,
               "primal_infeasibility": eq7.primal_infeasibility, "stationarity": eq7.stationarity,
               "complementarity": eq7.complementarity},
        "assumptions": {
            "b_s": assumptions.b_s, "assumption_3_1_holds": assumptions.b_s_is_zero,
            "assumption_3_2_span_residual": assumptions.span_residual,
            "support_spans_data": assumptions.support_spans_data,
            "theorem_4_3_gap": assumptions.theorem_4_3_gap,
            "violations": violations,
        },
        "w_tilde": [float(v) for v in res.w_tilde], "b_tilde": float(res.b_tilde),
        "A_plus": _num(res.A_plus), "A_minus": _num(res.A_minus),
        "delta": _num(res.delta), "b_inf": _num(res.b_inf),
        "b_tilde_equals_b_inf": bool(abs(res.b_tilde_minus_b_inf) <= 1e-9 * max(1.0, abs(res.b_tilde))),
        "b_tilde_minus_b_inf": _num(res.b_tilde_minus_b_inf),
        "relaxation_rate_per_log_step": _num(res.rate * eta),
        "residual_stationarity": res.stationarity,
        "T_te_paper": _num(t46.T_headline),
        "T_te_paper_bounds": {"B": B, "lower": _num(t46.T_lower), "upper": _num(t46.T_upper),
                              "log_lower": t46.log_T_lower, "log_upper": t46.log_T_upper,
                              "B_is": "||theta_tilde||, the late-time size of rho(t) (Theorem 4.1)"},
        "T_te_asymptotic": None,
        "units": "times are GD steps t; theta(t) ~ theta_hat log t + theta_tilde with eta exp(-z_s^T theta_tilde) = alpha_s",
    }
    if test is not None:
        try:
            curve = asymptotic_test_time(eq7.w_hat, eq7.b_hat, res.w_tilde, res.b_tilde, test.X, test.y, eps)
        except (OverflowError, FloatingPointError, ZeroDivisionError, RuntimeError) as exc:
            raise UsageError(f"numeric range: the asymptotic test time on {test.path} leaves float64's range "
                             f"({type(exc).__name__}: {exc}); rescale the training and test data alike") from None
        report["test"] = test.path
        report["T_te_asymptotic"] = _num(curve.first_step)
        report["asymptotic_test_accuracy"] = {"sup": curve.sup_accuracy, "limit": curve.limit_accuracy,
                                              "first_t_real": _num(curve.first_t)}
    report.update(_phase_keys(train, test, eta))  # issue 13: T_tr/T_te_predicted, phases, regime
    return report


def _phase_keys(train, test, eta: float) -> dict:
    """theory.phases' predictions (lingrok.compare.phases); null keys with the reason when they fail."""
    from lingrok.compare.phases import phase_prediction, prediction_json

    tX, ty = (test.X, test.y) if test is not None else (train.X, train.y)
    try:
        pred, ctx = phase_prediction(train.X, train.y, tX, ty, eta=eta)
    except (ValueError, RuntimeError, ArithmeticError, np.linalg.LinAlgError) as exc:
        return {"T_tr_predicted": None, "T_te_predicted": None, "phases": {"phase1_end": None, "phase2_end": None},
                "regime": None, "predicted_by": None, "phase_prediction": {"error": f"{type(exc).__name__}: {exc}"}}
    out = prediction_json(pred, ctx, has_test=test is not None)
    phases_words = "theory.phases (finite-time theory of the stable regime, errors stated)"
    out["predicted_by"] = {"T_tr": phases_words, "T_te": phases_words if test is not None else None}
    if out["regime"] == "stable":
        return out
    # Large steps (issue 14): the period-2 cycle delays training and test accuracy; theory.large_step's
    # reduced two-step model predicts when each parity classifies every point. Its times replace the
    # stable-regime theory's wherever it gives them; otherwise the latter stands, marked as used beyond
    # its validity.
    from lingrok.compare.large_step import cycle_prediction

    beyond = "theory.phases, beyond its validity (eta lambda_max(H(0)) > 2): no stated error"
    out["predicted_by"] = {"T_tr": beyond, "T_te": beyond if test is not None else None}
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # overflow inside the model is handled there
            end, cycle = cycle_prediction(train.X, train.y, (test.X, test.y) if test is not None else None, eta=eta)
    except (ValueError, RuntimeError, ArithmeticError, np.linalg.LinAlgError) as exc:
        out["large_step_prediction"] = {"error": f"{type(exc).__name__}: {exc}"}
        return out
    words = f"theory.large_step (period-2 cycle; {cycle['validity']})"
    out["large_step_prediction"] = {"oscillation_end_predicted": end, **cycle}
    for key, times in (("T_tr", cycle["t_train_predicted"]), ("T_te", cycle["t_test_predicted"])):
        if times is not None and times.get("either") is not None:
            out[f"{key}_predicted"] = times["either"]  # the first step from which one parity classifies every point
            out["predicted_by"][key] = words
    return out


def _print_human(r: dict) -> None:
    a = r["assumptions"]
    print(f"{r['data']}: n = {r['n']}, d = {r['d']}, eta = {r['eta']:g}")
    print(f"max-margin (eq. 7): w_hat = {r['w_hat']}, b_hat = {r['b_hat']:.6g}, gamma = 2/||w_s|| = {r['gamma']:.6g}, "
          f"{len(r['support'])} support vectors (|margin - 1| <= {r['support_tol']:g}); QP {r['qp']['status']}, "
          f"KKT stationarity {r['qp']['stationarity']:.1e}")
    print(f"Assumption 3.1: b_s = {a['b_s']:.3g} ({'holds' if a['assumption_3_1_holds'] else 'VIOLATED'}); "
          f"Theorem 4.3 gap ||theta_7 - theta_9|| / ||theta_9|| = {a['theorem_4_3_gap']:.1e}")
    for v in a["violations"]:
        print(f"WARNING: {v}")
    print(f"residual limit (Thm 4.2, augmented): w_tilde = {r['w_tilde']}, b_tilde = {r['b_tilde']:.10g} "
          f"(stationarity {r['residual_stationarity']:.1e})")
    print(f"Theorem 4.5: A+ = {r['A_plus']:.6g}, A- = {r['A_minus']:.6g}, delta = {r['delta']:.10g}, "
          f"b_inf = -log delta = {r['b_inf']:.10g}; b_tilde - b_inf = {r['b_tilde_minus_b_inf']:.2e}")
    bounds = r["T_te_paper_bounds"]
    print(f"Theorem 4.6 (eps = {r['eps']:g}, alpha = {r['alpha']:g}): headline T_te = {r['T_te_paper']:.6g} steps; "
          f"bounds with B = ||theta_tilde|| = {bounds['B']:.4g}: exp({bounds['log_lower']:.4g}) .. exp({bounds['log_upper']:.4g})")
    if r["T_te_asymptotic"] is not None or "test" in r:
        print(f"asymptotic test time on {r['test']} (exact sweep of theta_hat log t + theta_tilde): "
              f"T_te = {r['T_te_asymptotic']} steps (sup accuracy {r['asymptotic_test_accuracy']['sup']:.4f})")
    _print_finite_time(r)


def _print_finite_time(r: dict) -> None:
    """The finite-time predictions (issues 13, 14): phases, T_tr, T_te, each with what produced it."""
    if r.get("regime") is None:
        print(f"finite-time prediction: not available ({r.get('phase_prediction', {}).get('error')})")
        return
    print(f"regime: {r['regime']} (eta lambda_max(H(0)) = {r['eta_lambda_max_H0']:.3g}); {r['regime_note']}")
    pp = r.get("phase_prediction", {})
    errors, censored = pp.get("relative_error", {}), pp.get("censored", {})

    def fmt(key, value):
        if value is None:
            return "n/a"
        err = errors.get(key)
        return (f"{value:.6g} steps" + (f" (+-{100 * err:.2g}%)" if err is not None else "")
                + (" [censored by the horizon]" if censored.get(key) else ""))

    ph = r["phases"]
    print(f"phases (theory.phases): phase 1 ends {fmt('phase1_end', ph['phase1_end'])}, "
          f"phase 2 ends {fmt('phase2_end', ph['phase2_end'])}")
    for key in ("T_tr", "T_te"):
        by = (r.get("predicted_by") or {}).get(key)
        if by is not None:
            print(f"{key} predicted: {fmt(key, r[f'{key}_predicted'])}, by {by}")


def run(args) -> int:
    train = load(args.data, "DATA")
    test = load(args.test, "TEST") if args.test else None
    if test is not None:
        require_same_dimension(train, test)
    report = predict(train, test, eta=args.eta, eps=args.eps, alpha=args.alpha,
                     allow_violations=args.allow_violations)
    if args.json:
        print(json_text(report))  # inf / nan -> null
    else:
        _print_human(report)
    return 0
