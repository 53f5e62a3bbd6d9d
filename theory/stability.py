"""Linear stability of gradient descent on the summed logistic loss: the edge-of-stability window.

GD (eqs. (4)-(5) of arXiv:2602.08302) is the map theta -> theta - eta grad L(theta), theta = (w, b).
Its Jacobian is ``I - eta H(theta)`` with H the Hessian of L; a direction is linearly stable when
the matching eigenvalue of ``eta H`` lies in [0, 2]. With the augmented features
``z_i = y_i (x_i, 1)`` the Hessian of the summed logistic loss (eq. (3)) is

    H(theta) = sum_i sigma'(z_i^T theta) z_i z_i^T,     sigma'(m) = e^{-m} / (1 + e^{-m})^2 <= 1/4.

* At initialisation (theta = 0, eq. (5)), ``sigma'(0) = 1/4`` and ``H(0) = (1/4) Z^T Z``; divide by
  N for the mean loss. Since ``sigma' <= 1/4``, ``eta lambda_max(H(theta)) <= eta lambda_max(H(0))``
  for *every* theta: if GD is stable at initialisation it is stable forever.
* Late in training (Theorems 4.1-4.2 of the paper, Soudry et al. Thm 3-4),
  ``theta(t) = theta_hat log t + theta_tilde + o(1)`` with ``z_s^T theta_hat = 1`` and
  ``eta exp(-z_s^T theta_tilde) = alpha_s`` on the support vectors s, so (exponential tail of
  sigma', non-support vectors negligible)

      eta H(theta(t)) = (1/t) M,        M = sum_s alpha_s z_s z_s^T,

  independent of eta and of the reduction (both only shift theta_tilde). GD is linearly stable
  from ``t_EoS = lambda_max(M) / 2`` GD steps on; the top eigenvector of M is the last direction to
  settle. Between ``t_EoS`` and ``2 t_EoS`` the top eigenvalue of the Jacobian, ``1 - lambda_max/t``,
  lies in (-1, 0): deviations still alternate in sign but decay.

Validity. Both crossings assume GD sits on the asymptote. With the logistic loss the support
vectors' curvature is sigma'(m_s) = q_s / (1 + q_s)^2, q_s = alpha_s / (eta t), not q_s: at the
exponential-tail t_EoS the margins are only log(eta t_EoS / alpha_s) = O(1), so
``t_eos_logistic`` (the crossing with the logistic factor kept) comes earlier, and is 0 when
eta lambda_max(sum_s z_s z_s^T) / 4 < 2. Started from w = 0 with eta lambda_max(H(0)) > 2, GD
runs a period-2 cycle along the top eigenvector that pushes w ahead of the smooth path, so the
cycle ends somewhat before ``t_eos_logistic`` (measured: 0.55-1.03 of it on planted 2-D data,
checks/test_stability.py); started on the asymptote, the linearisation holds to ~1e-3.

``alpha_s`` are the dual variables of the max-margin problem with bias (eq. (7)), which is also
what ``eta exp(-z_s^T theta_tilde)`` converges to; the application layer passes them in (from the
SVM, or implied by a measured theta_tilde). This module never simulates.

:func:`late_time_hessian_derivation` is the sympy derivation of ``eta H = M / t`` and of
``t_EoS``, each step machine-checked (:mod:`theory.derivation`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from theory.validation import dataset, finite_array, positive_scalar

__all__ = [
    "InitialSharpness",
    "LateTimeStability",
    "asymptotic_sharpness",
    "augmented_features",
    "late_time_hessian_derivation",
    "late_time_stability",
    "logistic_hessian",
    "sharpness",
    "sharpness_at_init",
]

_REDUCTIONS = ("sum", "mean")
_STABILITY_LIMIT = 2.0  # |1 - eta lambda| <= 1  <=>  0 <= eta lambda <= 2


@dataclass(frozen=True)
class InitialSharpness:
    """eta times the largest Hessian eigenvalue at w = 0, b = 0.

    Attributes:
        lambda_max: largest eigenvalue of H(0) = (1/4) sum_i z_i z_i^T (divided by N for "mean").
        eta_lambda: eta * lambda_max (dimensionless); GD is linearly stable iff it is <= 2.
        unstable: eta_lambda > 2. When False, GD is linearly stable at every theta (sigma' <= 1/4).
        eta: the step size.
        reduction: "sum" (eq. (3)) or "mean".
    """

    lambda_max: float
    eta_lambda: float
    unstable: bool
    eta: float
    reduction: str


@dataclass(frozen=True)
class LateTimeStability:
    """The late-time linearisation eta H(theta(t)) = M / t and its edge of stability.

    Attributes:
        M: (p, p) matrix sum_s alpha_s z_s z_s^T, p = d + 1 (theta = (w, b)).
        eigenvalues: (p,) eigenvalues of M, descending.
        lambda_max: eigenvalues[0].
        t_eos: lambda_max / 2, in GD steps: GD is linearly stable for t >= t_eos.
        t_monotone: lambda_max, in GD steps: from here on deviations no longer alternate in sign.
        t_eos_logistic: the same crossing with the logistic loss's own curvature along the
            asymptote, sigma'(m_s) = q_s / (1 + q_s)^2 with q_s = e^{-m_s} = alpha_s / (eta t)
            instead of q_s: the largest t with eta lambda_max(H) = 2 (GD steps); 0.0 when the
            logistic sharpness along the asymptote never reaches 2. Always <= t_eos.
        eta: the step size used for t_eos_logistic.
        top_direction: (p,) unit top eigenvector of M, sign fixed so its largest entry is positive.
        theta_hat: (p,) sum_s alpha_s z_s, the max-margin direction (w_hat, b_hat) of eq. (7).
        normal_fraction: squared component of top_direction along w_hat / ||w_hat||.
        boundary_fraction: squared component of its w-part orthogonal to w_hat (along the
            decision boundary); 0 when d = 1.
        bias_fraction: squared b-component. The three fractions sum to 1.
        angle_to_normal: angle in radians between the w-part of top_direction and the line of
            w_hat (in [0, pi/2]); pi/2 means purely along the boundary; nan if the w-part is 0.
    """

    M: np.ndarray
    eigenvalues: np.ndarray
    lambda_max: float
    t_eos: float
    t_monotone: float
    t_eos_logistic: float
    eta: float
    top_direction: np.ndarray
    theta_hat: np.ndarray
    normal_fraction: float
    boundary_fraction: float
    bias_fraction: float
    angle_to_normal: float


def augmented_features(X, y) -> np.ndarray:
    """z_i = y_i (x_i, 1): (N, d + 1), so that the margin of eq. (3) is z_i^T theta, theta = (w, b).

    Raises:
        ValueError: if X is not a finite (N, d) array or y is not in {-1, +1}^N.
    """
    X, y = dataset(X, y)
    return y[:, None] * np.hstack([X, np.ones((X.shape[0], 1))])


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"`reduction` must be 'sum' or 'mean', got {reduction!r}")


def logistic_hessian(theta, X, y, *, reduction="sum") -> np.ndarray:
    """Hessian of the logistic loss of eq. (3) of arXiv:2602.08302 at theta = (w, b).

    H = sum_i sigma'(z_i^T theta) z_i z_i^T (divided by N for "mean"),
    sigma'(m) = e^{-|m|} / (1 + e^{-|m|})^2 (even in m, so e never overflows).

    Args:
        theta: (d + 1,) the weights w followed by the bias b.
        X: (N, d) inputs.  y: (N,) labels in {-1, +1}.
        reduction: "sum" (the paper's) or "mean".

    Returns:
        (d + 1, d + 1) symmetric positive semi-definite matrix.
    """
    _check_reduction(reduction)
    Z = augmented_features(X, y)
    theta = finite_array("theta", theta, ndim=1)
    if theta.shape != (Z.shape[1],):
        raise ValueError(f"`theta` must have d + 1 = {Z.shape[1]} entries (w then b), got {theta.shape}")
    e = np.exp(-np.abs(Z @ theta))
    s = e / (1.0 + e) ** 2
    H = (Z * s[:, None]).T @ Z
    return H / Z.shape[0] if reduction == "mean" else H


def sharpness(theta, X, y, *, reduction="sum") -> float:
    """Largest eigenvalue of :func:`logistic_hessian` (multiply by eta to compare with 2)."""
    return float(np.linalg.eigvalsh(logistic_hessian(theta, X, y, reduction=reduction))[-1])


def sharpness_at_init(X, y, *, eta, reduction="sum") -> InitialSharpness:
    """eta lambda_max(H(0)) with H(0) = (1/4) sum_i z_i z_i^T, at the start w = 0, b = 0 (eq. (5)).

    sigma'(0) = 1/4 for every point; for reduction "mean" H(0) is divided by N.

    >>> X = [[1.0], [-1.0]]; y = [1.0, -1.0]          # z = (1, 1), (1, -1): H(0) = I / 2
    >>> sharpness_at_init(X, y, eta=5.0).eta_lambda
    2.5

    Args:
        X: (N, d) inputs.  y: (N,) labels in {-1, +1}.
        eta: step size (> 0).
        reduction: "sum" (eq. (3) of arXiv:2602.08302) or "mean".

    Returns:
        :class:`InitialSharpness`.

    Raises:
        ValueError: on malformed input or non-positive eta.
    """
    eta = positive_scalar("eta", eta)
    _check_reduction(reduction)
    Z = augmented_features(X, y)
    lam = float(np.linalg.eigvalsh(0.25 * Z.T @ Z)[-1])
    if reduction == "mean":
        lam /= Z.shape[0]
    return InitialSharpness(lam, eta * lam, eta * lam > _STABILITY_LIMIT, eta, reduction)


def _validate_sv(alphas, Z_sv):
    alphas = finite_array("alphas", alphas, ndim=1)
    Z = finite_array("Z_sv", Z_sv, ndim=2)
    if Z.shape[0] != alphas.shape[0]:
        raise ValueError(f"`Z_sv` must have one row per alpha ({alphas.shape[0]}), got {Z.shape[0]}")
    if Z.shape[1] < 2:
        raise ValueError(f"`Z_sv` must have d + 1 >= 2 columns (features then 1), got {Z.shape[1]}")
    if np.any(alphas <= 0):
        raise ValueError("`alphas` must be positive (support vectors carry positive duals)")
    return alphas, Z


def asymptotic_sharpness(t, alphas, Z_sv, *, eta, loss="logistic") -> np.ndarray:
    """eta lambda_max of the Hessian along theta(t) = theta_hat log t + theta_tilde (support vectors only).

    With q_s = exp(-z_s^T theta(t)) = alpha_s / (eta t) (eqs. (7)-(8) of arXiv:2602.08302):

        exponential loss:  eta H = (1/t) sum_s alpha_s z_s z_s^T = M / t
        logistic loss:     eta H = (1/t) sum_s alpha_s / (1 + q_s)^2 z_s z_s^T   (sigma' = q/(1+q)^2)

    Args:
        t: GD steps (> 0), scalar or array.
        alphas: (S,) positive duals.  Z_sv: (S, d + 1) augmented support vectors.
        eta: step size (> 0); enters only through q_s in the logistic case.
        loss: "logistic" or "exponential".

    Returns:
        float64 array of the shape of t: eta lambda_max(H), to compare with 2.
    """
    alphas, Z = _validate_sv(alphas, Z_sv)
    eta = positive_scalar("eta", eta)
    if loss not in ("logistic", "exponential"):
        raise ValueError(f"`loss` must be 'logistic' or 'exponential', got {loss!r}")
    t_arr = finite_array("t", t)
    if np.any(t_arr <= 0):
        raise ValueError("`t` must be positive (GD steps)")
    out = np.empty(t_arr.shape)
    for idx, tk in np.ndenumerate(t_arr):
        weights = alphas if loss == "exponential" else alphas / (1.0 + alphas / (eta * tk)) ** 2
        out[idx] = np.linalg.eigvalsh((Z * weights[:, None]).T @ Z)[-1] / tk
    return out


def _logistic_crossing(alphas, Z, eta, t_eos):
    """Largest t <= t_eos with logistic asymptotic sharpness = 2 (bracket by halving, then brentq)."""

    def excess(tk):
        return float(asymptotic_sharpness(tk, alphas, Z, eta=eta)) - _STABILITY_LIMIT

    hi = t_eos
    for _ in range(60):  # down to t_eos * 2**-60: far below any GD step
        lo = hi / 2
        if excess(lo) > 0:
            return float(brentq(excess, lo, hi, xtol=1e-12 * hi, rtol=1e-12))
        hi = lo
    return 0.0


def late_time_stability(alphas, Z_sv, *, eta) -> LateTimeStability:
    """The late-time edge of stability t_EoS = lambda_max(M) / 2 with M = sum_s alpha_s z_s z_s^T.

    From theta(t) = theta_hat log t + theta_tilde (Theorems 4.1-4.2 of arXiv:2602.08302) with
    alpha_s = eta exp(-z_s^T theta_tilde) (eq. (8)): eta H(theta(t)) = M / t, so the GD Jacobian
    I - M / t has all eigenvalues in [-1, 1] exactly when t >= lambda_max(M) / 2. t counts GD
    steps; t_eos depends on neither eta nor the reduction. ``t_eos_logistic`` keeps the logistic
    factor 1 / (1 + q_s)^2 (see :func:`asymptotic_sharpness`) and does depend on eta.

    >>> a = 0.05                     # x = +a (y=+1), -a (y=-1): alpha = 1/(2a^2), M = diag(1, 1/a^2)
    >>> Z = [[a, 1.0], [a, -1.0]]
    >>> r = late_time_stability([1 / (2 * a * a)] * 2, Z, eta=1e3)
    >>> round(r.t_eos, 6), round(r.bias_fraction, 12)
    (200.0, 1.0)
    >>> q = 1 / (2 * a * a) / (1e3 * r.t_eos_logistic)    # (1/t) (1/a^2) / (1 + q)^2 = 2
    >>> round(r.t_eos_logistic * (1 + q) ** 2 / r.t_eos, 12)
    1.0

    Args:
        alphas: (S,) positive dual variables of the support vectors (dimensionless).
        Z_sv: (S, d + 1) augmented support vectors z_s = y_s (x_s, 1).
        eta: step size (> 0), for ``t_eos_logistic`` only.

    Returns:
        :class:`LateTimeStability`.

    Raises:
        ValueError: on non-finite input, shape mismatch or a non-positive alpha.
    """
    alphas, Z = _validate_sv(alphas, Z_sv)
    eta = positive_scalar("eta", eta)
    M = (Z * alphas[:, None]).T @ Z
    vals, vecs = np.linalg.eigh(M)
    vals, vecs = vals[::-1], vecs[:, ::-1]
    v = vecs[:, 0]
    v = v if v[np.argmax(np.abs(v))] > 0 else -v
    theta_hat = alphas @ Z
    w_hat = theta_hat[:-1]
    v_w, v_b = v[:-1], float(v[-1])
    n = w_hat / np.linalg.norm(w_hat)
    along_normal = float(v_w @ n)
    boundary = v_w - along_normal * n
    norm_vw = float(np.linalg.norm(v_w))
    angle = float(np.arccos(min(1.0, abs(along_normal) / norm_vw))) if norm_vw > 0 else float("nan")
    lam = float(vals[0])
    t_eos = lam / _STABILITY_LIMIT
    return LateTimeStability(
        M=M,
        eigenvalues=vals,
        lambda_max=lam,
        t_eos=t_eos,
        t_monotone=lam,
        t_eos_logistic=_logistic_crossing(alphas, Z, eta, t_eos),
        eta=eta,
        top_direction=v,
        theta_hat=theta_hat,
        normal_fraction=along_normal**2,
        boundary_fraction=float(boundary @ boundary),
        bias_fraction=v_b**2,
        angle_to_normal=angle,
    )


# --- the symbolic derivation -------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def late_time_hessian_derivation() -> Derivation:
    """Machine-checked derivation of eta H(theta(t)) = M / t and t_EoS = lambda_max(M) / 2.

    A generic instance: d = 2 (theta = (w1, w2, b)), two support vectors with symbolic augmented
    features z_s, exponential loss over the support vectors (Assumption 4.4 of arXiv:2602.08302:
    non-support vectors contribute nothing late), then the logistic correction and the stability
    interval of one eigen-direction. Run ``.verify()`` to check every step.
    """
    import sympy as sp  # sympy (and the derivation machinery built on it) loads on first use: it is slow to import

    from theory.derivation import Assumption, Derivation, Step, eq, gt

    t, eta, mu, s = sp.symbols("t eta mu s", positive=True)
    th = sp.Matrix(sp.symbols("theta1:4", real=True))
    th_hat = sp.Matrix(sp.symbols("thetahat1:4", real=True))
    th_tl = sp.Matrix(sp.symbols("thetatilde1:4", real=True))
    z = [sp.Matrix(sp.symbols(f"z{k}_1:4", real=True)) for k in range(1, 3)]
    a = sp.symbols("alpha1:3", positive=True)
    m = sp.symbols("m", real=True)

    def dot(u, v):
        return (u.T * v)[0, 0]

    L = sum(sp.exp(-dot(zk, th)) for zk in z)
    L_f = sp.Function("L")(*th)
    H_formula = sum((sp.exp(-dot(zk, th)) * zk * zk.T for zk in z), sp.zeros(3, 3))
    theta_t = th_hat * sp.log(t) + th_tl
    at_t = list(zip(th, theta_t))
    # z_s^T theta_hat = 1 on both support vectors: solve for two coordinates of theta_hat
    # z_s^T theta_hat = 1 on each support vector: solved for the first component of z_s
    on_margin = tuple((zk[0], sp.solve(dot(zk, th_hat) - 1, zk[0])[0]) for zk in z)
    # alpha_s = eta exp(-z_s^T theta_tilde) (eq. (8)): solved for the first component of z_s
    implied = tuple((zk[0], sp.solve(dot(zk, th_tl) - sp.log(eta / ak), zk[0])[0]) for zk, ak in zip(z, a))
    H_t = H_formula.subs(at_t)
    H_sv = sum((sp.exp(-dot(zk, th_tl)) * zk * zk.T for zk in z), sp.zeros(3, 3)) / t
    M = sum((ak * zk * zk.T for zk, ak in zip(z, a)), sp.zeros(3, 3))
    gd_map = th - eta * sp.Matrix([sp.diff(L, v) for v in th])
    sig = 1 / (1 + sp.exp(-m))

    steps = (
        Step(eq(L_f, L), "Exponential loss over the support vectors, $\\ell(u) = e^{-u}$ with "
             "margin $z_s^T\\theta$, $z_s = y_s (x_s, 1)$ (Assumption 4.4: non-support vectors "
             "contribute nothing late).", "definition"),
        Step(eq(sp.hessian(L, th), H_formula), "Hessian of the exponential loss: "
             "$\\nabla^2 L = \\sum_s e^{-z_s^T\\theta} z_s z_s^T$.", "identity",
             methods=("expand",)),
        Step(eq(H_t, H_sv), "Along $\\theta(t) = \\hat\\theta \\log t + \\tilde\\theta$ "
             "(Theorems 4.1-4.2) with $z_s^T\\hat\\theta = 1$ on the support vectors, "
             "$e^{-z_s^T\\theta(t)} = e^{-z_s^T\\tilde\\theta} / t$.", "identity",
             given=on_margin, methods=("expand", "powsimp")),
        Step(eq(eta * H_sv, M / t), "With $\\alpha_s = \\eta e^{-z_s^T\\tilde\\theta}$ (eq. (8)), "
             "$\\eta \\nabla^2 L(\\theta(t)) = M / t$, $M = \\sum_s \\alpha_s z_s z_s^T$: "
             "independent of $\\eta$.", "identity", given=implied,
             methods=("expand", "powsimp")),
        Step(eq(gd_map.jacobian(th), sp.eye(3) - eta * H_formula), "The GD map "
             "$\\theta \\mapsto \\theta - \\eta \\nabla L$ (eqs. (4)-(5)) has Jacobian "
             "$I - \\eta \\nabla^2 L$; at $\\theta(t)$ this is $I - M/t$, with eigenvalues "
             "$1 - \\mu/t$ for the eigenvalues $\\mu \\geq 0$ of $M$.", "identity",
             methods=("expand",)),
        Step(sp.StrictGreaterThan(1 - mu / t, -1), "For $t = \\mu/2 + s$, $s > 0$: the "
             "eigenvalue $1 - \\mu/t$ exceeds $-1$ (and is below 1): stable after "
             "$t_{EoS} = \\lambda_{max}(M)/2$.", "sign", given=((t, mu / 2 + s),)),
        Step(sp.StrictLessThan(1 - mu / t, -1), "For $t = \\mu/(2 + s)$, $s > 0$: the "
             "eigenvalue is below $-1$: the direction is unstable before $\\mu/2$, with "
             "alternating sign (period 2).", "sign", given=((t, mu / (2 + s)),)),
        Step(eq(sp.Limit(sp.exp(m) * sp.diff(sig, m), m, sp.oo), 1), "Logistic loss: "
             "$\\sigma'(m) = e^{-m}(1 + O(e^{-m}))$, so its Hessian equals the exponential "
             "loss's up to a factor $1 + O(1/t)$ late in training.", "limit"),
        Step(eq(sp.diff(sig, m).subs(m, 0), sp.Rational(1, 4)), "At initialisation "
             "$\\theta = 0$ (eq. (5)) every margin is 0 and $\\sigma'(0) = 1/4$: "
             "$\\nabla^2 L(0) = \\frac14 \\sum_i z_i z_i^T$, and $\\sigma' \\leq 1/4$ bounds "
             "the Hessian everywhere.", "identity"),
    )
    return Derivation(
        id="eos-late-time",
        title="Late-time linear stability of GD: eta H(theta(t)) = M / t, t_EoS = lambda_max(M)/2",
        reference="Theorems 4.1-4.2 and eqs. (3)-(5), (8) of arXiv:2602.08302",
        assumptions=(
            Assumption("A1", "theta(t) = theta_hat log t + theta_tilde exactly (Assumption 4.4)"),
            Assumption("A2", "z_s^T theta_hat = 1 on the support vectors (eq. (7))"),
            Assumption("A3", "alpha_s = eta exp(-z_s^T theta_tilde) (eq. (8))"),
            Assumption("A4", "t counts GD steps; t, eta, mu > 0", (gt(t, 0), gt(eta, 0), gt(mu, 0))),
        ),
        steps=steps,
        result=steps[3].expr,
    )
