"""numerics.flow: gradient flow of the logistic loss (the eta -> 0 limit of GD, eqs. (4)-(5)).

Oracles: a plain GD loop (forward Euler) with a theorem-backed error bound; a 30-digit
quadrature of the exactly reducible flow of a symmetric data set; invariants (mean flow =
sum flow at rescaled time; three stiff solvers agree; t = 0 is the initial point).
"""

import math

import mpmath
import numpy as np
import pytest
from scipy.integrate import trapezoid
from scipy.special import expit

from checks.tolerances import (
    FD_HESSIAN_RTOL,
    FLOAT64_EPS,
    FLOW_BIAS_OVER_NORM,
    FLOW_EULER_SLACK,
    FLOW_GRADIENT_RTOL,
    FLOW_GRAD_NORM_RTOL,
    FLOW_HESSIAN_ULPS,
    FLOW_ORDER_TOL,
    FLOW_QUAD_RTOL,
    FLOW_SOLVER_RTOL,
    FLOW_SYMMETRIC_BIAS_ATOL,
    FLOW_TAU_RTOL,
    LATE_SLOPE_ATOL,
    ZERO_REF_ATOL,
    scaled_error,
)
from numerics.flow import logistic_flow

QUAD_DPS = 30


def planted_2d():
    """Support vectors (1, 0) and (-1, 0); five unbalanced population points with |x1| >= 1.5.

    Max-margin (eq. (7)): w_hat = (1, 0), b_hat = 0: the two SV constraints give
    w1 >= 1 + |b|, and (1, 0, 0) leaves every other margin >= 1.5.
    """
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [1.5, 1.0], [2.0, -0.5], [3.0, 0.2], [-2.0, 1.0], [-1.5, -1.0]])
    y = np.array([1.0, -1.0, 1.0, 1.0, 1.0, -1.0, -1.0])
    return X, y


def symmetric_2d():
    """Mirror-symmetric data: w2 = b = 0 for all time and dw1/dtau = 2 sigma(-w1) + 8 sigma(-2 w1)."""
    X = np.array([[1.0, 0.0], [2.0, 1.0], [2.0, -1.0], [-1.0, 0.0], [-2.0, 1.0], [-2.0, -1.0]])
    y = np.array([1.0, 1.0, 1.0, -1.0, -1.0, -1.0])
    return X, y


def augmented(X, y):
    return y[:, None] * np.column_stack([X, np.ones(len(y))])


def plain_gd(X, y, eta, steps):
    """Eqs. (4)-(5) of arXiv:2602.08302 with the summed loss; theta = (w, b) at the given steps."""
    U = augmented(X, y)
    theta, out = np.zeros(U.shape[1]), {}
    for k in range(max(steps) + 1):
        if k in steps:
            out[k] = theta.copy()
        theta = theta + eta * (U.T @ expit(-(U @ theta)))
    return out


def second_derivative_norm(U, theta):
    """||d^2 theta / dtau^2|| = ||H grad L|| along the flow d theta/dtau = -grad L."""
    m = U @ theta
    grad = -(U.T @ expit(-m))
    H = (U * (expit(m) * expit(-m))[:, None]).T @ U
    return np.linalg.norm(H @ grad)


def theta_of(flow):
    return np.column_stack([flow.w, flow.b])


# ---------------------------------------------------------------- GD is Euler for the flow


@pytest.mark.parametrize("tau", [0.5, 2.0, 8.0])
def test_gd_matches_flow_within_euler_bound(tau):
    """||theta_GD(t) - theta_flow(eta t)|| <= (eta / 2) int_0^tau ||H grad L|| dtau'.

    Each GD step is an Euler step with local error <= (eta^2 / 2) max ||theta''||; for a convex
    L-smooth loss and eta L <= 2 the GD map is nonexpansive, so local errors add up.
    Here eta L <= eta * sum ||u_i||^2 / 4 < 0.02.
    """
    X, y = planted_2d()
    U = augmented(X, y)
    eta = 1e-3
    k = int(round(tau / eta))
    dense = logistic_flow(X, y, np.arange(k + 1), eta)
    assert dense.success
    curvature = [second_derivative_norm(U, th) for th in theta_of(dense)]
    bound = 0.5 * eta * trapezoid(curvature, dense.tau)  # scipy's: numpy < 2 has no np.trapezoid
    err = np.linalg.norm(plain_gd(X, y, eta, [k])[k] - theta_of(dense)[-1])
    assert err <= FLOW_EULER_SLACK * bound  # that err is really O(eta), not 0: test_gd_error_is_first_order_in_eta


