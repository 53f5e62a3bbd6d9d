"""Theorem 4.2 (eq. (8)) of arXiv:2602.08302 for theta = (w, b): the residual theta_tilde.

Checks: stationarity re-evaluated independently in mpmath; the derived eta law
theta_tilde(eta) = theta_tilde(1) + log(eta) theta_hat; the derived bias identity
b_tilde - b_inf = -artanh(b_hat / ||theta_hat||^2) (so b_tilde = -log delta iff b_hat = 0);
agreement with scipy BFGS; weak support vectors; the paper-like planted data. The Newton solver itself:
exactly rounded dot products, the start point (exact for balanced support), the goal, the stall rule at the
rounding floor, damping on lopsided support, the iteration cap, and the reported float64 stationarity;
rank deficiency up to rounding; weak support in any units; one-class support on either side.
"""

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import assume, example, given, target
from hypothesis import strategies as st
from scipy.optimize import minimize

from checks.tolerances import (
    GEO_TINY_QP_TOL,
    RES_BALANCED_RTOL,
    RES_BFGS_RTOL,
    RES_ETA_SHIFT_RTOL,
    RES_FLOAT64_STATIONARITY_RTOL,
    RES_HAND_OFFSET_MIN,
    RES_HAND_RTOL,
    RES_IDENTITY_RTOL,
    RES_IMBALANCE_B_INF_MIN,
    RES_NEWTON_GOAL,
    RES_ORTHOGONAL_RTOL,
    RES_PLANE_RTOL,
    RES_PLANTED_B_HAT_ATOL,
    RES_STATIONARITY_TOL,
    scaled_error,
)
from theory.geometry import NotSeparableError, augmented_max_margin, svm_with_bias
from theory.residual import _exact_dots, residual_limit

# --------------------------------------------------------------------------- data


def planted(seed, d, k_plus, k_minus, gamma, *, n_pop=100, gap=0.05, box=5.0):
    """Support vectors on w^T x = +-gamma/2 in symmetric pairs (so b_hat = 0), population beyond."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=d)
    w /= np.linalg.norm(w)
    P = np.eye(d) - np.outer(w, w)
    pop = rng.uniform(-box, box, size=(6 * n_pop + 50, d))
    pop = pop[np.abs(pop @ w) >= gamma / 2 + gap][:n_pop]
    X, ys = [pop], [np.sign(pop @ w)]
    for c, k in ((1.0, k_plus), (-1.0, k_minus)):
        v = rng.uniform(-box, box, size=(k // 2, d)) @ P
        X += [c * gamma / 2 * w + v, c * gamma / 2 * w - v]
        ys += [np.full(k // 2, c)] * 2
    return np.vstack(X), np.concatenate(ys)


def generic(seed, n, d):
    """Random separable data: generically d + 1 support vectors and b_hat != 0."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * 2
    a = rng.normal(size=d)
    s = X @ a / np.linalg.norm(a) + 0.7
    keep = np.abs(s) > 0.1
    return X[keep], np.where(s[keep] > 0, 1.0, -1.0)


planted_data = st.builds(
    planted,
    st.integers(0, 2**32 - 1), st.integers(2, 5), st.integers(1, 20).map(lambda k: 2 * k),
    st.integers(1, 20).map(lambda k: 2 * k), st.sampled_from([1e-3, 1e-2, 0.1, 0.5]),
)
generic_data = st.builds(generic, st.integers(0, 2**32 - 1), st.integers(6, 30), st.integers(1, 4))
etas = st.sampled_from([1e-3, 1e-2, 0.1, 1.0, 3.0])


def _mp_ld(x):
    """An np.longdouble as an exact mpf (float64 hi/lo split; 64 + 53 bits cover the mantissa)."""
    hi = float(x)
    return mpmath.mpf(hi) + mpmath.mpf(float(x - np.longdouble(hi)))


def _mp_theta(r):
    """theta_tilde = kappa * theta_hat + u evaluated exactly in mpmath."""
    th_hat = np.append(r.w_hat, r.b_hat)
    return [_mp_ld(r.kappa) * mpmath.mpf(float(t)) + _mp_ld(ui) for t, ui in zip(th_hat, r.u)]


