"""Everything the theory says about one dataset, in one value: :func:`predict` -> :class:`Prediction`.

One training set, one step size eta (GD steps t count updates from w = 0, b = 0; eq. (3)'s summed
loss, or the mean loss with ``reduction="mean"``, which is the summed loss at eta / N), and
optionally a test set. :func:`predict` evaluates, each by its own module:

* geometry and the assumption checks (:mod:`theory.geometry`): eqs. (7) and (9), Assumptions
  3.1-3.3, Theorem 4.3's gap; gamma = 2 / ||w_s|| of eq. (9) (Assumption 3.1's margin);
* the residual limit theta_tilde of Theorem 4.2 and delta, b_inf of Theorem 4.5
  (:mod:`theory.residual`), and B = ||theta_tilde||;
* Theorem 4.6's T_te, headline and bounds (:mod:`theory.grokking_time`);
* the corrected T_te: the exact first step at which theta_hat log t + theta_tilde reaches
  (1 - eps) of its best accuracy on the test set (:func:`theory.grokking_time.asymptotic_test_time`);
* the finite-time phases, T_tr and T_te with stated errors (:mod:`theory.phases`), and above the
  edge of stability (eta lambda_max(H(0)) > 2) the period-2 cycle's end and the times it delays
  (:mod:`theory.large_step`).

A part that cannot be computed on the given data is left ``None`` and its exception kept in
:attr:`Prediction.failures` (the command layer turns it into a message); :func:`predict` itself
raises only for invalid arguments and for data without a max-margin solution.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import numpy as np

__all__ = ["Prediction", "predict", "default_horizon", "regime_note", "STABLE_LIMIT", "PART_ERRORS", "MAX_HORIZON"]

# GD is linearly stable at every theta iff eta lambda_max(H) <= 2, and H(theta) <= H(0) (sigma' <= 1/4).
STABLE_LIMIT = 2.0
# Longest horizon the finite-time theory runs (GD steps): step counts stay exact integers in float64.
MAX_HORIZON = 2**53
# What a part of the prediction may raise on legitimate data (out of range, ill-conditioned, no solution).
PART_ERRORS = (ValueError, ArithmeticError, RuntimeError, np.linalg.LinAlgError)

_PHASES_WORDS = "theory.phases (finite-time theory of the stable regime, errors stated)"
_BEYOND_WORDS = "theory.phases, beyond its validity (eta lambda_max(H(0)) > 2): no stated error"


@dataclass(frozen=True, eq=False)
class Prediction:
    """The theory's predictions for one training set, eta and (optional) test set; times in GD steps.

    Attributes:
        n, d: training-set size and dimension. eta: step size of the given ``reduction`` ("sum" is
            eq. (3)); eta_sum: the same step on the summed loss (eta, or eta / n for the mean loss).
        eps: Definition 3.4's tolerance; alpha: the concentrated band parameter of Theorem 4.6.
        assumptions: :class:`theory.geometry.PaperAssumptions` (eq. (7) is ``assumptions.eq7``).
        violations: Assumption 3.1 / Theorem 4.2's precondition, in words, when they fail.
        residual: :class:`theory.residual.ResidualLimit` (theta_tilde, delta, b_inf) or None.
        B: ||theta_tilde|| (nan without ``residual``).
        theorem_4_6: :class:`theory.grokking_time.TestTimeBounds` at (eps, alpha) or None.
        asymptotic: :class:`theory.grokking_time.AccuracyCurve` of theta_hat log t + theta_tilde on the
            test set at eps, or None (no test set, or no residual).
        eta_lambda: eta lambda_max(H(0)); regime: "stable" (<= 2) or "unstable"; regime_note: in words.
        horizon: steps over which the finite-time predictions take Definition 3.4's sup (None: not run).
        k_star: e^{-kappa}, the asymptote's clock (GD steps; nan without ``residual``).
        phases: :class:`theory.phases.PhasePrediction` or None.
        cycle: :class:`CycleForecast` above the edge of stability, else None.
        has_test: whether a test set was given (else the training set stands in for the phases).
        failures: part name ("residual", "theorem_4_6", "asymptotic", "phases", "large_step") -> the
            exception that stopped it.
    """

    n: int
    d: int
    eta: float
    eta_sum: float
    reduction: str
    eps: float
    alpha: float
    assumptions: object
    violations: tuple
    residual: object
    B: float
    theorem_4_6: object
    asymptotic: object
    eta_lambda: float
    regime: str
    regime_note: str
    horizon: int | None
    k_star: float
    phases: object
    cycle: object
    has_test: bool
    failures: Mapping[str, BaseException]

    @property
    def eq7(self):
        """The max-margin solution of eq. (7) (augmented: ||w||^2 + b^2)."""
        return self.assumptions.eq7

    @property
    def gamma(self) -> float:
        """2 / ||w_s||, the margin width of eq. (9) (Assumption 3.1), units of x."""
        return self.assumptions.gamma

    @property
    def T_te_asymptotic(self) -> float | None:
        """First GD step of the asymptotic hyperplane at (1 - eps) of its sup on the test set."""
        return None if self.asymptotic is None else float(self.asymptotic.first_step)

    def _cycle_time(self, which: str):
        if self.cycle is None:
            return None
        times = self.cycle.train_times if which == "T_tr" else self.cycle.test_times
        return None if times is None else times.get("either")

    @property
    def T_tr_predicted(self) -> float | None:
        """Predicted T_tr: the cycle's where it delays it (above eta lambda = 2), else theory.phases'."""
        cyc = self._cycle_time("T_tr")
        if cyc is not None:
            return float(cyc)
        return None if self.phases is None else float(self.phases.T_tr)

    @property
    def T_te_predicted(self) -> float | None:
        """Predicted T_te (needs a test set): as :attr:`T_tr_predicted`."""
        if not self.has_test:
            return None
        cyc = self._cycle_time("T_te")
        if cyc is not None:
            return float(cyc)
        return None if self.phases is None else float(self.phases.T_te)

    @property
    def predicted_by(self) -> dict | None:
        """Which theory produced T_tr_predicted and T_te_predicted (None without finite-time predictions)."""
        if self.phases is None:
            return None
        base = _PHASES_WORDS if self.regime == "stable" else _BEYOND_WORDS
        out = {"T_tr": base, "T_te": base if self.has_test else None}
        if self.cycle is not None:
            source = "theory.large_step" + (" + theory.large_step_escape" if self.cycle.escape is not None else "")
            words = f"{source} (period-2 cycle; {self.cycle.validity})"
            for key in ("T_tr", "T_te"):
                if self._cycle_time(key) is not None and (key == "T_tr" or self.has_test):
                    out[key] = words
        return out

    def test_time(self, X_test, y_test, eps: float) -> float:
        """Exact first step at which theta_hat log t + theta_tilde reaches (1 - eps) of its sup on a test set."""
        return float(self._curve(X_test, y_test, eps).first_step)

    def level_time(self, X_test, y_test, level: float) -> float:
        """Exact first step at which that hyperplane's test accuracy reaches a fixed ``level`` (inf if never)."""
        sup = self._curve(X_test, y_test, 0.0).sup_accuracy
        if level > sup:
            return math.inf
        # a level below the sup is the eps = 1 - level / sup crossing (reached up to REACH_RTOL)
        return float(self._curve(X_test, y_test, 1.0 - level / sup).first_step)

    def theorem_4_6_at(self, eps: float):
        """Theorem 4.6's bounds at another eps (same alpha, gamma, B)."""
        from theory.grokking_time import theorem_4_6_test_time

        return theorem_4_6_test_time(self.residual.delta, eps, self.alpha, gamma=self.gamma, B=self.B)

    def _curve(self, X_test, y_test, eps):
        from theory.grokking_time import asymptotic_test_time

        if self.residual is None:
            raise ValueError("no residual limit (see Prediction.failures['residual']): no asymptotic hyperplane")
        eq7, res = self.eq7, self.residual
        return asymptotic_test_time(eq7.w_hat, eq7.b_hat, res.w_tilde, res.b_tilde, X_test, y_test, eps)