@pytest.mark.parametrize("tau", [0.5, 8.0])
def test_gd_error_is_first_order_in_eta(tau):
    X, y = planted_2d()
    errs = []
    for eta in (2e-3, 1e-3):
        k = int(round(tau / eta))
        flow = logistic_flow(X, y, [0, k], eta)
        errs.append(np.linalg.norm(plain_gd(X, y, eta, [k])[k] - theta_of(flow)[-1]))
    assert abs(errs[0] / errs[1] - 2.0) < FLOW_ORDER_TOL


# ---------------------------------------------------------------- invariants


def test_mean_flow_is_sum_flow_at_rescaled_time():
    """d theta/dtau_mean = -(1/N) grad L_sum, so theta_mean(tau) = theta_sum(tau / N)."""
    X, y = planted_2d()
    t = np.array([0, 10, 1000, 10**5, 10**7])
    eta = 1e-2
    mean = logistic_flow(X, y, t, eta, reduction="mean")
    total = logistic_flow(X, y, t, eta / len(y), reduction="sum")
    assert mean.success and total.success
    assert scaled_error(theta_of(mean), theta_of(total), rtol=FLOW_SOLVER_RTOL, atol=FLOW_SOLVER_RTOL) < 1


@pytest.mark.parametrize("method", ["BDF", "LSODA"])
def test_stiff_solvers_agree(method):
    X, y = planted_2d()
    t = np.array([0, 1, 100, 10**4, 10**6, 10**8])
    ref = logistic_flow(X, y, t, 1e-2)
    other = logistic_flow(X, y, t, 1e-2, method=method)
    assert other.success and other.method == method
    assert scaled_error(theta_of(other), theta_of(ref), rtol=FLOW_SOLVER_RTOL, atol=FLOW_SOLVER_RTOL) < 1


def test_initial_point_and_repeated_checkpoints():
    X, y = planted_2d()
    f = logistic_flow(X, y, [0, 0, 50, 50, 100], 1e-2)
    assert np.all(theta_of(f)[:2] == 0.0)
    np.testing.assert_array_equal(theta_of(f)[2], theta_of(f)[3])
    assert f.t.tolist() == [0, 0, 50, 50, 100] and f.tau[-1] == pytest.approx(1.0, rel=FLOW_TAU_RTOL)
    only_zero = logistic_flow(X, y, [0], 1e-2)
    assert only_zero.success and np.all(theta_of(only_zero) == 0.0) and only_zero.nfev == 0


def test_result_reports_solver_statistics_and_final_gradient():
    X, y = planted_2d()
    f = logistic_flow(X, y, [0, 10**6], 1e-2, method="Radau")  # Radau always evaluates the Jacobian
    assert f.success and f.status == 0 and f.nfev > 0 and f.njev > 0 and f.wall_time >= 0.0
    assert (f.reduction, f.method, f.rtol, f.eta) == ("sum", "Radau", 1e-10, 1e-2)
    default = logistic_flow(X, y, [0, 10**6], 1e-2)
    assert default.method == "LSODA" and default.success
    np.testing.assert_allclose(default.w[-1], f.w[-1], rtol=FLOW_SOLVER_RTOL)
    U = augmented(X, y)
    grad = -(U.T @ expit(-(U @ theta_of(f)[-1])))
    assert f.final_grad_norm == pytest.approx(np.linalg.norm(grad), rel=FLOW_GRAD_NORM_RTOL)


