"""Residual limit theta_tilde of Theorem 4.2 of arXiv:2602.08302 for the augmented theta = (w, b).

Soudry et al.'s Theorem 4 (the paper's Theorem 4.2, eq. (8)) applied to theta = (w, b) with
features z_s = y_s (x_s, 1): theta(t) = theta_hat log t + rho(t), rho(t) -> theta_tilde with
eta exp(-z_s^T theta_tilde) = alpha_s for support vectors s, where theta_hat = sum alpha_s z_s
(theta_hat solves eq. (7)). With more support vectors than d + 1 the alphas are not unique, so
theta_tilde is defined as the minimiser of the strictly convex (on span{z_s}) function

    F(v) = eta sum_{s in S} exp(-z_s^T v) + theta_hat^T v,
    grad F = 0  <=>  eta sum_s exp(-z_s^T v) z_s = theta_hat,

i.e. eta exp(-z_s^T v) is a valid set of alphas. The component of v orthogonal to span{z_s}
is undetermined (F does not see it); we set it to zero and report its dimension.

Support vectors that carry alpha = 0 in EVERY valid alpha ("weak" support vectors, on the margin
but not needed) make F unbounded-below-in-the-limit (no minimiser); they are detected by one LP
(Goldman-Tucker: maximise sum_s min(z_s^T u, 1) over the cone {u : z_s^T u >= 0, theta_hat^T u = 0};
weak s are those with z_s^T u > 0) and left out of the sum, as their terms decay in the flow.

Precision. theta_tilde is large along theta_hat (||w_tilde|| ~ |log(eta |S| / ||theta_hat||^2)| ||w_hat||,
about 2.7e4 in the paper's d = 2 setting) while z_s^T theta_tilde is O(10): in float64 the products
z_s^T v lose ~eps ||x|| ||v|| ~ 3e-11, i.e. the alphas carry relative noise 3e-11 and the
stationarity sum (which cancels terms ~ ||theta_hat||^2 R / |S| down to ||theta_hat||) cannot be
certified below ~1e-8. The Newton iterate is therefore carried as v = kappa theta_hat + u (u = O(1)) with the values
z_s^T theta_hat computed exactly (Dekker products + math.fsum), and alphas, gradient and A_S^+- are
computed in numpy's extended precision (np.longdouble, 64-bit mantissa on x86-64); both residuals are
reported: at the extended minimiser, and at its float64 rounding (the conditioning floor a user of
the float64 w_tilde, b_tilde will see). Where np.longdouble is plain float64 the status may read
"inaccurate" honestly.

Findings derived here (checked numerically in checks/test_residual.py and, for the last one,
checks/test_grokking_time.py; the time-unit bullet is a derivation for the GD simulations to test):

* Step size. Since z_s^T theta_hat = 1 for every support vector,
  theta_tilde(eta) = theta_tilde(1) + log(eta) theta_hat exactly, so
  theta(t) = theta_hat log(eta t) + theta_tilde(1): eta only rescales time to the flow time eta t.
  Consequently A_S^+-(eta) = eta^{-1 +- b_hat} A_S^+-(1) and delta(eta) = eta^{-b_hat} delta(1).
* Bias. Dotting grad F = 0 with theta_hat (z_s^T theta_hat = 1 on S) and reading its last
  coordinate gives sum_S alpha_s = ||theta_hat||^2 and sum_{S+} alpha - sum_{S-} alpha = b_hat, so
  sum_{S+-} alpha_s = (||theta_hat||^2 +- b_hat) / 2. With alpha_s = eta exp(-y_s (w_tilde^T x_s + b_tilde)):
      eta A_S^+ e^{-b_tilde} = (||theta_hat||^2 + b_hat) / 2,  eta A_S^- e^{b_tilde} = (||theta_hat||^2 - b_hat) / 2,
  hence  b_tilde - b_inf = -artanh(b_hat / ||theta_hat||^2)   (b_inf = -log delta)
  and    2 sqrt(A_S^+ A_S^-) = sqrt(||theta_hat||^4 - b_hat^2) / eta.
  So b_tilde = -log delta EXACTLY when b_hat = 0 (the paper's Assumption 3.1 with Theorem 4.3), and
  not otherwise; the difference is invariant under eta and under the undetermined orthogonal
  component (which shifts b_tilde and -log delta by the same amount).
* Time unit of eq. (10) (a consequence, given Assumption 4.4 in GD steps and b_hat = 0): for the
  exponential loss the GD bias step is b_{t+1} - b_t = (eta / t)(A_+ e^{-b} - A_- e^{b}) with the
  A_S^+- reported here (built from theta_tilde(eta)); since eta A_S^+-(eta) = A_S^+-(1), eq. (10)
  holds verbatim in GD steps with A_S^+- built from theta_tilde(1), and delta, b_inf do not depend
  on eta. The relaxation rate 2 sqrt(A_+ A_-) of (10)-(11) is then ||w_hat||^2 = 4 / gamma^2 per
  unit log(steps) (4e6 for gamma = 1e-3); with the eta-dependent A_S^+- reported here it reads
  ||w_hat||^2 / eta. Either way g(t) in eq. (11) is enormous for the paper's gamma.
* Balanced symmetric support sets (sum_s z_s parallel to theta_hat): equal alphas are stationary,
  so theta_tilde = kappa theta_hat with eta e^{-kappa} = ||theta_hat||^2 / |S|, i.e. the asymptotic
  hyperplane is theta_hat log(t e^{kappa}) and the clock effectively starts at
  t = e^{-kappa} = ||w_hat||^2 / (eta |S|) (5.7e5 GD steps for gamma = 1e-3, eta = 1e-2, |S| = 700).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.optimize import linprog
from scipy.special import logsumexp

from theory.geometry import MaxMarginSolution, augmented_max_margin
from theory.validation import dataset, positive_scalar

__all__ = ["NEWTON_STATIONARITY_TOL", "ResidualLimit", "residual_limit"]

# Target relative stationarity ||eta sum_s e^{-z_s^T v} z_s - theta_hat|| / ||theta_hat||. The sum
# cancels terms of size alpha_s ||z_s|| ~ ||theta_hat||^2 R / |S| down to ||theta_hat||, so rounding
# alone costs ~ |S| eps ||theta_hat|| R / |S| ~ 1e-13 in the paper's setting.
NEWTON_STATIONARITY_TOL = 1e-10
# Newton stops once stationarity is below this (or stalls): one more quadratic step is nearly free.
_NEWTON_GOAL = 1e-14
_NEWTON_MAX_ITER = 200


@dataclass(frozen=True)
class ResidualLimit:
    """theta_tilde of Theorem 4.2 (augmented) and the quantities of Theorem 4.5 built from it."""

    eta: float  # GD step size (learning rate), as in eq. (4)-(5)
    w_hat: np.ndarray  # (d,) from eq. (7)
    b_hat: float
    w_tilde: np.ndarray  # (d,) w-part of theta_tilde, units 1/x
    b_tilde: float  # b-part of theta_tilde, logit units
    alphas: np.ndarray  # (n,) eta exp(-z_s^T theta_tilde) on ``support``, 0 elsewhere
    support: np.ndarray  # indices of the (strict) support vectors entering F
    weak_support: np.ndarray  # on the margin but alpha = 0 in every valid alpha; left out of F
    orthogonal_dim: int  # d + 1 - rank{z_s}: dimension of the undetermined component (set to 0)
    A_plus: float  # sum_{s in S+} exp(-w_tilde^T x_s)  (Theorem 4.5)
    A_minus: float  # sum_{s in S-} exp(+w_tilde^T x_s)
    delta: float  # sqrt(A_minus / A_plus)
    b_inf: float  # -log delta
    b_tilde_minus_b_inf: float  # the open question of the notes: zero iff b_hat = 0
    b_offset_identity: float  # -artanh(b_hat / ||theta_hat||^2): what stationarity implies for it
    rate: float  # 2 sqrt(A_+ A_-), relaxation rate of eq. (10) per unit log t
    rate_identity: float  # sqrt(||theta_hat||^4 - b_hat^2) / eta: what stationarity implies for it
    stationarity: float  # ||sum_s alpha_s z_s - theta_hat|| / ||theta_hat|| at the extended-precision minimiser
    stationarity_float64: float  # the same at (w_tilde, b_tilde) rounded to float64 (conditioning floor)
    theta_tilde_extended: np.ndarray  # (d+1,) np.longdouble, = kappa * theta_hat + u (rounded once)
    kappa: np.longdouble  # the minimiser is exactly kappa * (w_hat, b_hat) + u in extended arithmetic
    u: np.ndarray  # (d+1,) np.longdouble
    newton_iterations: int
    status: str  # "optimal" if stationarity <= NEWTON_STATIONARITY_TOL and the eq. (7) solution is optimal, else "inaccurate"
    message: str


def _two_product_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact rounding error a*b - fl(a*b) of float64 products (Dekker/Veltkamp splitting)."""
    split = 134217729.0  # 2^27 + 1

    def halves(x):
        c = split * x
        hi = c - (c - x)
        return hi, x - hi

    ah, al = halves(a)
    bh, bl = halves(b)
    p = a * b
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _exact_dots(M: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Row dot products M @ v correctly rounded to np.longdouble (exact products, math.fsum)."""
    P = M * v
    E = _two_product_error(M, np.broadcast_to(v, M.shape))
    out = np.empty(M.shape[0], dtype=np.longdouble)
    for i in range(M.shape[0]):
        terms = [*P[i], *E[i]]
        hi = math.fsum(terms)
        lo = math.fsum([*terms, -hi])
        out[i] = np.longdouble(hi) + np.longdouble(lo)
    return out


def _weak_support(ZS: np.ndarray, theta_hat: np.ndarray) -> np.ndarray:
    """Boolean mask of support vectors with alpha_s = 0 for every valid alpha (one LP, see module doc)."""
    m, k = ZS.shape
    if m == 0:
        return np.zeros(0, dtype=bool)
    scale = np.linalg.norm(ZS, axis=1)
    Zn = ZS / scale[:, None]
    # variables (u in R^k, rho in R^m): max sum rho, rho <= Zn u, Zn u >= 0, theta_hat^T u = 0, 0 <= rho <= 1
    c = np.concatenate([np.zeros(k), -np.ones(m)])
    A_ub = np.block([[-Zn, np.eye(m)], [-Zn, np.zeros((m, m))]])
    b_ub = np.zeros(2 * m)
    A_eq = np.concatenate([theta_hat / np.linalg.norm(theta_hat), np.zeros(m)])[None, :]
    bounds = [(-1e6, 1e6)] * k + [(0.0, 1.0)] * m
    # The LP is feasible (u = 0, rho = 0) and bounded, so a failure is the solver's, not the problem's, and
    # which HiGHS configuration stumbles depends on the scipy release: without presolve, HiGHS 1.5 (scipy
    # 1.11) ends the dual simplex with model status "Unknown" on rank-deficient support; with presolve, newer
    # HiGHS declared the LP infeasible on ~100 support vectors spanning a subspace only up to rounding
    # (checks/test_residual.py, rank deficiency). Try the configurations in turn and accept a solution only
    # if it is verifiably feasible.
    messages = []
    for method, options in _WEAK_LP_ATTEMPTS:
        res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=[0.0], bounds=bounds, method=method, options=options)
        if res.status == 0 and _lp_feasible(res.x, A_ub, b_ub, A_eq, bounds):
            return res.x[k:] > 0.5  # the optimum is 0/1 (module doc); 0.5 separates them robustly
        messages.append(f"{method} {options}: {res.message}")
    raise RuntimeError("weak-support LP failed in every solver configuration: " + "; ".join(messages))


# HiGHS configurations for the weak-support LP, in order (see _weak_support).
_WEAK_LP_ATTEMPTS = (
    ("highs-ds", {"presolve": False}),
    ("highs-ipm", {"presolve": False}),
    ("highs", {}),
)
# Feasibility of an LP solution: HiGHS's own primal feasibility tolerance is 1e-7 on rows scaled to O(1).
_LP_FEASIBILITY_TOL = 1e-6


def _lp_feasible(x, A_ub, b_ub, A_eq, bounds) -> bool:
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    return bool(
        np.all(A_ub @ x <= b_ub + _LP_FEASIBILITY_TOL)
        and np.all(np.abs(A_eq @ x) <= _LP_FEASIBILITY_TOL * (1.0 + np.abs(x).max()))
        and np.all(x >= lo - _LP_FEASIBILITY_TOL) and np.all(x <= hi + _LP_FEASIBILITY_TOL)
    )


def residual_limit(X, y, eta, *, solution: MaxMarginSolution | None = None) -> ResidualLimit:
    """Residual theta_tilde of Theorem 4.2 (eq. (8)) of arXiv:2602.08302 for theta = (w, b).

    Formula: theta_tilde = argmin_{v in span{z_s}} eta sum_{s in S} exp(-z_s^T v) + theta_hat^T v,
    z_s = y_s (x_s, 1), S = strict support vectors of eq. (7); damped Newton (backtracking
    Armijo line search on F) in an orthonormal basis of span{z_s}, started at v = kappa theta_hat
    with eta e^{-kappa} = ||theta_hat||^2 / |S| (the mean alpha). Then Theorem 4.5's
    A_S^+ = sum_{S+} exp(-w_tilde^T x_s), A_S^- = sum_{S-} exp(w_tilde^T x_s),
    delta = sqrt(A_S^- / A_S^+), b_inf = -log delta.

    Args:
        X: (n, d) inputs; y: (n,) labels in {-1, +1}; the data must be separable.
        eta: GD step size > 0 (eq. (4)-(5)); see the module docstring for its exact role.
        solution: a precomputed :func:`theory.geometry.augmented_max_margin` result for (X, y).

    Returns:
        :class:`ResidualLimit`.

    Raises:
        ValueError: invalid input, a ``solution`` of the wrong problem, or an inaccurate eq. (7)
            solution that leaves no strict support vector.
        NotSeparableError: the data are not linearly separable.
    """
    X, y = dataset(X, y)
    eta = positive_scalar("eta", eta)
    sol = solution if solution is not None else augmented_max_margin(X, y)
    if sol.problem != "eq7" or sol.w_hat.shape[0] != X.shape[1]:
        raise ValueError("`solution` must be the eq. (7) solution (augmented_max_margin) of the same X, y")
    n, d = X.shape
    theta_hat = np.append(sol.w_hat, sol.b_hat)
    Z = y[:, None] * np.hstack([X, np.ones((n, 1))])
    weak_mask = _weak_support(Z[sol.support], theta_hat)
    S = sol.support[~weak_mask]
    if S.size == 0:
        raise ValueError(f"no strict support vector: the eq. (7) solution is {sol.status} ({sol.message}), so its "
                         "support is unreliable; rescale or centre X (a margin far below the data's scale defeats "
                         "the QP's rounding floor) or pass a more accurate `solution`")
    ZS = Z[S]
    # orthonormal basis of span{z_s}
    _, sv, Vt = np.linalg.svd(ZS, full_matrices=False)
    rank = int(np.sum(sv > sv[0] * max(ZS.shape) * np.finfo(float).eps * 16))
    B = Vt[:rank].T
    A = ZS @ B  # (m, r) float64 coordinates of z_s, used only for the Newton matrix
    th_norm = float(np.linalg.norm(theta_hat))
    XL = np.longdouble
    ZL, thL = ZS.astype(XL), theta_hat.astype(XL)
    th2L = thL @ thL
    m_s = _exact_dots(ZS, theta_hat)  # z_s^T theta_hat (= 1 up to the data's own rounding)
    log_eta = XL(math.log(eta))

    # iterate v = kappa theta_hat + u (module docstring, "Precision"): z^T v = kappa m_s + z^T u
    def alphas_at(kappa, u):
        with np.errstate(over="ignore"):
            return np.exp(log_eta - (kappa * m_s + ZL @ u))

    def F(kappa, u):  # theta_hat^T v = kappa ||theta_hat||^2: u stays orthogonal to theta_hat (du below)
        return float(np.sum(alphas_at(kappa, u)) + kappa * th2L)

    def relative_norm(residual):  # ||sum_s alpha_s z_s - theta_hat|| / ||theta_hat||, the reported stationarity
        return float(np.sqrt(np.sum(residual**2))) / th_norm

    kappa = XL(math.log(eta) - math.log(th_norm**2 / S.size))  # mean alpha = ||theta_hat||^2 / |S|
    u = np.zeros(d + 1, dtype=XL)
    prev_rel = np.inf
    for it in range(1, _NEWTON_MAX_ITER + 1):
        alpha = alphas_at(kappa, u)
        g_full = thL - ZL.T @ alpha
        rel = relative_norm(g_full)
        if rel <= _NEWTON_GOAL or (rel <= NEWTON_STATIONARITY_TOL and rel >= prev_rel):
            break  # goal reached, or the rounding floor: the last step did not decrease the stationarity
        prev_rel = rel
        g = B.T @ g_full.astype(float)
        H = A.T @ (alpha.astype(float)[:, None] * A)
        dv = (B @ -cho_solve(cho_factor(H), g)).astype(XL)
        dk = (thL @ dv) / th2L
        du = dv - dk * thL
        slope = float(g_full.astype(float) @ dv.astype(float))
        f0, t = F(kappa, u), 1.0
        while t > 1e-16 and not F(kappa + XL(t) * dk, u + XL(t) * du) <= f0 + 0.25 * t * slope + 8 * np.finfo(float).eps * abs(f0):
            t *= 0.5
        kappa, u = kappa + XL(t) * dk, u + XL(t) * du
    vL = kappa * thL + u
    alphaL = alphas_at(kappa, u)
    rel = relative_norm(ZL.T @ alphaL - thL)
    v = vL.astype(float)
    with np.errstate(over="ignore"):
        alpha64 = np.exp(log_eta - _exact_dots(ZS, v))
    rel64 = relative_norm(ZL.T @ alpha64 - thL)
    alpha = alphaL.astype(float)
    w_t, b_t = v[:d], float(v[d])
    # A_S^+- from the extended-precision w_tilde: w_tilde^T x_s cancels ||w_tilde|| R down to O(1).
    # One-class support (possible for eq. (7)) gives A = 0 on the other side: b_inf = +-inf, delta = 0
    # or inf, consistent with the identity (|b_hat| = ||theta_hat||^2 there, artanh(+-1) = +-inf).
    wx = kappa * _exact_dots(X[S], sol.w_hat) + X[S].astype(XL) @ u[:d]  # w_tilde^T x_s
    pos = y[S] > 0
    log_Ap = float(logsumexp((-wx[pos]).astype(float))) if pos.any() else -math.inf
    log_Am = float(logsumexp(wx[~pos].astype(float))) if (~pos).any() else -math.inf
    A_plus, A_minus = math.exp(log_Ap), math.exp(log_Am)
    b_inf = 0.5 * (log_Ap - log_Am)
    ratio = sol.b_hat / th_norm**2
    b_offset = -math.atanh(ratio) if abs(ratio) < 1.0 else -math.copysign(math.inf, ratio)
    alphas = np.zeros(n)
    alphas[S] = alpha
    # the limit is only as reliable as the support it is built on
    status = "optimal" if rel <= NEWTON_STATIONARITY_TOL and sol.status == "optimal" else "inaccurate"
    return ResidualLimit(
        eta=eta, w_hat=sol.w_hat, b_hat=sol.b_hat, w_tilde=w_t, b_tilde=b_t, alphas=alphas, support=S,
        weak_support=sol.support[weak_mask], orthogonal_dim=d + 1 - rank, A_plus=A_plus, A_minus=A_minus,
        delta=math.exp(-b_inf) if b_inf > -709.0 else math.inf, b_inf=b_inf, b_tilde_minus_b_inf=b_t - b_inf,
        b_offset_identity=b_offset,
        rate=2.0 * math.exp(0.5 * (log_Ap + log_Am)),
        rate_identity=math.sqrt(max(0.0, (th_norm**2 - sol.b_hat) * (th_norm**2 + sol.b_hat))) / eta,
        stationarity=rel, stationarity_float64=rel64, theta_tilde_extended=vL, kappa=kappa, u=u,
        newton_iterations=it, status=status,
        message=f"damped Newton: relative stationarity {rel:.2e} after {it} iterations; "
        f"{int(weak_mask.sum())} weak support vectors left out; orthogonal dimension {d + 1 - rank}"
        + ("" if sol.status == "optimal" else f"; the eq. (7) solution it rests on is {sol.status}"),
    )
