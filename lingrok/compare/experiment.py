"""One experiment of arXiv:2602.08302, Section 5: :func:`numerics.simulate` paired with :func:`theory.predict`.

:func:`run_experiment` takes a training set, test sets, eta and a number of steps, and returns
everything the paper reports about one run, each number saying how it was obtained:

* the measured run (:func:`numerics.simulation.simulate`): log-spaced checkpoints each paired with
  t + 1 (at the paper's eta = 1e-2 with the summed loss GD runs a period-2 cycle), b(t), ||w||,
  |b| / ||w||, the non-support-vector share of the bias gradient, the accuracies (train, each test
  set, optionally the paper's PGD attack), Definition 3.4's T_tr, T_te, zeta per test set, eps and
  parity, and the phase boundaries on the even checkpoints;
* the predictions (:func:`theory.prediction.predict`): the max-margin geometry (eq. 7), the
  augmented residual limit (Thm 4.2), delta and b_inf (Thm 4.5), Theorem 4.6's T_te (headline and
  bounds with gamma of eq. (9) and B = ||theta_tilde||) and the exact first time at which the
  asymptotic hyperplane theta_hat log t + theta_tilde reaches (1 - eps) of its best accuracy on each
  test set (the corrected prediction of T_te).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

import numpy as np
from numerics.simulation import LevelRow, TimeRow, find_row
from numerics.validation import frozen

__all__ = ["PredictedTimes", "ExperimentResult", "run_experiment", "predict_times", "TimeRow", "LevelRow"]


@dataclass(frozen=True)
class PredictedTimes:
    """The theory's predictions for one training set as the reproduction records them, in GD steps.

    Attributes:
        status: "ok", or why a part could not be computed (the fields it needs are NaN / empty).
        w_hat, b_hat: eq. (7) solution; gamma: 2 / ||w_hat|| (the margin width of eq. (7), units of x).
        n_support: support vectors of eq. (7). b_hat_is_zero: Assumption 3.1 holds (b_s of eq. (9) is 0).
        delta, b_inf: Theorem 4.5 (delta = sqrt(A_S^- / A_S^+), b_inf = -log delta), for this eta.
        B: ||theta_tilde||, the late-time size of rho(t) used in Theorem 4.6's bounds.
        thm46: eps -> (headline, lower, upper) T_te of Theorem 4.6 with the given alpha.
        asymptotic: (test, eps) -> exact first GD step at which theta_hat log t + theta_tilde reaches
            (1 - eps) of its supremum accuracy on that test set (inf if never).
        asymptotic_level: (test, level) -> exact first GD step at which that hyperplane's accuracy
            reaches the fixed level (inf if never).
        alpha: the concentrated band parameter used by Theorem 4.6.
    """

    status: str
    w_hat: np.ndarray
    b_hat: float
    gamma: float
    n_support: int
    b_hat_is_zero: bool
    delta: float
    b_inf: float
    B: float
    thm46: Mapping[float, tuple]
    asymptotic: Mapping[tuple, float]
    asymptotic_level: Mapping[tuple, float]
    alpha: float


@dataclass(frozen=True, eq=False)
class ExperimentResult:
    """A measured GD run with its predictions (see the module docstring and numerics.simulation for every rule).

    Attributes:
        label: free text naming the setup.
        n, d: training-set size and dimension. eta, steps, reduction: GD parameters (t counts GD
            updates; the loss is eq. (3)'s sum unless reduction == "mean").
        per_decade: log-spaced checkpoints per decade; parity: every checkpoint t paired with t + 1.
        engine: GD engine used; wall_s: seconds of GD.
        t: (K,) checkpoints. b, w_norm, distance, nonsv_share_b: (K,) measurements.
        accuracy: name -> (K,) accuracy; names "train", each test set, and "pgd" (if computed).
        pgd_test: the test set attacked by PGD (None: not computed).
        times: TimeRow for every (test, eps, parity).
        level_times: LevelRow for every (test, level, parity).
        phase_one_end, phase_two_end: numerics.grokking.PhaseBoundary on the even-step checkpoints.
        parity_gap_b: max |b(t+1) - b(t)| over the checkpoint pairs of the last decade.
        parity_gap_train: the same for the train accuracy.
        eta_sharpness: eta lambda_max of the Hessian at w = 0, b = 0 (GD linearly stable iff <= 2).
        prediction: PredictedTimes or None when not requested.
        method: one sentence saying how the numbers were obtained.
    """

    label: str
    n: int
    d: int
    eta: float
    steps: int
    reduction: str
    per_decade: int
    parity: bool
    engine: str
    wall_s: float
    t: np.ndarray
    b: np.ndarray
    w_norm: np.ndarray
    distance: np.ndarray
    nonsv_share_b: np.ndarray
    accuracy: Mapping[str, np.ndarray]
    pgd_test: str | None
    times: tuple
    level_times: tuple
    phase_one_end: object
    phase_two_end: object
    parity_gap_b: float
    parity_gap_train: float
    eta_sharpness: float
    prediction: PredictedTimes | None
    method: str = field(default="")

    def time(self, test: str, eps: float, parity: str) -> TimeRow:
        """The TimeRow for (test, eps, parity); KeyError if it was not computed."""
        return find_row(self.times, test=test, eps=eps, parity=parity)

    def level_time(self, test: str, level: float, parity: str) -> LevelRow:
        """The LevelRow for (test, level, parity); KeyError if it was not computed."""
        return find_row(self.level_times, test=test, level=level, parity=parity)


def predict_times(X, y, tests: Mapping[str, tuple], *, eta: float, eps_values, alpha: float = 10.0,
                  levels=(), reduction: str = "sum") -> PredictedTimes:
    """theory.predict's T_te predictions (Thm 4.6 and the asymptotic hyperplane) for every test set, eps and level.

    Args:
        X: (N, d), y: (N,) training set. tests: name -> (X_test, y_test).
        eta: GD step size (the residual limit depends on it). eps_values: eps of Definition 3.4.
        alpha: concentrated band parameter (> 1/2). levels: fixed accuracy levels. reduction: "sum" or "mean".

    Returns:
        :class:`PredictedTimes`; ``status`` says what failed if the residual limit could not be found
        (e.g. an LP failure on a large problem): the Theorem 4.5-4.6 fields are then NaN.
    """
    from theory.prediction import predict

    p = predict(X, y, eta=eta, alpha=alpha, reduction=reduction, finite_time=False)
    eq7 = p.eq7
    base = dict(w_hat=frozen(eq7.w_hat, copy=True), b_hat=float(eq7.b_hat),
                gamma=2.0 / float(np.linalg.norm(eq7.w_hat)), n_support=int(eq7.support.size),
                b_hat_is_zero=bool(p.assumptions.b_s_is_zero), alpha=float(alpha))
    res = p.residual
    if res is None:
        return PredictedTimes(status=f"residual limit failed: {p.failures['residual']}", delta=math.nan,
                              b_inf=math.nan, B=math.nan, thm46=MappingProxyType({}), asymptotic=MappingProxyType({}),
                              asymptotic_level=MappingProxyType({}), **base)
    thm46, asym, at_level = {}, {}, {}
    for eps in eps_values:
        bounds = p.theorem_4_6_at(eps)
        thm46[float(eps)] = (bounds.T_headline, bounds.T_lower, bounds.T_upper)
        for name, (Xt, yt) in tests.items():
            asym[(name, float(eps))] = p.test_time(Xt, yt, eps)
    for name, (Xt, yt) in tests.items():
        for level in levels:
            at_level[(name, float(level))] = p.level_time(Xt, yt, level)
    status = "ok" if eq7.status == "optimal" and res.status == "optimal" else f"qp {eq7.status}, residual {res.status}"
    return PredictedTimes(status=status, delta=float(res.delta), b_inf=float(res.b_inf), B=p.B,
                          thm46=MappingProxyType(thm46), asymptotic=MappingProxyType(asym),
                          asymptotic_level=MappingProxyType(at_level), **base)


def run_experiment(X, y, tests: Mapping[str, tuple], *, eta: float, steps: int, support=None, eps_values=(0.0, 1e-3),
                   levels=(0.9,), per_decade: int = 20, parity: bool = True, reduction: str = "sum",
                   pgd_test: str | None = None, predict: bool = True, alpha: float = 10.0, backend: str = "numba",
                   state_path=None, progress=False, label: str = "") -> ExperimentResult:
    """Simulate GD (eqs. (3)-(5) of arXiv:2602.08302), measure it as in Section 5, and pair it with the predictions.

    Args:
        X: (N, d) training inputs; y: (N,) labels in {-1, +1}.
        tests: name -> (X_test, y_test), e.g. {"standard": ..., "concentrated": ...}.
        eta: learning rate (paper 1e-2); steps: GD updates (paper 1e7; t counts GD updates).
        support: planted support-vector rows (indices), for the non-SV share of the bias gradient
            and phase 1 -> 2; None leaves that share NaN and phase 1 undetermined.
        eps_values: eps of Definition 3.4 (paper: 0 and 0.001).
        levels: fixed test-accuracy levels in (0, 1] for :class:`LevelRow` times (and their predictions).
        per_decade: log-spaced checkpoints per decade (numerics.schedule.log_schedule).
        parity: pair every checkpoint t with t + 1 (period-2 cycles; recommended).
        reduction: "sum" (eq. (3), paper) or "mean".
        pgd_test: name of the test set to attack with PGD at every checkpoint (None: no PGD).
        predict: compute :func:`predict_times` (a QP: seconds at N = 2000, d = 2; minutes and more
            at d = 1024, N >= 4000).
        alpha: concentrated band parameter for Theorem 4.6.
        backend: "numba" (exact engine, resumable) or "numpy" / "cupy" / "torch" (array library).
        state_path: checkpoint file (resume after interruption), for every backend.
        progress: as numerics.engine.run_gd.
        label: free text naming the setup.

    Returns:
        :class:`ExperimentResult`.

    Raises:
        ValueError: bad arguments (named). numerics.array_engine.BackendUnavailable: missing library.
        FloatingPointError: GD left the float64 range.
    """
    from numerics.simulation import simulate
    from theory.stability import sharpness_at_init

    sim = simulate(X, y, eta=eta, steps=steps, test=dict(tests), backend=backend, state=state_path,
                   reduction=reduction, support=support, eps=eps_values, levels=levels, per_decade=per_decade,
                   parity=parity, pgd_test=pgd_test, progress=progress)
    m, gd = sim.measurements, sim.run
    pred = (predict_times(X, y, tests, eta=eta, eps_values=eps_values, alpha=alpha, levels=levels,
                          reduction=reduction) if predict else None)
    return ExperimentResult(
        label=label, n=int(np.shape(X)[0]), d=int(np.shape(X)[1]), eta=float(eta), steps=int(steps),
        reduction=reduction, per_decade=int(per_decade), parity=bool(parity), engine=gd.engine, wall_s=gd.wall_s,
        t=gd.t, b=gd.b, w_norm=frozen(m.w_norm, copy=True), distance=frozen(m.distance, copy=True),
        nonsv_share_b=frozen(m.nonsv_mass_share_b, copy=True), accuracy=sim.accuracy,
        pgd_test=pgd_test, times=sim.times, level_times=sim.level_times, phase_one_end=sim.phase_one_end,
        phase_two_end=sim.phase_two_end, parity_gap_b=sim.parity_gap_b, parity_gap_train=sim.parity_gap_train,
        eta_sharpness=float(sharpness_at_init(X, y, eta=eta, reduction=reduction).eta_lambda),
        prediction=pred, method=sim.method,
    )
