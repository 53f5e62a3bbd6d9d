"""Input validation shared by the numeric theory modules.

Every helper raises :class:`ValueError` whose message names the argument and says how to fix
it ("`gamma` must be positive, got -0.1"), and rejects non-finite input. Helpers return the
validated value converted to float64 so that callers never work on the caller's own array.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "finite_array",
    "finite_scalar",
    "positive_scalar",
    "labels_pm1",
    "dataset",
]


def finite_scalar(name: str, value) -> float:
    """Return ``value`` as a Python float; raise if it is not a finite real number."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must be a real number, got {value!r}") from None
    if not math.isfinite(out):
        raise ValueError(f"`{name}` must be finite, got {out!r}")
    return out


def positive_scalar(name: str, value) -> float:
    """Return ``value`` as a float; raise unless it is finite and strictly positive."""
    out = finite_scalar(name, value)
    if out <= 0.0:
        raise ValueError(f"`{name}` must be positive, got {out!r}")
    return out


def finite_array(name: str, value, *, ndim: int | None = None, allow_inf: bool = False) -> np.ndarray:
    """Return ``value`` as a new float64 array; raise on NaN, on inf (unless ``allow_inf``) or wrong ndim."""
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must be an array of real numbers, got {type(value).__name__}") from None
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"`{name}` must have {ndim} dimension(s), got shape {arr.shape}")
    bad = np.isnan(arr) if allow_inf else ~np.isfinite(arr)
    if np.any(bad):
        what = "NaN" if allow_inf else "NaN or inf"
        raise ValueError(f"`{name}` must not contain {what}; {int(np.sum(bad))} such entries found")
    return arr


def labels_pm1(name: str, value, n: int | None = None) -> np.ndarray:
    """Return labels as a float64 vector of +-1; raise on any other value or on a length mismatch."""
    arr = finite_array(name, value, ndim=1)
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"`{name}` must have one label per row of X ({n}), got {arr.shape[0]}")
    if not np.all((arr == 1.0) | (arr == -1.0)):
        bad = np.unique(arr[(arr != 1.0) & (arr != -1.0)])[:5]
        raise ValueError(f"`{name}` must contain only -1 and +1 (map 0/1 labels with 2*y-1), got {bad.tolist()}")
    return arr


def dataset(X, y, *, X_name: str = "X", y_name: str = "y") -> tuple[np.ndarray, np.ndarray]:
    """Validate a labelled data set: X finite of shape (n, d) with n >= 1, y in {-1, +1}^n."""
    Xa = finite_array(X_name, X, ndim=2)
    if Xa.shape[0] == 0 or Xa.shape[1] == 0:
        raise ValueError(f"`{X_name}` must have at least one row and one column, got shape {Xa.shape}")
    ya = labels_pm1(y_name, y, Xa.shape[0])
    return Xa, ya
