"""`lingrok predict`: the paper's closed-form predictions (and corrected ones) for a dataset.

Pairs the theory only (no simulation): eq. (7) and eq. (9) max-margin solutions, Assumptions
3.1-3.3 and Theorem 4.3, the augmented residual limit of Theorem 4.2, delta and b_inf of
Theorem 4.5, Theorem 4.6's T_te (headline and bounds), and, given a test set, the exact
"asymptotic" test time of the hyperplane theta_hat log t + theta_tilde.
"""

from __future__ import annotations

import numpy as np

from lingrok.compare.large_step import cycle_json
from lingrok.errors import AssumptionViolation, UsageError
from lingrok.inputs import json_float, json_text, load, range_error, range_words, require_same_dimension, \
    separable_after_rescaling

PHASE_KEYS = ("phase1_end", "phase2_end", "T_tr", "T_te")


def predict(train, test, *, eta: float, eps: float, alpha: float, allow_violations: bool = False) -> dict:
    """Evaluate every prediction on ``train`` (and ``test``) by theory.predict; return the JSON-ready report.

    Raises:
        UsageError: the data are not linearly separable, or eps / alpha out of range.
        AssumptionViolation: Assumption 3.1 (b_s = 0) fails, or the support vectors do not span
            the data (precondition of Theorem 4.2), unless ``allow_violations``.
    """
    from theory.geometry import NotSeparableError
    from theory.prediction import predict as theory_predict

    if not 0.0 <= eps < 1.0:
        raise UsageError(f"--eps must be in [0, 1), got {eps}; pass an accuracy tolerance such as 0 or 0.001")
    if alpha <= 0.5:
        raise UsageError(f"--alpha must exceed 1/2 (the concentrated band is gamma/2 .. alpha gamma), got {alpha}; "
                         "pass e.g. the paper's 10")
    try:
        p = theory_predict(train.X, train.y, eta=eta, test=(test.X, test.y) if test is not None else None,
                           eps=eps, alpha=alpha)
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
    if p.violations and not allow_violations:
        raise AssumptionViolation("; ".join(p.violations) + "; rerun with --allow-violations to see the predictions anyway")
    for part in ("residual", "theorem_4_6"):
        exc = p.failures.get(part)
        if isinstance(exc, ValueError):  # e.g. eq. (7) solved inaccurately at this scale: no strict support vector
            raise UsageError(f"the residual limit of Theorem 4.2 could not be computed ({exc}); {range_words(train)}; "
                             "rescaling the data to coordinates of order 1 may help") from None
        if exc is not None:
            raise UsageError(f"numeric range: the residual limit of Theorem 4.2 and the times of Theorem 4.6 leave "
                             f"float64's range ({type(exc).__name__}: {exc}) at eta = {eta:g} ({range_words(train)}); "
                             "pass an --eta nearer the paper's 0.01, or rescale the data") from None
    if test is not None and "asymptotic" in p.failures:
        exc = p.failures["asymptotic"]
        raise UsageError(f"numeric range: the asymptotic test time on {test.path} leaves float64's range "
                         f"({type(exc).__name__}: {exc}); rescale the training and test data alike") from None
    a, eq7, res, t46 = p.assumptions, p.eq7, p.residual, p.theorem_4_6
    report = {
        "data": train.path, "n": train.n, "d": train.d, "eta": eta, "eps": eps, "alpha": alpha,
        "support": sorted(int(i) for i in eq7.support),
        "support_tol": eq7.support_tol,
        "w_hat": [float(v) for v in eq7.w_hat], "b_hat": float(eq7.b_hat),
        "gamma": a.gamma, "R": a.R,
        "qp": {"status": eq7.status, "iterations": eq7.iterations,
               "primal_infeasibility": eq7.primal_infeasibility, "stationarity": eq7.stationarity,
               "complementarity": eq7.complementarity},
        "assumptions": {
            "b_s": a.b_s, "assumption_3_1_holds": a.b_s_is_zero,
            "assumption_3_2_span_residual": a.span_residual,
            "support_spans_data": a.support_spans_data,
            "theorem_4_3_gap": a.theorem_4_3_gap,
            "violations": list(p.violations),
        },
        "w_tilde": [float(v) for v in res.w_tilde], "b_tilde": float(res.b_tilde),
        "A_plus": json_float(res.A_plus), "A_minus": json_float(res.A_minus),
        "delta": json_float(res.delta), "b_inf": json_float(res.b_inf),
        "b_tilde_equals_b_inf": bool(abs(res.b_tilde_minus_b_inf) <= 1e-9 * max(1.0, abs(res.b_tilde))),
        "b_tilde_minus_b_inf": json_float(res.b_tilde_minus_b_inf),
        "relaxation_rate_per_log_step": json_float(res.rate * eta),
        "residual_stationarity": res.stationarity,
        "T_te_paper": json_float(t46.T_headline),
        "T_te_paper_bounds": {"B": p.B, "lower": json_float(t46.T_lower), "upper": json_float(t46.T_upper),
                              "log_lower": t46.log_T_lower, "log_upper": t46.log_T_upper,
                              "B_is": "||theta_tilde||, the late-time size of rho(t) (Theorem 4.1)"},
        "T_te_asymptotic": None,
        "units": "times are GD steps t; theta(t) ~ theta_hat log t + theta_tilde with eta exp(-z_s^T theta_tilde) = alpha_s",
    }
    if test is not None:
        curve = p.asymptotic
        report["test"] = test.path
        report["T_te_asymptotic"] = json_float(curve.first_step)
        report["asymptotic_test_accuracy"] = {"sup": curve.sup_accuracy, "limit": curve.limit_accuracy,
                                              "first_t_real": json_float(curve.first_t)}
    report.update(finite_time_keys(p))  # issues 13 and 14: T_tr/T_te_predicted, phases, regime, predicted_by
    return report


