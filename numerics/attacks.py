"""Adversarial test accuracy of a linear classifier: l_inf PGD and the exact worst case.

Section 5 / Figure 1 of arXiv:2602.08302: the adversarial test set P_PGD is built by l_inf
projected gradient descent (Madry et al. 2018) on the test points, radius 1, step 1/4,
20 steps, clean or random start, clipped to the data range.

Two attacks are offered, and a comparison:

* `pgd_linf`: the iterative attack, implemented generically: at each step the gradient
  of the logistic loss l(y (w^T x + b)) with respect to x is evaluated (chain rule
  dl/dm * dm/dx, m the margin), the point moves by `step` times its sign, and is projected
  onto the l_inf ball around the clean point and clipped to the data box.
* `exact_linf_accuracy`: for a linear model and no clipping the worst case over the ball is
  attained at x - eps y sign(w), so a point survives iff y (w^T x + b) > eps ||w||_1.
* `compare_attacks`: both, and whether they agree on the points where clipping is inactive
  (the worst-case point x - eps y sign(w) lies inside the box).

Accuracy convention (as numerics.measure): a margin of exactly 0 counts as wrong.

Gradient underflow.  dl/dm = -sigma(-m) underflows to 0 in float64 for m > ~745; the sign
of a zero gradient is 0 and PGD on the logistic loss then leaves the point where it is,
although the loss is still (mathematically) increasing along -y sign(w).  Late in training
||w|| grows like log t / gamma, so this is not academic.  `pgd_linf` counts such points
(`n_zero_gradient`) and offers loss="margin" (gradient of -m, never zero for w != 0), whose
sign steps coincide with the logistic ones wherever the latter do not underflow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from numerics.validation import frozen

__all__ = [
    "PAPER_RADIUS",
    "PAPER_STEP",
    "PAPER_STEPS",
    "ROUNDOFF_MARGIN_FACTOR",
    "PGDResult",
    "ExactAttackResult",
    "AttackComparison",
    "data_box",
    "pgd_linf",
    "pgd_curve",
    "exact_linf_accuracy",
    "clipping_inactive",
    "compare_attacks",
]

PAPER_RADIUS = 1.0  # l_inf radius of the paper's attack (Section 5)
PAPER_STEP = 0.25  # PGD step size (Section 5)
PAPER_STEPS = 20  # PGD iterations (Section 5)

# A margin within ROUNDOFF_MARGIN_FACTOR * (d + 2) * eps64 * (|b| + sum_j |w_j| (|x_j| + r)) of the
# decision threshold is "ambiguous": two correct float64 evaluations of the perturbed margin
# (PGD's w^T x_adv + b versus the closed form m - r ||w||_1) may disagree on its sign.  The
# factor 4 covers the (d + 2)-term error bound of the two dot products and the subtraction.
ROUNDOFF_MARGIN_FACTOR = 4.0


@dataclass(frozen=True)
class PGDResult:
    """Outcome of an l_inf PGD attack on a linear classifier.

    Attributes:
        X_adv: (n, d) adversarial points (inside the ball and the box).
        margin: (n,) y (w^T x_adv + b).
        correct: (n,) bool, margin > 0.
        accuracy: fraction of correct adversarial points.
        clean_accuracy: fraction correct before the attack.
        n_zero_gradient: points whose loss gradient was exactly zero at the start of some
            step while w != 0 (underflow of sigma(-m)); such points were not moved then.
        radius, step, n_steps, start, seed, loss: the attack's parameters.
    """

    X_adv: np.ndarray
    margin: np.ndarray
    correct: np.ndarray
    accuracy: float
    clean_accuracy: float
    n_zero_gradient: int
    radius: float
    step: float
    n_steps: int
    start: str
    seed: int | None
    loss: str


@dataclass(frozen=True)
class ExactAttackResult:
    """Exact worst case of an l_inf attack on a linear model, without clipping.

    Attributes:
        margin: (n,) worst-case margin y (w^T x + b) - radius ||w||_1.
        correct: (n,) bool, margin > 0.
        accuracy: fraction correct.
        radius: the l_inf radius.
    """

    margin: np.ndarray
    correct: np.ndarray
    accuracy: float
    radius: float


@dataclass(frozen=True)
class AttackComparison:
    """PGD and the exact worst case side by side.

    Attributes:
        pgd: PGDResult.  exact: ExactAttackResult.
        inactive: (n,) bool, clipping inactive (x - radius y sign(w) inside the box).
        ambiguous: (n,) bool, exact worst-case margin within float64 roundoff of 0.
        disagree: (n,) bool, inactive, not ambiguous, and pgd.correct != exact.correct.
        agree: no point disagrees.
        pgd_accuracy, exact_accuracy: the two accuracies.
    """

    pgd: PGDResult
    exact: ExactAttackResult
    inactive: np.ndarray
    ambiguous: np.ndarray
    disagree: np.ndarray
    agree: bool
    pgd_accuracy: float
    exact_accuracy: float


# ---------------------------------------------------------------- validation


def _inputs(X, y, w, b):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"`X` must be a non-empty (n, d) array, got shape {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"`y` must have shape ({X.shape[0]},), got {y.shape}")
    if w.shape != (X.shape[1],):
        raise ValueError(f"`w` must have shape ({X.shape[1]},), got {w.shape}")
    for name, a in (("X", X), ("y", y), ("w", w)):
        if not np.all(np.isfinite(a)):
            raise ValueError(f"`{name}` must be finite")
    if not np.all((y == 1.0) | (y == -1.0)):
        raise ValueError("`y` must be exactly -1 or +1")
    b = float(b)
    if not np.isfinite(b):
        raise ValueError(f"`b` must be finite, got {b}")
    return X, y, w, b


def _radius(radius):
    radius = float(radius)
    if not (np.isfinite(radius) and radius >= 0.0):
        raise ValueError(f"`radius` must be finite and non-negative, got {radius}")
    return radius


def data_box(X, box="data"):
    """The clipping box (lo, hi), each (d,), of the paper's attack ("clipped to the data range").

    Args:
        X: (n, d) points.
        box: "data" for the per-feature min and max of X (of the points passed: when attacking
            a subset, pass the full data set's range explicitly); a positive number c for [-c, c]^d;
            a pair (lo, hi) of scalars or (d,) arrays; None for no clipping (+-inf).

    Returns:
        (lo, hi), two read-only (d,) float arrays.

    Raises:
        ValueError: bad box, lo > hi, or a point of X outside the box.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"`X` must be (n, d), got shape {X.shape}")
    d = X.shape[1]
    if box is None:
        lo, hi = np.full(d, -np.inf), np.full(d, np.inf)
    elif isinstance(box, str):
        if box != "data":
            raise ValueError(f"`box` must be 'data', a number, a pair (lo, hi) or None, got {box!r}")
        lo, hi = X.min(axis=0), X.max(axis=0)
    elif np.ndim(box) == 0:
        c = float(box)
        if not (np.isfinite(c) and c > 0.0):
            raise ValueError(f"`box` as a number must be positive and finite, got {c}")
        lo, hi = np.full(d, -c), np.full(d, c)
    else:
        if len(box) != 2:
            raise ValueError("`box` as a pair must be (lo, hi)")
        lo = np.broadcast_to(np.asarray(box[0], dtype=np.float64), (d,)).copy()
        hi = np.broadcast_to(np.asarray(box[1], dtype=np.float64), (d,)).copy()
    if np.any(np.isnan(lo)) or np.any(np.isnan(hi)) or np.any(lo > hi):
        raise ValueError("`box` must satisfy lo <= hi in every feature")
    if np.any(X < lo) or np.any(X > hi):
        raise ValueError("every point of `X` must lie inside `box`; widen the box or use box='data'")
    return frozen(lo), frozen(hi)