def mp_check(X, y, r):
    """Independent 40-digit evaluation: stationarity and the bias quantities at theta_tilde."""
    d = X.shape[1]
    with mpmath.workdps(40):
        v = _mp_theta(r)
        th_hat = [mpmath.mpf(float(c)) for c in np.append(r.w_hat, r.b_hat)]
        grad = [-c for c in th_hat]
        A_plus = A_minus = mpmath.mpf(0)
        for s in r.support:
            z = [mpmath.mpf(float(y[s] * c)) for c in np.append(X[s], 1.0)]
            a = r.eta * mpmath.exp(-mpmath.fsum(zi * vi for zi, vi in zip(z, v)))
            grad = [g + a * zi for g, zi in zip(grad, z)]
            wx = mpmath.fsum(mpmath.mpf(float(X[s, i])) * v[i] for i in range(d))
            if y[s] > 0:
                A_plus += mpmath.exp(-wx)
            else:
                A_minus += mpmath.exp(wx)
        th_norm2 = mpmath.fsum(c * c for c in th_hat)
        stat = mpmath.sqrt(mpmath.fsum(g * g for g in grad)) / mpmath.sqrt(th_norm2)
        b_inf = (mpmath.log(A_plus) - mpmath.log(A_minus)) / 2
        return float(stat), float(v[d] - b_inf), float(th_norm2), float(b_inf)


# --------------------------------------------------------------------------- stationarity


@given(st.one_of(planted_data, generic_data), etas)
@example(planted(0, 2, 40, 10, 1e-3), 1e-2)
@example(planted(1, 3, 2, 2, 0.5), 1.0)
def test_stationarity_and_bias_identity(data, eta):
    X, y = data
    assume(len(set(y)) == 2)
    r = residual_limit(X, y, eta)
    assume(r.support.size > 0 and set(y[r.support]) == {-1.0, 1.0})
    assert r.status == "optimal", r.message
    stat, b_gap, th_norm2, b_inf = mp_check(X, y, r)
    target(stat / RES_STATIONARITY_TOL, label="stationarity / tolerance")
    assert stat <= RES_STATIONARITY_TOL, stat
    assert np.all(r.alphas >= 0) and np.all(r.alphas[np.setdiff1d(np.arange(len(y)), r.support)] == 0)
    # the derived identity, evaluated independently: b_tilde - b_inf = -artanh(b_hat / ||theta_hat||^2)
    ident = -math.atanh(r.b_hat / th_norm2)
    assert scaled_error(b_gap, ident, rtol=RES_IDENTITY_RTOL, atol=RES_IDENTITY_RTOL * (1 + abs(b_inf))) < 1
    assert scaled_error(r.b_tilde_minus_b_inf, b_gap, rtol=RES_IDENTITY_RTOL, atol=RES_IDENTITY_RTOL * (1 + abs(b_inf))) < 1
    atol_b = RES_IDENTITY_RTOL * (1 + abs(b_inf))
    assert scaled_error(math.log(r.delta), -b_inf, rtol=RES_IDENTITY_RTOL, atol=atol_b) < 1  # delta = e^{-b_inf}
    assert scaled_error(r.rate, math.sqrt(th_norm2**2 - r.b_hat**2) / eta, rtol=RES_IDENTITY_RTOL) < 1
    assert scaled_error(r.rate_identity, math.sqrt(th_norm2**2 - r.b_hat**2) / eta, rtol=RES_IDENTITY_RTOL) < 1