def finite_time_keys(p) -> dict:
    """The keys of theory.phases' and theory.large_step's predictions; null keys with the reason when they fail."""
    ph = p.phases
    if ph is None:
        exc = p.failures.get("phases")
        return {"T_tr_predicted": None, "T_te_predicted": None, "phases": {"phase1_end": None, "phase2_end": None},
                "regime": None, "predicted_by": None,
                "phase_prediction": {"error": f"{type(exc).__name__}: {exc}" if exc else "not computed"}}
    has_test, refined = p.has_test, p.regime == "stable"

    def shown(k):
        return refined and (has_test or k != "T_te")

    out = {
        "T_tr_predicted": json_float(p.T_tr_predicted),
        "T_te_predicted": json_float(p.T_te_predicted),
        "phases": {"phase1_end": json_float(ph.phase1_end), "phase2_end": json_float(ph.phase2_end)},
        "regime": p.regime,
        "regime_note": p.regime_note,
        "eta_lambda_max_H0": p.eta_lambda,
        "phase_prediction": {
            "units": "GD steps",
            "horizon": p.horizon,
            "relative_error": {k: json_float(ph.rel_error[k]) if shown(k) else None for k in PHASE_KEYS},
            "bracket": {k: [json_float(v) for v in ph.bracket[k]] if shown(k) else None for k in PHASE_KEYS},
            "censored": {k: v for k, v in ph.censored.items() if has_test or k != "T_te"},
            "sup_train_accuracy": ph.sup_train,
            "sup_test_accuracy": ph.sup_test if has_test else None,
            "reduced_model_size": ph.reduced_size, "n_points": ph.n_points, "t_switch": ph.t_switch,
            "k_star": json_float(p.k_star),
            "method": "theory.phases: support vectors + population summary (nearest points, sigma-point bins), "
                      "discrete GD then modified flow; errors from the last refinement (docs/derivations/phases.md, "
                      "docs/phases/README.md)",
        },
        "predicted_by": p.predicted_by,
    }
    if not has_test:
        out["phase_prediction"]["T_te_note"] = "no --test given: T_te needs a test set"
    if p.regime == "unstable":
        if "large_step" in p.failures:
            exc = p.failures["large_step"]
            out["large_step_prediction"] = {"error": f"{type(exc).__name__}: {exc}"}
        elif p.cycle is not None:
            end, detail = cycle_json(p.cycle)
            out["large_step_prediction"] = {"oscillation_end_predicted": end, **detail}
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
