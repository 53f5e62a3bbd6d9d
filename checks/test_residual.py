"""Theorem 4.2 (eq. (8)) of arXiv:2602.08302 for theta = (w, b): the residual theta_tilde.

Checks: stationarity re-evaluated independently in mpmath; the derived eta law
theta_tilde(eta) = theta_tilde(1) + log(eta) theta_hat; the derived bias identity
b_tilde - b_inf = -artanh(b_hat / ||theta_hat||^2) (so b_tilde = -log delta iff b_hat = 0);
agreement with scipy BFGS; weak support vectors; the paper-like planted data.
"""

import math

import mpmath
import numpy as np
import pytest
from hypothesis import assume, example, given, target
from hypothesis import strategies as st
from scipy.optimize import minimize

from checks.tolerances import (
    RES_BFGS_RTOL,
    RES_ETA_SHIFT_RTOL,
    RES_IDENTITY_RTOL,
    RES_STATIONARITY_TOL,
    scaled_error,
)
from theory.geometry import NotSeparableError, augmented_max_margin, svm_with_bias
from theory.residual import residual_limit

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
    assert abs(r.b_hat) <= 1e-9
    assert abs(r.b_tilde_minus_b_inf) <= RES_IDENTITY_RTOL * (1 + abs(r.b_inf))
    # rate of eq. (10)-(11) from the identity: ||w_hat||^2 / eta = 4 / (gamma^2 eta)
    assert r.rate == pytest.approx(4 / (gamma**2 * eta), rel=RES_IDENTITY_RTOL)
    if k_plus != k_minus:
        assert abs(r.b_inf) > 0.1  # imbalanced support sets do move the limit bias


def test_b_tilde_differs_from_minus_log_delta_when_b_hat_nonzero():
    X, y = np.array([[3.0, 1.0], [1.0, -1.0]]), np.array([1.0, -1.0])  # eq. (7): theta_hat = (1/6, 5/6, -1/3)
    r = residual_limit(X, y, 1.0)
    assert r.b_hat == pytest.approx(-1 / 3, abs=1e-14)
    expected = -math.atanh((-1 / 3) / (1 / 36 + 25 / 36 + 1 / 9))  # artanh(0.4) by hand
    assert r.b_tilde_minus_b_inf == pytest.approx(expected, rel=1e-12)
    assert abs(r.b_tilde_minus_b_inf) > 0.4


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
    assert abs(null @ np.append(r.w_tilde, r.b_tilde)) <= 1e-13 * np.linalg.norm(np.append(r.w_tilde, r.b_tilde))


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
