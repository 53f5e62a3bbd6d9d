"""Checkpoint schedules: the GD steps at which a run records (w, b).

``t`` counts GD updates taken (Section 3 of arXiv:2602.08302 calls them epochs: full-batch
steps); checkpoint ``t = 0`` is the initialisation ``w = 0, b = 0``. The paper logs metrics
every 100 steps up to T = 1e7 (Appendix B); its figures use logarithmic time axes, so a
log-spaced schedule with a few dozen points per decade carries the same information at a
fraction of the storage.
"""

from __future__ import annotations

import math

import numpy as np

from numerics.validation import count

__all__ = ["log_schedule", "log_spaced_times", "linear_schedule", "merge_schedules"]


def merge_schedules(steps: int, *parts, with_next: bool = False) -> np.ndarray:
    """Sorted union of checkpoint steps, clipped to ``[0, steps]``; always holds 0 and ``steps``.

    Args:
        steps: total number of GD steps of the run (t counts GD updates).
        *parts: iterables of integer steps; entries outside ``[0, steps]`` raise.
        with_next: also include ``t + 1`` for every checkpoint ``t < steps``, so that a
            period-2 oscillation (GD at eta * lambda_max > 2, see docs/paper.md, "Parity") can be
            read at both parities.

    Returns:
        int64 array (K,), strictly increasing, first entry 0, last entry ``steps``.

    Raises:
        ValueError: a step is negative, above ``steps``, or not an integer.
    """
    steps = count(steps, "steps")
    collected = [np.array([0, steps], dtype=np.int64)]
    for part in parts:
        arr = np.asarray(list(part) if not isinstance(part, np.ndarray) else part)
        if arr.size == 0:
            continue
        if arr.dtype.kind not in "iu":
            if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
                arr = arr.astype(np.int64)
            else:
                raise ValueError(f"checkpoint steps must be integers, got dtype {arr.dtype}")
        arr = arr.astype(np.int64).ravel()
        if arr.min() < 0 or arr.max() > steps:
            raise ValueError(
                f"checkpoint steps must lie in [0, steps={steps}], got range "
                f"[{arr.min()}, {arr.max()}]; drop the out-of-range steps"
            )
        collected.append(arr)
    out = np.unique(np.concatenate(collected))
    if with_next:
        nxt = out[out < steps] + 1
        out = np.unique(np.concatenate([out, nxt]))
    return out


def log_schedule(steps: int, per_decade: int = 20, *, extra=(), with_next: bool = False) -> np.ndarray:
    """Log-spaced checkpoints: 0, every power of ten <= steps, ``per_decade`` points per decade, steps.

    The points are ``round(10 ** (k / per_decade))`` for k = 0, 1, ..., deduplicated (so the
    first decade holds fewer than ``per_decade`` distinct integers).

    Args:
        steps: total GD steps (t counts GD updates); 0 gives ``[0]``.
        per_decade: points per factor of ten (>= 1).
        extra: additional integer steps in ``[0, steps]`` to include.
        with_next: also include ``t + 1`` for each checkpoint (both parities of a period-2 cycle).

    Returns:
        int64 array, strictly increasing, starting at 0 and ending at ``steps``.

    Raises:
        ValueError: ``steps`` negative, ``per_decade`` < 1, or ``extra`` out of range.

    >>> log_schedule(100, per_decade=2).tolist()
    [0, 1, 3, 10, 32, 100]
    """
    steps = count(steps, "steps")
    per_decade = count(per_decade, "per_decade", 1)
    pts = []
    if steps >= 1:
        top = math.log10(steps)
        k_max = int(math.floor(top * per_decade + 1e-9))
        exps = np.arange(k_max + 1) / per_decade
        pts.append(np.round(10.0 ** exps).astype(np.int64))
        powers = 10 ** np.arange(int(math.floor(top + 1e-12)) + 1, dtype=np.int64)
        pts.append(powers[powers <= steps])
    pts.append(np.asarray(list(extra), dtype=np.int64) if not isinstance(extra, np.ndarray) else extra)
    return merge_schedules(steps, *pts, with_next=with_next)


def linear_schedule(steps: int, every: int, *, with_next: bool = False) -> np.ndarray:
    """Checkpoints every ``every`` steps (the paper logs every 100 steps), plus 0 and ``steps``.

    Args:
        steps: total GD steps (t counts GD updates).
        every: spacing in GD steps (>= 1).
        with_next: also include ``t + 1`` for each checkpoint.

    Returns:
        int64 array ``[0, every, 2 every, ..., steps]``.

    Raises:
        ValueError: ``steps`` negative or ``every`` < 1.

    >>> linear_schedule(250, 100).tolist()
    [0, 100, 200, 250]
    """
    steps = count(steps, "steps")
    every = count(every, "every", 1)
    return merge_schedules(steps, np.arange(0, steps + 1, every, dtype=np.int64), with_next=with_next)


def log_spaced_times(t_min, t_max, n) -> np.ndarray:
    """About ``n`` distinct integer GD steps log-spaced in [t_min, t_max] (t_min >= 1).

    Raises:
        ValueError: unless 1 <= t_min <= t_max and n >= 1.
    """
    if not (1 <= t_min <= t_max) or n < 1:
        raise ValueError(f"need 1 <= `t_min` <= `t_max` and `n` >= 1, got {t_min}, {t_max}, {n}")
    return np.unique(np.round(np.geomspace(t_min, t_max, int(n))).astype(np.int64))