def _loss_input_gradient(X, y, w, b, loss):
    """Gradient of the per-point loss with respect to x, by the chain rule dl/dm * dm/dx.

    m = y (w^T x + b), dm/dx = y w.  logistic: l = log(1 + e^{-m}), dl/dm = -sigma(-m)
    (expit: no overflow; underflows to 0 for m > ~745).  margin: l = -m, dl/dm = -1.
    """
    m = y * (X @ w + b)
    dl_dm = -expit(-m) if loss == "logistic" else -np.ones_like(m)
    return (dl_dm * y)[:, None] * w[None, :]


def pgd_linf(
    X,
    y,
    w,
    b,
    *,
    radius: float = PAPER_RADIUS,
    step: float = PAPER_STEP,
    n_steps: int = PAPER_STEPS,
    start: str = "clean",
    seed: int | None = None,
    box="data",
    loss: str = "logistic",
) -> PGDResult:
    """l_inf projected gradient ascent on the loss (Madry et al.; Section 5 of arXiv:2602.08302).

    ``x^{k+1} = clip_box( clip_[x - r, x + r]( x^k + step * sign(grad_x l(y (w^T x^k + b))) ) )``,
    ``x^0 = x`` (clean) or ``x + U[-r, r]^d`` clipped to the box (random).

    Args:
        X: (n, d) test points.  y: (n,) labels in {-1, +1}.
        w: (d,) weights.  b: scalar bias.
        radius: l_inf radius r >= 0 (paper: 1).  step: step size > 0 (paper: 1/4).
        n_steps: iterations >= 0 (paper: 20).
        start: "clean" or "random".
        seed: integer seed of the random start (required for start="random").
        box: clipping box, see data_box (default: per-feature range of X).
        loss: "logistic" (the paper's loss) or "margin" (see module docstring).

    Returns:
        PGDResult.

    Raises:
        ValueError: invalid arguments (named), points outside the box.
    """
    X, y, w, b = _inputs(X, y, w, b)
    radius = _radius(radius)
    step = float(step)
    if not (np.isfinite(step) and step > 0.0):
        raise ValueError(f"`step` must be positive and finite, got {step}")
    if int(n_steps) != n_steps or n_steps < 0:
        raise ValueError(f"`n_steps` must be a non-negative integer, got {n_steps}")
    if start not in ("clean", "random"):
        raise ValueError(f"`start` must be 'clean' or 'random', got {start!r}")
    if start == "random" and (seed is None or int(seed) != seed):
        raise ValueError("`seed` must be an integer for start='random' (reproducible random start)")
    if loss not in ("logistic", "margin"):
        raise ValueError(f"`loss` must be 'logistic' or 'margin', got {loss!r}")
    lo_box, hi_box = data_box(X, box)
    lo = np.maximum(X - radius, lo_box)  # intersection of the ball and the box, per coordinate
    hi = np.minimum(X + radius, hi_box)

    x_adv = X.copy()
    if start == "random":
        rng = np.random.default_rng(int(seed))
        x_adv = np.clip(X + rng.uniform(-radius, radius, size=X.shape), lo, hi)
    stalled = np.zeros(X.shape[0], dtype=bool)
    for _ in range(int(n_steps)):
        grad = _loss_input_gradient(x_adv, y, w, b, loss)
        if np.any(w != 0.0):
            stalled |= ~np.any(grad != 0.0, axis=1)
        x_adv = np.clip(x_adv + step * np.sign(grad), lo, hi)

    margin = y * (x_adv @ w + b)
    clean = y * (X @ w + b)
    correct = margin > 0.0
    return PGDResult(
        X_adv=frozen(x_adv),
        margin=frozen(margin),
        correct=frozen(correct),
        accuracy=float(np.mean(correct)),
        clean_accuracy=float(np.mean(clean > 0.0)),
        n_zero_gradient=int(np.count_nonzero(stalled)),
        radius=radius,
        step=step,
        n_steps=int(n_steps),
        start=start,
        seed=None if seed is None else int(seed),
        loss=loss,
    )