@dataclass(frozen=True, eq=False)
class CycleForecast:
    """theory.large_step's reduced two-step model read as predictions (t in GD steps).

    Attributes:
        end: predicted end of the period-2 cycle, or None (``reason`` says why).
        reason: why there is no end (no cycle, unresolved, beyond the horizon), else None.
        validity: in words: within the model's validity, the escape model (chaotic), an upper bound (chaotic and
            short) or an order of magnitude.
        horizon: the model's horizon (GD steps).
        train_times, test_times: {"either", "both"}: first step from which one / both parities
            classify every training (test) point; test_times is None without a test set. With ``escape``
            both are the escape median wherever the central path reaches accuracy 1 at all.
        model: :class:`theory.large_step.CyclePrediction`.
        escape: :class:`theory.large_step_escape.EscapePrediction` where the model's 2-cycle is unstable
            near its end (``model.chaotic``, not short) on at most ESCAPE_MAX_POINTS points: ``end`` is then
            its median escape time and the model's own end (``model.end``) an upper bound; else None.
    """

    end: float | None
    reason: str | None
    validity: str
    horizon: float
    train_times: dict
    test_times: dict | None
    model: object
    escape: object = None


# The cycle model's horizon in GD steps: at least MIN_HORIZON, and HORIZON_FACTOR x the run's steps.
CYCLE_MIN_HORIZON = 1e8
CYCLE_HORIZON_FACTOR = 10
# theory.large_step's cycle ODE gets stiffer with eta lambda_max(H(0)): measured on a 20-point set
# rescaled by powers of two, 0.2 s up to 3.5e11, 16 s at 3.6e14, no end at 1e28 (coordinates 1e15);
# above 1e12 the prediction is refused with a numeric-range reason (such a cycle ends within ~10 steps).
CYCLE_MAX_SHARPNESS = 1e12
# The escape model (theory.large_step_escape) was developed and held out on planted sets of 20-200 points only.
# On the one larger set where it predicted an escape (paper-2d seed 21, N = 2000) it was 16x early while the
# 2-cycle's own end was inside GD's bracket (docs/stability-paper-size-prereg.md): beyond the tested size the
# forecast does not extrapolate it and reports the 2-cycle's end, flagged an upper bound.
ESCAPE_MAX_POINTS = 200


