"""numerics.loss: the summed logistic loss of eq. (3), its gradient (eqs. (4)-(5)) and Hessian.

Oracle: mpmath at 50 digits on the exact float inputs. Tolerances are first-order rounding
bounds (margin error gamma_{d+1} sum_j |w_j x_ij| propagated through l' or sigma', plus the
summation error gamma_N), so the checks stay meaningful at margins up to +-1e308.
"""

import math
import warnings

import mpmath
import numpy as np
import pytest
from hypothesis import assume, example, given, target
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from checks.tolerances import (
    LOSS_BOUND_SAFETY,
    LOSS_PRIMITIVE_RTOL,
    LOSS_SHARPNESS_ROUTES_RTOL,
    SUBNORMAL_ATOL,
)
from numerics.loss import (
    accuracy,
    hessian,
    log1pexp_neg,
    logistic_grad,
    logistic_loss,
    margins,
    sharpness,
    sigmoid_neg,
)

DPS = 50
U = 2.0**-53  # unit roundoff


def gamma_n(n):
    """Higham's gamma_n = n u / (1 - n u): relative error bound of an n-term float sum/dot."""
    return n * U / (1 - n * U)


# ------------------------------------------------------------------- strategies

CRITICAL_MARGINS = [0.0, -0.0, 745.13, 745.2, -745.2, 709.78, -709.78, 36.7, -36.7, 1e-300, -5e-324, 1e308, -1e308]
reasonable_margins = st.floats(-60.0, 60.0, allow_nan=False)
adversarial_margins = st.floats(-1.7e308, 1.7e308, allow_nan=False, allow_infinity=False) | st.sampled_from(CRITICAL_MARGINS)


@st.composite
def problems(draw, max_scale_exp=306):
    """(w, b, X, y) with N <= 6, d <= 3, |x| <= 10 and weights scaled by 10^k, k <= max_scale_exp."""
    n = draw(st.integers(1, 6))
    d = draw(st.integers(1, 3))
    X = draw(hnp.arrays(np.float64, (n, d), elements=st.floats(-10, 10, allow_subnormal=False)))
    y = np.array(draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n)))
    k = draw(st.integers(0, max_scale_exp))
    w = draw(hnp.arrays(np.float64, (d,), elements=st.floats(-1, 1, allow_subnormal=False))) * 10.0**k
    b = draw(st.floats(-1, 1, allow_subnormal=False)) * 10.0**k
    return w, float(b), X, y


# ------------------------------------------------------------------- mpmath oracle


def mp_rows(w, b, X, y):
    """Exact margins m_i and A_i = sum_j |w_j x_ij| + |b| (mpf) at the current precision."""
    out = []
    for xi, yi in zip(X.tolist(), y.tolist()):
        z = mpmath.fsum(mpmath.mpf(wj) * mpmath.mpf(xj) for wj, xj in zip(w.tolist(), xi)) + mpmath.mpf(b)
        a = mpmath.fsum(abs(mpmath.mpf(wj) * mpmath.mpf(xj)) for wj, xj in zip(w.tolist(), xi)) + abs(mpmath.mpf(b))
        out.append((yi * z, a))
    return out


def mp_l(m):
    return mpmath.log1p(mpmath.exp(-m))


def mp_s(m):
    """sigma(-m)."""
    return 1 / (1 + mpmath.exp(m))


def mp_ds(m):
    """sigma'(m) = sigma(m) sigma(-m)."""
    return mp_s(m) * mp_s(-m)


def scaled(num, ref, bound):
    return float(abs(mpmath.mpf(float(num)) - ref) / (LOSS_BOUND_SAFETY * bound + SUBNORMAL_ATOL))


# ------------------------------------------------------------------- primitives


def primitive_error(fn, mpfn, m):
    with mpmath.workdps(DPS):
        ref = mpfn(mpmath.mpf(m))
        num = float(fn(np.array([m]))[0])
        return float(abs(mpmath.mpf(num) - ref) / (SUBNORMAL_ATOL + LOSS_PRIMITIVE_RTOL * abs(ref)))


@given(m=reasonable_margins | adversarial_margins)
@example(m=745.13).via("underflow edge of exp(-m)")
@example(m=-1e308).via("l(m) = -m exactly")
@example(m=0.0)
def test_log1pexp_neg_matches_mpmath(m):
    err = primitive_error(log1pexp_neg, mp_l, m)
    target(err, label="log1pexp_neg scaled error")
    assert err < 1


@given(m=reasonable_margins | adversarial_margins)
@example(m=1e308).via("sigma(-m) = 0")
@example(m=-1e308).via("sigma(-m) = 1")
@example(m=-0.0)
def test_sigmoid_neg_matches_mpmath(m):
    err = primitive_error(sigmoid_neg, mp_s, m)
    target(err, label="sigmoid_neg scaled error")
    assert err < 1


