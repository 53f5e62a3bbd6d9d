"""One experiment of arXiv:2602.08302, Section 5: a GD run measured and paired with its predictions.

:func:`run_experiment` takes a training set, test sets, eta and a number of steps, and returns
everything the paper reports about one run, each number saying how it was obtained:

* the trajectory at log-spaced checkpoints (``per_decade`` per factor of ten), with every
  checkpoint t paired with t + 1 (``parity=True``), because at the paper's eta = 1e-2 with the
  summed loss GD is past the edge of stability (eta lambda_max ~ 60 at the start) and settles
  into a period-2 cycle: a quantity read at one step describes one parity only;
* b(t), ||w||, the hyperplane's distance |b| / ||w|| from the origin, the non-support-vector share
  of the bias gradient, and the accuracy on the training set, on every test set and under the
  paper's l_inf PGD attack (radius 1, step 1/4, 20 steps, clean start, clipped to the test set's
  range) on one test set;
* Definition 3.4's T_tr(eps), T_te(eps), zeta = T_te / T_tr per test set, eps and parity
  (first checkpoint of that parity at which the accuracy reaches (1 - eps) of its supremum over
  the checkpoints of that parity; the previous checkpoint of that parity is the lower bracket);
* the measured phase boundaries (numerics.grokking: phase 1 -> 2 when the non-SV share of the
  bias gradient falls below 1/2 for good, phase 2 -> 3 at the peak of |b| / ||w||), read on the
  even-step checkpoints;
* the predictions: the max-margin geometry (eq. 7), the augmented residual limit (Thm 4.2), delta
  and b_inf (Thm 4.5), Theorem 4.6's T_te (headline and bounds with B = ||theta_tilde||) and the
  exact first time at which the asymptotic hyperplane theta_hat log t + theta_tilde reaches
  (1 - eps) of its best accuracy on each test set (the corrected prediction of T_te).

This is the application layer: the only place where numerics (simulation) meets theory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

import numpy as np

__all__ = ["TimeRow", "LevelRow", "Prediction", "ExperimentResult", "run_experiment", "predict_times", "PARITIES"]

PARITIES = ("even", "odd")
# PGD as in Section 5: radius 1, step 1/4, 20 steps, clean start; loss "margin" takes the same
# sign steps as the logistic loss wherever sigma(-m) does not underflow, and keeps moving where
# it does (late in training ||w|| ~ 1e4, margins > 745 are common; see numerics.attacks).
PGD_LOSS = "margin"


@dataclass(frozen=True)
class TimeRow:
    """Definition 3.4 on one test set, one eps, one parity of the checkpoints.

    Attributes:
        test: test-set name; eps: tolerance; parity: "even" or "odd" (checkpoints t with t % 2 == 0 / 1).
        T_tr, T_te: first checkpoint of that parity with P(t) (resp. Q(t)) >= (1 - eps) sup, GD steps;
            None if never reached. T_tr_lower, T_te_lower: the previous checkpoint of that parity
            (the crossing lies in (lower, T]); None when the first checkpoint already qualifies.
        zeta: T_te / T_tr (None if undefined or T_tr = 0).
        sup_train, sup_test: the suprema over the checkpoints of that parity.
        censored: a supremum is attained only at the last checkpoint of that parity, so an eps = 0
            time may be cut short by the horizon.
    """

    test: str
    eps: float
    parity: str
    T_tr: int | None
    T_tr_lower: int | None
    T_te: int | None
    T_te_lower: int | None
    zeta: float | None
    sup_train: float
    sup_test: float
    censored: bool


@dataclass(frozen=True)
class LevelRow:
    """First checkpoint of one parity at which a test accuracy reaches a FIXED level (not relative to its sup).

    Definition 3.4 measures against the supremum over the run, so a run cut off while the accuracy
    still rises returns the last checkpoint whatever the dynamics; a fixed level (e.g. 0.9) compares
    runs of different speeds and stays comparable with the prediction.

    Attributes:
        test: test-set name; level: accuracy level in (0, 1]; parity: "even" or "odd".
        T: first checkpoint of that parity with accuracy >= level (GD steps); None if never reached.
        T_lower: the previous checkpoint of that parity (None if T is the first one).
    """

    test: str
    level: float
    parity: str
    T: int | None
    T_lower: int | None


@dataclass(frozen=True)
class Prediction:
    """The paper's predictions for one training set (and the corrected T_te), in GD steps.

    Attributes:
        status: "ok", or why a part could not be computed (the fields it needs are NaN / empty).
        w_hat, b_hat: eq. (7) solution; gamma: 2 / ||w_hat|| (the margin width, units of x).
        n_support: support vectors of eq. (7). b_hat_is_zero: Assumption 3.1 holds numerically.
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
    """A measured GD run with its predictions (see the module docstring for every rule).

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
        prediction: Prediction or None when not requested.
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
    prediction: Prediction | None
    method: str = field(default="")

    def time(self, test: str, eps: float, parity: str) -> TimeRow:
        """The TimeRow for (test, eps, parity); KeyError if it was not computed."""
        for row in self.times:
            if row.test == test and row.eps == eps and row.parity == parity:
                return row
        raise KeyError(f"no time for test={test!r}, eps={eps}, parity={parity!r}")

    def level_time(self, test: str, level: float, parity: str) -> LevelRow:
        """The LevelRow for (test, level, parity); KeyError if it was not computed."""
        for row in self.level_times:
            if row.test == test and row.level == level and row.parity == parity:
                return row
        raise KeyError(f"no level time for test={test!r}, level={level}, parity={parity!r}")


def _frozen(a) -> np.ndarray:
    a = np.array(a)
    a.setflags(write=False)
    return a


def _pgd_curve(Xt, yt, w, b) -> np.ndarray:
    """PGD accuracy (Section 5's attack) of every checkpoint on one test set."""
    from numerics.attacks import PAPER_RADIUS, PAPER_STEP, PAPER_STEPS, data_box, pgd_linf

    box = data_box(Xt, "data")
    out = np.empty(w.shape[0])
    for k in range(w.shape[0]):
        out[k] = pgd_linf(Xt, yt, w[k], b[k], radius=PAPER_RADIUS, step=PAPER_STEP, n_steps=PAPER_STEPS,
                          start="clean", box=box, loss=PGD_LOSS).accuracy
    return out


def _time_rows(t, accuracy, tests, eps_values) -> tuple:
    from numerics.grokking import grokking_times

    rows = []
    for parity in PARITIES:
        sel = np.flatnonzero(t % 2 == (0 if parity == "even" else 1))
        ts, train = t[sel], accuracy["train"][sel]
        for name in tests:
            test = accuracy[name][sel]
            for eps in eps_values:
                g = grokking_times(ts, train, test, eps)
                censored = bool(g.train.sup_at_last_only or g.test.sup_at_last_only)
                rows.append(TimeRow(name, float(eps), parity, g.train.t_first, g.train.t_prev, g.test.t_first,
                                    g.test.t_prev, g.zeta, g.train.sup, g.test.sup, censored))
    return tuple(rows)


def _level_rows(t, accuracy, tests, levels) -> tuple:
    from numerics.grokking import accuracy_crossing

    rows = []
    for parity in PARITIES:
        sel = np.flatnonzero(t % 2 == (0 if parity == "even" else 1))
        for name in tests:
            for level in levels:
                c = accuracy_crossing(t[sel], accuracy[name][sel], 1.0 - level, sup=1.0)
                rows.append(LevelRow(name, float(level), parity, c.t_first, c.t_prev))
    return tuple(rows)


def _parity_gap(t, values, steps) -> float:
    from numerics.grokking import parity_differences

    diffs = parity_differences(t, values)
    late = diffs.t_even >= steps / 10
    return float(np.max(np.abs(diffs.diff[late]))) if np.any(late) else math.nan


def predict_times(X, y, tests: Mapping[str, tuple], *, eta: float, eps_values, alpha: float = 10.0,
                  levels=()) -> Prediction:
    """The paper's T_te predictions (Thm 4.6) and the exact asymptotic-hyperplane T_te for a training set.

    Formula: theta_hat from eq. (7), theta_tilde from Thm 4.2 (augmented, with eta), delta =
    sqrt(A_S^- / A_S^+) (Thm 4.5); Theorem 4.6: T_te = exp(|log delta| / (1 + 2 eps (2 alpha - 1)))
    with bounds exp(... -+ gamma B / 2), B = ||theta_tilde||; asymptotic: first integer t with the
    accuracy of theta_hat log t + theta_tilde >= (1 - eps) sup on each test set.

    Args:
        X: (N, d), y: (N,) training set. tests: name -> (X_test, y_test).
        eta: GD step size (the residual limit depends on it). eps_values: eps of Definition 3.4.
        alpha: concentrated band parameter (> 1/2).

    Returns:
        :class:`Prediction`; ``status`` says what failed if the residual limit could not be found
        (e.g. an LP failure on a large problem): the Theorem 4.5-4.6 fields are then NaN.
    """
    from theory.geometry import B_S_ZERO_TOL, augmented_max_margin
    from theory.grokking_time import asymptotic_test_time, theorem_4_6_test_time
    from theory.residual import residual_limit

    sol = augmented_max_margin(X, y)
    gamma = 2.0 / float(np.linalg.norm(sol.w_hat))
    base = dict(w_hat=_frozen(sol.w_hat), b_hat=float(sol.b_hat), gamma=gamma, n_support=int(sol.support.size),
                b_hat_is_zero=bool(abs(sol.b_hat) <= B_S_ZERO_TOL), alpha=float(alpha))
    try:
        res = residual_limit(X, y, eta, solution=sol)
    except (RuntimeError, ValueError, np.linalg.LinAlgError) as exc:
        return Prediction(status=f"residual limit failed: {exc}", delta=math.nan, b_inf=math.nan, B=math.nan,
                          thm46=MappingProxyType({}), asymptotic=MappingProxyType({}),
                          asymptotic_level=MappingProxyType({}), **base)
    B = float(math.hypot(float(np.linalg.norm(res.w_tilde)), res.b_tilde))
    thm46, asym = {}, {}
    for eps in eps_values:
        bounds = theorem_4_6_test_time(res.delta, eps, alpha, gamma=gamma, B=B)
        thm46[float(eps)] = (bounds.T_headline, bounds.T_lower, bounds.T_upper)
        for name, (Xt, yt) in tests.items():
            curve = asymptotic_test_time(sol.w_hat, sol.b_hat, res.w_tilde, res.b_tilde, Xt, yt, eps)
            asym[(name, float(eps))] = float(curve.first_step)
    at_level = {}
    for name, (Xt, yt) in tests.items():
        sup = asymptotic_test_time(sol.w_hat, sol.b_hat, res.w_tilde, res.b_tilde, Xt, yt, 0.0).sup_accuracy
        for level in levels:
            if level > sup:
                at_level[(name, float(level))] = math.inf
                continue
            # a level below the sup is the eps = 1 - level / sup crossing (reached up to REACH_RTOL)
            curve = asymptotic_test_time(sol.w_hat, sol.b_hat, res.w_tilde, res.b_tilde, Xt, yt, 1.0 - level / sup)
            at_level[(name, float(level))] = float(curve.first_step)
    status = "ok" if sol.status == "optimal" and res.status == "optimal" else f"qp {sol.status}, residual {res.status}"
    return Prediction(status=status, delta=float(res.delta), b_inf=float(res.b_inf), B=B,
                      thm46=MappingProxyType(thm46), asymptotic=MappingProxyType(asym),
                      asymptotic_level=MappingProxyType(at_level), **base)


def run_experiment(
    X,
    y,
    tests: Mapping[str, tuple],
    *,
    eta: float,
    steps: int,
    support=None,
    eps_values=(0.0, 1e-3),
    levels=(0.9,),
    per_decade: int = 20,
    parity: bool = True,
    reduction: str = "sum",
    pgd_test: str | None = None,
    predict: bool = True,
    alpha: float = 10.0,
    backend: str = "numba",
    state_path=None,
    progress=False,
    label: str = "",
) -> ExperimentResult:
    """Run GD (eqs. (3)-(5) of arXiv:2602.08302), measure it as in Section 5, and pair it with the predictions.

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
    from numerics.grokking import phase_one_end, phase_two_end
    from numerics.loss import check_data
    from theory.stability import sharpness_at_init

    from numerics.runs import measure, run

    X, y = check_data(X, y)
    tests = dict(tests)
    if pgd_test is not None and pgd_test not in tests:
        raise ValueError(f"`pgd_test` must name one of the test sets {sorted(tests)}, got {pgd_test!r}")
    eps_values = tuple(float(e) for e in eps_values)
    if any(not 0.0 <= e < 1.0 for e in eps_values):
        raise ValueError(f"`eps_values` must lie in [0, 1), got {eps_values}")
    levels = tuple(float(q) for q in levels)
    if any(not 0.0 < q <= 1.0 for q in levels):
        raise ValueError(f"`levels` must lie in (0, 1], got {levels}")
    gd = run(X, y, eta=eta, steps=steps, per_decade=per_decade, parity=parity, reduction=reduction, backend=backend,
             state_path=state_path, progress=progress)
    t, w, b = gd.t, gd.w, gd.b
    m = measure(gd, X, y, tests=tests, support=support)
    accuracy = {"train": np.asarray(m.train.accuracy)}
    accuracy.update({name: np.asarray(s.accuracy) for name, s in m.test.items()})
    if pgd_test is not None:
        accuracy["pgd"] = _pgd_curve(*tests[pgd_test], w, b)
    times = _time_rows(t, accuracy, list(tests), eps_values)
    level_times = _level_rows(t, accuracy, list(tests), levels)
    even = np.flatnonzero(t % 2 == 0)
    p1 = phase_one_end(t[even], np.asarray(m.nonsv_mass_share_b)[even])
    p2 = phase_two_end(t[even], np.asarray(m.distance)[even])
    pred = predict_times(X, y, tests, eta=eta, eps_values=eps_values, alpha=alpha, levels=levels) if predict else None
    method = (gd.summary
              + "; T = first checkpoint of a parity with accuracy >= (1 - eps) x its sup over that parity's checkpoints")
    return ExperimentResult(
        label=label, n=int(X.shape[0]), d=int(X.shape[1]), eta=float(eta), steps=int(steps), reduction=reduction,
        per_decade=int(per_decade), parity=bool(parity), engine=gd.engine, wall_s=gd.wall_s,
        t=_frozen(t), b=_frozen(b), w_norm=_frozen(m.w_norm), distance=_frozen(m.distance),
        nonsv_share_b=_frozen(m.nonsv_mass_share_b),
        accuracy=MappingProxyType({k: _frozen(v) for k, v in accuracy.items()}),
        pgd_test=pgd_test, times=times, level_times=level_times, phase_one_end=p1, phase_two_end=p2,
        parity_gap_b=_parity_gap(t, b, steps) if parity else math.nan,
        parity_gap_train=_parity_gap(t, accuracy["train"], steps) if parity else math.nan,
        eta_sharpness=float(sharpness_at_init(X, y, eta=eta, reduction=reduction).eta_lambda),
        prediction=pred, method=method,
    )