def cycle_forecast(X, y, test=None, *, eta, reduction="sum", steps=0) -> CycleForecast:
    """theory.large_step.predict_cycle and the accuracy times it implies.

    Args:
        X, y: training set.  test: optional (X_test, y_test) for the test times.
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
    horizon = max(CYCLE_MIN_HORIZON, CYCLE_HORIZON_FACTOR * float(steps))
    pr = predict_cycle(X, y, eta=eta, t_max=horizon, reduction=reduction)
    reason = None
    if pr.end_kind == "none" and pr.message.startswith("stable at initialisation"):
        reason = "no cycle predicted: eta lambda_max(H(0)) <= 2, GD is linearly stable everywhere (sigma' <= 1/4)"
    elif pr.end_kind == "none":
        reason = ("no cycle predicted: GD's own first iterates (the model's exact start) show no visible "
                  "alternation at any step")
    elif pr.end_kind == "unresolved":
        reason = (f"no prediction: the reduced model's 2-cycle keeps hopping between branches and its integration "
                  f"ran out of its evaluation budget ({pr.message})")
    elif pr.end is None:
        reason = f"the predicted cycle outlasts the model's horizon of {horizon:.3g} GD steps"
    end = None if reason else float(pr.end)
    escape, timed = None, pr
    tested = np.shape(X)[0] <= ESCAPE_MAX_POINTS
    if pr.chaotic and reason is None and not pr.short and tested:
        # GD leaves an unstable 2-cycle early: the median escape time (theory.large_step_escape) is the end,
        # and from it on GD follows the central path alone (delta = 0) for the accuracy times
        from theory.large_step_escape import predict_escape

        escape = predict_escape(X, y, eta=pr.eta, prediction=pr)
        end = float(escape.median)
        timed = dataclasses.replace(pr, delta=np.where((pr.t >= end)[:, None], 0.0, pr.delta))
    no_cycle = {"either": None, "both": None}
    train_times = cycle_accuracy_times(timed, X, y) if pr.end_kind != "none" else no_cycle
    test_times = None
    if test is not None and pr.end_kind != "none":
        test_times = cycle_accuracy_times(timed, test[0], test[1])
    if escape is not None:
        # GD's centre after the escape is ahead of the model's central path (the chaotic orbit's push is not the
        # 2-cycle's): where that path reaches accuracy 1 at all, GD keeps it from the escape on (rule A,
        # docs/stability-chaotic-times-prereg.md)
        train_times = {key: (end if v is not None else None) for key, v in train_times.items()}
        if test_times is not None:
            test_times = {key: (end if v is not None else None) for key, v in test_times.items()}
    if escape is not None:
        validity = ("escape model: the 2-cycle period-doubles (two-step multiplier > 1) within the last decade "
                    "before the end and GD leaves it early; the end is the median escape time (theory."
                    "large_step_escape; held out: within 1.5 of GD's eta-jitter median on 15 of 15 sets of "
                    "20-200 points, the sizes it is applied to), "
                    f"the 2-cycle's own end {pr.end:.4g} an upper bound; where the end is random under a 1e-9 "
                    "change of eta, one run can lie further off. The accuracy times are that median too (where "
                    "the central path reaches accuracy 1 at all): the time from which GD keeps accuracy 1 (held "
                    "out: within 1.5 on 14 of 15 sets for train and test, docs/stability-chaotic-times-prereg.md); "
                    "Definition 3.4's first reach can be an earlier transient of one parity and is not predicted")
    elif pr.chaotic:
        validity = ("upper bound: the 2-cycle period-doubles (two-step multiplier > 1) within the last decade "
                    "before the end, and GD can leave it early")
        if not tested and not pr.short:
            validity += (f"; the escape model is not applied above {ESCAPE_MAX_POINTS} points, the largest it was "
                         "tested on (at N = 2000 it escaped 16x early where GD kept the cycle to this end: "
                         "docs/stability-paper-size-prereg.md)")
    else:
        validity = ("order of magnitude only: the cycle dies within 100 steps, where two-step averaging is not slow"
                    if pr.short else "within the model's validity: 2-cycle stable near the end, end >= 100 steps")
    return CycleForecast(end=end, reason=reason, validity=validity, horizon=horizon, train_times=train_times,
                         test_times=test_times, model=pr, escape=escape)


def default_horizon(k_star: float, b_inf: float, t_asymptotic: float) -> int:
    """Steps over which the finite-time predictions take Definition 3.4's sup.

    max(30 k* e^{|b_inf|}, 3 T_te(asymptote), 1000): long enough for the test accuracy to settle at
    its limit (the horizon the project's agreement checks use); e^{|b_inf|} is capped at e^20.
    """
    t_asym = t_asymptotic if math.isfinite(t_asymptotic) else 0.0
    b = abs(b_inf) if math.isfinite(b_inf) else 0.0
    return int(max(30.0 * k_star * math.exp(min(b, 20.0)), 3.0 * t_asym, 1000.0))


def regime_note(eta_lambda: float) -> tuple[str, str]:
    """("stable" | "unstable", what the finite-time prediction assumes there)."""
    if eta_lambda <= STABLE_LIMIT:
        return "stable", (f"eta lambda_max(H(0)) = {eta_lambda:.4g} <= 2: GD is linearly stable at every theta; "
                          "the reduced model is run by the same discrete GD, then by its modified flow")
    return "unstable", (f"eta lambda_max(H(0)) = {eta_lambda:.4g} > 2 (edge of stability): the prediction runs "
                        "discrete GD on the reduced model, which has the same H(0) but not the full data's "
                        "period-2 dynamics; its stated errors were derived for the stable regime only and the "
                        "refinement estimate is skipped (errors reported as null)")


def _violations(assumptions) -> tuple:
    out = []
    if not assumptions.b_s_is_zero:
        out.append(f"Assumption 3.1 violated: the max-margin bias (eq. 9) is {assumptions.b_s:.6g}, not 0 "
                   f"(tolerance {assumptions.b_zero_tol:g})")
    if not assumptions.support_spans_data:
        out.append("Theorem 4.2's precondition violated: the support vectors of eq. (7) do not span the data, "
                   "so the residual limit theta_tilde is not determined")
    return tuple(out)


def predict(X, y, *, eta: float, test=None, eps: float = 0.0, alpha: float = 10.0, reduction: str = "sum",
            finite_time: bool = True, horizon: int | None = None, steps: int = 0, geometry=None) -> Prediction:
    """Everything the theory predicts for training set (X, y) at step size ``eta`` (module docstring).

    Args:
        X: (N, d) inputs; y: (N,) labels in {-1, +1}.
        eta: step size of the ``reduction``'s loss (> 0). test: optional (X_test, y_test).
        eps: Definition 3.4's tolerance, in [0, 1). alpha: concentrated band parameter (> 1/2).
        reduction: "sum" (eq. (3)) or "mean" (the summed loss at eta / N).
        finite_time: also run the finite-time theories (theory.phases; theory.large_step above eta
            lambda = 2); they cost seconds, the rest milliseconds (small sets).
        horizon: steps for theory.phases' sup (default :func:`default_horizon`).
        steps: the run's length, if one is planned (sets the cycle model's horizon).
        geometry: :func:`theory.geometry.paper_assumptions` of (X, y) when already computed (it does not
            depend on eta); computed here otherwise.

    Returns:
        :class:`Prediction`.

    Raises:
        ValueError: eps, alpha, eta or reduction out of range; invalid data.
        theory.geometry.NotSeparableError: no max-margin solution (the data are not separable).
        OverflowError, FloatingPointError, numpy.linalg.LinAlgError: the max-margin problems left
            float64's range.

    >>> p = predict([[1.0], [2.0], [-1.0], [-2.0]], [1, 1, -1, -1], eta=0.1)
    >>> round(p.gamma, 12), p.violations, p.regime
    (2.0, (), 'stable')
    """
    from theory.geometry import paper_assumptions
    from theory.grokking_time import asymptotic_test_time, theorem_4_6_test_time
    from theory.residual import residual_limit
    from theory.stability import sharpness_at_init

    eps, alpha, eta = float(eps), float(alpha), float(eta)
    if not 0.0 <= eps < 1.0:
        raise ValueError(f"eps must be in [0, 1), got {eps}")
    if not alpha > 0.5:
        raise ValueError(f"alpha must exceed 1/2 (the concentrated band is gamma/2 .. alpha gamma), got {alpha}")
    if not (math.isfinite(eta) and eta > 0.0):
        raise ValueError(f"eta must be a positive finite number, got {eta}")
    if reduction not in ("sum", "mean"):
        raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")
    assumptions = paper_assumptions(X, y) if geometry is None else geometry
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    n, d = X.shape
    eta_sum = eta if reduction == "sum" else eta / n
    eq7 = assumptions.eq7
    failures: dict = {}

    def attempt(part, fn):
        try:
            return fn()
        except PART_ERRORS as exc:
            failures[part] = exc
            return None

    res = attempt("residual", lambda: residual_limit(X, y, eta_sum, solution=eq7))
    B = float(np.linalg.norm(np.append(res.w_tilde, res.b_tilde))) if res is not None else math.nan
    t46 = asym = None
    if res is not None:
        t46 = attempt("theorem_4_6", lambda: theorem_4_6_test_time(res.delta, eps, alpha, gamma=assumptions.gamma,
                                                                     B=B))
        if test is not None:
            asym = attempt("asymptotic", lambda: asymptotic_test_time(eq7.w_hat, eq7.b_hat, res.w_tilde, res.b_tilde,
                                                                      test[0], test[1], eps))
    eta_lambda = float(sharpness_at_init(X, y, eta=eta, reduction=reduction).eta_lambda)
    regime, note = regime_note(eta_lambda)
    k_star = math.exp(-float(res.kappa)) if res is not None else math.nan
    phases = cycle = None
    if finite_time and res is not None:
        Xt, yt = test if test is not None else (X, y)

        def run_phases():
            from theory.phases import predict_phases

            nonlocal horizon
            if horizon is None:
                curve = asymptotic_test_time(eq7.w_hat, eq7.b_hat, res.w_tilde, res.b_tilde, Xt, yt, 0.0)
                horizon = default_horizon(k_star, float(res.b_inf), float(curve.first_step))
            if horizon > MAX_HORIZON:
                raise OverflowError(f"the horizon of {float(horizon):.3g} GD steps exceeds 2^53, where step counts stop "
                                    "being exact in float64 (eta is far below the data's scale)")
            return predict_phases(X, y, Xt, yt, support=np.asarray(res.support),
                                  theta_hat=np.append(eq7.w_hat, eq7.b_hat), eta=eta_sum, horizon=int(horizon),
                                  eta_lambda=eta_lambda, refine=regime == "stable")

        phases = attempt("phases", run_phases)
        if phases is not None and regime == "unstable":
            # Large steps (issue 14): the period-2 cycle delays training and test accuracy.
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # overflow inside the model is handled there
                cycle = attempt("large_step", lambda: cycle_forecast(X, y, test, eta=eta, reduction=reduction,
                                                                     steps=steps))
    return Prediction(n=int(n), d=int(d), eta=eta, eta_sum=float(eta_sum), reduction=reduction, eps=eps, alpha=alpha,
                      assumptions=assumptions, violations=_violations(assumptions), residual=res, B=B,
                      theorem_4_6=t46, asymptotic=asym, eta_lambda=eta_lambda, regime=regime, regime_note=note,
                      horizon=None if horizon is None else int(horizon), k_star=k_star, phases=phases, cycle=cycle,
                      has_test=test is not None, failures=MappingProxyType(failures))