def test_primitives_exact_values_at_the_extremes():
    m = np.array([-1e308, 1e308, 0.0, 800.0])
    assert log1pexp_neg(m).tolist() == [1e308, 0.0, math.log(2.0), 0.0]
    assert sigmoid_neg(m).tolist() == [1.0, 0.0, 0.5, 0.0]


# ------------------------------------------------------------------- loss and gradient


def loss_bound(rows, n, d):
    """First-order bound on |L_float - L_exact| for the summed loss."""
    g = gamma_n(d + 1)
    total, lsum = mpmath.mpf(0), mpmath.mpf(0)
    for m, a in rows:
        dm = g * a
        total += dm * mp_s(m - dm) + 4 * U * mp_l(m)  # |l'| = sigma(-m) is largest at m - dm
        lsum += mp_l(m)
    return total + gamma_n(n) * lsum


@given(problem=problems())
@example(problem=(np.array([1e307]), 0.0, np.array([[10.0]]), np.array([1.0]))).via("margin +1e308")
@example(problem=(np.array([1e307]), 0.0, np.array([[-10.0], [3.0]]), np.array([1.0, -1.0]))).via("margins -1e308, -3e307")
@example(problem=(np.array([0.0, 0.0]), 0.0, np.array([[1.0, 2.0]]), np.array([-1.0])))
def test_loss_matches_mpmath(problem):
    w, b, X, y = problem
    n, d = X.shape
    with mpmath.workdps(DPS):
        rows = mp_rows(w, b, X, y)
        assume(all(a < 1e307 for _, a in rows))  # X @ w must not overflow on the way
        ref = mpmath.fsum(mp_l(m) for m, _ in rows)
        assume(ref < 1e307)
        worst = 0.0
        for reduction, div in (("sum", 1), ("mean", n)):
            num = logistic_loss(w, b, X, y, reduction)
            bound = loss_bound(rows, n, d) / div + U * ref / div
            err = scaled(num, ref / div, bound)
            worst = max(worst, err)
            assert err < 1, (reduction, num, ref)
    target(worst, label="loss scaled error")


@given(problem=problems())
@example(problem=(np.array([1e307, -2e306]), 5.0, np.array([[10.0, 1.0], [-10.0, 0.5]]), np.array([1.0, 1.0]))).via("huge margins")
@example(problem=(np.array([0.0]), 0.0, np.array([[1.0], [2.0]]), np.array([1.0, -1.0]))).via("w = 0")
def test_gradient_matches_mpmath(problem):
    w, b, X, y = problem
    n, d = X.shape
    with mpmath.workdps(DPS):
        rows = mp_rows(w, b, X, y)
        assume(all(a < 1e307 for _, a in rows))
        g = gamma_n(d + 1)
        s = [mp_s(m) for m, _ in rows]
        ds = [g * a * mp_ds(max(abs(m) - g * a, 0)) + 6 * U * si for (m, a), si in zip(rows, s)]
        worst = 0.0
        for reduction, div in (("sum", 1), ("mean", n)):
            grad = logistic_grad(w, b, X, y, reduction)
            for j in range(d + 1):
                col = [1.0] * n if j == d else X[:, j].tolist()
                ref = -mpmath.fsum(yi * si * xj for yi, si, xj in zip(y.tolist(), s, col)) / div
                bound = (mpmath.fsum(abs(xj) * dsi for xj, dsi in zip(col, ds))
                         + gamma_n(n) * mpmath.fsum(abs(xj) * si for xj, si in zip(col, s))) / div + U * abs(ref)
                num = grad.b if j == d else grad.w[j]
                err = scaled(num, ref, bound)
                worst = max(worst, err)
                assert err < 1, (reduction, j, num, ref)
    target(worst, label="gradient scaled error")


# ------------------------------------------------------------------- Hessian, sharpness, accuracy


