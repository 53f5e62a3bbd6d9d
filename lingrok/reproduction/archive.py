"""The archive of a reproduction: ``results.json``, from which every table, figure and report is rendered.

``lingrok reproduce`` runs GD once and saves every measured run (lingrok.compare.experiment.ExperimentResult)
here, together with the setups, the command and a fingerprint of the code that computed the numbers
(lingrok.provenance). Rendering reads only this archive, so ``lingrok reproduce ... --check`` can
re-render the report in seconds and tell whether the committed pages are what the code writes, and
whether the code behind the numbers has changed since they were computed.

Encoding: plain JSON. Floats are written with ``repr`` (exact round trip), non-finite floats as
``{"__float__": "nan" | "inf" | "-inf"}``, arrays as ``{"__array__": dtype, "shape": [...], "data": [...]}``,
tuples and mappings with non-string keys tagged, the result dataclasses by name (``"__dataclass__"``);
mappings with string keys are plain objects. Decoding accepts only the classes named in ``_classes``.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from types import MappingProxyType

import numpy as np

__all__ = ["RESULTS_FILE", "FORMAT", "ENTRY_MODULES", "ArchiveError", "encode", "decode", "save_archive",
           "load_archive"]

RESULTS_FILE = "results.json"
FORMAT = "lingrok-reproduction/1"
# Keys every results.json holds (written by lingrok.commands.reproduce); a file without them is damaged.
ARCHIVE_KEYS = ("target", "scale", "command", "out", "figures", "fingerprint", "setups", "results")
# the commands whose code determines the numbers and the pages (lingrok.provenance follows their imports)
ENTRY_MODULES = ("lingrok.commands.reproduce", "lingrok.reproduction.report", "lingrok.compare.experiment", "lingrok.reproduction.figures")


class ArchiveError(ValueError):
    """A results.json that is missing, unreadable or of another format (the message says what to do)."""


def _classes() -> dict:
    from numerics.datasets import PlantedSpec
    from numerics.grokking import PhaseBoundary

    from lingrok.compare.experiment import ExperimentResult, LevelRow, PredictedTimes, TimeRow
    from lingrok.reproduction.runs import Setup

    return {c.__name__: c for c in (ExperimentResult, TimeRow, LevelRow, PredictedTimes, PhaseBoundary, Setup, PlantedSpec)}


def encode(value):
    """A JSON-ready form of ``value`` (see the module docstring for the tags)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {"__dataclass__": type(value).__name__}
        out.update({f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)})
        return out
    if isinstance(value, np.ndarray):
        return {"__array__": value.dtype.str, "shape": list(value.shape),
                "data": [encode(v) for v in value.ravel().tolist()]}
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, (dict, MappingProxyType)):
        if all(isinstance(k, str) and not k.startswith("__") for k in value):
            return {k: encode(v) for k, v in value.items()}
        return {"__mapping__": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if value is None or isinstance(value, (str, int, bool)):
        return value
    raise TypeError(f"cannot archive a {type(value).__name__}")


def decode(value, classes: dict | None = None):
    """Inverse of :func:`encode`. Mappings come back read-only (MappingProxyType), arrays read-only."""
    classes = _classes() if classes is None else classes
    if isinstance(value, list):
        return [decode(v, classes) for v in value]
    if not isinstance(value, dict):
        return value
    if "__float__" in value:
        return float(value["__float__"])
    if "__array__" in value:
        arr = np.array([decode(v, classes) for v in value["data"]], dtype=np.dtype(value["__array__"]))
        arr = arr.reshape(value["shape"])
        arr.setflags(write=False)
        return arr
    if "__tuple__" in value:
        return tuple(decode(v, classes) for v in value["__tuple__"])
    if "__mapping__" in value:
        return MappingProxyType({decode(k, classes): decode(v, classes) for k, v in value["__mapping__"]})
    if "__dataclass__" in value:
        name = value["__dataclass__"]
        if name not in classes:
            raise ArchiveError(f"unknown record type {name!r} in the archive")
        cls = classes[name]
        kwargs = {k: decode(v, classes) for k, v in value.items() if k != "__dataclass__"}
        names = {f.name for f in dataclasses.fields(cls)}
        if set(kwargs) != names:
            raise ArchiveError(f"{name} in the archive has fields {sorted(kwargs)}, the code expects {sorted(names)}")
        return cls(**kwargs)
    return MappingProxyType({k: decode(v, classes) for k, v in value.items()})


def save_archive(out: Path, payload: dict) -> Path:
    """Write ``out/results.json`` atomically (a temporary file renamed into place); return its path."""
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"format": FORMAT, **{k: encode(v) for k, v in payload.items()}}, indent=None,
                      separators=(",", ":"), allow_nan=False)
    from numerics.datafiles import atomic_write

    return atomic_write(out / RESULTS_FILE, text + "\n")


def load_archive(out: Path) -> dict:
    """Read and decode ``out/results.json``.

    Raises:
        ArchiveError: missing file, bad JSON, or another format; the message names the fix.
    """
    path = out / RESULTS_FILE
    if not path.is_file():
        raise ArchiveError(f"{path.as_posix()} does not exist; run `lingrok reproduce TARGET --out {out.as_posix()}` first")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArchiveError(f"{path.as_posix()} is not readable JSON ({exc}); regenerate it with lingrok reproduce") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        found = raw.get("format") if isinstance(raw, dict) else None
        raise ArchiveError(f"{path.as_posix()} has format {found!r}, this lingrok reads {FORMAT!r}; "
                           "regenerate it with lingrok reproduce")
    classes = _classes()
    try:
        return {k: (v if k == "format" else decode(v, classes)) for k, v in raw.items()}
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ArchiveError(f"{path.as_posix()} is damaged ({type(exc).__name__}: {exc}); regenerate it with "
                           "lingrok reproduce") from None
