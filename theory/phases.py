"""Finite-time theory of the three phases and of T_tr, T_te (issue 13; arXiv:2602.08302, Sections 4.3-4.5).

GD on the SUMMED logistic loss with bias (eqs. (3)-(5)) from theta = (w, b) = 0, on separable data,
in the stable regime eta lambda_max(H(0)) <= 2 (theory.stability). The late-time asymptote
theta_hat log t + theta_tilde (Theorems 4.1-4.2) is only reached for t >> k* = ||theta_hat||^2 / (eta |S|)
(and, with a population close to the margin, for t >> t_pop of derivation ``phases``), while the
test set is typically classified at t ~ 1-3 k*: there no closed form holds. The prediction here is
therefore built from

* closed forms where they exist (derivation ``phases``, docs/derivations/phases.md):
  the phase-1 steady state of eq. (14), the clock k* and the late relaxation rate ||theta_hat||^2
  per unit log t, the population's decay t^{-(u_i - 1)} relative to the support vectors, and the
  modified equation of GD;
* a REDUCED model for the finite-time trajectory: every support vector of eq. (7) kept exactly, the
  population of each class summarised by its ``n_near`` points nearest to the max-margin hyperplane
  (kept exactly; they decide the population's tail, which decays like t^{-(u_i - 1)}) and ``n_bins``
  weighted centroids of the rest, binned by the margin u_i = z_i^T theta_hat (a centroid with weight
  n_bin reproduces the bin's gradient exactly at w = 0 and to second order in the spread of z^T theta
  within the bin, derivation step "centroid");
* discrete GD on the reduced model (exact discretisation, numba) while eta lambda_max(H) is above
  ``switch``, then its modified gradient flow d theta / dt = -eta (g + (eta/2) H g) in log time
  (backward error analysis: GD equals this flow up to O((eta lambda_max(H))^2) per step relative,
  derivation step "modified flow"), to the horizon;
* the phase and time rules of the issue applied to that trajectory, evaluated on the full training
  set and on the test set (evaluation, not dynamics): phase 1 ends when the non-support share of the
  gradient weight stays below 1/2, phase 2 at the maximum of |b| / ||w||, T_tr and T_te by
  Definition 3.4 with eps = 0 (first step reaching the supremum over the horizon).

Stated error. The reported times come from the summary refined twice, at resolution
(4 n_near + 3, 4 n_bins); they are recomputed at the once-refined (2 n_near + 1, 2 n_bins) and with
the switch halved, and the largest
relative change of each time is its stated error (the switch variant also runs twice as many
GD steps, ``max_gd_steps``): both approximations are exact in their limits
(the refined summary becomes the full data set, switch -> 0 makes it pure GD), and the difference
to the coarser level bounds the finer level's own error when refinement at least halves the error
(the practice "converged when a refinement agrees"). With the crossing located to one GD step, the
bracket of each time is [T (1 - err) - 1, T (1 + err) + 1]. This is an a-posteriori estimate, not a
proof: checks/test_phase_prediction.py measures how often it holds. phase2_end is the argmax of a
flat maximum, ill-conditioned in t even when |b| / ||w|| itself is accurate: its error also covers
every step where the predicted distance is within twice the distance's own stated relative error
(the refinement change of max |b| / ||w||, at least 1e-3) of the maximum.

Units: every time is in GD steps t (t counts updates); flow time is eta t. Never imports numerics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp
from scipy.special import expit, log_expit

from theory.validation import dataset, positive_scalar

__all__ = [
    "ReducedModel",
    "ReducedTrajectory",
    "PhasePrediction",
    "DEFAULT_N_NEAR",
    "DEFAULT_N_BINS",
    "DEFAULT_SWITCH",
    "DEFAULT_MAX_GD_STEPS",
    "SHARE_THRESHOLD",
    "reduce_population",
    "reduced_trajectory",
    "predict_phases",
    "phase_one_steady_bias",
    "logistic_steady_bias",
    "phase_one_steady_bias_mp",
    "population_time",
]

#: Population points per class kept exactly (the nearest to the max-margin hyperplane).
DEFAULT_N_NEAR = 2
#: Weighted centroids per class for the rest of the population (quantile bins of u = z^T theta_hat).
DEFAULT_N_BINS = 2
#: Discrete GD on the reduced model while eta lambda_max(H) >= this; the modified flow after. Its
#: neglected term is O(switch^2) relative per step (derivation ``phases``, "modified flow").
DEFAULT_SWITCH = 0.02
#: ... or after this many GD steps, whichever comes first (the trace bound can stay above the switch
#: for ~ 50 tr(sum_s alpha_s z_s z_s^T) steps, 5e9 at the paper's gamma = 1e-3: far too many to run).
DEFAULT_MAX_GD_STEPS = 200_000
#: Phase 1 ends when the non-support share of the gradient weight stays below this (issue 13).
SHARE_THRESHOLD = 0.5
# Points per decade of the log-time grid on which the flow part is evaluated (crossings are then
# refined to one GD step by bisection on the dense output).
_GRID_PER_DECADE = 400
_FLOW_RTOL, _FLOW_ATOL = 1e-10, 1e-12
# Field evaluations after which the flow gives up with a stated error: it needs ~1e3-1e4 on every set
# seen; a solver that crawls past this would take hours rather than give a value.
_FLOW_MAX_EVALUATIONS = 500_000
# Floor of the relative accuracy claimed for the value of max |b| / ||w|| (phase2_end's flat maximum):
# the flow grid (400 per decade) and the GD-part interpolation resolve the curve to ~1e-3 in t.
_PHASE2_VALUE_FLOOR = 1e-3
# The GD part is recorded at every step up to this step, then on a log grid with this many points
# per decade (theta is linearly interpolated in between: relative step error <= 0.12% of t).
_EVERY_STEP_UNTIL = 20_000
_GD_GRID_PER_DECADE = 2000


@dataclass(frozen=True)
class ReducedModel:
    """Support vectors plus a weighted summary of the population (see the module docstring).

    Attributes:
        Z: (m, d + 1) representatives z = y (x, 1) (support vectors, nearest points, centroids).
        weight: (m,) how many data points each stands for (1 for kept points, n_bin for centroids).
        is_support: (m,) True for the support vectors of eq. (7).
        n_points: N of the full data set; n_support: |S|.
        n_near, n_bins: the summary's resolution per class.
    """

    Z: np.ndarray
    weight: np.ndarray
    is_support: np.ndarray
    n_points: int
    n_support: int
    n_near: int
    n_bins: int

    @property
    def size(self) -> int:
        """Number of representatives m (<= N)."""
        return int(self.Z.shape[0])


@dataclass(frozen=True)
class ReducedTrajectory:
    """theta(t) of the reduced model at GD steps ``t`` (exact GD up to ``t_switch``, modified flow after)."""

    t: np.ndarray  # (K,) float GD steps (integers up to t_switch, then the log grid)
    theta: np.ndarray  # (K, d + 1)
    t_switch: int
    flow: object  # scipy OdeResult with dense output in s = log t (None when the horizon came first)
    eta: float


@dataclass(frozen=True)
class PhasePrediction:
    """Predicted phase ends and times of one training set, test set and eta (GD steps).

    Attributes:
        phase1_end: first step after which the non-support share of the gradient weight stays < 1/2.
        phase2_end: step of the maximum of |b| / ||w||.
        T_tr, T_te: Definition 3.4 with eps = 0 over ``horizon`` steps (inf if the sup is never reached).
        rel_error: time name -> stated relative error (module docstring); bracket: name -> (lo, hi).
        sup_train, sup_test: predicted suprema of the accuracies over the horizon.
        horizon: steps covered; censored: name -> True when the time sits at the horizon's end.
        eta_lambda: eta lambda_max(H(0)); regime: "stable" (<= 2) or "unstable".
        reduced_size, n_points: representatives of the reduced model and N.
        t_switch: step where discrete GD gave way to the modified flow.
        b_phase1: the phase-1 steady bias (1/2) log(A+ / A-) of eq. (14) at the phase-1 end state.
    """

    phase1_end: float
    phase2_end: float
    T_tr: float
    T_te: float
    rel_error: dict
    bracket: dict
    sup_train: float
    sup_test: float
    horizon: int
    censored: dict
    eta_lambda: float
    regime: str
    reduced_size: int
    n_points: int
    t_switch: int
    b_phase1: float


# ------------------------------------------------------------------ closed forms


def phase_one_steady_bias(X, y, w) -> float:
    """Steady state of eq. (14) of arXiv:2602.08302 at fixed w: b = (1/2) log(A^+ / A^-).

    A^+ = sum_{y=+1} e^{-w^T x}, A^- = sum_{y=-1} e^{w^T x} over the whole data (exponential tail).

    >>> phase_one_steady_bias([[1.0], [-1.0], [2.0]], [1.0, -1.0, 1.0], [0.0])  # A+ = 2, A- = 1
    0.34657359027997264
    """
    X, y = dataset(X, y)
    w = np.asarray(w, dtype=np.float64)
    m = X @ w
    lp = np.logaddexp.reduce(-m[y > 0]) if np.any(y > 0) else -math.inf
    lm = np.logaddexp.reduce(m[y < 0]) if np.any(y < 0) else -math.inf
    return 0.5 * float(lp - lm)


def logistic_steady_bias(X, y, w) -> float:
    """The exact bias steady state of the logistic loss at fixed w: the root b of sum_i y_i sigma(-y_i (w^T x_i + b)).

    eq. (14)'s :func:`phase_one_steady_bias` is its exponential-tail approximation. Brent's method
    on a bracket doubled until it changes sign, to xtol 1e-14 (logit units).

    >>> round(logistic_steady_bias([[0.0], [0.0], [0.0]], [1.0, 1.0, -1.0], [0.0]), 12)  # log(2 / 1)
    0.69314718056
    """
    from scipy.optimize import brentq
    from scipy.special import expit

    X, y = dataset(X, y)
    u = X @ np.asarray(w, dtype=np.float64)

    def grad(b):
        return float(np.sum(y * expit(-y * (u + b))))

    lo, hi = -1.0, 1.0
    while grad(lo) < 0:
        lo *= 2
    while grad(hi) > 0:
        hi *= 2
    return brentq(grad, lo, hi, xtol=1e-14)


def phase_one_steady_bias_mp(X, y, w, *, dps: int = 50):
    """:func:`phase_one_steady_bias` in mpmath at ``dps`` digits (the reference for its float64 logsumexp).

    >>> float(phase_one_steady_bias_mp([[1.0], [-1.0], [2.0]], [1.0, -1.0, 1.0], [0.0]))
    0.34657359027997264
    """
    import mpmath

    X, y = dataset(X, y)
    w = np.asarray(w, dtype=np.float64)
    with mpmath.workdps(dps):
        m = [mpmath.fsum(mpmath.mpf(float(a)) * mpmath.mpf(float(c)) for a, c in zip(row, w)) for row in X]
        Ap = mpmath.fsum(mpmath.exp(-mi) for mi, yi in zip(m, y) if yi > 0)
        Am = mpmath.fsum(mpmath.exp(mi) for mi, yi in zip(m, y) if yi < 0)
        return mpmath.log(Ap / Am) / 2


def population_time(u_min: float, weight_ratio: float) -> float:
    """Step t_pop after which the nearest population point's force is below the support vectors'.

    On the asymptote point i carries e^{-u_i log(t/k*)} / e^{-log(t/k*)} = (t/k*)^{-(u_i - 1)} times a
    support vector's weight (derivation ``phases``). With ``weight_ratio`` = n_pop_near / |S| the
    population's share falls below 1/2 at (t / k*) = weight_ratio^{1 / (u_min - 1)}; returned in units
    of k* (multiply by k*). inf when u_min <= 1.

    >>> population_time(2.0, 4.0)
    4.0
    """
    u_min = float(u_min)
    weight_ratio = positive_scalar("weight_ratio", weight_ratio)
    if u_min <= 1.0:
        return math.inf
    return max(1.0, weight_ratio) ** (1.0 / (u_min - 1.0))


# ------------------------------------------------------------------ the reduced model


def reduce_population(X, y, support, theta_hat, *, n_near: int = DEFAULT_N_NEAR,
                      n_bins: int = DEFAULT_N_BINS) -> ReducedModel:
    """Support vectors exactly, each class's population as nearest points plus weighted centroids.

    Formula: u_i = z_i^T theta_hat (= 1 on S, > 1 elsewhere); per class the ``n_near`` smallest u_i
    are kept, the rest are split into ``n_bins`` bins of equal count by u and each bin is replaced by
    its centroid z_bar with weight n_bin (sum_{i in bin} sigma(-z_i^T theta) z_i
    = n_bin sigma(-z_bar^T theta) z_bar (1 + O(Var_bin(z^T theta))), derivation ``phases``).

    Args:
        X: (N, d); y: (N,) in {-1, +1}; support: indices of the support vectors (eq. (7)).
        theta_hat: (d + 1,) (w_hat, b_hat) of eq. (7).
        n_near, n_bins: resolution per class (>= 0, >= 1).

    Returns:
        :class:`ReducedModel`.
    """
    X, y = dataset(X, y)
    n, d = X.shape
    Z = y[:, None] * np.hstack([X, np.ones((n, 1))])
    th = np.asarray(theta_hat, dtype=np.float64)
    if th.shape != (d + 1,):
        raise ValueError(f"`theta_hat` must have d + 1 = {d + 1} entries, got {th.shape}")
    S = np.unique(np.asarray(support, dtype=np.int64))
    if S.size == 0 or S.min() < 0 or S.max() >= n:
        raise ValueError("`support` must be a non-empty array of row indices of X")
    if n_near < 0 or n_bins < 1:
        raise ValueError(f"`n_near` must be >= 0 and `n_bins` >= 1, got {n_near}, {n_bins}")
    is_s = np.zeros(n, dtype=bool)
    is_s[S] = True
    reps, wts, sup = [Z[S]], [np.ones(S.size)], [np.ones(S.size, dtype=bool)]
    u = Z @ th
    for cls in (1.0, -1.0):
        idx = np.flatnonzero((~is_s) & (y == cls))
        if idx.size == 0:
            continue
        idx = idx[np.argsort(u[idx], kind="stable")]
        near, rest = idx[:n_near], idx[n_near:]
        reps.append(Z[near])
        wts.append(np.ones(near.size))
        sup.append(np.zeros(near.size, dtype=bool))
        if rest.size == 0:
            continue
        # bins of equal width in log(u - 1): equal RELATIVE spread of the margins within a bin
        lg = np.log(np.maximum(u[rest] - 1.0, 1e-300))
        edges = np.linspace(lg[0], lg[-1], n_bins + 1)[1:-1]
        which = np.searchsorted(edges, lg, side="right")
        for j in range(n_bins):
            part = rest[which == j]
            for pts, wt in _sigma_points(Z[part], u[part], th):
                reps.append(pts)
                wts.append(wt)
                sup.append(np.zeros(wt.size, dtype=bool))
    out = [np.concatenate(reps), np.concatenate(wts), np.concatenate(sup)]
    for a in out:
        a.setflags(write=False)
    return ReducedModel(out[0], out[1], out[2], n, int(S.size), int(n_near), int(n_bins))


def _sigma_points(Zb, ub, th):
    """Representatives of one bin: its count, mean, and covariance ACROSS theta_hat (sigma points).

    With P the projector orthogonal to theta_hat and P C P = sum_j lambda_j v_j v_j^T (rank r), the
    2r points z_bar +- sqrt(r lambda_j) v_j, weight n / (2r) each, have the bin's count, mean and
    across-theta_hat covariance, and every one has the bin's mean margin u = z_bar^T theta_hat (so no
    representative comes nearer the margin than the bin's points do on average; the nearest points
    themselves are kept exactly). Error of the bin's force sum_i sigma(-z_i^T theta) z_i: first order
    in theta only through the variance of u within the bin (kept small by the log-spaced bins) and the
    u-cross-covariance; second order in theta otherwise (derivation ``phases``, "summary").
    A bin of <= 2r points is kept as it is.
    """
    n = Zb.shape[0]
    if n == 0:
        return []
    zbar = Zb.mean(axis=0)
    e = th / np.linalg.norm(th)
    D0 = Zb - zbar
    D0 = D0 - np.outer(D0 @ e, e)
    C = D0.T @ D0 / n
    lam, V = np.linalg.eigh(C)
    keep = lam > lam.max() * 1e-12 if lam.max() > 0 else np.zeros(lam.size, dtype=bool)
    r = int(keep.sum())
    if n <= max(2 * r, 1):
        return [(Zb, np.ones(n))]
    if r == 0:
        return [(zbar[None, :], np.array([float(n)]))]
    D = (np.sqrt(r * lam[keep]) * V[:, keep]).T  # (r, p), rows orthogonal to theta_hat
    return [(np.vstack([zbar + D, zbar - D]), np.full(2 * r, n / (2.0 * r)))]


def _gd_kernel():
    """Weighted GD on the reduced model, compiled once (numba) and cached."""
    global _GD
    if _GD is None:
        import numba

        @numba.njit(cache=True, fastmath=False)
        def gd(Z, wt, eta, theta, t_stop, switch, check_every, ck):
            m, p = Z.shape
            n_rec = ck.size + 2
            out_t = np.empty(n_rec, dtype=np.int64)
            out_th = np.empty((n_rec, p))
            out_t[0] = 0
            out_th[0] = theta
            k = 1
            c_pos = 0
            g = np.empty(p)
            t = 0
            while t < t_stop:
                for j in range(p):
                    g[j] = 0.0
                lam_bound = 0.0
                for i in range(m):
                    mi = 0.0
                    for j in range(p):
                        mi += Z[i, j] * theta[j]
                    if mi >= 0:
                        e = math.exp(-mi)
                        s = e / (1.0 + e)
                    else:
                        s = 1.0 / (1.0 + math.exp(mi))
                    c = wt[i] * s
                    for j in range(p):
                        g[j] += c * Z[i, j]
                for j in range(p):
                    theta[j] += eta * g[j]
                t += 1
                while c_pos < ck.size and ck[c_pos] < t:
                    c_pos += 1
                if c_pos < ck.size and ck[c_pos] == t:
                    out_t[k] = t
                    out_th[k] = theta
                    k += 1
                if t % check_every == 0:
                    # trace bound on eta lambda_max(H) = eta sum wt sigma' ||z||^2 (sigma' <= sigma(-|m|))
                    for i in range(m):
                        mi = 0.0
                        zz = 0.0
                        for j in range(p):
                            mi += Z[i, j] * theta[j]
                            zz += Z[i, j] * Z[i, j]
                        e = math.exp(-abs(mi))
                        lam_bound += wt[i] * e / ((1.0 + e) * (1.0 + e)) * zz
                    if eta * lam_bound < switch:
                        break
            if out_t[k - 1] != t:
                out_t[k] = t
                out_th[k] = theta
                k += 1
            return out_t[:k], out_th[:k]

        _GD = gd
    return _GD


_GD = None


def _record_steps(horizon: int) -> np.ndarray:
    """Steps recorded during the GD part: every step up to _EVERY_STEP_UNTIL, then a log grid of
    relative spacing 10^(1/_GD_GRID_PER_DECADE) - 1 (0.12%), between which theta is interpolated."""
    dense = np.arange(1, min(horizon, _EVERY_STEP_UNTIL) + 1, dtype=np.int64)
    if horizon <= _EVERY_STEP_UNTIL:
        return dense
    n = int(math.ceil(math.log10(horizon / _EVERY_STEP_UNTIL) * _GD_GRID_PER_DECADE))
    grid = np.unique(np.round(np.geomspace(_EVERY_STEP_UNTIL, horizon, n + 1)).astype(np.int64))
    return np.unique(np.concatenate([dense, grid]))


def _grad_hess(Z, wt, theta):
    m = Z @ theta
    s = expit(-m)
    g = -(wt * s) @ Z
    sp_ = np.exp(log_expit(m) + log_expit(-m))
    H = (Z * (wt * sp_)[:, None]).T @ Z
    return g, H


def _modified_field(Z, wt, eta, corr, s, theta):
    """d theta / ds = -e^s eta (g + corr H g): GD's modified equation in s = log t (corr = eta / 2), or
    the plain flow (corr = 0); g and H are the reduced loss's gradient and Hessian."""
    g, H = _grad_hess(Z, wt, theta)
    return -math.exp(s) * eta * (g + corr * (H @ g))


