"""Full-batch GD, eqs. (3)-(5) of arXiv:2602.08302, on an array library: NumPy, CuPy or PyTorch.

The exact engine (:func:`numerics.engine.run_gd`, compiled, sequential sums, certified skipping)
is the reference and the default. Its cost is N d per step on one core, which puts the paper's
d = 1024 setting (N = 1e6, T = 1e7 steps: 1e16 multiply-adds) out of reach of a small machine.
This module runs the same update with the array library's own BLAS / GPU kernels, float64:

    m = y (X w + b),  c = y sigma(-m),  w <- w + eta s X^T c,  b <- b + eta s sum(c),

with s = 1 (summed loss, eq. (3)) or 1 / N (mean). The expression order is that of
:func:`numerics.engine.naive_gd`, so the "numpy" backend equals it bit for bit; CuPy and PyTorch
differ from it by rounding only (their reductions sum in another order). On a GPU the data stay
on the device and only the checkpoints (w, b) are copied back.

The libraries are optional: asking for one that is not installed raises
:class:`BackendUnavailable` (the command line turns it into exit code 2) with the install hint.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import io
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["BACKENDS", "BackendUnavailable", "ArrayRun", "backend_available", "array_gd"]

BACKENDS = ("numba", "numpy", "cupy", "torch")  # "numba" = the exact engine of numerics.engine
_STATE_KIND = "lingrok-array-gd-state"


class BackendUnavailable(RuntimeError):
    """The requested array library (CuPy or PyTorch) is not installed or has no usable device."""


@dataclass(frozen=True, eq=False)
class ArrayRun:
    """Checkpoints of an array-library GD run (same meaning as numerics.engine.GDTrajectory's).

    Attributes:
        t: (K,) int64 checkpoint steps (t counts GD updates; t[0] = 0).
        w: (K, d) float64 weights; b: (K,) biases (copied to the host).
        eta, reduction, steps: the run's parameters. wall_s: seconds spent stepping.
        engine: "numpy", "cupy" or "torch:<device>".
    """

    t: np.ndarray
    w: np.ndarray
    b: np.ndarray
    eta: float
    reduction: str
    steps: int
    wall_s: float
    engine: str


def backend_available(name: str) -> bool:
    """True when the array library ``name`` (one of BACKENDS) can be imported."""
    if name not in BACKENDS:
        raise ValueError(f"`backend` must be one of {BACKENDS}, got {name!r}")
    if name in ("numba", "numpy"):
        return True
    return importlib.util.find_spec(name) is not None


class _Ops:
    """The handful of operations the GD loop needs, bound to one library."""

    def __init__(self, name: str):
        self.name = name
        if name == "numpy":
            from scipy.special import expit

            self.asarray = lambda a: np.asarray(a, dtype=np.float64)
            self.sigmoid = expit  # no overflow for large |m|
            self.to_host = lambda a: np.asarray(a, dtype=np.float64)
            self.label = "numpy"
        elif name == "cupy":
            try:
                cp = importlib.import_module("cupy")
                special = importlib.import_module("cupyx.scipy.special")
                cp.cuda.runtime.getDeviceCount()
            except Exception as exc:  # noqa: BLE001 - import or driver failure, same advice
                raise BackendUnavailable(
                    f"backend 'cupy' is not usable here ({exc}); install cupy for your CUDA version "
                    "(pip install cupy-cuda12x) or use --backend numba"
                ) from None
            self.asarray = lambda a: cp.asarray(a, dtype=cp.float64)
            self.sigmoid = special.expit
            self.to_host = lambda a: cp.asnumpy(a).astype(np.float64)
            self.label = "cupy"
        elif name == "torch":
            try:
                torch = importlib.import_module("torch")
            except Exception as exc:  # noqa: BLE001
                raise BackendUnavailable(
                    f"backend 'torch' is not usable here ({exc}); pip install torch, or use --backend numba"
                ) from None
            device = "cuda" if torch.cuda.is_available() else "cpu"
            self.asarray = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float64, device=device)
            self.sigmoid = torch.sigmoid  # computed without overflow by torch
            self.to_host = lambda a: a.detach().cpu().numpy().astype(np.float64)
            self.label = f"torch:{device}"
        else:
            raise ValueError(f"`backend` must be 'numpy', 'cupy' or 'torch' for the array engine, got {name!r}")


def _digest(X: np.ndarray, y: np.ndarray) -> str:
    h = hashlib.sha256()
    h.update(np.asarray(X.shape, dtype=np.int64).tobytes())
    h.update(np.ascontiguousarray(X).tobytes())
    h.update(np.ascontiguousarray(y, dtype=np.float64).tobytes())
    return h.hexdigest()


def _save(path: Path, config: dict, t: int, w: np.ndarray, b: float, pos: int, rec_w, rec_b, wall: float) -> None:
    """Write the run's state atomically (temp file, fsync, os.replace)."""
    from numerics.datafiles import atomic_write

    buf = io.BytesIO()
    np.savez(buf, kind=np.array(_STATE_KIND), t=np.array(t), w=w, b=np.array(b), pos=np.array(pos),
             rec_w=rec_w[:pos], rec_b=rec_b[:pos], wall=np.array(wall), **config)
    atomic_write(path, buf.getvalue())


def _load(path: Path, config: dict):
    """(t, w, b, pos, rec_w, rec_b, wall) from a state file written by the same run, else ValueError."""
    with np.load(path, allow_pickle=False) as f:
        data = {k: f[k] for k in f.files}
    if str(data.get("kind", "")) != _STATE_KIND:
        raise ValueError(f"`state_path` {path} is not an array-GD state file; delete it or choose another path")
    same = all(np.array_equal(data[k], np.asarray(v)) for k, v in config.items())
    if not same:
        raise ValueError(f"`state_path` {path} was written by a different run; delete it to start afresh")
    return (int(data["t"]), data["w"], float(data["b"]), int(data["pos"]), data["rec_w"], data["rec_b"],
            float(data["wall"]))


def array_gd(X, y, *, eta: float, steps: int, checkpoints, reduction: str = "sum", backend: str = "numpy",
             state_path=None, save_every_s: float = 300.0) -> ArrayRun:
    """Full-batch GD on the logistic loss (eqs. (3)-(5) of arXiv:2602.08302) with an array library.

    Formula per step: c = y * sigma(-(y * (X w + b))); grad_w = -s X^T c, grad_b = -s sum(c);
    w <- w - eta grad_w, b <- b - eta grad_b (s = 1 for "sum", 1/N for "mean"), from w = 0, b = 0.

    Args:
        X: (N, d) inputs; y: (N,) labels in {-1, +1} (validated by the caller).
        eta: learning rate (> 0); steps: GD updates (t counts GD updates).
        checkpoints: sorted int steps in [0, steps] at which (w, b) is recorded (0 and steps included).
        reduction: "sum" (paper) or "mean".
        backend: "numpy", "cupy" or "torch" (GPU when CUDA is available).
        state_path: optional file; the state is saved there every ``save_every_s`` seconds, at the
            end and on interruption, and a run finds and resumes it (same data and arguments).
        save_every_s: seconds between saves.

    Returns:
        :class:`ArrayRun`.

    Raises:
        BackendUnavailable: the library is missing. ValueError: bad arguments or a state file of
        another run. FloatingPointError: the state left the float64 range.
    """
    if reduction not in ("sum", "mean"):
        raise ValueError(f"`reduction` must be 'sum' or 'mean', got {reduction!r}")
    eta = float(eta)
    if not (np.isfinite(eta) and eta > 0):
        raise ValueError(f"`eta` must be positive and finite, got {eta}")
    ck = np.array(checkpoints, dtype=np.int64)  # a copy: frozen below
    if ck.ndim != 1 or ck.size == 0 or ck[0] != 0 or ck[-1] != steps or np.any(np.diff(ck) <= 0):
        raise ValueError("`checkpoints` must increase strictly from 0 to `steps`")
    ops = _Ops(backend)
    Xh = np.asarray(X, dtype=np.float64)
    n, d = Xh.shape
    rec_w, rec_b = np.zeros((ck.size, d)), np.zeros(ck.size)
    t0, w_host, b, pos, wall = 0, np.zeros(d), 0.0, 0, 0.0
    path = None if state_path is None else Path(state_path)
    config = {}
    if path is not None:
        config = {"eta": np.array(eta), "steps": np.array(int(steps)), "reduction": np.array(reduction),
                  "checkpoints": ck, "data_sha256": np.array(_digest(Xh, np.asarray(y)))}
        if path.exists():
            t0, w_host, b, pos, done_w, done_b, wall = _load(path, config)
            rec_w[:pos], rec_b[:pos] = done_w, done_b
    Xd, yd = ops.asarray(Xh), ops.asarray(y)
    XTd = Xd.T
    scale = 1.0 / n if reduction == "mean" else 1.0
    w = ops.asarray(w_host)
    t = t0
    tic = last_save = time.perf_counter()
    try:
        with np.errstate(under="ignore"):  # sigma(-m) underflowing to 0 is exact
            while True:
                if pos < ck.size and t == ck[pos]:
                    rec_w[pos], rec_b[pos] = ops.to_host(w), float(b)
                    pos += 1
                    if not (np.all(np.isfinite(rec_w[pos - 1])) and np.isfinite(rec_b[pos - 1])):
                        raise FloatingPointError(f"GD left the float64 range by step {t} (eta = {eta}); lower eta")
                if t == steps:
                    break
                coef = yd * ops.sigmoid(-(yd * (Xd @ w + b)))
                grad_w = -(XTd @ coef) * scale
                grad_b = -float(coef.sum()) * scale
                w = w - eta * grad_w
                b = b - eta * grad_b
                t += 1
                if path is not None and time.perf_counter() - last_save >= save_every_s:
                    _save(path, config, t, ops.to_host(w), b, pos, rec_w, rec_b, wall + time.perf_counter() - tic)
                    last_save = time.perf_counter()
    except BaseException:
        if path is not None and t > t0:
            _save(path, config, t, ops.to_host(w), b, pos, rec_w, rec_b, wall + time.perf_counter() - tic)
        raise
    wall += time.perf_counter() - tic
    if path is not None:
        _save(path, config, t, ops.to_host(w), b, pos, rec_w, rec_b, wall)
    for arr in (rec_w, rec_b, ck):
        arr.setflags(write=False)
    return ArrayRun(ck, rec_w, rec_b, eta, reduction, int(steps), wall, ops.label)
