"""Exact, fast full-batch gradient descent on the logistic loss: eqs. (3)-(5) of arXiv:2602.08302.

    w(t+1) = w(t) - eta grad_w L(w(t), b(t)),   b(t+1) = b(t) - eta dL/db(w(t), b(t)),

from w(0) = 0, b(0) = 0 (or a given state), with the SUMMED loss of eq. (3) by default
(``reduction="mean"`` divides the loss by N). ``t`` counts GD updates taken; the checkpoint
``t = 0`` is the initialisation. Everything is float64.

Three engines, one result type (:class:`GDTrajectory`):

* :func:`run_gd` / :func:`run_gd_batch`: compiled (numba) loop that follows the arithmetic
  contract of :mod:`numerics.engine_kernels` bit for bit, skipping only terms that are
  provably +-0 (no bit can change); deterministic, stable at any margin, checkpoint/resume to
  disk, progress bar. Several runs of equal shape go in one call, in parallel over runs.
* :func:`reference_gd`: the same contract in plain Python, no skipping (slow; for tests).
* :func:`naive_gd`: the loop as the paper describes it, NumPy with BLAS summation order
  (``grad_w = -X^T (y * sigma(-m))``); equal to the others up to rounding.
"""

from __future__ import annotations

import hashlib
import io
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import expit

from numerics import engine_kernels as _k
from numerics.datafiles import atomic_write
from numerics.loss import check_data, check_reduction
from numerics.schedule import log_schedule, merge_schedules
from numerics.validation import count

__all__ = ["GDTrajectory", "run_gd", "run_gd_batch", "reference_gd", "naive_gd", "ENGINE_VERSION"]

ENGINE_VERSION = "lingrok-gd-contract-1"  # bump when the arithmetic contract changes
_STATE_KIND = "lingrok-gd-state"
_CHUNK_SECONDS = 0.5  # kernel calls last about this long (progress, saving, Ctrl-C latency)


@dataclass(frozen=True, eq=False)
class GDTrajectory:
    """A recorded GD run (eqs. (4)-(5) of arXiv:2602.08302).

    Attributes:
        t: (K,) int64 checkpoint steps reached (t counts GD updates; t[0] = 0 is the start).
        w: (K, d) weights at those steps; b: (K,) biases.
        eta: learning rate; reduction: "sum" (paper) or "mean".
        steps: total steps requested; t_final: steps actually taken (< steps if stopped early).
        w_final: (d,) and b_final: the state at t_final.
        complete: t_final == steps.
        n_exp: exponentials evaluated (rows x steps); n_skipped: rows skipped because their
            sigma(-m) was certified to be exactly 0; n_refresh: full margin refreshes.
        wall_s: wall-clock seconds spent stepping (summed over resumed sessions).
        engine: "numba", "reference" or "naive".
    """

    t: np.ndarray
    w: np.ndarray
    b: np.ndarray
    eta: float
    reduction: str
    steps: int
    t_final: int
    w_final: np.ndarray
    b_final: float
    complete: bool
    n_exp: int
    n_skipped: int
    n_refresh: int
    wall_s: float
    engine: str

    @property
    def skip_fraction(self) -> float:
        """Fraction of (row, step) terms skipped as exactly zero."""
        total = self.n_exp + self.n_skipped
        return self.n_skipped / total if total else 0.0


# --------------------------------------------------------------------------------------------
# validation and preparation


def _eta(value) -> float:
    eta = float(value)
    if not (math.isfinite(eta) and eta > 0):
        raise ValueError(f"`eta` must be positive and finite, got {value!r}")
    return eta


def _initial(w0, b0, d: int) -> np.ndarray:
    theta = np.zeros(d + 1)
    if w0 is not None:
        w0 = np.asarray(w0, dtype=np.float64)
        if w0.shape != (d,):
            raise ValueError(f"`w0` must have shape (d,) = ({d},), got {w0.shape}")
        theta[:d] = w0
    theta[d] = float(b0)
    if not np.all(np.isfinite(theta)):
        raise ValueError("`w0` and `b0` must be finite")
    return theta