@pytest.mark.parametrize("k_plus, k_minus", [(350, 350), (350, 100), (100, 350)])
def test_paper_planted_2d_b_tilde_equals_minus_log_delta(k_plus, k_minus):
    """Paper's d = 2 setting (N = 2000, gamma = 1e-3, eta = 1e-2): b_hat = 0, so b_tilde = -log delta."""
    gamma, eta = 1e-3, 1e-2
    X, y = planted(5, 2, k_plus, k_minus, gamma, n_pop=2000 - k_plus - k_minus, gap=0.01)
    r = residual_limit(X, y, eta)
    assert r.status == "optimal" and r.stationarity <= RES_STATIONARITY_TOL
    assert r.support.size == k_plus + k_minus and r.weak_support.size == 0 and r.orthogonal_dim == 0
    assert abs(r.b_hat) <= RES_PLANTED_B_HAT_ATOL
    assert abs(r.b_tilde_minus_b_inf) <= RES_IDENTITY_RTOL * (1 + abs(r.b_inf))
    # rate of eq. (10)-(11) from the identity: ||w_hat||^2 / eta = 4 / (gamma^2 eta)
    assert r.rate == pytest.approx(4 / (gamma**2 * eta), rel=RES_IDENTITY_RTOL)
    if k_plus != k_minus:
        assert abs(r.b_inf) > RES_IMBALANCE_B_INF_MIN  # imbalanced support sets do move the limit bias


def test_b_tilde_differs_from_minus_log_delta_when_b_hat_nonzero():
    X, y = np.array([[3.0, 1.0], [1.0, -1.0]]), np.array([1.0, -1.0])  # eq. (7): theta_hat = (1/6, 5/6, -1/3)
    r = residual_limit(X, y, 1.0)
    assert r.b_hat == pytest.approx(-1 / 3, abs=GEO_TINY_QP_TOL)
    expected = -math.atanh((-1 / 3) / (1 / 36 + 25 / 36 + 1 / 9))  # artanh(0.4) by hand
    assert r.b_tilde_minus_b_inf == pytest.approx(expected, rel=RES_HAND_RTOL)
    assert abs(r.b_tilde_minus_b_inf) > RES_HAND_OFFSET_MIN
    assert r.b_offset_identity == pytest.approx(expected, rel=RES_HAND_RTOL)  # the identity as reported


# --------------------------------------------------------------------------- eta law


@given(st.one_of(planted_data, generic_data), etas)
def test_eta_only_shifts_along_theta_hat(data, eta):
    X, y = data
    assume(len(set(y)) == 2)
    sol = augmented_max_margin(X, y)
    r1 = residual_limit(X, y, 1.0, solution=sol)
    re = residual_limit(X, y, eta, solution=sol)
    assume(r1.support.size > 0 and set(y[r1.support]) == {-1.0, 1.0})
    th_hat = np.append(sol.w_hat, sol.b_hat)
    shift = (re.theta_tilde_extended - r1.theta_tilde_extended).astype(float)
    scale = float(np.linalg.norm(r1.theta_tilde_extended.astype(float))) + abs(math.log(eta)) * np.linalg.norm(th_hat)
    err = scaled_error(shift, math.log(eta) * th_hat, rtol=0, atol=RES_ETA_SHIFT_RTOL * scale)
    target(err, label="eta law")
    assert err < 1, err
    # A_S^+- scale as eta^(-1 +- b_hat); b_tilde - b_inf does not move
    assert scaled_error(math.log(re.A_plus / r1.A_plus), (-1 + sol.b_hat) * math.log(eta), rtol=0, atol=RES_ETA_SHIFT_RTOL * scale) < 1
    assert scaled_error(math.log(re.A_minus / r1.A_minus), (-1 - sol.b_hat) * math.log(eta), rtol=0, atol=RES_ETA_SHIFT_RTOL * scale) < 1
    assert abs(re.b_tilde_minus_b_inf - r1.b_tilde_minus_b_inf) <= RES_ETA_SHIFT_RTOL * scale


# --------------------------------------------------------------------------- independent minimiser


