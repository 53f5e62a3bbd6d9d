"""Input validation shared by the numerics modules: errors name the argument and the fix."""

from __future__ import annotations

import operator

import numpy as np

__all__ = ["count", "frozen"]


def count(value, name: str, minimum: int = 0) -> int:
    """An integer >= ``minimum`` (bools and non-integers rejected), as a Python int.

    Raises:
        ValueError: naming ``name``, e.g. "`steps` must be >= 0, got -3".
    """
    if isinstance(value, bool):
        raise ValueError(f"`{name}` must be an integer, got a bool ({value!r})")
    try:
        out = int(operator.index(value))
    except TypeError:
        raise ValueError(f"`{name}` must be an integer, got {value!r}") from None
    if out < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}, got {out}")
    return out


def frozen(a, *, copy: bool = False) -> np.ndarray:
    """``a`` as a read-only ndarray (a copy when ``copy``, else the same buffer when ``a`` is one).

    >>> v = frozen([1.0, 2.0]); v.flags.writeable
    False
    """
    a = np.array(a) if copy else np.asarray(a)
    a.setflags(write=False)
    return a