@pytest.mark.parametrize("reduction, c", [("sum", 1.0), ("mean", 1.0 / 7)])
@pytest.mark.parametrize("theta", [[0.0, 0.0, 0.0], [1.0, -0.5, 0.3], [8.0, 1.0, -2.0]])
def test_analytic_jacobian_matches_finite_differences(theta, reduction, c):
    """The stiff solver's Jacobian (Hessian of L) against central differences of the gradient.

    A wrong Jacobian would only slow the implicit solver down, so the trajectory tests cannot see it.
    """
    from numerics.flow import _gradient, _hessian

    X, y = planted_2d()
    U = augmented(X, y)
    theta = np.array(theta)
    h = 1e-5
    fd = np.column_stack([(_gradient(U, theta + h * e, c) - _gradient(U, theta - h * e, c)) / (2 * h)
                          for e in np.eye(3)])
    H = _hessian(U, theta, c)
    assert scaled_error(H, H.T, rtol=FLOW_HESSIAN_ULPS * FLOAT64_EPS, atol=ZERO_REF_ATOL) < 1  # symmetric up to BLAS rounding
    assert scaled_error(H, fd, rtol=FD_HESSIAN_RTOL, atol=FD_HESSIAN_RTOL * np.abs(H).max()) < 1
    expected_grad = -c * (U.T @ expit(-(U @ theta)))
    assert scaled_error(_gradient(U, theta, c), expected_grad, rtol=FLOW_GRADIENT_RTOL, atol=ZERO_REF_ATOL) < 1
    from numerics.loss import hessian  # the other implementation in the package

    ref = hessian(theta[:2], theta[2], X, y, reduction)
    tol = FLOW_HESSIAN_ULPS * FLOAT64_EPS
    assert scaled_error(H, ref, rtol=tol, atol=tol * np.abs(ref).max()) < 1


# ---------------------------------------------------------------- exact reduced flow


def tau_of_w(w1):
    """tau(w1) = int_0^w1 dv / (2 sigma(-v) + 8 sigma(-2 v)), the symmetric data's flow time, 30 digits."""
    with mpmath.workdps(QUAD_DPS):
        rate = lambda v: 2 / (1 + mpmath.exp(v)) + 8 / (1 + mpmath.exp(2 * v))  # noqa: E731
        nodes = [0] + list(range(1, int(math.ceil(w1)))) + [mpmath.mpf(w1)]
        return float(mpmath.quad(lambda v: 1 / rate(v), nodes))


def test_flow_matches_quadrature_of_the_reduced_flow():
    X, y = symmetric_2d()
    t = np.array([0, 10, 100, 10**4, 10**6, 10**8])
    f = logistic_flow(X, y, t, 1e-2)
    assert np.all(f.w[:, 1] == 0.0) and np.all(np.abs(f.b) < FLOW_SYMMETRIC_BIAS_ATOL)
    taus = np.array([tau_of_w(w1) for w1 in f.w[1:, 0]])
    assert scaled_error(taus, f.tau[1:], rtol=FLOW_QUAD_RTOL) < 1


def test_late_time_norm_grows_like_log_tau():
    """Theorem 4.1: ||w|| = ||w_hat|| log tau + O(1), ||w_hat|| = 1, so d||w|| / dlog tau -> 1."""
    X, y = planted_2d()
    t = np.array([10**k for k in range(4, 10)])  # tau = 1e2 .. 1e7
    f = logistic_flow(X, y, t, 1e-2)
    norms = np.linalg.norm(f.w, axis=1)
    slopes = np.diff(norms) / np.diff(np.log(f.tau))
    gaps = np.abs(slopes - 1.0)
    assert np.all(np.diff(gaps) < 0)  # approaching the max-margin rate decade by decade
    assert gaps[-2] < LATE_SLOPE_ATOL  # decade tau in [1e5, 1e6]
    assert np.abs(f.b[-1]) < FLOW_BIAS_OVER_NORM * norms[-1]  # b_hat = 0: the bias stays bounded while ||w|| grows


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"t": [5, 1]}, "non-decreasing"),
        ({"t": [0.5]}, "whole numbers"),
        ({"eta": 0.0}, "`eta` must be positive"),
        ({"reduction": "median"}, "`reduction` must be"),
        ({"method": "RK45"}, "`method` must be"),
        ({"y": np.array([1.0, 0.0, 1, 1, 1, -1, -1])}, "`y` must be exactly"),
    ],
)
def test_validation(kwargs, match):
    X, y = planted_2d()
    args = {"X": X, "y": y, "t": [0, 10], "eta": 1e-2}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        logistic_flow(**args)