def exact_linf_accuracy(X, y, w, b, *, radius: float = PAPER_RADIUS) -> ExactAttackResult:
    """Exact l_inf worst case for a linear model without clipping.

    min_{||delta||_inf <= r} y (w^T (x + delta) + b) = y (w^T x + b) - r ||w||_1,
    attained at delta = -r y sign(w); the point survives iff this is > 0.

    Args:
        X: (n, d) points.  y: (n,) labels in {-1, +1}.  w: (d,).  b: scalar.
        radius: l_inf radius r >= 0.

    Returns:
        ExactAttackResult.

    Raises:
        ValueError: invalid arguments.
    """
    X, y, w, b = _inputs(X, y, w, b)
    radius = _radius(radius)
    margin = y * (X @ w + b) - radius * np.sum(np.abs(w))
    correct = margin > 0.0
    return ExactAttackResult(frozen(margin), frozen(correct), float(np.mean(correct)), radius)


def clipping_inactive(X, y, w, *, radius: float = PAPER_RADIUS, box="data") -> np.ndarray:
    """Points whose exact worst-case perturbation x - r y sign(w) stays inside the box.

    Args:
        X: (n, d) points.  y: (n,) labels.  w: (d,).  radius: r >= 0.
        box: see data_box (default: per-feature range of X).

    Returns:
        (n,) read-only bool mask.

    Raises:
        ValueError: invalid arguments.
    """
    X, y, w, _ = _inputs(X, y, w, 0.0)
    radius = _radius(radius)
    lo, hi = data_box(X, box)
    corner = X - radius * y[:, None] * np.sign(w)[None, :]
    return frozen(np.all((corner >= lo) & (corner <= hi), axis=1))


