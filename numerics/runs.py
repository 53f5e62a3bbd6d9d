"""GD runs of eqs. (3)-(5) of arXiv:2602.08302, recorded and described: the layer under :func:`numerics.simulation.simulate`.

Every runner goes through :func:`numerics.simulation.simulate`, which does the three things here
(the ledger also batches its stable sets through :func:`run_batch`):

* :func:`run` / :func:`run_batch`: full-batch GD from w = 0, b = 0 on log-spaced checkpoints
  (``per_decade`` per factor of ten, each paired with t + 1 when ``parity``), on the exact engine
  (``backend="numba"``: numerics.engine.run_gd, or run_gd_batch for several sets of one shape)
  or an array library (numerics.array_engine.array_gd); a ``state_path`` makes a run resumable;
* :func:`measure`: numerics.measure.measure_trajectory at every checkpoint;
* :func:`describe` and :attr:`GDRun.summary`: how the numbers were obtained (provenance).

t counts GD updates throughout; everything is float64.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from numerics.measure import Measurements, measure_trajectory
from numerics.schedule import log_schedule
from numerics.validation import frozen

__all__ = ["GDRun", "GD_METHOD", "checkpoint_steps", "run", "run_batch", "measure", "describe"]

GD_METHOD = ("float64 full-batch GD on the logistic loss with bias, eqs. (3)-(5), from w = 0, b = 0 "
             "(numerics.engine, exact arithmetic contract)")


@dataclass(frozen=True, eq=False)
class GDRun:
    """The checkpoints of one GD run (eqs. (4)-(5) of arXiv:2602.08302) and how they were produced.

    Attributes:
        t: (K,) int64 checkpoint steps (t counts GD updates; t[0] = 0 is the start).
        w: (K, d) weights and b: (K,) biases at those steps (read-only copies).
        eta: learning rate; steps: GD updates taken; reduction: "sum" (eq. (3)) or "mean".
        per_decade: log-spaced checkpoints per factor of ten; parity: each paired with t + 1.
        engine: "numba" (exact engine) or the array library ("numpy", "cupy", "torch:<device>").
        routine: the function that ran it: "run_gd", "run_gd_batch" or "array_gd".
        wall_s: seconds spent stepping, summed over resumed sessions (the engine's count).
        elapsed_s: wall-clock seconds of this call (loading a finished state file: about 0;
            batched runs: the whole batch's time).
        skip_fraction: share of the exponentials the exact engine certified to be 0 and skipped
            (NaN for the array libraries, which skip nothing).
    """

    t: np.ndarray
    w: np.ndarray
    b: np.ndarray
    eta: float
    steps: int
    reduction: str
    per_decade: int
    parity: bool
    engine: str
    routine: str
    wall_s: float
    elapsed_s: float
    skip_fraction: float = math.nan

    @property
    def schedule(self) -> str:
        """The checkpoint rule in words, e.g. "log-spaced, 20 per decade, each with the next step (both parities)"."""
        pairs = ", each with the next step (both parities)" if self.parity else ""
        return f"log-spaced, {self.per_decade} per decade{pairs}"

    @property
    def summary(self) -> str:
        """One sentence: loss, eta, steps, engine and checkpoints of this run."""
        loss = "summed" if self.reduction == "sum" else "mean"
        return (f"float64 full-batch GD on the {loss} logistic loss (eqs. 3-5), eta = {self.eta:g}, "
                f"{self.steps:,} steps from w = 0, b = 0 ({self.engine} engine); "
                f"{self.per_decade} log-spaced checkpoints per decade"
                + (", each paired with the next step (both parities)" if self.parity else ""))


def _record(traj, *, per_decade, parity, routine, elapsed) -> GDRun:
    """A GDRun from a numerics.engine.GDTrajectory or numerics.array_engine.ArrayRun."""
    return GDRun(t=frozen(traj.t, copy=True), w=frozen(traj.w, copy=True),
                 b=frozen(traj.b, copy=True), eta=float(traj.eta),
                 steps=int(traj.steps), reduction=traj.reduction, per_decade=int(per_decade), parity=bool(parity),
                 engine=traj.engine, routine=routine, wall_s=float(traj.wall_s), elapsed_s=float(elapsed),
                 skip_fraction=float(getattr(traj, "skip_fraction", math.nan)))


def checkpoint_steps(steps: int, per_decade: int = 20, parity: bool = True) -> np.ndarray:
    """The checkpoints of a run: numerics.schedule.log_schedule(steps, per_decade, with_next=parity)."""
    return log_schedule(steps, per_decade, with_next=parity)


def run(X, y, *, eta: float, steps: int, per_decade: int = 20, parity: bool = True, reduction: str = "sum",
        backend: str = "numba", state_path=None, save_every_s: float | None = None, progress=False,
        checkpoints=None) -> GDRun:
    """Full-batch GD (eqs. (3)-(5) of arXiv:2602.08302) from w = 0, b = 0, recorded at log-spaced checkpoints.

    Args:
        X: (N, d) inputs; y: (N,) labels in {-1, +1}.
        eta: learning rate (> 0); steps: GD updates (t counts GD updates).
        per_decade: checkpoints per factor of ten; parity: pair every checkpoint t with t + 1.
        reduction: "sum" (eq. (3), paper) or "mean".
        backend: "numba" (numerics.engine.run_gd, exact) or "numpy" / "cupy" / "torch"
            (numerics.array_engine.array_gd).
        state_path: checkpoint file: the run resumes from it and saves to it (every backend).
        save_every_s: seconds between saves of the state file (None: the engine's default).
        progress: as numerics.engine.run_gd (numba backend only).
        checkpoints: explicit checkpoint steps instead of the log-spaced schedule (``per_decade``
            and ``parity`` then only describe the run).

    Returns:
        :class:`GDRun`.

    Raises:
        ValueError: bad arguments or a state file of another run (from the engine).
        numerics.array_engine.BackendUnavailable: missing library. FloatingPointError: GD left float64.
    """
    if checkpoints is None:
        checkpoints = checkpoint_steps(steps, per_decade, parity)
    save = {} if save_every_s is None else {"save_every_s": float(save_every_s)}
    tic = time.perf_counter()
    if backend == "numba":
        from numerics.engine import run_gd

        traj = run_gd(X, y, eta=eta, steps=steps, checkpoints=checkpoints, reduction=reduction,
                      state_path=state_path, progress=progress, **save)
        routine = "run_gd"
    else:
        from numerics.array_engine import array_gd

        traj = array_gd(X, y, eta=eta, steps=steps, checkpoints=checkpoints, reduction=reduction, backend=backend,
                        state_path=state_path, **save)
        routine = "array_gd"
    return _record(traj, per_decade=per_decade, parity=parity, routine=routine, elapsed=time.perf_counter() - tic)


def run_batch(Xs, ys, etas, *, steps: int, per_decade: int = 20, parity: bool = True,
              reduction: str = "sum") -> list[GDRun]:
    """Several GD runs of equal shape in one call (numerics.engine.run_gd_batch); each equals its :func:`run`.

    Args:
        Xs: R arrays (N, d) of equal shape; ys: R label arrays (N,); etas: R learning rates (or one).
        steps, per_decade, parity, reduction: as in :func:`run`, shared by all runs.

    Returns:
        list of R :class:`GDRun` in input order (``elapsed_s`` and ``wall_s``: the whole batch's).

    Raises:
        ValueError: shapes differ or bad arguments. FloatingPointError: a run diverged.
    """
    from numerics.engine import run_gd_batch

    tic = time.perf_counter()
    trajs = run_gd_batch(Xs, ys, etas, steps=steps, checkpoints=checkpoint_steps(steps, per_decade, parity),
                         reduction=reduction)
    elapsed = time.perf_counter() - tic
    return [_record(tr, per_decade=per_decade, parity=parity, routine="run_gd_batch", elapsed=elapsed) for tr in trajs]


def measure(gd: GDRun, X, y, *, tests=None, support=None, w_hat=None, b_hat=None, theta_tilde=None) -> Measurements:
    """numerics.measure.measure_trajectory at every checkpoint of ``gd`` (Sections 4-5 of arXiv:2602.08302).

    Args:
        gd: the run; X: (N, d), y: (N,) its training set.
        tests: name -> (X_test, y_test). support: support-vector rows (non-SV gradient shares).
        w_hat, b_hat: eq. (7) solution (angle, residual); theta_tilde: (d + 1,) Theorem 4.2 limit.

    Returns:
        numerics.measure.Measurements.
    """
    return measure_trajectory(X, y, gd.t, gd.w, gd.b, tests=tests, w_hat=w_hat, b_hat=b_hat,
                              theta_tilde=theta_tilde, support=support)


def describe(gd: GDRun, *, data: str | None = None, eta_lambda: float | None = None,
             test_sets: str | None = None) -> dict:
    """The provenance entry of a run (the ``runs`` section of ``lingrok verify``), JSON-ready.

    Args:
        gd: the run. data: key of its training set's own entry (e.g. "data:paper").
        eta_lambda: eta lambda_max of the Hessian at w = 0, b = 0 (> 2: unstable at the start).
        test_sets: the test sets in words. Each optional field is left out when None.

    Returns:
        dict: method, engine, [data], eta, reduction, [eta_lambda_max_H0], steps, checkpoints,
        precision, [test_sets], wall_s (this call's wall-clock seconds, 2 decimals).
    """
    method = GD_METHOD if gd.engine == "numba" else (
        "float64 full-batch GD on the logistic loss with bias, eqs. (3)-(5), from w = 0, b = 0 "
        f"(numerics.array_engine, {gd.engine}; equal to numerics.engine.naive_gd up to rounding)")
    entry = {"method": method, "engine": f"{gd.engine} {gd.routine}"}
    if data is not None:
        entry["data"] = data
    entry.update(eta=gd.eta, reduction=gd.reduction)
    if eta_lambda is not None:
        entry["eta_lambda_max_H0"] = eta_lambda
    entry.update(steps=gd.steps, checkpoints=gd.schedule, precision="float64")
    if test_sets is not None:
        entry["test_sets"] = test_sets
    entry["wall_s"] = round(gd.elapsed_s, 2)
    return entry