@given(problem=problems(max_scale_exp=1))
def test_hessian_and_sharpness_match_mpmath(problem):
    w, b, X, y = problem
    n, d = X.shape
    H = hessian(w, b, X, y)
    assert np.array_equal(H, H.T)
    Z = np.hstack([X, np.ones((n, 1))])
    with mpmath.workdps(DPS):
        rows = mp_rows(w, b, X, y)
        g = gamma_n(d + 1)
        curv = [mp_ds(m) for m, _ in rows]
        dcurv = [g * a * mpmath.mpf("0.1") + 8 * U * c for (m, a), c in zip(rows, curv)]  # |sigma''| < 0.0963
        worst = 0.0
        Hm = mpmath.matrix(d + 1, d + 1)
        bound = mpmath.matrix(d + 1, d + 1)
        for j in range(d + 1):
            for k in range(d + 1):
                zz = [mpmath.mpf(float(Z[i, j])) * mpmath.mpf(float(Z[i, k])) for i in range(n)]
                Hm[j, k] = mpmath.fsum(c * p for c, p in zip(curv, zz))
                bound[j, k] = mpmath.fsum(abs(p) * dc for p, dc in zip(zz, dcurv)) + gamma_n(n + 2) * mpmath.fsum(
                    abs(p) * c for p, c in zip(zz, curv))
                err = scaled(H[j, k], Hm[j, k], bound[j, k])
                worst = max(worst, err)
                assert err < 1
        lam = max(mpmath.eigsy(Hm)[0])
        # Weyl: |lambda_max(H) - lambda_max(Hm)| <= ||H - Hm||_F; eigvalsh adds ~(d+1) eps ||H||
        frob = mpmath.sqrt(mpmath.fsum(bound[j, k] ** 2 for j in range(d + 1) for k in range(d + 1)))
        eig_bound = frob + 8 * (d + 1) * U * mpmath.norm(Hm, 2)
        err = scaled(sharpness(w, b, X, y), lam, eig_bound)
        target(max(worst, err), label="hessian/sharpness scaled error")
        assert err < 1
        mean_err = scaled(sharpness(w, b, X, y, "mean"), lam / n, eig_bound / n + U * lam / n)
        assert mean_err < 1


def test_sharpness_at_origin_of_the_paper_2d_box():
    """At w = 0, b = 0: lambda_max = lambda_max(Z^T Z) / 4; for 2000 points in [-5, 5]^2 eta lambda ~ 40-60 at eta = 0.01."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-5, 5, (2000, 2))
    y = np.where(X.sum(axis=1) > 0, 1.0, -1.0)
    lam = sharpness(np.zeros(2), 0.0, X, y)
    Z = np.hstack([X, np.ones((2000, 1))])
    lam_ref = np.linalg.eigvalsh(Z.T @ Z)[-1] / 4  # different route: the Gram matrix, then /4
    assert abs(lam - lam_ref) <= LOSS_SHARPNESS_ROUTES_RTOL * lam_ref
    assert 40 < 0.01 * lam < 60  # docs/paper.md, "Sum or mean": eta lambda_max ~ 40-60 with the sum


def test_accuracy_counts_boundary_points_as_errors():
    X = np.array([[1.0], [-1.0], [0.0], [2.0]])
    y = np.array([1.0, -1.0, 1.0, -1.0])
    assert accuracy(np.array([1.0]), 0.0, X, y) == 0.5  # rows 0, 1 right; row 2 on the boundary; row 3 wrong
    assert accuracy(np.zeros(1), 0.0, X, y) == 0.0  # at the initialisation every margin is 0
    assert margins(np.array([2.0]), 1.0, X, y).tolist() == [3.0, 1.0, 1.0, -5.0]


def test_no_warning_at_extreme_margins():
    """No overflow, invalid or divide at margins +-1e308 (underflow to 0 is exact and silenced)."""
    X = np.array([[10.0, 0.0], [-10.0, 0.0], [1e-300, 0.0], [7.452, 0.0]])
    y = np.array([1.0, 1.0, -1.0, 1.0])
    w = np.array([1e307, 0.0])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        m = margins(w, 0.0, X, y)
        assert m[0] == 1e308 and m[1] == -1e308
        assert np.isfinite(logistic_loss(w, 0.0, X, y))
        g = logistic_grad(w, 0.0, X, y)
        assert np.all(np.isfinite(g.w)) and np.isfinite(g.b)
        assert np.all(np.isfinite(hessian(w, 0.0, X, y)))
        assert np.isfinite(sharpness(w, 0.0, X, y, "mean"))
        assert logistic_loss(w, 0.0, np.array([[-10.0], [-10.0]])[:, [0, 0]], np.ones(2)) == math.inf


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(reduction="avg"), "reduction"),
        (dict(y=np.array([1.0, 0.0])), "labels -1 or \\+1"),
        (dict(X=np.array([[1.0], [np.nan]])), "finite"),
        (dict(X=np.ones((2, 1, 1))), "2-D"),
        (dict(w=np.ones(2)), "shape \\(d,\\)"),
    ],
)
def test_validation_messages(kwargs, match):
    args = dict(w=np.ones(1), b=0.0, X=np.array([[1.0], [2.0]]), y=np.array([1.0, -1.0]), reduction="sum")
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        logistic_loss(args["w"], args["b"], args["X"], args["y"], args["reduction"])