def _modified_jacobian(Z, wt, eta, corr, s, theta):
    """Exact Jacobian of :func:`_modified_field`.

    d/dtheta (g + corr H g) = H + corr (H H + sum_j w_j l'''(m_j) (z_j^T g) z_j z_j^T), with
    l(m) = log(1 + e^{-m}) and l'''(m) = sigma'(m) (1 - 2 sigma(m)). The correction's own derivative is
    kept: without it the Newton matrix is off by the factor 1 + corr lambda_max(H), and where
    eta lambda_max(H) is near 1 at the switch LSODA's corrector stops converging and the solver crawls
    (millions of evaluations on a 5-D paper-size set at eta = 1e-2).
    """
    g, H = _grad_hess(Z, wt, theta)
    if corr == 0.0:
        return -math.exp(s) * eta * H
    m = Z @ theta
    sp_ = np.exp(log_expit(m) + log_expit(-m))
    l3 = sp_ * (1.0 - 2.0 * expit(m))
    dHg = (Z * (wt * l3 * (Z @ g))[:, None]).T @ Z
    return -math.exp(s) * eta * (H + corr * (H @ H + dHg))


def reduced_trajectory(model: ReducedModel, eta: float, horizon: int, *, switch: float = DEFAULT_SWITCH,
                       max_gd_steps: int = DEFAULT_MAX_GD_STEPS) -> ReducedTrajectory:
    """GD on the reduced model while eta lambda_max(H) >= ``switch`` (trace bound; at most ``max_gd_steps``), then the modified flow.

    Formula: theta_{t+1} = theta_t - eta grad L_r(theta_t) with L_r = sum_j weight_j l(z_j^T theta);
    after t_switch: d theta / ds = -t eta (g + (eta / 2) H g), s = log t (GD's modified equation,
    derivation ``phases``), LSODA with the dense output kept.

    Args:
        model: :class:`ReducedModel`; eta: step size > 0; horizon: last GD step (>= 1).
        switch: eta lambda_max(H) below which the flow takes over (0 < switch < 1).
        max_gd_steps: the flow takes over after this many GD steps in any case.

    Returns:
        :class:`ReducedTrajectory` (every step recorded up to min(t_switch, 2e5), then every k-th).
    """
    eta = positive_scalar("eta", eta)
    horizon = int(horizon)
    if horizon < 1:
        raise ValueError(f"`horizon` must be >= 1 GD step, got {horizon}")
    Z, wt = np.ascontiguousarray(model.Z), np.ascontiguousarray(model.weight, dtype=np.float64)
    theta = np.zeros(Z.shape[1])
    gd = _gd_kernel()
    t_gd, th_gd = gd(Z, wt, eta, theta, min(horizon, int(max_gd_steps)), float(switch), 16, _record_steps(horizon))
    t_sw = int(t_gd[-1])
    if t_sw >= horizon:
        return ReducedTrajectory(t_gd.astype(float), th_gd, t_sw, None, eta)

    # The modified field's correction (eta/2) H g is an expansion in eta lambda_max(H); where that is not
    # small at the switch (the step cap came first: the edge-of-stability regime, or a stiff late phase)
    # it can make the field expansive, so the plain flow is used instead (first-order error O(eta lambda)).
    _, H_sw = _grad_hess(Z, wt, th_gd[-1])
    corr = 0.5 * eta if eta * float(np.linalg.eigvalsh(H_sw)[-1]) < 1.0 else 0.0

    calls = [0]

    def rhs(s, th):
        calls[0] += 1
        if calls[0] > _FLOW_MAX_EVALUATIONS:
            raise RuntimeError(f"reduced modified flow: no solution within {_FLOW_MAX_EVALUATIONS} evaluations "
                               f"(stopped at t = {math.exp(s):.4g} of {horizon}); the phase prediction is unavailable")
        return _modified_field(Z, wt, eta, corr, s, th)

    def jac(s, th):
        return _modified_jacobian(Z, wt, eta, corr, s, th)

    s0, s1 = math.log(t_sw), math.log(horizon)
    sol = solve_ivp(rhs, (s0, s1), th_gd[-1].copy(), method="LSODA", jac=jac, rtol=_FLOW_RTOL,
                    atol=_FLOW_ATOL, dense_output=True)
    if not sol.success:
        raise RuntimeError(f"reduced modified flow failed: {sol.message}")
    n_grid = max(8, int(math.ceil((s1 - s0) / math.log(10) * _GRID_PER_DECADE)))
    s_grid = np.linspace(s0, s1, n_grid + 1)[1:]
    th_fl = sol.sol(s_grid).T
    t_all = np.concatenate([t_gd.astype(float), np.exp(s_grid)])
    t_all[-1] = float(horizon)
    return ReducedTrajectory(t_all, np.vstack([th_gd, th_fl]), t_sw, sol, eta)