@pytest.mark.parametrize(
    "X, y",
    [planted(2, 2, 4, 2, 0.5, n_pop=20), generic(4, 12, 2), generic(4, 20, 3)],
    ids=["planted-2d", "generic-2d", "generic-3d"],
)
def test_matches_bfgs(X, y):
    sol = augmented_max_margin(X, y)
    r = residual_limit(X, y, 0.5, solution=sol)
    assert r.orthogonal_dim == 0  # full span: F has a unique minimiser in R^{d+1}
    Z = y[r.support, None] * np.hstack([X[r.support], np.ones((r.support.size, 1))])
    th = np.append(sol.w_hat, sol.b_hat)

    def F(v):
        e = 0.5 * np.exp(-Z @ v)
        return e.sum() + th @ v, th - Z.T @ e

    res = minimize(F, np.zeros_like(th), jac=True, method="BFGS", options={"gtol": 1e-12 * np.linalg.norm(th), "maxiter": 10000})
    ref = res.x
    got = np.append(r.w_tilde, r.b_tilde)
    assert scaled_error(got, ref, rtol=0, atol=RES_BFGS_RTOL * max(1.0, np.linalg.norm(ref))) < 1


# --------------------------------------------------------------------------- degenerate cases


def test_weak_support_vectors_are_detected_and_left_out():
    # w = e1, gamma = 0.5: + SVs at (0.25, t), t in {-1, 0}; - SVs at (-0.25, t), t in {0, 2}.
    # Valid alphas need equal alpha-weighted means of t in both classes -> both means 0, so
    # the + SV at t = -1 and the - SV at t = 2 carry alpha = 0 in every valid alpha (weak).
    X = np.array([[0.25, -1.0], [0.25, 0.0], [-0.25, 0.0], [-0.25, 2.0], [2.0, 1.0], [-2.0, -3.0]])
    y = np.array([1.0, 1.0, -1.0, -1.0, 1.0, -1.0])
    r = residual_limit(X, y, 0.1)
    np.testing.assert_array_equal(np.sort(r.weak_support), [0, 3])
    np.testing.assert_array_equal(np.sort(r.support), [1, 2])
    assert r.status == "optimal"
    assert r.alphas[0] == 0 and r.alphas[3] == 0


def test_orthogonal_component_is_zero_and_reported():
    X, y = np.array([[2.0, 0], [3, 1], [0, 0], [-1, 1]]), np.array([1.0, 1, -1, -1])
    r = residual_limit(X, y, 1.0)  # two support vectors in R^3: span of dimension 2
    assert r.orthogonal_dim == 1
    Z = y[r.support, None] * np.hstack([X[r.support], np.ones((2, 1))])
    null = np.linalg.svd(Z)[2][-1]
    assert abs(null @ np.append(r.w_tilde, r.b_tilde)) <= RES_ORTHOGONAL_RTOL * np.linalg.norm(np.append(r.w_tilde, r.b_tilde))


# --------------------------------------------------------------------------- errors


def test_invalid_input():
    X, y = generic(0, 10, 2)
    with pytest.raises(ValueError, match="`eta` must be positive"):
        residual_limit(X, y, 0.0)
    with pytest.raises(ValueError, match="`solution` must be the eq. \\(7\\) solution"):
        residual_limit(X, y, 1.0, solution=svm_with_bias(X, y))
    with pytest.raises(NotSeparableError):
        residual_limit(np.array([[0.0], [1.0], [2.0]]), np.array([1.0, -1.0, 1.0]), 1.0)


def test_one_class_support_gives_infinite_limit_bias():
    # eq. (7) by hand: only w + b >= 1 is active -> theta_hat = (1/2, 1/2), b_hat = ||theta_hat||^2
    X, y = np.array([[1.0], [2.0], [-10.0]]), np.array([1.0, 1.0, -1.0])
    r = residual_limit(X, y, 0.1)
    assert r.status == "optimal"
    np.testing.assert_array_equal(r.support, [0])
    assert r.A_minus == 0.0 and r.delta == 0.0 and r.b_inf == math.inf and r.rate == 0.0
    assert r.b_tilde_minus_b_inf == -math.inf
    assert r.b_offset_identity < -15  # -artanh(b_hat / ||theta_hat||^2) with the ratio 1 up to rounding


# --------------------------------------------------------------------------- Newton solver

extended_precision = pytest.mark.skipif(
    np.finfo(np.longdouble).nmant < 63, reason="the Newton goal needs np.longdouble with a 64-bit mantissa"
)


