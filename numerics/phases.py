"""Measurement rules of issue 13 for the three phases and the grokking times, at GD-step resolution.

One function per rule, each on a recorded trajectory (t, w, b) of GD on eq. (3) of arXiv:2602.08302:

* :func:`support_weight_share`: the non-support share of the gradient weight,
  sum_{i not in S} sigma(-m_i) / sum_i sigma(-m_i), m_i = y_i (w^T x_i + b). The support set S is
  passed in by the caller as an index array (numerics never imports theory).
* :func:`phase_one_end_step`: phase 1 ends at the first step after which that share stays below 1/2.
* :func:`phase_two_end_step`: phase 2 ends at the maximum of |b| / ||w||.
* :func:`accuracy_time_step`: T_tr and T_te of Definition 3.4 with eps = 0 (by default): the first
  step at which the accuracy reaches (1 - eps) times its supremum over the run.

Resolution. Each rule is first applied on the checkpoints, giving a bracket (lower, upper] between
two checkpoints (the previous checkpoint is the exclusive lower end); when ``refine`` is given (a
callable that returns (t, w, b) at EVERY step of a window, e.g. :func:`gd_window`, which reruns the
deterministic engine from the recorded state at the window's start) the bracket is resolved to the
exact step. What cannot be resolved is stated: a share that rises back above 1/2 between two
checkpoints after the located step, or an accuracy supremum attained only between checkpoints, is
invisible to the checkpoint pass. ``censored`` is True when the rule's answer sits at the last
checkpoint (the horizon may have cut it short: the share never dropped for good, the distance was
still rising, the supremum was attained only at the end).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import log_expit

__all__ = [
    "SHARE_THRESHOLD",
    "StepTime",
    "support_weight_share",
    "phase_one_end_step",
    "phase_two_end_step",
    "accuracy_time_step",
    "gd_window",
    "measure_phases",
    "measure_phases_recorded",
]

#: Phase 1 ends when the non-support share of the gradient weight stays below this (issue 13).
SHARE_THRESHOLD = 0.5
# Relative slack on (1 - eps) sup, as numerics.grokking.TIE_RTOL: an exact tie counts as reached.
_TIE_RTOL = 8.0 * float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class StepTime:
    """A measured time in GD steps.

    Attributes:
        rule: the rule, in words.
        step: the headline step (None when the rule has no answer in the run).
        lower, upper: bracket, the true step lies in (lower, upper] (equal to (step - 1, step] once
            resolved to step resolution); None = open.
        exact: True when resolved to a single step.
        censored: the answer sits at the horizon (see the module docstring).
        value: the quantity at ``step`` (the share, the distance, or the accuracy).
    """

    rule: str
    step: int | None
    lower: int | None
    upper: int | None
    exact: bool
    censored: bool
    value: float


def _augmented(X, y):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"`X` must be (N, d) and `y` (N,), got {X.shape} and {y.shape}")
    if not (np.all(np.isfinite(X)) and np.all((y == 1.0) | (y == -1.0))):
        raise ValueError("`X` must be finite and `y` in {-1, +1}")
    return y[:, None] * np.column_stack([X, np.ones(X.shape[0])])


def _trajectory(t, w, b):
    t = np.asarray(t)
    if t.ndim != 1 or t.size == 0 or t.dtype.kind not in "iu":
        raise ValueError("`t` must be a non-empty 1-D integer array of GD steps")
    if np.any(np.diff(t) <= 0) or t[0] < 0:
        raise ValueError("`t` must be non-negative and strictly increasing")
    w = np.asarray(w, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if w.ndim != 2 or w.shape[0] != t.size or b.shape != (t.size,):
        raise ValueError(f"`w` must be (K, d) and `b` (K,) with K = {t.size}, got {w.shape}, {b.shape}")
    return t.astype(np.int64), np.column_stack([w, b])


def support_weight_share(X, y, w, b, support) -> np.ndarray:
    """Non-support share of the gradient weight, sum_{i not in S} sigma(-m_i) / sum_i sigma(-m_i), per checkpoint.

    Weights are rescaled by the largest one at each checkpoint (exp(log sigma(-m) - max)): the ratio is
    scale-free, so underflow of sigma(-m) late in training cannot turn it into 0/0.

    Args:
        X: (N, d); y: (N,) in {-1, +1}; w: (K, d); b: (K,); support: indices of S (caller's choice).

    Returns:
        (K,) shares in [0, 1].
    """
    Z = _augmented(X, y)
    w = np.atleast_2d(np.asarray(w, dtype=np.float64))
    b = np.atleast_1d(np.asarray(b, dtype=np.float64))
    S = np.asarray(support, dtype=np.int64)
    if S.ndim != 1 or S.size == 0 or S.min() < 0 or S.max() >= Z.shape[0]:
        raise ValueError("`support` must be a non-empty 1-D array of row indices of X")
    in_s = np.zeros(Z.shape[0], dtype=bool)
    in_s[S] = True
    out = np.empty(w.shape[0])
    step = max(1, 2_000_000 // Z.shape[0])
    for lo in range(0, w.shape[0], step):
        theta = np.column_stack([w[lo:lo + step], b[lo:lo + step]])
        logs = log_expit(-(theta @ Z.T))
        s = np.exp(logs - logs.max(axis=1, keepdims=True))
        pop = s[:, ~in_s].sum(axis=1)
        out[lo:lo + step] = pop / (pop + s[:, in_s].sum(axis=1))
    return out


def _resolve(refine, lo, hi, fn):
    """Every step of (lo, hi] from ``refine``: (steps, values of fn)."""
    tt, ww, bb = refine(int(lo), int(hi))
    tt = np.asarray(tt, dtype=np.int64)
    keep = (tt > lo) & (tt <= hi)
    return tt[keep], fn(np.asarray(ww)[keep], np.asarray(bb)[keep])


def phase_one_end_step(X, y, t, w, b, support, *, refine=None) -> StepTime:
    """First step after which the non-support share of the gradient weight stays below 1/2 (issue 13).

    Args:
        X, y: training set; t: (K,) GD steps; w: (K, d); b: (K,); support: indices of S.
        refine: optional ``refine(lo, hi) -> (t, w, b)`` at every step of (lo, hi] (see :func:`gd_window`).

    Returns:
        :class:`StepTime` (step None and censored when the share is still >= 1/2 at the last checkpoint).
    """
    t, theta = _trajectory(t, w, b)
    share = support_weight_share(X, y, theta[:, :-1], theta[:, -1], support)
    rule = "non-support share of the gradient weight < 1/2 from here on"
    if share[-1] >= SHARE_THRESHOLD:
        return StepTime(rule, None, int(t[-1]), None, False, True, float(share[-1]))
    above = np.flatnonzero(share >= SHARE_THRESHOLD)
    if above.size == 0:
        return StepTime(rule, int(t[0]), None, int(t[0]), t[0] == 0, False, float(share[0]))
    k = int(above[-1]) + 1
    lo, hi = int(t[k - 1]), int(t[k])
    if refine is not None and hi - lo > 1:
        tt, sh = _resolve(refine, lo, hi, lambda ww, bb: support_weight_share(X, y, ww, bb, support))
        up = np.flatnonzero(sh >= SHARE_THRESHOLD)
        j = 0 if up.size == 0 else int(up[-1]) + 1
        return StepTime(rule, int(tt[j]), int(tt[j]) - 1, int(tt[j]), True, k == t.size - 1, float(sh[j]))
    return StepTime(rule, hi, lo, hi, hi - lo == 1, k == t.size - 1, float(share[k]))


def phase_two_end_step(t, w, b, *, refine=None) -> StepTime:
    """Step of the maximum of |b| / ||w|| (issue 13: phase 2 ends there); checkpoints with w = 0 are skipped.

    The bracket is the two neighbouring checkpoints; with ``refine`` every step between them is examined.

    Returns:
        :class:`StepTime` (censored when the maximum is at the last checkpoint).
    """
    t, theta = _trajectory(t, w, b)

    def distance(ww, bb):
        n = np.linalg.norm(ww, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(n > 0, np.abs(bb) / np.where(n > 0, n, 1.0), -np.inf)

    dist = distance(theta[:, :-1], theta[:, -1])
    rule = "maximum of |b| / ||w||"
    if not np.any(np.isfinite(dist)):
        return StepTime(rule, None, None, None, False, True, math.nan)
    k = int(np.argmax(dist))
    censored = k == t.size - 1
    lo = int(t[k - 1]) if k > 0 else None
    hi = int(t[k + 1]) if k + 1 < t.size else None
    if refine is not None and lo is not None and hi is not None and hi - lo > 2:
        tt, dd = _resolve(refine, lo, hi - 1, distance)
        j = int(np.argmax(dd))
        return StepTime(rule, int(tt[j]), int(tt[j]) - 1, int(tt[j]), True, censored, float(dd[j]))
    exact = lo is not None and hi is not None and hi - lo == 2
    return StepTime(rule, int(t[k]), lo, hi, exact, censored, float(dist[k]))


def accuracy_time_step(t, w, b, X, y, *, eps: float = 0.0, refine=None) -> StepTime:
    """Definition 3.4 of arXiv:2602.08302: first step with accuracy >= (1 - eps) sup over the run.

    Use the training set for T_tr, the test set for T_te. A margin of exactly 0 counts as wrong.

    Args:
        t, w, b: the trajectory; X, y: the set; eps: in [0, 1) (default 0, as issue 13 asks).
        refine: optional every-step window callable.

    Returns:
        :class:`StepTime` (censored when the supremum is attained only at the last checkpoint).
    """
    t, theta = _trajectory(t, w, b)
    eps = float(eps)
    if not 0.0 <= eps < 1.0:
        raise ValueError(f"`eps` must lie in [0, 1), got {eps}")
    Z = _augmented(X, y)

    def acc(ww, bb):
        return np.mean((np.column_stack([ww, bb]) @ Z.T) > 0.0, axis=1)

    a = acc(theta[:, :-1], theta[:, -1])
    sup = float(a.max())
    level = (1.0 - eps) * sup * (1.0 - _TIE_RTOL)
    k = int(np.flatnonzero(a >= level)[0])
    censored = bool(a[-1] == sup and np.count_nonzero(a == sup) == 1 and t.size > 1)
    rule = f"first step with accuracy >= (1 - {eps:g}) x sup ({sup:.6g})"
    if k == 0:
        return StepTime(rule, int(t[0]), None, int(t[0]), t[0] == 0, censored, float(a[0]))
    lo, hi = int(t[k - 1]), int(t[k])
    if refine is not None and hi - lo > 1:
        tt, aa = _resolve(refine, lo, hi, acc)
        j = int(np.flatnonzero(aa >= level)[0])
        return StepTime(rule, int(tt[j]), int(tt[j]) - 1, int(tt[j]), True, censored, float(aa[j]))
    return StepTime(rule, hi, lo, hi, hi - lo == 1, censored, float(a[k]))


def gd_window(X, y, t, w, b, *, eta: float, reduction: str = "sum"):
    """A ``refine`` callable: GD rerun from the recorded state at ``lo`` with every step of (lo, hi] recorded.

    The engine is deterministic and started from the recorded (w, b) at checkpoint ``lo``, so the
    window reproduces the original run's states (numerics.engine: resuming equals running straight
    through). ``lo`` must be a checkpoint of ``t``.
    """
    from numerics.engine import run_gd

    t = np.asarray(t, dtype=np.int64)
    w = np.asarray(w, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)

    def refine(lo, hi):
        k = int(np.searchsorted(t, lo))
        if k >= t.size or t[k] != lo:
            raise ValueError(f"window start {lo} is not a checkpoint")
        n = hi - lo
        tr = run_gd(X, y, eta=eta, steps=n, checkpoints=np.arange(n + 1), w0=w[k], b0=float(b[k]),
                    reduction=reduction)
        return tr.t + lo, tr.w, tr.b

    return refine


def measure_phases_recorded(X, y, X_test, y_test, t, w, b, *, eta: float, support, reduction: str = "sum") -> dict:
    """The four rules on an already recorded GD trajectory (t, w, b), at step resolution.

    Each rule's bracket between two checkpoints is resolved by rerunning the exact engine from the
    recorded state at the bracket's start (:func:`gd_window`), so only a few windows are recomputed
    instead of the whole run. ``t`` must hold the window starts as checkpoints (any checkpoint
    schedule does: a bracket starts at a checkpoint).

    Returns:
        {"phase1_end", "phase2_end", "T_tr", "T_te"} -> :class:`StepTime`.
    """
    refine = gd_window(X, y, t, w, b, eta=eta, reduction=reduction)
    return {
        "phase1_end": phase_one_end_step(X, y, t, w, b, support, refine=refine),
        "phase2_end": phase_two_end_step(t, w, b, refine=refine),
        "T_tr": accuracy_time_step(t, w, b, X, y, refine=refine),
        "T_te": accuracy_time_step(t, w, b, X_test, y_test, refine=refine),
    }


def measure_phases(X, y, X_test, y_test, *, eta: float, steps: int, support, per_decade: int = 100,
                   dense_until: int = 2000) -> dict:
    """Exact GD (numerics.engine) over ``steps`` and the four rules at step resolution.

    Checkpoints: every step up to ``dense_until``, then ``per_decade`` log-spaced per decade.

    Returns:
        {"phase1_end", "phase2_end", "T_tr", "T_te"} -> :class:`StepTime`.
    """
    from numerics.engine import run_gd
    from numerics.schedule import log_schedule

    ck = np.unique(np.concatenate([log_schedule(int(steps), per_decade), np.arange(min(int(steps), dense_until) + 1)]))
    tr = run_gd(X, y, eta=eta, steps=int(steps), checkpoints=ck)
    return measure_phases_recorded(X, y, X_test, y_test, tr.t, tr.w, tr.b, eta=eta, support=support)