def _schedule(steps: int, checkpoints) -> np.ndarray:
    if checkpoints is None:
        return log_schedule(steps)
    return merge_schedules(steps, np.asarray(checkpoints))


@dataclass(frozen=True, eq=False)
class _Problem:
    X: np.ndarray  # (N, d) C order
    XT: np.ndarray  # (d, N) C order
    y: np.ndarray
    zn: np.ndarray  # inflated ||(x_i, 1)||_2
    digest: str


def _prepare(X, y) -> _Problem:
    X, y = check_data(X, y)
    X = np.ascontiguousarray(X)
    y = np.ascontiguousarray(y)
    d = X.shape[1]
    with np.errstate(over="ignore"):  # an inf bound only disables skipping for that row
        zn = np.sqrt(np.einsum("ij,ij->i", X, X) + 1.0) * (1.0 + 8.0 * (d + 4) * _k.ROUND_UNIT)
    h = hashlib.sha256()
    h.update(np.asarray(X.shape, dtype=np.int64).tobytes())
    h.update(X.tobytes())
    h.update(y.tobytes())
    return _Problem(X, np.ascontiguousarray(X.T), y, zn, h.hexdigest())


def _trajectory(ck, n_rec, rec_w, rec_b, theta, t_final, eta, reduction, steps, stats, wall, engine):
    d = rec_w.shape[1]
    t = np.array(ck[:n_rec], dtype=np.int64)
    w = np.array(rec_w[:n_rec])
    b = np.array(rec_b[:n_rec])
    w_final = np.array(theta[:d])
    for arr in (t, w, b, w_final):
        arr.setflags(write=False)
    return GDTrajectory(
        t=t, w=w, b=b, eta=eta, reduction=reduction, steps=steps, t_final=int(t_final),
        w_final=w_final, b_final=float(theta[d]), complete=int(t_final) == steps,
        n_exp=int(stats[0]), n_skipped=int(stats[1]), n_refresh=int(stats[2]),
        wall_s=float(wall), engine=engine,
    )


# --------------------------------------------------------------------------------------------
# progress