def _ld_fraction(x):
    """An np.longdouble as an exact Fraction (its float64 hi/lo split covers the 64-bit mantissa)."""
    hi = float(x)
    return Fraction(hi) + Fraction(float(x - np.longdouble(hi)))


def test_exact_dots_are_correctly_rounded():
    """z_s^T v of the module's "Precision" paragraph: correctly rounded to np.longdouble even when
    the terms cancel to ~1e-12 of their size (checked against exact rational arithmetic)."""
    rng = np.random.default_rng(11)
    M = rng.normal(size=(40, 4)) * 10.0 ** rng.integers(-3, 4, size=(40, 4))
    v = rng.normal(size=4) * np.array([1e4, 1.0, 1e-2, 3.0])
    M[:, -1] = -(M[:, :-1] @ v[:-1]) / v[-1]  # rows nearly orthogonal to v
    got = _exact_dots(M, v)
    for i in range(M.shape[0]):
        exact = sum(Fraction(float(a)) * Fraction(float(b)) for a, b in zip(M[i], v))
        assert abs(_ld_fraction(got[i]) - exact) <= abs(exact) * Fraction(float(np.finfo(np.longdouble).eps)), i


@pytest.mark.parametrize(
    "X, y, eta",
    [(*planted(3, 2, 10, 10, 1e-3), 1e-2), (*planted(3, 3, 20, 20, 0.5), 1e-2), (*planted(6, 4, 6, 6, 0.1), 3.0)],
    ids=["small-margin", "wide-margin", "4d"],
)
def test_balanced_support_starts_newton_at_the_minimiser(X, y, eta):
    """Module docstring, last bullet: for balanced symmetric support sets theta_tilde = kappa theta_hat with
    eta e^{-kappa} = ||theta_hat||^2 / |S|, which is Newton's start point: one step (rounding) is all it takes."""
    r = residual_limit(X, y, eta)
    th2, m = float(np.sum(r.w_hat**2) + r.b_hat**2), r.support.size
    assert r.status == "optimal" and r.orthogonal_dim == 0 and r.weak_support.size == 0
    np.testing.assert_allclose(r.alphas[r.support], th2 / m, rtol=RES_BALANCED_RTOL)
    assert float(r.kappa) == pytest.approx(math.log(eta * m / th2), rel=RES_BALANCED_RTOL)
    if np.finfo(np.longdouble).nmant >= 63:
        assert r.newton_iterations <= 2, r.message
    # where np.longdouble is float64 (macOS arm64, Windows) the start point sits at the rounding floor above
    # Newton's goal, and the stall rule needs a few noisy steps to see that the stationarity stopped falling


@extended_precision
@pytest.mark.parametrize(
    "X, y, eta",
    [(*planted(0, 2, 40, 10, 1e-3), 1e-2), (*planted(2, 2, 4, 2, 0.5, n_pop=20), 0.5), (*generic(4, 12, 2), 0.5)],
    ids=["planted-small-margin", "planted-wide-margin", "generic-2d"],
)
def test_newton_reaches_its_goal(X, y, eta):
    """Below the rounding floor Newton does not stop at the tolerance 1e-10 but goes on to its goal 1e-14
    (evaluated independently in mpmath), in a handful of iterations."""
    r = residual_limit(X, y, eta)
    stat, *_ = mp_check(X, y, r)
    assert r.status == "optimal"
    assert stat <= RES_NEWTON_GOAL, stat
    assert r.newton_iterations <= 12, r.message  # measured 6-7


@extended_precision
def test_newton_stops_at_the_rounding_floor():
    """gamma = 1e-4 and |x| up to 100: ||theta_hat|| R ~ 3e6 puts the rounding floor (~ eps_ld ||theta_hat|| R)
    above the goal 1e-14, so the stall rule, not the iteration cap (200), must stop Newton, within tolerance."""
    X, y = planted(0, 2, 2, 30, 1e-4, box=100.0, n_pop=20)
    sol = augmented_max_margin(X, y)
    assert sol.status == "optimal" and sol.support.size == 32  # eq. (7) itself is solved accurately here
    r = residual_limit(X, y, 1e-2, solution=sol)
    stat, *_ = mp_check(X, y, r)
    assert r.status == "optimal" and stat <= RES_STATIONARITY_TOL, stat
    assert r.stationarity > RES_NEWTON_GOAL  # the goal is out of reach: this exercises the stall rule
    assert r.newton_iterations <= 20, r.message  # measured 10