# ------------------------------------------------------------------ rules on the reduced trajectory


def _theta_at(traj: ReducedTrajectory, t: float) -> np.ndarray:
    """theta at a (possibly non-grid) step: exact GD record below t_switch, dense flow output after."""
    if t <= traj.t_switch or traj.flow is None:
        k = int(np.searchsorted(traj.t, t, side="right")) - 1
        k = max(k, 0)
        if traj.t[k] == t or k + 1 >= traj.t.size:
            return traj.theta[k]
        f = (t - traj.t[k]) / (traj.t[k + 1] - traj.t[k])
        return (1 - f) * traj.theta[k] + f * traj.theta[k + 1]
    return traj.flow.sol(math.log(t))


def _share(Zfull, is_s, theta):
    logs = log_expit(-(Zfull @ theta.T)).T  # (K, N)
    top = logs.max(axis=1, keepdims=True)
    s = np.exp(logs - top)
    pop = s[:, ~is_s].sum(axis=1)
    return pop / (pop + s[:, is_s].sum(axis=1))


def _accuracy(Zset, theta):
    return np.mean((theta @ Zset.T) > 0.0, axis=1)


def _refine_first(traj, f, lo, hi):
    """Smallest integer step in (lo, hi] where f(theta) holds (f false at lo, true at hi), by bisection."""
    lo, hi = int(math.floor(lo)), int(math.ceil(hi))
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if f(_theta_at(traj, mid)[None, :])[0]:
            hi = mid
        else:
            lo = mid
    return float(hi)


