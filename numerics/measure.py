"""Per-checkpoint measurements of a linear classifier's trajectory (w(t), b(t)).

Everything the paper plots is a function of one checkpoint (w, b) and the data:
||w||, the hyperplane's distance from the origin |b| / ||w||, the angle to the
max-margin direction w_hat, the residual theta(t) - theta_hat log t of Theorem 4.1,
train and test loss and accuracy, and how much of the gradient comes from points
that are not support vectors (the quantity that separates phase 1 from phase 2,
Sections 4.3-4.4 of arXiv:2602.08302).

Conventions
-----------
* t counts GD steps (full-batch updates); t = 0 is the initial model w = 0, b = 0.
* A point is classified correctly iff its margin y (w^T x + b) is > 0; a margin of
  exactly 0 counts as WRONG.  The initial model (w = 0, b = 0) therefore has
  accuracy 0 on every data set.
* Loss is the logistic loss l(u) = log(1 + e^{-u}) of eq. (3), evaluated stably as
  softplus(-u) = -log_expit(u); the summed and the mean loss are both reported.
* The residual uses log t with t in GD steps (Theorem 4.1, w(t) = w_hat log t + rho(t)).
  In flow time tau = eta t the residual is shifted by -theta_hat log(eta).

Numerics never imports theory: the reference geometry (w_hat, b_hat, theta_tilde,
support vectors) is passed in as plain arrays by the application layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import numpy as np
from scipy.special import log_expit

from numerics.validation import frozen

__all__ = ["SetMetrics", "Measurements", "set_metrics", "measure_trajectory"]

# Margins of at most this many (checkpoint, point) pairs are held in memory at once.
_CHUNK_ENTRIES = 4_000_000


@dataclass(frozen=True)
class SetMetrics:
    """Loss and accuracy of every checkpoint on one labelled data set.

    Attributes:
        n: number of points N in the set.
        loss_sum: (K,) summed logistic loss sum_i l(y_i (w^T x_i + b)) (eq. (3)).
        loss_mean: (K,) loss_sum / N.
        n_correct: (K,) int64, number of points with y (w^T x + b) > 0.
        accuracy: (K,) n_correct / N (a margin of exactly 0 counts as wrong).
    """

    n: int
    loss_sum: np.ndarray
    loss_mean: np.ndarray
    n_correct: np.ndarray
    accuracy: np.ndarray


@dataclass(frozen=True)
class Measurements:
    """Per-checkpoint measurements; every array has one row per checkpoint (K rows).

    Fields that need reference geometry that was not supplied are all-NaN, so the
    type never depends on the optional arguments.

    Attributes:
        t: (K,) int64, GD steps taken at each checkpoint.
        w: (K, d) weights.  b: (K,) bias.
        w_norm: (K,) ||w||_2.
        distance: (K,) |b| / ||w||, the hyperplane's distance from the origin;
            NaN where ||w|| = 0 (no hyperplane).
        angle: (K,) angle between w and w_hat in radians, in [0, pi]; NaN where
            ||w|| = 0 or w_hat was not given.  Computed as 2 atan2(||u - v||, ||u + v||)
            for the unit vectors u, v (accurate also for tiny angles, unlike arccos).
        residual: (K, d + 1) theta(t) - theta_hat log t with theta = (w, b), t in GD
            steps (Theorem 4.1); NaN rows for t = 0 or when w_hat / b_hat are missing.
        residual_norm: (K,) ||residual||_2.
        tilde_gap: (K,) ||residual - theta_tilde||_2 (Theorem 4.2: -> 0 when the
            support vectors span the data); NaN when theta_tilde was not given.
        train: SetMetrics of the training set.
        test: read-only mapping name -> SetMetrics, one entry per test set given.
        grad_norm_w, grad_norm_b: (K,) ||grad_w L||_2 and |grad_b L| of the SUMMED
            training loss (eq. (3)); these may underflow to 0 late in training.
        nonsv_net_share_w, nonsv_net_share_b: (K,) net share of the gradient from
            non-support vectors, |g_N| / (|g_S| + |g_N|), where g_S and g_N are the
            SIGNED sums of the per-point gradient contributions over support vectors S
            and the other points N (vector norm for the w part).  NaN where both parts
            are exactly zero (e.g. perfectly balanced classes at t = 0) or when no
            support set was given.
        nonsv_mass_share_w, nonsv_mass_share_b: (K,) unsigned share,
            sum_N s_i c_i / sum_all s_i c_i with s_i = sigma(-m_i) the loss-derivative
            weight of point i, c_i = ||x_i|| (w part) or 1 (bias part).  Always defined
            when a support set is given and S or N is non-empty; starts at |N|/N_total
            for w = 0, b = 0 (bias part) and decreases to 0 once the support vectors
            dominate.  Used for the phase 1 -> 2 boundary (numerics.grokking.phase_one_end);
            the net share is not monotone (its SV part cancels as b nears its SV steady state).

    Both shares are computed from weights rescaled so that the largest weight at each
    checkpoint is exactly 1 (exp(log sigma(-m_i) - max_j log sigma(-m_j))): the ratio is
    scale-free, so this removes underflow of sigma(-m) entirely; the remaining error of
    the net share is cancellation in the signed sums, about N * 1e-16 in absolute terms
    relative to the largest contribution.
    """

    t: np.ndarray
    w: np.ndarray
    b: np.ndarray
    w_norm: np.ndarray
    distance: np.ndarray
    angle: np.ndarray
    residual: np.ndarray
    residual_norm: np.ndarray
    tilde_gap: np.ndarray
    train: SetMetrics
    test: Mapping[str, SetMetrics]
    grad_norm_w: np.ndarray
    grad_norm_b: np.ndarray
    nonsv_net_share_w: np.ndarray
    nonsv_net_share_b: np.ndarray
    nonsv_mass_share_w: np.ndarray
    nonsv_mass_share_b: np.ndarray


# ---------------------------------------------------------------- validation helpers


def _finite(name, a, ndim):
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim != ndim:
        raise ValueError(f"`{name}` must be {ndim}-dimensional, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must be finite; remove NaN/inf entries")
    return arr


def _labelled(name, X, y):
    X = _finite(f"{name} X", X, 2)
    y = _finite(f"{name} y", y, 1)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"`{name}` X has {X.shape[0]} rows but y has {y.shape[0]} labels")
    if X.shape[0] == 0:
        raise ValueError(f"`{name}` must contain at least one point")
    if not np.all((y == 1.0) | (y == -1.0)):
        raise ValueError(f"`{name}` labels y must be exactly -1 or +1")
    return X, y


def _steps(t):
    arr = np.asarray(t)
    if arr.ndim != 1:
        raise ValueError(f"`t` must be 1-dimensional (GD steps), got shape {arr.shape}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError("`t` must hold whole numbers of GD steps")
    elif arr.dtype.kind not in "iu":
        raise ValueError(f"`t` must be integer GD step counts, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if np.any(arr < 0):
        raise ValueError("`t` must be non-negative (GD steps taken)")
    return arr


def _trajectory(t, w, b):
    t = _steps(t)
    w = _finite("w", w, 2)
    b = _finite("b", b, 1)
    if not (t.shape[0] == w.shape[0] == b.shape[0]):
        raise ValueError(
            f"`t`, `w`, `b` must have one row per checkpoint, got {t.shape[0]}, {w.shape[0]}, {b.shape[0]}"
        )
    return t, w, b


def _support_mask(support, n):
    idx = np.asarray(support)
    if idx.dtype == bool:
        if idx.shape != (n,):
            raise ValueError(f"boolean `support` must have shape ({n},), got {idx.shape}")
        return idx.copy()
    if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
        raise ValueError("`support` must be a 1-D array of point indices or a boolean mask")
    idx = idx.astype(np.int64)
    if np.any((idx < 0) | (idx >= n)):
        raise ValueError(f"`support` indices must lie in [0, {n}), got {idx.min()}..{idx.max()}")
    if np.unique(idx).size != idx.size:
        raise ValueError("`support` indices must be unique")
    mask = np.zeros(n, dtype=bool)
    mask[idx] = True
    return mask


# ---------------------------------------------------------------- measurements


def _chunks(k_total, n_points):
    step = max(1, _CHUNK_ENTRIES // max(1, n_points))
    for start in range(0, k_total, step):
        yield slice(start, min(k_total, start + step))


def set_metrics(X, y, w, b) -> SetMetrics:
    """Summed and mean logistic loss (eq. (3) of arXiv:2602.08302) and accuracy per checkpoint.

    loss_sum(t) = sum_i softplus(-m_i(t)),  m_i = y_i (w(t)^T x_i + b(t)),
    accuracy(t) = #{i : m_i(t) > 0} / N   (a margin of exactly 0 is wrong).

    Args:
        X: (N, d) points.  y: (N,) labels in {-1, +1}.
        w: (K, d) weights at K checkpoints.  b: (K,) biases.

    Returns:
        SetMetrics with (K,) arrays.

    Raises:
        ValueError: non-finite input, shape mismatch, labels other than +-1.
    """
    X, y = _labelled("data", X, y)
    w = _finite("w", w, 2)
    b = _finite("b", b, 1)
    if w.shape[1] != X.shape[1] or w.shape[0] != b.shape[0]:
        raise ValueError(f"`w` must have shape (K, {X.shape[1]}) matching `b` (K,), got {w.shape}, {b.shape}")
    K, N = w.shape[0], X.shape[0]
    loss = np.empty(K)
    correct = np.empty(K, dtype=np.int64)
    for sl in _chunks(K, N):
        m = (w[sl] @ X.T + b[sl, None]) * y[None, :]
        loss[sl] = -log_expit(m).sum(axis=1)  # softplus(-m) without overflow for m << 0
        correct[sl] = np.count_nonzero(m > 0.0, axis=1)
    return SetMetrics(
        n=N,
        loss_sum=frozen(loss),
        loss_mean=frozen(loss / N),
        n_correct=frozen(correct),
        accuracy=frozen(correct / N),
    )


def _share(part_n, part_s):
    """|N| / (|S| + |N|) elementwise, NaN where both are exactly zero."""
    total = part_n + part_s
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0.0, part_n / np.where(total > 0.0, total, 1.0), np.nan)


def _gradient_parts(X, y, w, b, sv):
    """Gradient norms of the summed loss and non-SV shares per checkpoint (see Measurements)."""
    K, N = w.shape[0], X.shape[0]
    out = {key: np.full(K, np.nan) for key in ("gw", "gb", "net_w", "net_b", "mass_w", "mass_b")}
    x_norm = np.linalg.norm(X, axis=1)
    yx = y[:, None] * X
    for sl in _chunks(K, N):
        m = (w[sl] @ X.T + b[sl, None]) * y[None, :]
        logs = log_expit(-m)  # log sigma(-m): finite for every finite m
        top = logs.max(axis=1, keepdims=True)
        s = np.exp(logs - top)  # rescaled weights, largest = 1, no underflow of the ratio
        scale = np.exp(top[:, 0])  # <= 1, may underflow: then the true gradient is below 1e-308
        # grad_w L = -sum_i s_i y_i x_i, grad_b L = -sum_i s_i y_i   (eq. (4)-(5))
        gw = -(s @ yx)
        gb = -(s @ y)
        out["gw"][sl] = scale * np.linalg.norm(gw, axis=1)
        out["gb"][sl] = scale * np.abs(gb)
        if sv is None:
            continue
        in_s, in_n = sv.astype(np.float64), (~sv).astype(np.float64)  # masks as weights: no copies of s
        gw_s, gw_n = -(s @ (yx * in_s[:, None])), -(s @ (yx * in_n[:, None]))
        gb_s, gb_n = -(s @ (y * in_s)), -(s @ (y * in_n))
        out["net_w"][sl] = _share(np.linalg.norm(gw_n, axis=1), np.linalg.norm(gw_s, axis=1))
        out["net_b"][sl] = _share(np.abs(gb_n), np.abs(gb_s))
        out["mass_w"][sl] = _share(s @ (x_norm * in_n), s @ (x_norm * in_s))
        out["mass_b"][sl] = _share(s @ in_n, s @ in_s)
    return out


def _angle(w, w_hat):
    """Angle between each row of w and w_hat (Kahan's 2 atan2(|u-v|, |u+v|))."""
    norms = np.linalg.norm(w, axis=1)
    angle = np.full(w.shape[0], np.nan)
    ok = norms > 0.0
    u = w[ok] / norms[ok, None]
    v = w_hat / np.linalg.norm(w_hat)
    angle[ok] = 2.0 * np.arctan2(np.linalg.norm(u - v, axis=1), np.linalg.norm(u + v, axis=1))
    return angle


def measure_trajectory(
    X,
    y,
    t,
    w,
    b,
    *,
    tests: Mapping[str, tuple] | None = None,
    w_hat=None,
    b_hat: float | None = None,
    theta_tilde=None,
    support=None,
) -> Measurements:
    """Measure every checkpoint of a trajectory (w(t), b(t)) (Sections 4-5 of arXiv:2602.08302).

    distance = |b| / ||w||;  angle = angle(w, w_hat);
    residual = (w, b)(t) - (w_hat, b_hat) log t   (Theorem 4.1, t in GD steps, t >= 1);
    non-SV shares of grad L = -sum_i sigma(-m_i) y_i (x_i, 1)  (eqs. (4)-(5)).

    Args:
        X: (N, d) training points.  y: (N,) labels in {-1, +1}.
        t: (K,) GD steps taken at each checkpoint (non-negative integers).
        w: (K, d) weights.  b: (K,) biases.
        tests: optional mapping name -> (X_test, y_test), e.g.
            {"standard": (Xs, ys), "concentrated": (Xc, yc)}.
        w_hat: optional (d,) max-margin direction (eq. (7)); enables `angle`.
        b_hat: optional scalar max-margin bias (eq. (7)); with w_hat enables `residual`.
        theta_tilde: optional (d + 1,) limit of the residual (Theorem 4.2, in the same
            log-t convention); enables `tilde_gap`.
        support: optional indices (or (N,) boolean mask) of the support vectors;
            enables the non-support-vector shares.

    Returns:
        Measurements (frozen; arrays are read-only).

    Raises:
        ValueError: non-finite input, shape mismatch, labels other than +-1, w_hat = 0,
            b_hat without w_hat (or vice versa when theta_tilde is given), bad support.
    """
    X, y = _labelled("train", X, y)
    t, w, b = _trajectory(t, w, b)
    d = X.shape[1]
    if w.shape[1] != d:
        raise ValueError(f"`w` must have {d} columns (the data's dimension), got {w.shape[1]}")
    K = t.shape[0]

    w_norm = np.linalg.norm(w, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        distance = np.where(w_norm > 0.0, np.abs(b) / np.where(w_norm > 0.0, w_norm, 1.0), np.nan)

    angle = np.full(K, np.nan)
    residual = np.full((K, d + 1), np.nan)
    tilde_gap = np.full(K, np.nan)
    if w_hat is not None:
        w_hat = _finite("w_hat", w_hat, 1)
        if w_hat.shape != (d,):
            raise ValueError(f"`w_hat` must have shape ({d},), got {w_hat.shape}")
        if not np.any(w_hat != 0.0):
            raise ValueError("`w_hat` must be non-zero (it is a direction)")
        angle = _angle(w, w_hat)
    if (w_hat is None) != (b_hat is None):
        raise ValueError("`w_hat` and `b_hat` must be given together (theta_hat = (w_hat, b_hat))")
    if w_hat is not None:
        b_hat = float(b_hat)
        if not np.isfinite(b_hat):
            raise ValueError(f"`b_hat` must be finite, got {b_hat}")
        theta = np.column_stack([w, b])
        theta_hat = np.append(w_hat, b_hat)
        pos = t >= 1
        residual[pos] = theta[pos] - np.log(t[pos].astype(np.float64))[:, None] * theta_hat[None, :]
    if theta_tilde is not None:
        if w_hat is None:
            raise ValueError("`theta_tilde` needs `w_hat` and `b_hat` (it is the limit of the residual)")
        theta_tilde = _finite("theta_tilde", theta_tilde, 1)
        if theta_tilde.shape != (d + 1,):
            raise ValueError(
                f"`theta_tilde` must have shape ({d + 1},) = (w_tilde, b_tilde), got {theta_tilde.shape}"
            )
        tilde_gap = np.linalg.norm(residual - theta_tilde[None, :], axis=1)
    residual_norm = np.linalg.norm(residual, axis=1)

    sv = None if support is None else _support_mask(support, X.shape[0])
    parts = _gradient_parts(X, y, w, b, sv)

    test_metrics = {}
    for name, pair in (tests or {}).items():
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"`tests[{name!r}]` must be a pair (X_test, y_test)")
        Xt, yt = _labelled(f"tests[{name!r}]", *pair)
        if Xt.shape[1] != d:
            raise ValueError(f"`tests[{name!r}]` X must have {d} columns, got {Xt.shape[1]}")
        test_metrics[name] = set_metrics(Xt, yt, w, b)

    return Measurements(
        t=frozen(t),
        w=frozen(w.copy()),
        b=frozen(b.copy()),
        w_norm=frozen(w_norm),
        distance=frozen(distance),
        angle=frozen(angle),
        residual=frozen(residual),
        residual_norm=frozen(residual_norm),
        tilde_gap=frozen(tilde_gap),
        train=set_metrics(X, y, w, b),
        test=MappingProxyType(test_metrics),
        grad_norm_w=frozen(parts["gw"]),
        grad_norm_b=frozen(parts["gb"]),
        nonsv_net_share_w=frozen(parts["net_w"]),
        nonsv_net_share_b=frozen(parts["net_b"]),
        nonsv_mass_share_w=frozen(parts["mass_w"]),
        nonsv_mass_share_b=frozen(parts["mass_b"]),
    )