@pytest.mark.parametrize("k_minus", [40, 80, 200])
def test_damped_newton_on_lopsided_support(k_minus):
    """2 positive vs k_minus negative support vectors: the two positives carry ~k_minus/2 times the mean
    alpha of the start point, so an undamped Newton step overshoots by ~k_minus/2 in log(alpha) (and then
    crawls back, or overflows); the line search keeps the iteration count small."""
    X, y = planted(3, 2, 2, k_minus, 0.1, n_pop=50)
    r = residual_limit(X, y, 0.1)
    assert r.status == "optimal" and r.support.size == 2 + k_minus
    assert r.newton_iterations <= 10, r.message  # measured 7-8


def test_iteration_cap_is_reported(monkeypatch):
    """Stopped by the iteration cap far from the minimiser: the result says so, and its stationarity is
    the true one (evaluated independently)."""
    monkeypatch.setattr("theory.residual._NEWTON_MAX_ITER", 3)
    X, y = planted(3, 2, 2, 80, 0.1, n_pop=50)
    r = residual_limit(X, y, 0.1)
    assert r.newton_iterations == 3 and "after 3 iterations" in r.message
    stat, *_ = mp_check(X, y, r)
    assert r.status == "inaccurate" and stat > RES_STATIONARITY_TOL
    assert r.stationarity == pytest.approx(stat, rel=RES_FLOAT64_STATIONARITY_RTOL)


def mp_stationarity_float64(X, y, r):
    """||sum_s eta exp(-z_s^T v) z_s - theta_hat|| / ||theta_hat|| at v = (w_tilde, b_tilde) as floats, 40 digits."""
    with mpmath.workdps(40):
        v = [mpmath.mpf(float(c)) for c in np.append(r.w_tilde, r.b_tilde)]
        th = [mpmath.mpf(float(c)) for c in np.append(r.w_hat, r.b_hat)]
        grad = [-c for c in th]
        for s in r.support:
            z = [mpmath.mpf(float(y[s] * c)) for c in np.append(X[s], 1.0)]
            a = mpmath.mpf(r.eta) * mpmath.exp(-mpmath.fsum(zi * vi for zi, vi in zip(z, v)))
            grad = [g + a * zi for g, zi in zip(grad, z)]
        return float(mpmath.sqrt(mpmath.fsum(g * g for g in grad) / mpmath.fsum(c * c for c in th)))


@pytest.mark.parametrize(
    "X, y, eta",
    [(*planted(0, 2, 40, 10, 1e-3), 1e-2), (*planted(5, 2, 350, 100, 1e-3, n_pop=200, gap=0.01), 1e-2)],
    ids=["planted-50", "paper-like-450"],
)
def test_stationarity_float64_is_the_conditioning_floor(X, y, eta):
    """The reported stationarity at the float64 (w_tilde, b_tilde) equals its independent recomputation
    and, at gamma = 1e-3, sits orders of magnitude above the extended-precision minimiser's (module doc)."""
    r = residual_limit(X, y, eta)
    ref = mp_stationarity_float64(X, y, r)
    assert r.stationarity_float64 == pytest.approx(ref, rel=RES_FLOAT64_STATIONARITY_RTOL)
    assert r.stationarity < 1e-3 * ref


# --------------------------------------------------------------------------- rank and weak support


