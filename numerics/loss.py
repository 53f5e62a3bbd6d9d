"""The logistic loss of eq. (3) of arXiv:2602.08302, its gradient (eqs. (4)-(5)) and Hessian.

The model is ``y_hat = w^T x + b``; the margin of point i is ``m_i = y_i (w^T x_i + b)``; the
loss is a SUM over the N points (eq. (3); Appendix B),

    L(w, b) = sum_i l(m_i),   l(m) = log(1 + exp(-m)),

with gradient (the closed form behind eqs. (4)-(5))

    grad_w L = -sum_i y_i sigma(-m_i) x_i,   grad_b L = -sum_i y_i sigma(-m_i),

where ``sigma(u) = 1 / (1 + exp(-u))``. ``reduction="mean"`` divides all three by N.

Every primitive is stable at any finite margin, |m| up to 1.8e308: no overflow, no NaN, no
warning. Underflow (``exp(-m)`` below 2^-1074 for m > 745.13) is the correct float64 answer and
is silenced locally; over/invalid/divide are never triggered. These functions are the
measurement reference (NumPy's exp); the GD engine uses its own deterministic exp
(``numerics.engine_kernels``) and is compared with them in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "Gradient",
    "margins",
    "log1pexp_neg",
    "sigmoid_neg",
    "logistic_loss",
    "logistic_grad",
    "accuracy",
    "hessian",
    "sharpness",
    "check_reduction",
    "check_data",
]

REDUCTIONS = ("sum", "mean")


def check_reduction(reduction: str) -> str:
    """Return ``reduction`` if it is "sum" or "mean", else raise ``ValueError``."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"`reduction` must be 'sum' (the paper's eq. (3)) or 'mean', got {reduction!r}")
    return reduction


def check_data(X, y) -> tuple[np.ndarray, np.ndarray]:
    """Validate a data set: X (N, d) finite float64, y (N,) with entries exactly -1 or +1.

    Returns:
        ``(X, y)`` as float64 arrays (copies only if needed).

    Raises:
        ValueError: wrong shapes, N = 0, d = 0, non-finite X, or labels other than +-1.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"`X` must be a 2-D array (N, d) with N, d >= 1, got shape {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"`y` must have shape (N,) = ({X.shape[0]},), got {y.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("`X` must be finite; remove or fix the NaN/inf rows")
    if not np.all((y == 1.0) | (y == -1.0)):
        raise ValueError("`y` must hold labels -1 or +1 only (eq. (3) of arXiv:2602.08302)")
    return X, y


def _params(w, b, d: int) -> tuple[np.ndarray, float]:
    w = np.asarray(w, dtype=np.float64)
    if w.shape != (d,):
        raise ValueError(f"`w` must have shape (d,) = ({d},), got {w.shape}")
    b = float(b)
    if not (np.all(np.isfinite(w)) and np.isfinite(b)):
        raise ValueError("`w` and `b` must be finite")
    return w, b


def margins(w, b, X, y) -> np.ndarray:
    """Margins ``m_i = y_i (w^T x_i + b)`` (the argument of l in eq. (3)).

    Args:
        w: weights (d,); b: bias (scalar); X: inputs (N, d); y: labels (N,) in {-1, +1}.

    Returns:
        float64 array (N,). Overflows to +-inf only if |w^T x_i| exceeds 1.8e308.
    """
    X, y = check_data(X, y)
    w, b = _params(w, b, X.shape[1])
    with np.errstate(over="ignore"):  # a margin beyond the float range is +-inf, as IEEE says
        return y * (X @ w + b)


def log1pexp_neg(m) -> np.ndarray:
    """``l(m) = log(1 + exp(-m))``, stable for every float m (eq. (3) of arXiv:2602.08302).

    Formula: ``max(-m, 0) + log1p(exp(-|m|))``: the exponent is never positive, so nothing
    overflows; for m -> -inf it returns -m exactly, for m > 745.13 it returns 0 (the exact
    value is below the smallest subnormal).

    Args:
        m: margins, any shape, float64.

    Returns:
        float64 array of the same shape, >= 0.
    """
    m = np.asarray(m, dtype=np.float64)
    with np.errstate(under="ignore"):  # exp(-|m|) underflowing to 0 is the exact float answer
        return np.maximum(-m, 0.0) + np.log1p(np.exp(-np.abs(m)))


def sigmoid_neg(m) -> np.ndarray:
    """``sigma(-m) = 1 / (1 + exp(m))``, stable for every float m; the weight of point i in eq. (4).

    Formula: with ``e = exp(-|m|)`` (never overflows), ``sigma(-m) = e / (1 + e)`` for m >= 0
    and ``1 / (1 + e)`` for m < 0.

    Args:
        m: margins, any shape.

    Returns:
        float64 array in [0, 1]; exactly 0 for m > 745.13 (exp(-m) rounds to 0).
    """
    m = np.asarray(m, dtype=np.float64)
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(m))
    return np.where(m >= 0.0, e, 1.0) / (1.0 + e)


def _scale(reduction: str, n: int) -> float:
    return 1.0 if check_reduction(reduction) == "sum" else 1.0 / n


def logistic_loss(w, b, X, y, reduction: str = "sum") -> float:
    """The loss of eq. (3): ``L(w, b) = sum_i log(1 + exp(-y_i (w^T x_i + b)))``.

    Args:
        w: (d,) weights; b: scalar bias; X: (N, d); y: (N,) labels in {-1, +1}.
        reduction: "sum" (the paper's eq. (3), default) or "mean" (divided by N).

    Returns:
        The loss (float, nats). +inf (without a warning) only if the exact sum exceeds the
        float64 range, which needs margins below -1e308.

    Raises:
        ValueError: bad shapes, labels, non-finite input, or unknown reduction.
    """
    X, y = check_data(X, y)
    check_reduction(reduction)
    terms = log1pexp_neg(margins(w, b, X, y))
    with np.errstate(over="ignore"):  # only a sum beyond 1.8e308 overflows; +inf is then correct
        total = float(np.sum(terms))
        if reduction == "mean":
            total = total / X.shape[0] if np.isfinite(total) else float(np.sum(terms / X.shape[0]))
    return total


@dataclass(frozen=True)
class Gradient:
    """Gradient of the logistic loss: ``w`` (d,) = grad_w L, ``b`` = dL/db (eqs. (4)-(5))."""

    w: np.ndarray
    b: float


def logistic_grad(w, b, X, y, reduction: str = "sum") -> Gradient:
    """Gradient of eq. (3): ``grad_w L = -sum_i y_i sigma(-m_i) x_i``, ``dL/db = -sum_i y_i sigma(-m_i)``.

    These are the update directions of GD, eqs. (4)-(5) of arXiv:2602.08302
    (``w <- w - eta grad_w L``, ``b <- b - eta dL/db``).

    Args:
        w: (d,) weights; b: bias; X: (N, d) inputs; y: (N,) labels in {-1, +1}.
        reduction: "sum" (paper) or "mean" (divided by N).

    Returns:
        :class:`Gradient` with ``w`` (d,) and ``b`` (float); always finite for finite data
        (|sigma| <= 1).
    """
    X, y = check_data(X, y)
    scale = _scale(reduction, X.shape[0])
    coef = y * sigmoid_neg(margins(w, b, X, y))
    gw = -(X.T @ coef) * scale
    gb = -float(np.sum(coef)) * scale
    gw.setflags(write=False)
    return Gradient(w=gw, b=gb)


def accuracy(w, b, X, y) -> float:
    """Fraction of points classified correctly, ``mean(m_i > 0)``: P(t) or Q(t) of Section 3.

    A point exactly on the decision boundary (m_i = 0, e.g. every point at w = 0, b = 0)
    counts as misclassified.

    Returns:
        float in [0, 1].
    """
    return float(np.mean(margins(w, b, X, y) > 0.0))


def hessian(w, b, X, y, reduction: str = "sum") -> np.ndarray:
    """Hessian of eq. (3) in theta = (w, b): ``H = sum_i sigma(m_i) sigma(-m_i) z_i z_i^T``, z_i = (x_i, 1).

    Args:
        w, b, X, y: as in :func:`logistic_loss`; reduction: "sum" or "mean".

    Returns:
        float64 array (d+1, d+1), symmetric positive semi-definite; index d is the bias.
    """
    X, y = check_data(X, y)
    scale = _scale(reduction, X.shape[0])
    m = margins(w, b, X, y)
    curv = sigmoid_neg(m) * sigmoid_neg(-m)  # sigma(m) sigma(-m) = l''(m), never cancels
    Z = np.hstack([X, np.ones((X.shape[0], 1))])
    H = (Z * curv[:, None]).T @ Z * scale
    return 0.5 * (H + H.T)


def sharpness(w, b, X, y, reduction: str = "sum") -> float:
    """Largest Hessian eigenvalue lambda_max of eq. (3) at (w, b); GD is linearly stable iff eta lambda_max < 2.

    At w = 0, b = 0 it is ``lambda_max(Z^T Z) / 4`` (sum) or that over N (mean).

    Returns:
        float >= 0 (units: 1 / eta).
    """
    return float(np.linalg.eigvalsh(hessian(w, b, X, y, reduction))[-1])
