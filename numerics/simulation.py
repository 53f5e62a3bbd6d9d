"""One GD run, measured: :func:`simulate` -> :class:`Simulation` (trajectory, measurements, times, phases).

:func:`simulate` runs full-batch GD of eqs. (3)-(5) of arXiv:2602.08302 from w = 0, b = 0
(:mod:`numerics.runs`: the exact engine, or an array library) and measures it at every checkpoint
the same way for every caller:

* checkpoints log-spaced (``per_decade`` per factor of ten), each paired with t + 1 when ``parity``:
  at the paper's eta = 1e-2 with the summed loss GD runs a period-2 cycle, so a quantity read at one
  step describes one parity only; or an explicit ``schedule``;
* b(t), ||w||, the hyperplane's distance |b| / ||w||, the non-support-vector share of the bias
  gradient, and the accuracy on the training set and every test set (:mod:`numerics.measure`);
  optionally the paper's l_inf PGD attack on one test set (:mod:`numerics.attacks`);
* Definition 3.4's T_tr(eps), T_te(eps), zeta per test set, eps and parity (:mod:`numerics.grokking`:
  first checkpoint of that parity at which the accuracy reaches (1 - eps) of its supremum over the
  checkpoints of that parity; the previous checkpoint of that parity is the lower bracket), and
  first checkpoints at fixed accuracy levels;
* the phase boundaries (phase 1 -> 2 when the non-SV share falls below 1/2 for good, phase 2 -> 3 at
  the peak of |b| / ||w||), read on the even checkpoints when checkpoints come in pairs (one
  parity), on all checkpoints otherwise.

The parity label "all" marks times read on every checkpoint (``parity=False``). Never imports theory:
the support set and the max-margin reference (for angles and residuals) are passed in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import numpy as np

from numerics.validation import frozen

__all__ = ["TimeRow", "LevelRow", "Simulation", "simulate", "simulate_batch", "find_row", "PARITIES", "PGD_LOSS"]

PARITIES = ("even", "odd")
# PGD as in Section 5: radius 1, step 1/4, 20 steps, clean start; loss "margin" takes the same
# sign steps as the logistic loss wherever sigma(-m) does not underflow, and keeps moving where
# it does (late in training ||w|| ~ 1e4, margins > 745 are common; see numerics.attacks).
PGD_LOSS = "margin"


@dataclass(frozen=True)
class TimeRow:
    """Definition 3.4 on one test set, one eps, one parity of the checkpoints.

    Attributes:
        test: test-set name; eps: tolerance; parity: "even" or "odd" (checkpoints t with t % 2 == 0 / 1),
            or "all".
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
        test: test-set name; level: accuracy level in (0, 1]; parity: "even", "odd" or "all".
        T: first checkpoint of that parity with accuracy >= level (GD steps); None if never reached.
        T_lower: the previous checkpoint of that parity (None if T is the first one).
    """

    test: str
    level: float
    parity: str
    T: int | None
    T_lower: int | None


@dataclass(frozen=True, eq=False)
class Simulation:
    """A measured GD run (module docstring for every rule); t counts GD updates.

    Attributes:
        run: :class:`numerics.runs.GDRun` (t, w, b at the checkpoints, engine, timing).
        measurements: :class:`numerics.measure.Measurements` at every checkpoint.
        accuracy: name -> (K,) accuracy: "train", each test set, and "pgd" when attacked.
        pgd_test: the test set attacked by PGD (None: not computed).
        crossings: (test, eps, parity) -> :class:`numerics.grokking.GrokkingTimes` (with no test set,
            test "train" stands in: T_te = T_tr).
        times: :class:`TimeRow` for every (test, eps, parity). level_times: :class:`LevelRow`s.
        phase_one_end, phase_two_end: :class:`numerics.grokking.PhaseBoundary` (NaN share without ``support``).
        parity_gap_b, parity_gap_train: max |value(t+1) - value(t)| over the checkpoint pairs of the
            last decade (NaN without pairs).
        method: one sentence saying how the numbers were obtained.
    """

    run: object
    measurements: object
    accuracy: Mapping[str, np.ndarray]
    pgd_test: str | None
    crossings: Mapping[tuple, object]
    times: tuple
    level_times: tuple
    phase_one_end: object
    phase_two_end: object
    parity_gap_b: float
    parity_gap_train: float
    method: str

    @property
    def t(self) -> np.ndarray:
        return self.run.t

    @property
    def w(self) -> np.ndarray:
        return self.run.w

    @property
    def b(self) -> np.ndarray:
        return self.run.b

    def time(self, test: str, eps: float, parity: str) -> TimeRow:
        """The TimeRow for (test, eps, parity); KeyError if it was not computed."""
        return find_row(self.times, test=test, eps=eps, parity=parity)

    def level_time(self, test: str, level: float, parity: str) -> LevelRow:
        """The LevelRow for (test, level, parity); KeyError if it was not computed."""
        return find_row(self.level_times, test=test, level=level, parity=parity)


def find_row(rows, **key):
    """The row of ``rows`` (TimeRow or LevelRow) whose fields equal ``key``; KeyError naming the key if none.

    >>> find_row((LevelRow("test", 0.9, "all", 7, 5),), test="test", level=0.9, parity="all").T
    7
    """
    for row in rows:
        if all(getattr(row, k) == v for k, v in key.items()):
            return row
    raise KeyError("no row for " + ", ".join(f"{k}={v!r}" for k, v in key.items()))


def _selections(t, parity: bool) -> dict:
    if not parity:
        return {"all": np.arange(t.size)}
    return {p: np.flatnonzero(t % 2 == (0 if p == "even" else 1)) for p in PARITIES}


def _crossings(t, accuracy, tests, eps_values, parity) -> dict:
    from numerics.grokking import grokking_times

    out = {}
    for name_p, sel in _selections(t, parity).items():
        ts, train = t[sel], accuracy["train"][sel]
        for name in tests or ("train",):
            for eps in eps_values:
                out[(name, float(eps), name_p)] = grokking_times(ts, train, accuracy[name][sel], eps)
    return out


def _time_rows(crossings) -> tuple:
    rows = []
    for (name, eps, parity), g in crossings.items():
        censored = bool(g.train.sup_at_last_only or g.test.sup_at_last_only)
        rows.append(TimeRow(name, eps, parity, g.train.t_first, g.train.t_prev, g.test.t_first, g.test.t_prev,
                            g.zeta, g.train.sup, g.test.sup, censored))
    return tuple(rows)


def _level_rows(t, accuracy, tests, levels, parity) -> tuple:
    from numerics.grokking import accuracy_crossing

    rows = []
    for name_p, sel in _selections(t, parity).items():
        for name in tests:
            for level in levels:
                c = accuracy_crossing(t[sel], accuracy[name][sel], 1.0 - level, sup=1.0)
                rows.append(LevelRow(name, float(level), name_p, c.t_first, c.t_prev))
    return tuple(rows)


def _parity_gap(t, values, steps) -> float:
    from numerics.grokking import parity_differences

    diffs = parity_differences(t, values)
    late = diffs.t_even >= steps / 10
    return float(np.max(np.abs(diffs.diff[late]))) if np.any(late) else math.nan


def _tests(test) -> dict:
    if test is None:
        return {}
    if isinstance(test, Mapping):
        return dict(test)
    return {"test": tuple(test)}


def simulate(X, y, *, eta: float, steps: int, test=None, schedule=None, backend: str = "exact", state=None,
             reduction: str = "sum", support=None, reference: Mapping | None = None, eps=(0.0,), levels=(),
             per_decade: int = 20, parity: bool = True, pgd_test: str | None = None, progress=False,
             save_every_s: float | None = None) -> Simulation:
    """Run GD on (X, y) and measure it (module docstring).

    Args:
        X: (N, d) inputs; y: (N,) labels in {-1, +1}.
        eta: step size (> 0); steps: GD updates (t counts GD updates).
        test: None, one (X_test, y_test) (named "test"), or a mapping name -> (X_test, y_test).
        schedule: explicit checkpoint steps (sorted, within [0, steps]); default: ``per_decade``
            log-spaced per decade, each paired with t + 1 when ``parity``.
        backend: "exact" (numerics.engine, the default; alias "numba") or an array library ("numpy",
            "cupy", "torch": numerics.array_engine).
        state: state file: the run resumes from it and saves to it.
        reduction: "sum" (eq. (3), paper) or "mean".
        support: support-vector rows (non-SV gradient shares, phase 1 -> 2); None leaves them NaN.
        reference: optional {"w_hat", "b_hat", "theta_tilde"} for angles and residuals (numerics.measure).
        eps: Definition 3.4's tolerances, each in [0, 1). levels: fixed accuracy levels in (0, 1].
        per_decade, parity: the default schedule (above); parity also chooses the phase rule's checkpoints.
        pgd_test: name of a test set to attack with PGD at every checkpoint (None: no PGD).
        progress: as numerics.engine.run_gd (exact engine only).
        save_every_s: seconds between saves of the ``state`` file (None: the engine's default).

    Returns:
        :class:`Simulation`.

    Raises:
        ValueError: bad arguments (named), or a state file of another run.
        numerics.array_engine.BackendUnavailable: the array library is missing.
        FloatingPointError: GD left the float64 range.
    """
    from numerics.loss import check_data
    from numerics.runs import run

    X, y = check_data(X, y)
    tests, eps, levels = _arguments(test, pgd_test, eps, levels)
    gd = run(X, y, eta=eta, steps=steps, per_decade=per_decade, parity=parity, reduction=reduction,
             backend="numba" if backend == "exact" else backend, state_path=state, progress=progress,
             checkpoints=schedule, save_every_s=save_every_s)
    return _measured(gd, X, y, tests, eps=eps, levels=levels, support=support, reference=reference,
                     pgd_test=pgd_test, paired=parity and schedule is None)


def simulate_batch(Xs, ys, etas, *, steps: int, tests=None, supports=None, references=None, eps=(0.0,), levels=(),
                   per_decade: int = 20, parity: bool = True, reduction: str = "sum") -> list:
    """Several runs of equal shape in one engine call (numerics.runs.run_batch), each measured as :func:`simulate`.

    Args:
        Xs, ys: R training sets of equal shape. etas: R step sizes (or one).
        tests, supports, references: R entries each (None: none for every run), as ``test``,
            ``support`` and ``reference`` of :func:`simulate`.
        steps, eps, levels, per_decade, parity, reduction: as :func:`simulate`, shared.

    Returns:
        list of R :class:`Simulation`, in input order; each equals the :func:`simulate` of that run.
    """
    from numerics.loss import check_data
    from numerics.runs import run_batch

    r = len(Xs)
    tests, supports, references = ([None] * r if v is None else list(v) for v in (tests, supports, references))
    gds = run_batch(Xs, ys, etas, steps=steps, per_decade=per_decade, parity=parity, reduction=reduction)
    out = []
    for gd, X, y, test, support, reference in zip(gds, Xs, ys, tests, supports, references):
        X, y = check_data(X, y)
        named, eps_k, levels_k = _arguments(test, None, eps, levels)
        out.append(_measured(gd, X, y, named, eps=eps_k, levels=levels_k, support=support, reference=reference,
                             pgd_test=None, paired=parity))
    return out


def _arguments(test, pgd_test, eps, levels):
    tests = _tests(test)
    if pgd_test is not None and pgd_test not in tests:
        raise ValueError(f"`pgd_test` must name one of the test sets {sorted(tests)}, got {pgd_test!r}")
    eps = tuple(float(e) for e in np.atleast_1d(eps))
    if any(not 0.0 <= e < 1.0 for e in eps):
        raise ValueError(f"`eps` must lie in [0, 1), got {eps}")
    levels = tuple(float(q) for q in levels)
    if any(not 0.0 < q <= 1.0 for q in levels):
        raise ValueError(f"`levels` must lie in (0, 1], got {levels}")
    return tests, eps, levels


def _measured(gd, X, y, tests, *, eps, levels, support, reference, pgd_test, paired) -> Simulation:
    """A recorded run (numerics.runs.GDRun) measured by the module's rules."""
    from numerics.grokking import phase_one_end, phase_two_end
    from numerics.runs import measure

    t, w, b, steps = gd.t, gd.w, gd.b, gd.steps
    with np.errstate(over="ignore", invalid="ignore"):  # non-finite measurements are the caller's to judge
        m = measure(gd, X, y, tests=tests or None, support=support, **dict(reference or {}))
    accuracy = {"train": np.asarray(m.train.accuracy)}
    accuracy.update({name: np.asarray(s.accuracy) for name, s in m.test.items()})
    if pgd_test is not None:
        from numerics.attacks import pgd_curve

        accuracy["pgd"] = np.array([r.accuracy for r in pgd_curve(*tests[pgd_test], w, b, loss=PGD_LOSS)])
    crossings = _crossings(t, accuracy, list(tests), eps, paired)
    one = np.flatnonzero(t % 2 == 0) if paired else np.arange(t.size)
    method = (gd.summary + "; T = first checkpoint "
              + ("of a parity with accuracy >= (1 - eps) x its sup over that parity's checkpoints" if paired else
                 "with accuracy >= (1 - eps) x its sup over the checkpoints"))
    return Simulation(
        run=gd, measurements=m, accuracy=MappingProxyType({k: frozen(v) for k, v in accuracy.items()}),
        pgd_test=pgd_test, crossings=MappingProxyType(crossings), times=_time_rows(crossings),
        level_times=_level_rows(t, accuracy, list(tests), levels, paired),
        phase_one_end=phase_one_end(t[one], np.asarray(m.nonsv_mass_share_b)[one]),
        phase_two_end=phase_two_end(t[one], np.asarray(m.distance)[one]),
        parity_gap_b=_parity_gap(t, b, steps) if paired else math.nan,
        parity_gap_train=_parity_gap(t, accuracy["train"], steps) if paired else math.nan,
        method=method,
    )