class _Progress:
    """A tqdm bar on stderr (only on a TTY: ``disable=None``) and/or a user callback ``f(t, steps)``."""

    def __init__(self, progress, steps: int, t0: int):
        self.callback = progress if callable(progress) else None
        self.steps, self.bar = steps, None
        if progress is True:
            from tqdm import tqdm  # here, not at the top: `import numerics` stays light

            self.bar = tqdm(total=steps, initial=t0, desc="GD", unit="step", unit_scale=True,
                            file=sys.stderr, disable=None, mininterval=0.2)

    def update(self, t: int) -> None:
        if self.callback is not None:
            self.callback(t, self.steps)
        if self.bar is not None:
            self.bar.update(t - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# --------------------------------------------------------------------------------------------
# state files


@dataclass(frozen=True, eq=False)
class _State:
    """Consistent progress of one run; replaced as a whole (one assignment) after each chunk."""

    t: int
    theta: np.ndarray
    ck_pos: int
    stats: np.ndarray
    wall: float


def _config(prob: _Problem, eta, reduction, steps, ck, theta0) -> dict:
    return {
        "version": ENGINE_VERSION, "eta": eta, "reduction": reduction, "steps": steps,
        "checkpoints": ck, "theta0": theta0, "data_sha256": prob.digest,
    }


def _save_state(path: Path, config: dict, st: _State, rec_w, rec_b) -> None:
    """Write the state atomically: temp file in the same folder, fsync, os.replace."""
    arrays = {
        "kind": np.array(_STATE_KIND),
        "version": np.array(config["version"]),
        "eta": np.array(config["eta"]),
        "reduction": np.array(config["reduction"]),
        "steps": np.array(config["steps"], dtype=np.int64),
        "checkpoints": config["checkpoints"],
        "theta0": config["theta0"],
        "data_sha256": np.array(config["data_sha256"]),
        "t": np.array(st.t, dtype=np.int64),
        "theta": st.theta,
        "ck_pos": np.array(st.ck_pos, dtype=np.int64),
        "stats": st.stats,
        "wall": np.array(st.wall),
        "rec_w": rec_w[: st.ck_pos],
        "rec_b": rec_b[: st.ck_pos],
    }
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    atomic_write(path, buf.getvalue())


def _load_state(path: Path, config: dict, rec_w, rec_b) -> _State:
    """Read a state file, check it belongs to this run, fill the records; return the state."""
    try:
        with np.load(path, allow_pickle=False) as f:
            data = {k: f[k] for k in f.files}
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same advice
        raise ValueError(f"`state_path` {path} is not a readable GD state file ({exc}); delete it to start afresh") from exc
    if str(data.get("kind", "")) != _STATE_KIND:
        raise ValueError(f"`state_path` {path} is not a GD state file; delete it or choose another path")
    try:
        return _check_state(path, data, config, rec_w, rec_b)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        if isinstance(exc, ValueError) and str(exc).startswith("`state_path`"):
            raise
        raise ValueError(f"`state_path` {path} is a damaged GD state file ({type(exc).__name__}: {exc}); "
                         "delete it to start afresh") from None


def _check_state(path: Path, data: dict, config: dict, rec_w, rec_b) -> _State:
    """The state in ``data`` (arrays of a state file) after checking it belongs to this run."""
    diffs = []
    for key in ("version", "reduction", "data_sha256"):
        if str(data[key]) != str(config[key]):
            diffs.append(f"{key}: file {str(data[key])[:16]!r} vs now {str(config[key])[:16]!r}")
    if float(data["eta"]) != config["eta"]:
        diffs.append(f"eta: file {float(data['eta'])!r} vs now {config['eta']!r}")
    if int(data["steps"]) != config["steps"]:
        diffs.append(f"steps: file {int(data['steps'])} vs now {config['steps']}")
    for key in ("checkpoints", "theta0"):
        if data[key].shape != config[key].shape or not np.array_equal(data[key], config[key]):
            diffs.append(f"{key} differ")
    if diffs:
        raise ValueError(
            f"`state_path` {path} was written by a different run ({'; '.join(diffs)}); "
            "pass the original arguments, or delete the file to start afresh"
        )
    n = int(data["ck_pos"])
    rec_w[:n] = data["rec_w"]
    rec_b[:n] = data["rec_b"]
    return _State(int(data["t"]), data["theta"].astype(np.float64), n, data["stats"].astype(np.int64), float(data["wall"]))


# --------------------------------------------------------------------------------------------
# the fast engine


def run_gd(
    X,
    y,
    *,
    eta: float = 0.01,
    steps: int,
    checkpoints=None,
    reduction: str = "sum",
    w0=None,
    b0: float = 0.0,
    state_path=None,
    save_every_s: float = 60.0,
    save_every_steps: int | None = None,
    stop_at: int | None = None,
    progress=False,
) -> GDTrajectory:
    """Full-batch GD on the logistic loss, eqs. (4)-(5) of arXiv:2602.08302, exact and compiled.

    Follows the arithmetic contract of :mod:`numerics.engine_kernels` bit for bit (equal to
    :func:`reference_gd`), skipping only rows whose sigma(-m) is certified to be exactly 0.

    Args:
        X: (N, d) inputs; y: (N,) labels in {-1, +1}.
        eta: learning rate (> 0). Paper: 0.01 with the summed loss.
        steps: number of GD updates to take (t counts GD updates).
        checkpoints: steps at which to record (w, b); 0 and ``steps`` are always added.
            Default: ``log_schedule(steps)`` (20 per decade).
        reduction: "sum" (eq. (3), default) or "mean".
        w0, b0: initial state (default w = 0, b = 0 as in the paper).
        state_path: file for checkpoint/resume. If it exists, the run continues from it (its
            configuration and data digest must match, else ValueError); the state is written
            atomically every ``save_every_s`` seconds, every ``save_every_steps`` steps, at the
            end, at ``stop_at``, and when the run is interrupted (e.g. Ctrl-C).
        save_every_s: seconds between saves (with ``state_path``).
        save_every_steps: also save whenever t is a multiple of this.
        stop_at: stop once t reaches this step (<= steps) and return a partial trajectory
            (``complete=False``); resume later with the same ``state_path``.
        progress: True for a stderr bar (shown only on a TTY), or a callable ``f(t, steps)``
            called after every chunk (about every 0.5 s); False for silence.

    Returns:
        :class:`GDTrajectory`.

    Raises:
        ValueError: invalid arguments or a mismatching state file.
        FloatingPointError: an update left the float64 range (eta or data far too large).
    """
    prob = _prepare(X, y)
    n, d = prob.X.shape
    eta = _eta(eta)
    steps = count(steps, "steps")
    check_reduction(reduction)
    ck = _schedule(steps, checkpoints)
    theta0 = _initial(w0, b0, d)
    stop = steps if stop_at is None else count(stop_at, "stop_at")
    if stop > steps:
        raise ValueError(f"`stop_at` must be <= steps = {steps}, got {stop}")
    if save_every_steps is not None:
        save_every_steps = count(save_every_steps, "save_every_steps", 1)
    save_every_s = float(save_every_s)
    if not save_every_s > 0:
        raise ValueError(f"`save_every_s` must be positive (inf: never by time), got {save_every_s}")
    path = None if state_path is None else Path(state_path)
    config = _config(prob, eta, reduction, steps, ck, theta0)
    rec_w = np.zeros((len(ck), d))
    rec_b = np.zeros(len(ck))
    if path is not None and path.exists():
        st = _load_state(path, config, rec_w, rec_b)
    else:
        st = _State(0, theta0.copy(), 0, np.zeros(4, dtype=np.int64), 0.0)
    if st.ck_pos < len(ck) and ck[st.ck_pos] == st.t:  # record the starting state
        rec_w[st.ck_pos], rec_b[st.ck_pos] = st.theta[:d], st.theta[d]
        st = _State(st.t, st.theta, st.ck_pos + 1, st.stats, st.wall)
    ctl = np.zeros(1)
    mean = reduction == "mean"
    bar = _Progress(progress, steps, st.t)
    chunk = 256
    last_save = time.perf_counter()
    try:
        while st.t < stop:
            t_next = min(stop, st.t + chunk)
            if save_every_steps is not None:
                t_next = min(t_next, (st.t // save_every_steps + 1) * save_every_steps)
            theta, stats = st.theta.copy(), st.stats.copy()
            tic = time.perf_counter()
            pos, taken = _k.advance_run(
                prob.XT, prob.X, prob.y, prob.zn, theta, eta, mean, st.t, t_next, ck, st.ck_pos, rec_w, rec_b, ctl, stats
            )
            toc = time.perf_counter()
            if stats[3] != _k.STATUS_OK:
                raise FloatingPointError(
                    f"GD left the float64 range at step {st.t + taken + 1} (eta = {eta}); lower eta or rescale X"
                )
            st = _State(st.t + int(taken), theta, int(pos), stats, st.wall + (toc - tic))
            chunk = int(min(max(taken / max(toc - tic, 1e-6) * _CHUNK_SECONDS, 1), 1 << 40))
            bar.update(st.t)
            due = save_every_steps is not None and st.t % save_every_steps == 0
            if path is not None and (due or toc - last_save >= save_every_s):
                _save_state(path, config, st, rec_w, rec_b)
                last_save = time.perf_counter()
    except FloatingPointError:
        raise  # divergence is deterministic: a state file would only replay it, so none is written
    except BaseException:
        if path is not None:
            _save_state(path, config, st, rec_w, rec_b)
        raise
    finally:
        bar.close()
    if path is not None:
        _save_state(path, config, st, rec_w, rec_b)
    return _trajectory(ck, st.ck_pos, rec_w, rec_b, st.theta, st.t, eta, reduction, steps, st.stats, st.wall, "numba")


def run_gd_batch(
    Xs,
    ys,
    etas,
    *,
    steps: int,
    checkpoints=None,
    reduction: str = "sum",
    w0s=None,
    b0s=None,
    progress=False,
) -> list[GDTrajectory]:
    """R independent GD runs (eqs. (4)-(5)) in one call, in parallel over runs; each equals its :func:`run_gd`.

    Args:
        Xs: R arrays (N, d) of equal shape (or one (R, N, d) array); ys: R label arrays (N,).
        etas: one learning rate for all runs or R of them.
        steps, checkpoints, reduction: as in :func:`run_gd` (shared by all runs).
        w0s: None or (R, d) initial weights; b0s: None or (R,) initial biases.
        progress: as in :func:`run_gd` (reports the common step t).

    Returns:
        list of R :class:`GDTrajectory`, in input order (``wall_s`` is the batch's wall time).

    Raises:
        ValueError: shapes differ or invalid arguments. FloatingPointError: a run diverged.
    """
    probs = [_prepare(X, y) for X, y in zip(Xs, ys, strict=True)]
    if not probs:
        raise ValueError("`Xs` must hold at least one data set")
    shape = probs[0].X.shape
    if any(p.X.shape != shape for p in probs):
        raise ValueError(f"all data sets in `Xs` must have the same shape, got {[p.X.shape for p in probs]}")
    r_count, (n, d) = len(probs), shape
    eta_arr = np.broadcast_to(np.asarray(etas, dtype=np.float64), (r_count,)).copy()
    for e in eta_arr:
        _eta(e)
    steps = count(steps, "steps")
    check_reduction(reduction)
    ck = _schedule(steps, checkpoints)
    w0s = [None] * r_count if w0s is None else list(w0s)
    b0s = [0.0] * r_count if b0s is None else list(b0s)
    if len(w0s) != r_count or len(b0s) != r_count:
        raise ValueError(f"`w0s` and `b0s` must have one entry per run ({r_count})")
    theta = np.stack([_initial(w, b, d) for w, b in zip(w0s, b0s)])
    XT3 = np.stack([p.XT for p in probs])
    XR3 = np.stack([p.X for p in probs])
    Y = np.stack([p.y for p in probs])
    ZN = np.stack([p.zn for p in probs])
    rec_w = np.zeros((r_count, len(ck), d))
    rec_b = np.zeros((r_count, len(ck)))
    rec_w[:, 0], rec_b[:, 0] = theta[:, :d], theta[:, d]
    ck_pos = np.ones(r_count, dtype=np.int64)
    ctl = np.zeros((r_count, 1))
    stats = np.zeros((r_count, 4), dtype=np.int64)
    taken = np.zeros(r_count, dtype=np.int64)
    bar = _Progress(progress, steps, 0)
    t, chunk, wall = 0, 256, 0.0
    try:
        while t < steps:
            t_next = min(steps, t + chunk)
            tic = time.perf_counter()
            _k.advance_batch(XT3, XR3, Y, ZN, theta, eta_arr, reduction == "mean", t, t_next, ck, ck_pos, rec_w, rec_b, ctl, stats, taken)
            toc = time.perf_counter()
            bad = np.flatnonzero(stats[:, 3] != _k.STATUS_OK)
            if len(bad):
                r = int(bad[0])
                raise FloatingPointError(
                    f"run {r} left the float64 range at step {t + int(taken[r]) + 1} (eta = {eta_arr[r]}); lower eta or rescale X"
                )
            wall += toc - tic
            chunk = int(min(max((t_next - t) / max(toc - tic, 1e-6) * _CHUNK_SECONDS, 1), 1 << 40))
            t = t_next
            bar.update(t)
    finally:
        bar.close()
    return [
        _trajectory(ck, ck_pos[r], rec_w[r], rec_b[r], theta[r], t, float(eta_arr[r]), reduction, steps, stats[r], wall, "numba")
        for r in range(r_count)
    ]


# --------------------------------------------------------------------------------------------
# reference engines


def reference_gd(X, y, *, eta: float = 0.01, steps: int, checkpoints=None, reduction: str = "sum", w0=None, b0: float = 0.0) -> GDTrajectory:
    """The arithmetic contract of :mod:`numerics.engine_kernels` in plain Python, no skipping (slow).

    Same arguments and result as :func:`run_gd` (without disk state); about 1 us per row and
    step, so keep ``N * steps`` small. :func:`run_gd` must equal it bit for bit.
    """
    X, y = check_data(X, y)
    n, d = X.shape
    eta = _eta(eta)
    steps = count(steps, "steps")
    check_reduction(reduction)
    ck = _schedule(steps, checkpoints)
    theta0 = _initial(w0, b0, d)
    rows, labels = X.tolist(), y.tolist()
    w, b = theta0[:d].tolist(), float(theta0[d])
    nf, mean = float(n), reduction == "mean"
    wanted = set(ck.tolist())
    rec_w, rec_b = np.zeros((len(ck), d)), np.zeros(len(ck))
    pos, tic = 0, time.perf_counter()
    sig = _k.sigmoid_neg_py
    for t in range(steps + 1):
        if t in wanted:
            rec_w[pos], rec_b[pos] = w, b
            pos += 1
        if t == steps:
            break
        G, gb = [0.0] * d, 0.0
        for x, yi in zip(rows, labels):
            z = w[0] * x[0]
            for j in range(1, d):
                z = z + w[j] * x[j]
            c = yi * sig(yi * (z + b))
            for j in range(d):
                G[j] = G[j] + c * x[j]
            gb = gb + c
        if mean:
            G, gb = [g / nf for g in G], gb / nf
        w = [w[j] + eta * G[j] for j in range(d)]
        b = b + eta * gb
        if not (all(math.isfinite(v) for v in w) and math.isfinite(b)):
            raise FloatingPointError(f"GD left the float64 range at step {t + 1} (eta = {eta})")
    stats = np.array([n * steps, 0, 0, 0])
    theta = np.array(w + [b])
    return _trajectory(ck, pos, rec_w, rec_b, theta, steps, eta, reduction, steps, stats, time.perf_counter() - tic, "reference")


def naive_gd(X, y, *, eta: float = 0.01, steps: int, checkpoints=None, reduction: str = "sum", w0=None, b0: float = 0.0) -> GDTrajectory:
    """GD as the paper describes it (Appendix B): plain NumPy, closed-form gradient, BLAS order.

    Per step: ``m = y * (X @ w + b)``, ``s = expit(-m)`` (scipy's stable sigmoid),
    ``grad_w = -X.T @ (y * s)``, ``grad_b = -sum(y * s)`` (divided by N for "mean"),
    ``w -= eta grad_w``, ``b -= eta grad_b``. Same arguments and result type as :func:`run_gd`.
    Differs from the exact engine only by rounding (different exp and summation order).
    """
    X, y = check_data(X, y)
    n, d = X.shape
    eta = _eta(eta)
    steps = count(steps, "steps")
    check_reduction(reduction)
    ck = _schedule(steps, checkpoints)
    theta0 = _initial(w0, b0, d)
    w, b = theta0[:d].copy(), float(theta0[d])
    wanted = set(ck.tolist())
    rec_w, rec_b = np.zeros((len(ck), d)), np.zeros(len(ck))
    scale = 1.0 / n if reduction == "mean" else 1.0
    pos, tic = 0, time.perf_counter()
    with np.errstate(under="ignore"):  # sigma(-m) underflowing to 0 is exact; nothing else may warn
        for t in range(steps + 1):
            if t in wanted:
                rec_w[pos], rec_b[pos] = w, b
                pos += 1
            if t == steps:
                break
            coef = y * expit(-(y * (X @ w + b)))
            grad_w = -(X.T @ coef) * scale
            grad_b = -float(np.sum(coef)) * scale
            w = w - eta * grad_w
            b = b - eta * grad_b
    stats = np.array([n * steps, 0, 0, 0])
    theta = np.append(w, b)
    return _trajectory(ck, pos, rec_w, rec_b, theta, steps, eta, reduction, steps, stats, time.perf_counter() - tic, "naive")