def on_plane(seed, k, gamma, noise):
    """planted(seed, 2, k, k, gamma) rotated into a random plane of R^3, each point moved off the plane by
    +-noise |x| (a few ulps): the z_s span a 3-dimensional subspace of R^4 up to that noise."""
    X2, y = planted(seed, 2, k, k, gamma, n_pop=40)
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    off = noise * np.linalg.norm(X2, axis=1, keepdims=True) * rng.choice([-1.0, 1.0], size=(len(y), 1))
    return X2 @ Q[:2] + off * Q[2], y, Q[2]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rank_deficiency_up_to_rounding(seed):
    """100 support vectors on a plane up to relative noise 1e-14 (far below the rank tolerance
    16 max(m, d+1) eps = 3.6e-13): orthogonal_dim = 1 and theta_tilde has no component off the plane.
    Treating the noise as a direction would leave F nearly flat along it (theta_tilde ~ 1e11 there)."""
    X, y, normal = on_plane(seed, 50, 0.1, 1e-14)
    r = residual_limit(X, y, 0.5)
    assert r.support.size == 100 and r.orthogonal_dim == 1 and r.status == "optimal"
    theta = np.append(r.w_tilde, r.b_tilde)
    assert abs(r.w_tilde @ normal) <= RES_PLANE_RTOL * np.linalg.norm(theta)


@pytest.mark.parametrize("unit", [1e-4, 1e6])
def test_weak_support_vectors_whatever_the_units_of_x(unit):
    """The weak support vectors of test_weak_support_vectors_are_detected_and_left_out do not depend on
    the units of x (theta_hat scales as 1/unit: ~4e4 and ~4e-6 here)."""
    X = np.array([[0.25, -1.0], [0.25, 0.0], [-0.25, 0.0], [-0.25, 2.0], [2.0, 1.0], [-2.0, -3.0]]) * unit
    y = np.array([1.0, 1.0, -1.0, -1.0, 1.0, -1.0])
    r = residual_limit(X, y, 0.1)
    np.testing.assert_array_equal(np.sort(r.weak_support), [0, 3])
    np.testing.assert_array_equal(np.sort(r.support), [1, 2])
    assert r.status == "optimal"


def test_one_negative_support_vector_gives_infinite_limit_bias():
    """Mirror of test_one_class_support_gives_infinite_limit_bias: only y = -1 support vectors."""
    # eq. (7) by hand: only -(w (-1) + b) >= 1 is active -> theta_hat = (1/2, -1/2), b_hat = -||theta_hat||^2
    X, y = np.array([[-1.0], [-2.0], [10.0]]), np.array([-1.0, -1.0, 1.0])
    r = residual_limit(X, y, 0.1)
    assert r.status == "optimal"
    np.testing.assert_array_equal(r.support, [0])
    assert r.A_plus == 0.0 and r.delta == math.inf and r.b_inf == -math.inf and r.rate == 0.0
    assert r.A_minus == pytest.approx(math.exp(float(r.w_tilde[0]) * -1.0))
    assert r.b_tilde_minus_b_inf == math.inf
    assert r.b_offset_identity > 15  # -artanh(b_hat / ||theta_hat||^2), the ratio -1 up to rounding


def test_an_inaccurate_max_margin_solution_is_never_reported_as_optimal():
    import dataclasses

    from checks.test_geometry import separable_data
    from theory.geometry import augmented_max_margin

    X, y = planted(3, 2, 4, 4, 0.1)
    sol = augmented_max_margin(X, y)
    assert sol.status == "optimal" and residual_limit(X, y, 0.01, solution=sol).status == "optimal"
    doubtful = dataclasses.replace(sol, status="inaccurate")
    res = residual_limit(X, y, 0.01, solution=doubtful)
    assert res.status == "inaccurate" and "rests on is inaccurate" in res.message
    # data at x ~ 1e-8 make the bias column dominate eq. (7)'s working set (condition ~1e8): the QP's
    # slacks are off by ~2e-8, far beyond their rounding floor, and no strict support vector is left:
    # a clear error instead of an IndexError deep in the solver
    X, y = separable_data(0, 12, 2, grid=True, gap=0.2)
    X = 1e-8 * X
    assert augmented_max_margin(X, y).status == "inaccurate"
    with pytest.raises(ValueError, match="no strict support vector: the eq. \\(7\\) solution is inaccurate"):
        residual_limit(X, y, 0.01)