def pgd_curve(X, y, w_rows, b_rows, *, loss: str = "logistic") -> list:
    """Section 5's attack (radius 1, step 1/4, 20 steps, clean start, clipped to the test set's box) at each model.

    Args:
        X: (n, d) test points.  y: (n,) labels.  w_rows: (K, d) weights.  b_rows: (K,) biases.
        loss: as :func:`pgd_linf`: "logistic" follows the paper's loss (its gradient underflows on
            margins > ~745, which stalls the attack there: ``n_zero_gradient`` counts it), "margin"
            takes the same sign steps wherever that gradient does not underflow and keeps moving
            where it does.

    Returns:
        list of K :class:`PGDResult`.
    """
    box = data_box(np.asarray(X, dtype=np.float64), "data")
    return [pgd_linf(X, y, w_rows[k], b_rows[k], radius=PAPER_RADIUS, step=PAPER_STEP, n_steps=PAPER_STEPS,
                     start="clean", box=box, loss=loss) for k in range(len(b_rows))]


def compare_attacks(
    X,
    y,
    w,
    b,
    *,
    radius: float = PAPER_RADIUS,
    step: float = PAPER_STEP,
    n_steps: int = PAPER_STEPS,
    start: str = "clean",
    seed: int | None = None,
    box="data",
    loss: str = "logistic",
) -> AttackComparison:
    """Run PGD and the exact attack; check they agree wherever clipping is inactive.

    PGD with n_steps * step >= 2 r reaches the corner x - r y sign(w) of the ball from any
    start, so where that corner lies in the box and the gradient does not underflow the two
    verdicts must coincide, except for margins within roundoff of 0 (`ambiguous`, see
    ROUNDOFF_MARGIN_FACTOR).

    Args: as pgd_linf.

    Returns:
        AttackComparison.

    Raises:
        ValueError: invalid arguments.
    """
    pgd = pgd_linf(X, y, w, b, radius=radius, step=step, n_steps=n_steps, start=start,
                   seed=seed, box=box, loss=loss)
    exact = exact_linf_accuracy(X, y, w, b, radius=radius)
    X, y, w, b = _inputs(X, y, w, b)
    inactive = clipping_inactive(X, y, w, radius=radius, box=box)
    eps64 = float(np.finfo(np.float64).eps)
    scale = abs(b) + np.abs(X) @ np.abs(w) + radius * np.sum(np.abs(w))
    ambiguous = np.abs(exact.margin) <= ROUNDOFF_MARGIN_FACTOR * (X.shape[1] + 2) * eps64 * scale
    disagree = inactive & ~ambiguous & (pgd.correct != exact.correct)
    return AttackComparison(
        pgd=pgd,
        exact=exact,
        inactive=inactive,
        ambiguous=frozen(ambiguous),
        disagree=frozen(disagree),
        agree=not bool(np.any(disagree)),
        pgd_accuracy=pgd.accuracy,
        exact_accuracy=exact.accuracy,
    )
