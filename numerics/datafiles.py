"""Dataset files: the `.npz` and `.csv` formats that every lingrok command reads and writes.

Formats
-------
``.npz``  arrays ``X`` (n x d, float) and ``y`` (n,), plus optional generating parameters
          stored as a JSON string under ``params``.
``.csv``  a header row, then one row per point: the d features, the label last.

Labels are {-1, +1}; {0, 1} is accepted and read as 0 -> -1, 1 -> +1.

Writes are atomic (a temporary file in the same folder, then ``os.replace``), so an
interrupted or failed write never leaves a partial file behind.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["DataError", "LoadedData", "load_data", "save_data"]

SUFFIXES = (".npz", ".csv")


class DataError(ValueError):
    """A data file is missing, unreadable or unusable; the message says what and how to fix it."""


@dataclass(frozen=True)
class LoadedData:
    """A validated dataset: ``X`` (n, d) float64, ``y`` (n,) float64 in {-1, +1}."""

    X: np.ndarray
    y: np.ndarray
    path: str
    params: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def d(self) -> int:
        return int(self.X.shape[1])


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataError(
            f"{path}: unsupported file type {suffix or '(none)'!r}; "
            "give a .npz file (arrays X and y) or a .csv file (header row, features, label last)"
        )
    return suffix


def _read_npz(path: Path):
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = set(archive.files)
            missing = {"X", "y"} - names
            if missing:
                raise DataError(
                    f"{path}: the .npz file has no array {' or '.join(sorted(missing))} "
                    f"(found: {', '.join(sorted(names)) or 'nothing'}); save features as X (n x d) and labels as y (n)"
                )
            X = np.asarray(archive["X"])
            y = np.asarray(archive["y"])
            params = {}
            if "params" in names:
                try:
                    params = json.loads(str(archive["params"]))
                except (json.JSONDecodeError, ValueError):
                    params = {}
    except DataError:
        raise
    except (OSError, ValueError, EOFError) as exc:
        raise DataError(f"{path}: not a readable .npz file ({exc}); check the file or regenerate it") from None
    return X, y, params


def _read_csv(path: Path):
    try:
        # utf-8-sig: a byte-order mark (as spreadsheet programs write) is not part of the first column name
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = [(number, row) for number, row in enumerate(csv.reader(handle), start=1)]
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: the .csv file is not UTF-8 text ({exc}); save it as UTF-8 CSV") from None
    except (OSError, csv.Error) as exc:
        raise DataError(f"{path}: cannot read the .csv file ({exc}); check the file") from None
    rows = [(number, row) for number, row in rows if row and any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise DataError(f"{path}: the .csv file needs a header row and at least one data row; "
                        "write a header (e.g. x0,x1,y) and one row per point")
    (_, header), body = rows[0], rows[1:]
    if len(header) < 2:
        other = next((name for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars"))
                      if sep in header[0]), None)
        hint = (f"the file seems to separate columns with {other}; save it with commas" if other
                else "give at least one feature column and the label column, separated by commas")
        raise DataError(f"{path}: the header has {len(header)} column(s); {hint}")
    width = len(header)
    values = np.empty((len(body), width), dtype=np.float64)
    for k, (r, row) in enumerate(body):
        if len(row) != width:
            raise DataError(f"{path}, line {r}: {len(row)} columns, but the header has {width}; "
                            "give every row the header's columns (features, then the label)")
        for c, cell in enumerate(row):
            try:
                values[k, c] = float(cell)
            except ValueError:
                raise DataError(f"{path}, line {r}, column {c + 1}: {cell!r} is not a number; "
                                "every cell after the header must be a number") from None
    return values[:, :-1], values[:, -1], {}


def _validate(path: Path, X, y) -> tuple[np.ndarray, np.ndarray]:
    kinds = (np.asarray(X).dtype, np.asarray(y).dtype)
    if not all(np.issubdtype(k, np.integer) or np.issubdtype(k, np.floating) for k in kinds):
        raise DataError(f"{path}: X and y must be real numeric arrays (integers or floats), got dtypes "
                        f"{kinds[0]} and {kinds[1]}; save them as float arrays")
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise DataError(f"{path}: X must be a 2-D array (n x d), got shape {X.shape}; save one row per point")
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise DataError(f"{path}: y must be 1-D with one label per row of X; X is {X.shape}, y is {y.shape}; "
                        "save y as a flat array of n labels")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise DataError(f"{path}: the dataset is empty (X has shape {X.shape}); give at least one point of each "
                        "class and one feature")
    bad = ~np.isfinite(X)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise DataError(
            f"{path}: X contains NaN or inf ({int(bad.sum())} entries, first at row {row}, column {col}); "
            "remove or impute those points"
        )
    if not np.isfinite(y).all():
        raise DataError(f"{path}: y contains NaN or inf; every label must be -1 or +1 (or 0 or 1)")
    labels = set(np.unique(y).tolist())
    if labels <= {-1.0, 1.0}:
        pass
    elif labels <= {0.0, 1.0}:
        y = np.where(y == 0.0, -1.0, 1.0)
    else:
        shown = ", ".join(repr(v) for v in sorted(labels)[:6])
        raise DataError(f"{path}: labels must be -1/+1 (or 0/1); found {shown}; relabel the last column / y")
    if len(np.unique(y)) < 2:
        raise DataError(f"{path}: only one class present (all labels are {int(y[0]):+d}); add points of the "
                        "other class (the theory needs both labels)")
    return X, y


def load_data(path: str | os.PathLike) -> LoadedData:
    """Read and validate a dataset file.

    Raises:
        DataError: missing or unreadable file, wrong suffix, wrong shapes, NaN or inf,
            labels outside {-1, +1} / {0, 1}, or a single class.
    """
    path = Path(path)
    suffix = _suffix(path)
    if not path.exists():
        raise DataError(f"{path}: no such file; check the path (create one with `lingrok data`)")
    if not path.is_file():
        raise DataError(f"{path}: not a regular file (a folder?); give the path of a .npz or .csv file")
    X, y, params = _read_npz(path) if suffix == ".npz" else _read_csv(path)
    X, y = _validate(path, X, y)
    return LoadedData(X=X, y=y, path=str(path), params=params)


def save_data(path: str | os.PathLike, X, y, params: dict | None = None) -> Path:
    """Write a dataset atomically as ``.npz`` or ``.csv`` (chosen by the suffix).

    Raises:
        DataError: unsupported suffix or a folder that does not exist.
    """
    path = Path(path)
    suffix = _suffix(path)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise DataError(f"{path}: folder {folder} does not exist; create it first")
    if suffix == ".npz":
        buf = io.BytesIO()
        np.savez(buf, X=X, y=y, params=np.array(json.dumps(params or {}, sort_keys=True)))
        payload = buf.getvalue()
    else:
        buf = io.StringIO(newline="")
        writer = csv.writer(buf)
        writer.writerow([f"x{j}" for j in range(X.shape[1])] + ["y"])
        for row, label in zip(X, y):
            writer.writerow([repr(float(v)) for v in row] + [int(label)])
        payload = buf.getvalue()
    atomic_write(path, payload)
    return path


def atomic_write(path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` atomically: a temporary file in the same folder, fsync, os.replace.

    A failed or interrupted write leaves no partial file (the temporary file is removed) and an
    existing file at ``path`` untouched. The folder is created when missing. Text is UTF-8.
    The project's one atomic writer: data files, engine states and every command's output.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
