"""Implicit-bias geometry of a separable data set: the max-margin problems eq. (7) and eq. (9).

eq. (7) of arXiv:2602.08302, the augmented hard-margin problem (Theorem 4.1):

    min ||w||^2 + b^2   s.t.  y_i (w^T x_i + b) >= 1,

i.e. min ||theta||^2 s.t. z_i^T theta >= 1 with theta = (w, b), z_i = y_i (x_i, 1).

eq. (9), the SVM with an unpenalised bias (Assumption 3.1, Theorem 4.3):

    min ||w||^2   s.t.  y_i (w^T x_i + b) >= 1.

Eliminating b, (9) is min ||w||^2 s.t. w^T (x_i - x_j) >= 2 for every pair i in S+, j in S-
(a feasible b exists iff min_{+} w^T x - max_{-} w^T x >= 2), whose objective is strictly
convex. Both are then least-distance QPs min (1/2)||x||^2 s.t. n_k^T x >= c_k, solved by the
Goldfarb-Idnani dual active-set method (Math. Programming 27, 1983) with G = I: finite,
keeps a linearly independent working set, so the massive degeneracy of planted data (hundreds of
points exactly on the margin in d = 2) never makes the working-set system singular; the pair
constraints of (9) are generated on the fly (most violated pair = argmin_+ w^T x, argmax_- w^T x).
The working set is held as a thin QR (Gram-Schmidt appends, Givens deletes); the final working set
is refactorised from scratch.

Dual variables follow the paper's Assumption 3.2: w = sum_i alpha_i y_i x_i (and b = sum_i
alpha_i y_i for eq. (7)), alpha >= 0; they are the multipliers of the (1/2)||.||^2 Lagrangian.
With more support vectors than d + 1 they are not unique; the solver returns a basic one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
from scipy.optimize import linprog, nnls

from theory.validation import dataset, positive_scalar

__all__ = [
    "QP_KKT_TOL",
    "QP_FLOOR_FACTOR",
    "SUPPORT_TOL",
    "B_S_ZERO_TOL",
    "NotSeparableError",
    "MaxMarginSolution",
    "PaperAssumptions",
    "augmented_max_margin",
    "svm_with_bias",
    "check_separable",
    "paper_assumptions",
]

# Target for every KKT residual of both QPs (dimensionless: constraint values are 1 at the margin).
QP_KKT_TOL = 1e-10
# A constraint enters the working set when violated by more than this (relative to its right-hand
# side) plus its own rounding floor; two decades below QP_KKT_TOL so the final iterate meets it.
QP_ADD_TOL = 1e-12
# ... plus a rounding floor QP_ROUNDING_FACTOR ||n_k|| ||x|| on the computed value n_k^T x: a dot
# product of length m is accurate to m eps ||n_k|| ||x|| in the worst case, ~sqrt(m) eps in practice,
# so 32 eps covers m <= 32 surely and far longer products in practice.
QP_ROUNDING_FACTOR = 32 * np.finfo(float).eps
# A KKT residual is certified when it is below QP_KKT_TOL *beyond its own rounding floor*: the
# constraint value z_i^T theta is computed from products z_ij theta_j that can be far larger than the
# value 1 (data far from the origin, small margins), so it carries an absolute rounding error of up
# to (d + 1) u sum_j |z_ij theta_j| however accurate theta is. QP_FLOOR_FACTOR times that sum (at
# least 64 u, at least (d + 3) u) is the floor; a residual above it is a genuine inaccuracy (e.g. a
# working set ill-conditioned by badly scaled columns), one below it is rounding. Comparing the bare
# residual with QP_KKT_TOL instead would let the status flip between machines whenever the floor is
# near the tolerance.
QP_FLOOR_FACTOR = 32 * np.finfo(float).eps
# A new constraint normal whose component outside the span of the working set is below this
# fraction of its norm is treated as linearly dependent (GI "z = 0" branch); 1e-10 keeps the
# working-set triangular factor's condition number below ~1e10.
QP_DEPENDENCE_TOL = 1e-10
# Support vectors: |y_i (w^T x_i + b) - 1| <= SUPPORT_TOL plus the slack's rounding floor. Ten times QP_KKT_TOL, so every point on
# the margin of an accurate solution is caught, and far below any genuine gap between the margin
# and the population in the paper's planted data (gaps of order gamma * ||w|| = O(1)).
SUPPORT_TOL = 1e-9
# Assumption 3.1 (b_s = 0) is declared to hold when |b_s| <= B_S_ZERO_TOL: b_s is a difference of
# values w^T x of size ||w|| R, each rounded to ~eps ||w|| R (~1e-12 for gamma = 1e-3, R = 7).
B_S_ZERO_TOL = 1e-9


class NotSeparableError(ValueError):
    """The data admit no (w, b) with y_i (w^T x_i + b) >= 1: eq. (7) and eq. (9) have no solution."""


@dataclass(frozen=True)
class MaxMarginSolution:
    """Solution of eq. (7) or eq. (9) of arXiv:2602.08302 with its certificate of optimality."""

    problem: str  # "eq7" (augmented, ||w||^2 + b^2) or "eq9" (unpenalised bias)
    w_hat: np.ndarray  # (d,), units 1/x
    b_hat: float  # logit units
    margin: float  # 1 / ||w_hat|| (inf if w_hat = 0): half the width of the margin band, units of x
    support: np.ndarray  # indices i with |y_i (w^T x_i + b) - 1| <= support_tol + that slack's rounding floor (QP_FLOOR_FACTOR)
    support_tol: float
    alphas: np.ndarray  # (n,), >= 0, w_hat = sum alpha_i y_i x_i; zero off the basic working set
    primal_infeasibility: float  # max_i max(0, 1 - y_i (w^T x_i + b))
    stationarity: float  # ||w - sum alpha y x|| (+ |b - sum alpha y| for eq7, |sum alpha y| / sum alpha for eq9), relative to ||(w, b)||
    complementarity: float  # sum_i alpha_i |y_i (w^T x_i + b) - 1| / sum_i alpha_i
    dual_infeasibility: float  # max(0, -min alpha) / max alpha: 0 (alphas are clipped at 0), inf if all alphas are 0
    kkt_excess: float  # largest KKT residual beyond its rounding floor (see QP_FLOOR_FACTOR); inf if nothing is certified
    iterations: int  # working-set changes (adds + drops) of the Goldfarb-Idnani method
    status: str  # "optimal" when converged and kkt_excess <= QP_KKT_TOL, else "inaccurate"
    message: str


@dataclass(frozen=True)
class PaperAssumptions:
    """Numerical check of Assumptions 3.1-3.3 and Theorem 4.3 of arXiv:2602.08302."""

    b_s: float  # bias of eq. (9)
    b_s_is_zero: bool  # |b_s| <= b_zero_tol (Assumption 3.1)
    b_zero_tol: float
    gamma: float  # 2 / ||w_s||: margin width of eq. (9), units of x
    w_star: np.ndarray  # w_s / ||w_s||, the unit separator of Assumption 3.1
    span_residual: float  # min_{alpha >= 0} ||w_s - sum_{S} alpha y x|| / ||w_s|| by NNLS (Assumption 3.2)
    support_spans_data: bool  # rank{z_s : s in S} == rank{z_i} (precondition of Theorem 4.2, eq. 7 support)
    R: float  # max_i ||x_i|| (Assumption 3.3 needs ||x_i|| < R: any R above this value)
    theorem_4_3_gap: float  # ||(w7, b7) - (w9, b9)|| / ||(w9, b9)||; ~0 whenever b_s = 0
    eq7: MaxMarginSolution
    eq9: MaxMarginSolution


def check_separable(X, y) -> None:
    """Raise :class:`NotSeparableError` unless some (w, b) has y_i (w^T x_i + b) >= 1 for all i (LP, HiGHS)."""
    X, y = dataset(X, y)
    n, d = X.shape
    A_ub = -y[:, None] * np.hstack([X, np.ones((n, 1))])
    res = linprog(np.zeros(d + 1), A_ub=A_ub, b_ub=-np.ones(n), bounds=[(None, None)] * (d + 1), method="highs")
    if res.status == 2:
        raise NotSeparableError(
            "the data are not linearly separable: no (w, b) satisfies y_i (w^T x_i + b) >= 1 (LP infeasible), "
            "so the max-margin problems eq. (7) and eq. (9) have no solution; remove or relabel the points "
            "that overlap the other class (e.g. duplicates with both labels), or enlarge the margin gamma"
        )
    if res.status != 0:
        raise RuntimeError(f"separability LP failed: {res.message}")


@dataclass(frozen=True)
class _GIResult:
    x: np.ndarray  # final iterate
    keys: list  # working set (constraint keys)
    u: np.ndarray  # multipliers on the working set, x = sum u_k n_k
    iterations: int  # adds + drops
    converged: bool


def _goldfarb_idnani(dim, most_violated, normal, rhs, max_iter):
    """min (1/2)||x||^2 s.t. normal(k)^T x >= rhs(k) for keys k, by Goldfarb-Idnani with G = I.

    ``most_violated(x)`` returns a key whose constraint is violated beyond tolerance, or None.
    The working-set normals N = Q1 R are kept as a thin QR: columns are appended by Gram-Schmidt
    with one reorthogonalisation (CGS2, orthogonal to working precision) and deleted with scipy's
    Givens ``qr_delete``. Returns the final iterate, the working set (keys) and its multipliers
    u >= 0 (x = N u).
    """
    x = np.zeros(dim)
    keys: list = []
    u = np.zeros(0)
    Q1, R = np.zeros((dim, 0)), np.zeros((0, 0))
    it = 0
    while it < max_iter:
        p = most_violated(x)
        if p is None:
            return _GIResult(x, keys, u, it, True)
        n_p, c_p = normal(p), rhs(p)
        s_p = float(n_p @ x - c_p)
        u_plus = np.append(u, 0.0)
        while it < max_iter:
            q = len(keys)
            z, dvec = n_p.copy(), np.zeros(q)
            for _ in range(2):  # Gram-Schmidt twice (CGS2): z orthogonal to the working set to rounding
                proj = Q1.T @ z
                z -= Q1 @ proj
                dvec += proj
            znorm = float(np.linalg.norm(z))
            r = sla.solve_triangular(R, dvec) if q else np.zeros(0)
            pos = r > 0
            ratios = np.full(q, np.inf)  # step at which working-set multiplier j reaches zero
            ratios[pos] = u_plus[:q][pos] / r[pos]
            t1 = float(ratios.min(initial=np.inf))
            dependent = znorm <= QP_DEPENDENCE_TOL * float(np.linalg.norm(n_p))
            t2 = np.inf if dependent else -s_p / znorm**2
            if not np.isfinite(t1) and not np.isfinite(t2):
                raise NotSeparableError(
                    "the constraints y_i (w^T x_i + b) >= 1 are inconsistent (Goldfarb-Idnani found no "
                    "feasible step): the data are not linearly separable; remove overlapping points"
                )
            t = min(t1, t2)
            u_plus[:q] -= t * r
            u_plus[q] += t
            it += 1
            if t2 <= t1:  # full step: p joins the working set
                keys.append(p)
                Q1 = np.column_stack([Q1, z / znorm])
                R = np.block([[R, dvec[:, None]], [np.zeros((1, q)), np.array([[znorm]])]])
                c_A = np.array([rhs(k) for k in keys])
                x = Q1 @ sla.solve_triangular(R, c_A, trans="T")  # exact optimum on the working set
                u = np.maximum(u_plus, 0.0)
                break
            l = int(np.argmin(ratios))  # the blocking constraint (t1 < t2, so t1 is finite)
            if not dependent:
                x = x + t * z  # partial step; constraint l leaves, p is retried
            s_p = float(n_p @ x - c_p)
            u_plus = np.maximum(np.delete(u_plus, l), 0.0)  # the blocking multiplier is 0 up to rounding
            del keys[l]
            Q1, R = sla.qr_delete(Q1, R, l, 1, which="col")
            Q1, R = Q1[:, : q - 1], R[: q - 1, :]  # a square Q1 comes back in full form
    return _GIResult(x, keys, u, it, False)


def _refine(x, keys, normal, rhs):
    """Recompute the working-set optimum and its multipliers from a fresh QR (drift removal)."""
    if not keys:
        return x, np.zeros(0)
    N = np.column_stack([normal(k) for k in keys])
    c = np.array([rhs(k) for k in keys])
    Qf, Rf = np.linalg.qr(N)
    yv = sla.solve_triangular(Rf, c, trans="T")
    u = sla.solve_triangular(Rf, yv)
    return Qf @ yv, u


def _violation_oracle(Z):
    """Most violated row k of Z theta >= 1, by distance (Z_k theta - 1) / ||Z_k||; None if none is."""
    norms = np.linalg.norm(Z, axis=1)

    def most_violated(theta):
        s = Z @ theta - 1.0
        floor = QP_ADD_TOL + QP_ROUNDING_FACTOR * norms * np.linalg.norm(theta)
        violated = np.flatnonzero(s < -floor)
        if violated.size == 0:
            return None
        return int(violated[np.argmin(s[violated] / norms[violated])])

    return most_violated


def _iteration_cap(max_iter, n, d):
    """``max_iter``, else the default cap 20 (n + d + 1) on working-set changes (a safety net)."""
    return max_iter if max_iter is not None else 20 * (n + d + 1)


def _inverse(v: float) -> float:
    """1 / v with 1 / 0 = inf (eq. (7) on one-class data: w = 0, the bias alone separates)."""
    return 1.0 / v if v > 0.0 else float("inf")


def _kkt_floors(problem, X, w, b, alphas):
    """Rounding floors of the primal slacks (per row), of the stationarity and of the complementarity.

    The slack y_i (w^T x_i + b) - 1 is a sum of d + 1 products; the stationarity sums |alpha_i x_i|
    (and, for eq. (7), alpha_i for the bias; for eq. (9), |sum alpha y| / sum alpha is relative to
    sum alpha); see QP_FLOOR_FACTOR.
    """
    factor = max(QP_FLOOR_FACTOR, (X.shape[1] + 3) * np.finfo(float).eps)
    absX = np.abs(X)
    slack_floor = factor * (absX @ np.abs(w) + abs(b))
    asum = float(alphas.sum())
    if problem == "eq7":
        scale = float(np.hypot(np.linalg.norm(w), b))
        terms = np.append(absX.T @ alphas + np.abs(w), asum + abs(b))
        stat_floor = factor * float(np.linalg.norm(terms)) / scale if scale > 0 else 0.0
    else:
        scale = float(np.linalg.norm(w))
        stat_floor = factor * (float(np.linalg.norm(absX.T @ alphas + np.abs(w))) / scale + 1.0) if scale > 0 else 0.0
    comp_floor = float(alphas @ slack_floor) / asum if asum > 0 else 0.0
    return slack_floor, stat_floor, comp_floor


def _solution(problem, X, y, w, b, alphas, iterations, converged, support_tol):
    margins = y * (X @ w + b)
    slack = margins - 1.0
    asum = float(alphas.sum())
    theta_norm = float(np.hypot(np.linalg.norm(w), b)) if problem == "eq7" else float(np.linalg.norm(w))
    stat = float(np.linalg.norm(w - X.T @ (alphas * y)))
    if problem == "eq7":
        stat = float(np.hypot(stat, b - float(alphas @ y))) / theta_norm
    else:
        # all-zero multipliers (e.g. stopped after a few iterations) certify nothing: infinite residuals
        stat = stat / theta_norm + (abs(float(alphas @ y)) / asum if asum > 0 else float("inf"))
    primal = float(max(0.0, -slack.min()))
    comp = float(alphas @ np.abs(slack)) / asum if asum > 0 else float("inf")
    # alphas are clipped at zero by both solvers: dual feasible by construction (inf: nothing certified)
    dual = 0.0 if asum > 0 else float("inf")
    slack_floor, stat_floor, comp_floor = _kkt_floors(problem, X, w, b, alphas)
    beyond = max(
        float(np.max(np.maximum(0.0, -slack) - slack_floor, initial=0.0)),
        stat - stat_floor,
        comp - comp_floor,
        dual,
    )
    ok = converged and beyond <= QP_KKT_TOL
    status = "optimal" if ok else "inaccurate"
    message = (
        f"{problem}: primal {primal:.2e}, stationarity {stat:.2e}, complementarity {comp:.2e} "
        f"({max(beyond, 0.0):.1e} beyond their rounding floors) "
        f"after {iterations} working-set changes" + ("" if converged else " (iteration limit reached)")
    )
    return MaxMarginSolution(
        problem=problem, w_hat=w, b_hat=float(b), margin=_inverse(float(np.linalg.norm(w))),
        support=np.flatnonzero(np.abs(slack) <= support_tol + slack_floor), support_tol=support_tol, alphas=alphas,
        primal_infeasibility=primal, stationarity=stat, complementarity=comp, dual_infeasibility=dual,
        kkt_excess=float(beyond), iterations=int(iterations), status=status, message=message,
    )


def augmented_max_margin(X, y, *, support_tol: float = SUPPORT_TOL, max_iter: int | None = None) -> MaxMarginSolution:
    """Solve eq. (7) of arXiv:2602.08302: min ||w||^2 + b^2 s.t. y_i (w^T x_i + b) >= 1.

    Goldfarb-Idnani dual active set on theta = (w, b), constraints z_i^T theta >= 1 with
    z_i = y_i (x_i, 1); the final working set is refactorised and the KKT residuals measured.

    Args:
        X: (n, d) inputs (units of x), finite.
        y: (n,) labels in {-1, +1}.
        support_tol: tolerance on |y_i (w^T x_i + b) - 1| defining the support set.
        max_iter: cap on working-set changes (default 20 (n + d + 1)).

    Returns:
        :class:`MaxMarginSolution` (problem "eq7"); ``alphas`` satisfy w = sum alpha y x and
        b = sum alpha y.

    Raises:
        ValueError: invalid input. NotSeparableError: the data are not linearly separable.
    """
    X, y = dataset(X, y)
    support_tol = positive_scalar("support_tol", support_tol)
    check_separable(X, y)
    n, d = X.shape
    Z = y[:, None] * np.hstack([X, np.ones((n, 1))])
    res = _goldfarb_idnani(d + 1, _violation_oracle(Z), lambda k: Z[k], lambda k: 1.0, _iteration_cap(max_iter, n, d))
    theta, u = _refine(res.x, res.keys, lambda k: Z[k], lambda k: 1.0)
    alphas = np.zeros(n)
    alphas[np.array(res.keys, dtype=int)] = np.maximum(u, 0.0)
    return _solution("eq7", X, y, theta[:d], float(theta[d]), alphas, res.iterations, res.converged, support_tol)


def svm_with_bias(X, y, *, support_tol: float = SUPPORT_TOL, max_iter: int | None = None) -> MaxMarginSolution:
    """Solve eq. (9) of arXiv:2602.08302: min ||w||^2 s.t. y_i (w^T x_i + b) >= 1, b free.

    Goldfarb-Idnani on w with the pair constraints w^T (x_i - x_j) >= 2 (i in S+, j in S-),
    generated on the fly; then b = -(min_+ w^T x + max_- w^T x) / 2 and per-point multipliers
    alpha_i = sum of the multipliers of the pairs containing i (so sum_i alpha_i y_i = 0 exactly).

    Args/Returns/Raises: as :func:`augmented_max_margin` (problem "eq9"); both classes must occur.
    """
    X, y = dataset(X, y)
    support_tol = positive_scalar("support_tol", support_tol)
    if not (np.any(y > 0) and np.any(y < 0)):
        raise ValueError("`y` must contain both classes for eq. (9): with one class b is unbounded and w = 0")
    check_separable(X, y)
    n, d = X.shape
    positive = y > 0
    ip, im = np.flatnonzero(positive), np.flatnonzero(~positive)
    Xp, Xm = X[ip], X[im]

    def most_violated(w):
        vp, vm = Xp @ w, Xm @ w
        a, b_ = int(np.argmin(vp)), int(np.argmax(vm))
        s = vp[a] - vm[b_] - 2.0
        nrm = np.linalg.norm(Xp[a] - Xm[b_])
        floor = 2.0 * QP_ADD_TOL + QP_ROUNDING_FACTOR * nrm * np.linalg.norm(w)
        return (a, b_) if s < -floor else None

    normal = lambda k: Xp[k[0]] - Xm[k[1]]  # noqa: E731
    res = _goldfarb_idnani(d, most_violated, normal, lambda k: 2.0, _iteration_cap(max_iter, n, d))
    w, u = _refine(res.x, res.keys, normal, lambda k: 2.0)
    u = np.maximum(u, 0.0)
    alphas = np.zeros(n)
    for (a, b_), uk in zip(res.keys, u):
        alphas[ip[a]] += uk
        alphas[im[b_]] += uk
    b = -0.5 * (float(np.min(Xp @ w)) + float(np.max(Xm @ w)))
    return _solution("eq9", X, y, w, b, alphas, res.iterations, res.converged, support_tol)


def paper_assumptions(X, y, *, b_zero_tol: float = B_S_ZERO_TOL, support_tol: float = SUPPORT_TOL) -> PaperAssumptions:
    """Check Assumptions 3.1-3.3 and Theorem 4.3 of arXiv:2602.08302 on a data set.

    3.1: b_s of eq. (9) is zero within ``b_zero_tol`` (value reported). 3.2: w_s lies in the cone
    of the support vectors {y_s x_s}, measured by an NNLS fit independent of the solver's alphas.
    3.3: R = max ||x_i||. Theorem 4.3: relative distance between the solutions of (7) and (9).

    Raises:
        ValueError: invalid input or a single class. NotSeparableError: not separable.
    """
    X, y = dataset(X, y)
    b_zero_tol = positive_scalar("b_zero_tol", b_zero_tol)
    s9 = svm_with_bias(X, y, support_tol=support_tol)
    s7 = augmented_max_margin(X, y, support_tol=support_tol)
    wn = float(np.linalg.norm(s9.w_hat))
    S = s9.support
    _, rnorm = nnls((y[S, None] * X[S]).T, s9.w_hat)
    n = X.shape[0]
    Z = y[:, None] * np.hstack([X, np.ones((n, 1))])
    rank_all = np.linalg.matrix_rank(Z)
    rank_S = np.linalg.matrix_rank(Z[s7.support]) if s7.support.size else 0  # numpy < 2 raises on an empty matrix
    th7 = np.append(s7.w_hat, s7.b_hat)
    th9 = np.append(s9.w_hat, s9.b_hat)
    return PaperAssumptions(
        b_s=s9.b_hat, b_s_is_zero=abs(s9.b_hat) <= b_zero_tol, b_zero_tol=b_zero_tol, gamma=2.0 / wn,
        w_star=s9.w_hat / wn, span_residual=float(rnorm) / wn, support_spans_data=bool(rank_S == rank_all),
        R=float(np.max(np.linalg.norm(X, axis=1))),
        theorem_4_3_gap=float(np.linalg.norm(th7 - th9) / np.linalg.norm(th9)), eq7=s7, eq9=s9,
    )
