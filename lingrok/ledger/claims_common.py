"""Helpers shared by the claim checks, and the registry of all checks in the paper's order.

Each ``lingrok/claims_<topic>.py`` defines ``CHECKS``: a tuple of (Claim, check) pairs, where
``check(ctx) -> Finding`` reads everything from the shared :class:`lingrok.ledger.context.VerifyContext`.
"""

from __future__ import annotations

import importlib
import math

import numpy as np
from numerics.grokking import accuracy_crossing

__all__ = [
    "TOPIC_MODULES",
    "all_checks",
    "settled_time",
    "first_time",
    "censored_first",
    "at_time",
    "even",
    "fmt",
    "is_increasing",
]

#: Modules holding the checks, in the order the ledger lists them.
TOPIC_MODULES = (
    "lingrok.ledger.claims_geometry",
    "lingrok.ledger.claims_bias",
    "lingrok.ledger.claims_grokking",
    "lingrok.ledger.claims_experiments",
    "lingrok.ledger.claims_corrected",
)


def all_checks() -> tuple:
    """Every (Claim, check) pair, in ledger order."""
    out = []
    for name in TOPIC_MODULES:
        out.extend(importlib.import_module(name).CHECKS)
    return tuple(out)


def settled_time(t, values, level: float):
    """First checkpoint from which ``values`` stays >= ``level`` at every later checkpoint (None if never).

    The late crossing of Theorem 4.6's proof (the hyperplane settles within the band), robust to
    an early transient peak (e.g. a first GD step that happens to classify everything).
    """
    v = np.asarray(values, dtype=float)
    below = np.flatnonzero(v < level * (1.0 - 8 * np.finfo(float).eps))
    if below.size == 0:
        return int(np.asarray(t)[0])
    k = int(below[-1]) + 1
    return None if k >= v.size else int(np.asarray(t)[k])


def first_time(t, values, eps: float):
    """Definition 3.4's T(eps): first checkpoint with values >= (1 - eps) max (numerics.grokking)."""
    c = accuracy_crossing(t, values, eps)
    return c.t_first


def censored_first(t, values, eps: float) -> bool:
    """Whether Definition 3.4's T(eps) is censored: the supremum is attained only at the last checkpoint, so
    the horizon may have cut the curve short (numerics.grokking.Crossing.sup_at_last_only)."""
    return bool(accuracy_crossing(t, values, eps).sup_at_last_only)


def at_time(t, values, when: float):
    """Value at the last checkpoint <= ``when``."""
    t = np.asarray(t)
    k = int(np.searchsorted(t, when, side="right")) - 1
    return float(np.asarray(values)[max(k, 0)])


def even(t) -> np.ndarray:
    """Mask of even GD steps (one parity of a possible period-2 cycle)."""
    return np.asarray(t) % 2 == 0


def is_increasing(values) -> bool:
    """Strictly increasing (None entries count as +inf, i.e. 'later than the horizon')."""
    v = [math.inf if x is None else float(x) for x in values]
    return all(a < b for a, b in zip(v, v[1:]))


def fmt(x, digits: int = 3) -> str:
    """Compact number for summaries."""
    if x is None:
        return "none"
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    if x != 0 and (abs(x) >= 1e5 or abs(x) < 1e-3):
        return f"{x:.{digits - 1}e}"
    return f"{x:.{digits}g}"
