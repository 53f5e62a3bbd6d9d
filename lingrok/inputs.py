"""A command's files: loading DATA / TEST (problems become `UsageError`, exit code 2), checking the
numeric range of the data, checking output paths before any work starts, and the one atomic
writer every command's output goes through.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from numerics.datafiles import DataError, LoadedData, load_data

from lingrok.errors import UsageError

def load(path: str, role: str = "data") -> LoadedData:
    """Load and validate DATA or TEST; any problem becomes a `UsageError` naming the file and the fix."""
    try:
        return load_data(path)
    except DataError as exc:
        raise UsageError(f"{role}: {exc}") from None


def require_same_dimension(train: LoadedData, test: LoadedData) -> None:
    if train.d != test.d:
        raise UsageError(
            f"the test set {test.path} has {test.d} features but the training data {train.path} has {train.d}; "
            "use a test set drawn in the same dimension"
        )


# ---------------------------------------------------------------- numeric range


def scale_exponent(X) -> int:
    """k with max |X| in [2**(k-1), 2**k) (0 for X = 0): X * 2**-k has its largest entry in [1/2, 1)."""
    top = float(np.max(np.abs(X))) if np.size(X) else 0.0
    return math.frexp(top)[1] if top > 0 else 0


def rescaled(X, k: int):
    """X * 2**-k when that is exact in float64 (no entry under- or overflows), else None."""
    X = np.asarray(X, dtype=np.float64)
    Xs = np.ldexp(X, -k)
    if not np.all(np.isfinite(Xs)) or not np.array_equal(np.ldexp(Xs, k), X):
        return None
    return Xs


def range_words(data: LoadedData) -> str:
    top = float(np.max(np.abs(data.X)))
    k = scale_exponent(data.X)
    return f"the largest |coordinate| of {data.path} is {top:.3g} (between 2^{k - 1} and 2^{k})"


def separable_after_rescaling(data: LoadedData):
    """(separable, w_star, k) of eq. (9) on X * 2**-k (exact), or None when that rescaling is inexact.

    Separability and eq. (9)'s direction w_s / ||w_s|| (and b_s) are invariant under X -> c X,
    so they are computed exactly on the rescaled data.
    """
    from theory.geometry import NotSeparableError, svm_with_bias

    k = scale_exponent(data.X)
    Xs = rescaled(data.X, k)
    if Xs is None:
        return None
    try:
        sol = svm_with_bias(Xs, data.y)
    except NotSeparableError:
        return False, None, k
    return True, sol.w_hat / np.linalg.norm(sol.w_hat), k


def range_error(data: LoadedData, what: str) -> UsageError:
    """The exit-2 error for data out of the numeric range, with the separability verdict of the rescaled data.

    ``what``: the quantities that depend on the scale of X (so that lingrok cannot rescale for you).
    """
    check = separable_after_rescaling(data)
    k = scale_exponent(data.X)
    if check is None:
        verdict = "its entries span more than float64's exponent range, so it cannot be rescaled exactly"
    elif check[0]:
        verdict = (f"rescaled exactly by 2^{-k} the data are linearly separable, with eq. (9) direction "
                   f"w_s/||w_s|| = [{', '.join(f'{v:.6g}' for v in check[1])}]")
    else:
        verdict = f"rescaled exactly by 2^{-k} the data are still not linearly separable"
    return UsageError(f"numeric range: the max-margin problems (eqs. 7, 9) fail in float64 at the scale of the data: "
                      f"{range_words(data)}; {verdict}; {what} depend on the scale of X, so "
                      f"lingrok does not rescale them for you; rescale the data (e.g. multiply X by 2^{-k}, "
                      "exact in float64) and rerun")


# ---------------------------------------------------------------- outputs


def check_output_file(path: str, flag: str) -> Path:
    """An output file's folder must exist and be a folder, and the path must not be a folder (UsageError)."""
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{flag} {path}: is a folder; give a file path")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        why = "is not a folder" if parent.exists() or _blocked(parent) else "does not exist"
        raise UsageError(f"{flag} {path}: {parent} {why}; give a path in an existing folder")
    return p


def check_output_dir(path: str, flag: str) -> Path:
    """An output folder must be a folder or creatable (no regular file on its path); UsageError otherwise."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise UsageError(f"{flag} {path}: exists and is not a folder; choose a folder path")
    if not p.exists() and _blocked(p):
        raise UsageError(f"{flag} {path}: a file on that path is not a folder, so the folder cannot be created; "
                         "choose another path")
    return p


def _blocked(p: Path) -> bool:
    """True when some existing ancestor of ``p`` is not a folder."""
    for parent in p.parents:
        if parent.exists():
            return not parent.is_dir()
    return False


def json_float(value) -> float | None:
    """``value`` as a JSON-safe float: None, inf and nan (which JSON cannot hold) become None.

    >>> json_float(2), json_float(float("inf")), json_float(None)
    (2.0, None, None)
    """
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _finite_or_null(value):
    if isinstance(value, float):
        return json_float(value)
    if isinstance(value, dict):
        return {k: _finite_or_null(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_null(v) for v in value]
    return value


def json_text(report) -> str:
    """The report as strict JSON: inf and nan (which JSON cannot hold) become null."""
    return json.dumps(_finite_or_null(report), allow_nan=False)