def _first_reaching(traj, values, f):
    """First grid time with f true, refined to a step; also whether it is the last grid point."""
    hit = np.flatnonzero(values)
    if hit.size == 0:
        return math.inf, True
    k = int(hit[0])
    if k == 0:
        return float(traj.t[0]), False
    return _refine_first(traj, f, traj.t[k - 1], traj.t[k]), k == values.size - 1


def _single(X, y, Xt, yt, support, theta_hat, eta, horizon, n_near, n_bins, switch, max_gd):
    model = reduce_population(X, y, support, theta_hat, n_near=n_near, n_bins=n_bins)
    traj = reduced_trajectory(model, eta, horizon, switch=switch, max_gd_steps=max_gd)
    n = X.shape[0]
    Zf = y[:, None] * np.hstack([X, np.ones((n, 1))])
    Zt = yt[:, None] * np.hstack([Xt, np.ones((Xt.shape[0], 1))])
    is_s = np.zeros(n, dtype=bool)
    is_s[np.asarray(support, dtype=np.int64)] = True
    th = traj.theta
    out, cens = {}, {}
    # phase 1: last grid point with share >= 1/2, then the first step after it with share < 1/2
    share = _share(Zf, is_s, th)
    above = np.flatnonzero(share >= SHARE_THRESHOLD)
    if above.size == 0:
        out["phase1_end"], cens["phase1_end"] = float(traj.t[0]), False
    elif above[-1] == share.size - 1:
        out["phase1_end"], cens["phase1_end"] = math.inf, True
    else:
        k = int(above[-1])
        out["phase1_end"] = _refine_first(traj, lambda q: _share(Zf, is_s, q) < SHARE_THRESHOLD,
                                          traj.t[k], traj.t[k + 1])
        cens["phase1_end"] = False
    # phase 2: maximum of |b| / ||w|| on the grid (its neighbours bracket the true maximum)
    wn = np.linalg.norm(th[:, :-1], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        dist = np.where(wn > 0, np.abs(th[:, -1]) / np.where(wn > 0, wn, 1.0), -1.0)
    k2 = int(np.argmax(dist))
    out["phase2_end"], cens["phase2_end"] = float(traj.t[k2]), k2 == dist.size - 1
    extra = {"dist_t": traj.t, "dist": dist}
    # T_tr, T_te: Definition 3.4, eps = 0, sup over the horizon
    acc_tr, acc_te = _accuracy(Zf, th), _accuracy(Zt, th)
    sups = {}
    for name, acc, Zs in (("T_tr", acc_tr, Zf), ("T_te", acc_te, Zt)):
        sup = float(acc.max())
        sups[name] = sup
        level = sup * (1.0 - 1e-12)
        out[name], cens[name] = _first_reaching(traj, acc >= level, lambda q, Zs=Zs, lv=level: _accuracy(Zs, q) >= lv)
    k1 = out["phase1_end"]
    b1 = phase_one_steady_bias(X, y, _theta_at(traj, k1 if math.isfinite(k1) else horizon)[:-1])
    return out, cens, sups, model, traj, b1, extra


def predict_phases(X, y, X_test, y_test, *, support, theta_hat, eta: float, horizon: int,
                   eta_lambda: float, n_near: int = DEFAULT_N_NEAR, n_bins: int = DEFAULT_N_BINS,
                   switch: float = DEFAULT_SWITCH, max_gd_steps: int = DEFAULT_MAX_GD_STEPS,
                   refine: bool = True) -> PhasePrediction:
    """Predicted phase1_end, phase2_end, T_tr, T_te (GD steps) with stated errors (module docstring).

    Args:
        X, y: training set; X_test, y_test: test set.
        support: support-vector rows of eq. (7); theta_hat: (w_hat, b_hat) of eq. (7).
        eta: GD step size; horizon: steps over which Definition 3.4's sup is taken.
        eta_lambda: eta lambda_max(H(0)) (theory.stability.sharpness_at_init), for the regime.
        n_near, n_bins, switch, max_gd_steps: the reduced model's resolution and the GD -> flow switch.
        refine: also compute the refined variants for the stated error (doubles the cost twice).

    Returns:
        :class:`PhasePrediction`.
    """
    X, y = dataset(X, y)
    Xt, yt = dataset(X_test, y_test, X_name="X_test", y_name="y_test")
    coarse = (2 * n_near + 1, 2 * n_bins)  # the summary refined once ...
    fine = (2 * coarse[0] + 1, 2 * coarse[1])  # ... and twice: the reported model
    out, cens, sups, model, traj, b1, extra = _single(X, y, Xt, yt, support, theta_hat, eta, horizon, *fine, switch,
                                                 max_gd_steps)
    names = ("phase1_end", "phase2_end", "T_tr", "T_te")
    err = {k: 0.0 for k in names}
    dmax = float(np.max(extra["dist"]))
    flat = _PHASE2_VALUE_FLOOR
    if refine:
        runs = [
            _single(X, y, Xt, yt, support, theta_hat, eta, horizon, *coarse, switch, max_gd_steps),
            _single(X, y, Xt, yt, support, theta_hat, eta, horizon, *fine, switch / 2, 2 * max_gd_steps),
        ]
        variants = [r[0] for r in runs]
        for r in runs:  # how well the reduced model knows the VALUE of max |b| / ||w||
            if dmax > 0:
                flat = max(flat, abs(float(np.max(r[6]["dist"])) - dmax) / dmax)
        for k in names:
            for v in variants:
                a, b = out[k], v[k]
                if math.isfinite(a) and math.isfinite(b):
                    err[k] = max(err[k], abs(b - a) / max(a, 1.0))
                elif math.isfinite(a) != math.isfinite(b):
                    err[k] = math.inf
    # The maximum of |b| / ||w|| is flat: every step where the distance is within 2 x its stated relative
    # error of the maximum could be the measured argmax, so that range widens phase2_end's error.
    if dmax > 0 and math.isfinite(out["phase2_end"]):
        near = extra["dist_t"][extra["dist"] >= dmax * (1.0 - 2.0 * flat)]
        T2 = out["phase2_end"]
        err["phase2_end"] = max(err["phase2_end"], (T2 - near.min()) / max(T2, 1.0), (near.max() - T2) / max(T2, 1.0))
    bracket = {k: (max(0.0, out[k] * (1 - err[k]) - 1), out[k] * (1 + err[k]) + 1) for k in names}
    return PhasePrediction(
        phase1_end=out["phase1_end"], phase2_end=out["phase2_end"], T_tr=out["T_tr"], T_te=out["T_te"],
        rel_error=err, bracket=bracket, sup_train=sups["T_tr"], sup_test=sups["T_te"], horizon=int(horizon),
        censored=cens, eta_lambda=float(eta_lambda), regime="stable" if eta_lambda <= 2.0 else "unstable",
        reduced_size=model.size, n_points=model.n_points, t_switch=traj.t_switch, b_phase1=b1,
    )
