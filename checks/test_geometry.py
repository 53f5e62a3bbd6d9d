"""Eq. (7), eq. (9), Assumptions 3.1-3.3 and Theorem 4.3 of arXiv:2602.08302.

The Goldfarb-Idnani solvers of theory.geometry are checked against (i) brute force over all
candidate active sets (exact, small data), (ii) scipy SLSQP on the dual, (iii) planted data
whose answer is known analytically, and by their own KKT certificates.
"""

import itertools

import numpy as np
import pytest
from hypothesis import assume, example, given, target
from hypothesis import strategies as st
from scipy.optimize import minimize

from checks.tolerances import (
    FLOAT64_EPS,
    GEO_BRUTE_RTOL,
    GEO_BY_HAND_ATOL,
    GEO_EQUIVARIANCE_RTOL,
    GEO_KKT_TOL,
    GEO_PLANTED_RTOL,
    GEO_RECOMPUTE_FACTOR,
    GEO_RECOMPUTE_RTOL,
    GEO_SLSQP_RTOL,
    GEO_TINY_QP_TOL,
    scaled_error,
)
from theory.geometry import (
    QP_FLOOR_FACTOR,
    QP_KKT_TOL,
    NotSeparableError,
    augmented_max_margin,
    check_separable,
    paper_assumptions,
    svm_with_bias,
)

# --------------------------------------------------------------------------- data builders


def separable_data(seed, n, d, *, grid=False, gap=0.1, offset=0.3):
    """Random data labelled by a random hyperplane, points within ``gap`` of it removed.

    ``grid=True`` puts coordinates on a small integer grid: duplicates, collinear points and
    exact ties in the margin (the degenerate case).
    """
    rng = np.random.default_rng(seed)
    X = rng.integers(-3, 4, size=(n, d)).astype(float) if grid else rng.normal(size=(n, d)) * 2
    a = rng.normal(size=d)
    a /= np.linalg.norm(a)
    score = X @ a + offset
    keep = np.abs(score) >= gap
    return X[keep], np.where(score[keep] > 0, 1.0, -1.0)


def planted_dataset(seed, d, n_pop, k_plus, k_minus, gamma, *, gap=0.01, box=5.0):
    """Population uniform in [-box, box]^d with |w^T x| >= gamma/2 + gap; k+- support vectors
    exactly on w^T x = +-gamma/2, placed in symmetric pairs +-v (v orthogonal to w).

    Known answer of eq. (7) and (9): w_hat = (2/gamma) w, b_hat = 0. KKT certificate: alpha =
    A / k+- on the class-+- support vectors with A = 2 / gamma^2; the +-v cancel pairwise, so
    sum alpha y = A - A = 0 and sum alpha y x = A gamma w = (2/gamma) w; population points have
    margin (2/gamma)|w^T x| >= 1 + 2 gap / gamma > 1.
    Returns X, y, w_true, indices of the planted support vectors.
    """
    assert k_plus % 2 == 0 and k_minus % 2 == 0
    rng = np.random.default_rng(seed)
    w = rng.normal(size=d)
    w /= np.linalg.norm(w)
    P = np.eye(d) - np.outer(w, w)
    pop = rng.uniform(-box, box, size=(4 * n_pop + 100, d))
    m = pop @ w
    pop = pop[np.abs(m) >= gamma / 2 + gap][:n_pop]
    assert pop.shape[0] == n_pop
    ys = [np.sign(pop @ w)]
    sv = []
    for c, k in ((1.0, k_plus), (-1.0, k_minus)):
        v = rng.uniform(-box, box, size=(k // 2, d)) @ P
        for vv in (v, -v):
            sv.append(c * gamma / 2 * w + vv)
            ys.append(np.full(k // 2, c))
    X = np.vstack([pop, *sv])
    return X, np.concatenate(ys), w, np.arange(n_pop, X.shape[0])


# --------------------------------------------------------------------------- independent solvers


def brute_force_eq7(X, y):
    """Min-norm feasible solution among all equality-constrained subproblems on <= d+1 constraints."""
    n, d = X.shape
    Z = y[:, None] * np.hstack([X, np.ones((n, 1))])
    best = None
    for k in range(1, d + 2):
        for S in itertools.combinations(range(n), k):
            ZS = Z[list(S)]
            if np.linalg.matrix_rank(ZS) < k:
                continue
            theta = ZS.T @ np.linalg.solve(ZS @ ZS.T, np.ones(k))
            if np.all(Z @ theta >= 1 - 1e-12) and (best is None or theta @ theta < best @ best):
                best = theta
    return best[:d], best[d]


def brute_force_eq9(X, y):
    """Same for eq. (9): KKT system of min ||w||^2 s.t. y_i (w^T x_i + b) = 1 on subsets S."""
    n, d = X.shape
    best = None
    for k in range(2, d + 2):
        for S in itertools.combinations(range(n), k):
            S = list(S)
            if len(set(y[S])) < 2:
                continue
            A = y[S, None] * np.hstack([X[S], np.ones((k, 1))])  # rows y_i (x_i, 1)
            # unknowns (w, b, lam): w - sum lam y x = 0, sum lam y = 0, A (w, b) = 1
            K = np.zeros((d + 1 + k, d + 1 + k))
            K[:d, :d] = np.eye(d)
            K[: d + 1, d + 1 :] = -A.T
            K[d + 1 :, : d + 1] = A
            rhs = np.concatenate([np.zeros(d + 1), np.ones(k)])
            if np.linalg.matrix_rank(K) < K.shape[0]:
                continue
            sol = np.linalg.solve(K, rhs)
            w, b = sol[:d], sol[d]
            if np.all(y * (X @ w + b) >= 1 - 1e-12) and (best is None or w @ w < best[0] @ best[0]):
                best = (w, b)
    return best


def slsqp_dual(X, y, *, with_bias_penalty):
    """Dual by SLSQP: min (1/2)||sum a y x||^2 (+ (1/2)(sum a y)^2) - sum a, a >= 0 (+ sum a y = 0)."""
    n, d = X.shape
    F = y[:, None] * (np.hstack([X, np.ones((n, 1))]) if with_bias_penalty else X)
    G = F @ F.T
    cons = [] if with_bias_penalty else [{"type": "eq", "fun": lambda a: a @ y, "jac": lambda a: y}]
    res = minimize(
        lambda a: 0.5 * a @ G @ a - a.sum(), np.full(n, 0.01), jac=lambda a: G @ a - 1.0,
        bounds=[(0, None)] * n, constraints=cons, method="SLSQP", options={"ftol": 1e-15, "maxiter": 2000},
    )
    theta = F.T @ res.x
    return theta


# --------------------------------------------------------------------------- strategies

reasonable_data = st.builds(
    lambda seed, n, d: separable_data(seed, n, d), st.integers(0, 2**32 - 1), st.integers(3, 10), st.integers(1, 3)
)
adversarial_data = st.builds(
    lambda seed, n, d: separable_data(seed, n, d, grid=True, gap=0.2),
    st.integers(0, 2**32 - 1), st.integers(3, 12), st.integers(1, 3),
)
small_data = st.one_of(reasonable_data, adversarial_data)

SYMMETRIC_SQUARE = (np.array([[1.0, 1], [1, -1], [-1, 1], [-1, -1]]), np.array([1.0, 1, -1, -1]))
SHIFTED = (np.array([[2.0, 0], [3, 1], [0, 0], [-1, 1]]), np.array([1.0, 1, -1, -1]))  # b_s != 0


def _assert_certified(sol):
    assert sol.status == "optimal", sol.message
    for name in ("primal_infeasibility", "stationarity", "complementarity", "dual_infeasibility"):
        assert getattr(sol, name) <= GEO_KKT_TOL, (name, getattr(sol, name))
    assert np.all(sol.alphas >= 0)


@given(small_data)
@example(SYMMETRIC_SQUARE)
@example(SHIFTED)
def test_eq7_matches_brute_force(data):
    X, y = data
    assume(X.shape[0] >= 2)
    sol = augmented_max_margin(X, y)
    _assert_certified(sol)
    w_ref, b_ref = brute_force_eq7(X, y)
    scale = np.hypot(np.linalg.norm(w_ref), b_ref)
    err = scaled_error(np.append(sol.w_hat, sol.b_hat), np.append(w_ref, b_ref), rtol=0, atol=GEO_BRUTE_RTOL * scale)
    target(err, label="eq7 vs brute force")
    assert err < 1, err
    # independent re-check of the certificate: alphas reproduce (w, b) and live on the margin
    Z = y[:, None] * np.hstack([X, np.ones((X.shape[0], 1))])
    assert scaled_error(Z.T @ sol.alphas, np.append(sol.w_hat, sol.b_hat), rtol=0, atol=GEO_KKT_TOL * scale) < 1
    assert set(np.flatnonzero(sol.alphas > 0)) <= set(sol.support)


@given(small_data)
@example(SYMMETRIC_SQUARE)
@example(SHIFTED)
def test_eq9_matches_brute_force(data):
    X, y = data
    assume(len(set(y)) == 2)
    sol = svm_with_bias(X, y)
    _assert_certified(sol)
    w_ref, b_ref = brute_force_eq9(X, y)
    scale = np.linalg.norm(w_ref)
    err = max(
        scaled_error(sol.w_hat, w_ref, rtol=0, atol=GEO_BRUTE_RTOL * scale),
        scaled_error(sol.b_hat, b_ref, rtol=0, atol=GEO_BRUTE_RTOL * max(1.0, scale * np.abs(X).max())),
    )
    target(err, label="eq9 vs brute force")
    assert err < 1, err
    assert abs(sol.alphas @ y) <= GEO_KKT_TOL * sol.alphas.sum()


@given(st.integers(0, 2**32 - 1), st.integers(5, 30), st.integers(2, 6))
def test_both_match_slsqp_dual(seed, n, d):
    X, y = separable_data(seed, n, d)
    assume(len(set(y)) == 2)
    s7, s9 = augmented_max_margin(X, y), svm_with_bias(X, y)
    _assert_certified(s7)
    _assert_certified(s9)
    th7 = slsqp_dual(X, y, with_bias_penalty=True)
    w9 = slsqp_dual(X, y, with_bias_penalty=False)
    e7 = scaled_error(np.append(s7.w_hat, s7.b_hat), th7, rtol=0, atol=GEO_SLSQP_RTOL * np.linalg.norm(th7))
    e9 = scaled_error(s9.w_hat, w9, rtol=0, atol=GEO_SLSQP_RTOL * np.linalg.norm(w9))
    target(max(e7, e9), label="vs SLSQP dual")
    assert e7 < 1 and e9 < 1, (e7, e9)


# --------------------------------------------------------------------------- planted data

PLANTED_CASES = {
    "paper-2d-S(350,350)": dict(d=2, n_pop=1300, k_plus=350, k_minus=350, gamma=1e-3),
    "2d-imbalanced-S(400,100)": dict(d=2, n_pop=1500, k_plus=400, k_minus=100, gamma=1e-3),
    "8d-S(40,60)": dict(d=8, n_pop=500, k_plus=40, k_minus=60, gamma=1e-2),
    "64d-S(50,50)": dict(d=64, n_pop=300, k_plus=50, k_minus=50, gamma=0.1),
}


@pytest.mark.parametrize("case", list(PLANTED_CASES), ids=list(PLANTED_CASES))
def test_planted_answer(case):
    X, y, w_true, sv = planted_dataset(7, **PLANTED_CASES[case])
    gamma = PLANTED_CASES[case]["gamma"]
    w_norm = 2 / gamma  # ||w_hat|| (||w_true|| = 1)
    box = 5.0  # planted_dataset's default coordinate box
    expect_w = w_norm * w_true
    for solve in (augmented_max_margin, svm_with_bias):
        sol = solve(X, y)
        _assert_certified(sol)
        assert scaled_error(sol.w_hat, expect_w, rtol=0, atol=GEO_PLANTED_RTOL * w_norm) < 1
        assert abs(sol.b_hat) <= GEO_PLANTED_RTOL * w_norm * box  # b in units of ||w|| * box
        np.testing.assert_array_equal(sol.support, sv)
        assert sol.margin == pytest.approx(gamma / 2, rel=GEO_PLANTED_RTOL)


@pytest.mark.slow
def test_planted_answer_d1024():
    X, y, w_true, sv = planted_dataset(3, d=1024, n_pop=400, k_plus=200, k_minus=200, gamma=0.1)
    w_norm = 2 / 0.1  # ||w_hat|| = 2 / gamma
    for solve in (augmented_max_margin, svm_with_bias):
        sol = solve(X, y)
        _assert_certified(sol)
        assert scaled_error(sol.w_hat, w_norm * w_true, rtol=0, atol=GEO_PLANTED_RTOL * w_norm) < 1
        np.testing.assert_array_equal(sol.support, sv)


def test_assumptions_on_planted_paper_data():
    X, y, w_true, sv = planted_dataset(11, d=2, n_pop=1300, k_plus=350, k_minus=350, gamma=1e-3)
    a = paper_assumptions(X, y)
    assert a.b_s_is_zero and abs(a.b_s) <= a.b_zero_tol
    assert a.gamma == pytest.approx(1e-3, rel=GEO_PLANTED_RTOL)
    assert scaled_error(a.w_star, w_true, rtol=0, atol=GEO_PLANTED_RTOL) < 1
    assert a.span_residual <= GEO_KKT_TOL
    assert a.support_spans_data
    assert a.R == pytest.approx(np.max(np.linalg.norm(X, axis=1)))
    assert a.theorem_4_3_gap <= GEO_PLANTED_RTOL  # Theorem 4.3: (7) and (9) coincide


def test_b_s_nonzero_but_solutions_coincide():
    """b_s != 0 does not by itself separate (7) from (9): here both give w = (1, 0), b = -1."""
    X, y = SHIFTED  # by hand: closest hull points (2, 0) and (0, 0); margins x1 - 1 and 1 - x1
    a = paper_assumptions(X, y)
    assert not a.b_s_is_zero
    assert a.b_s == pytest.approx(-1.0, abs=GEO_BY_HAND_ATOL)
    np.testing.assert_allclose(a.eq9.w_hat, [1.0, 0.0], atol=GEO_BY_HAND_ATOL)
    # eq. (7) KKT at the same point: alpha = (1/2, 0, 3/2, 0) on z_i = y_i (x_i, 1)
    assert a.theorem_4_3_gap <= GEO_BY_HAND_ATOL


def test_assumption_3_1_fails_and_solutions_differ():
    X, y = np.array([[3.0, 1.0], [1.0, -1.0]]), np.array([1.0, -1.0])
    a = paper_assumptions(X, y)
    # by hand: (9) w = (x+ - x-) 2 / ||x+ - x-||^2 = (1/2, 1/2), b = 1 - w.x+ = -1;
    # (7): theta = Z^T (Z Z^T)^{-1} 1 with Z Z^T = [[11, -3], [-3, 3]] -> w = (1/6, 5/6), b = -1/3
    assert a.b_s == pytest.approx(-1.0, abs=GEO_BY_HAND_ATOL) and not a.b_s_is_zero
    np.testing.assert_allclose(a.eq9.w_hat, [0.5, 0.5], atol=GEO_BY_HAND_ATOL)
    np.testing.assert_allclose(np.append(a.eq7.w_hat, a.eq7.b_hat), [1 / 6, 5 / 6, -1 / 3], atol=GEO_BY_HAND_ATOL)
    gap = np.linalg.norm([1 / 3, -1 / 3, 2 / 3]) / np.sqrt(1.5)
    assert a.theorem_4_3_gap == pytest.approx(gap, rel=GEO_BY_HAND_ATOL)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "X, y",
    [
        (np.array([[0.0, 0], [1, 1], [1, 0], [0, 1]]), np.array([1.0, 1, -1, -1])),  # XOR
        (np.array([[1.0, 2.0], [1.0, 2.0]]), np.array([1.0, -1.0])),  # same point, both labels
        (np.array([[0.0], [1.0], [2.0]]), np.array([1.0, -1.0, 1.0])),  # interleaved in 1-D
    ],
    ids=["xor", "duplicate", "interleaved"],
)
@pytest.mark.parametrize("solve", [augmented_max_margin, svm_with_bias, check_separable])
def test_not_separable_raises(X, y, solve):
    with pytest.raises(NotSeparableError, match="not linearly separable"):
        solve(X, y)
    assert issubclass(NotSeparableError, ValueError)


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.array([[0.0], [1.0]]), np.array([0.0, 1.0]), "`y` must contain only -1 and \\+1"),
        (np.array([[np.nan], [1.0]]), np.array([-1.0, 1.0]), "`X` must not contain NaN"),
        (np.array([0.0, 1.0]), np.array([-1.0, 1.0]), "`X` must have 2 dimension"),
        (np.array([[0.0], [1.0]]), np.array([-1.0, 1.0, 1.0]), "`y` must have one label per row"),
    ],
)
def test_invalid_input_raises(X, y, match):
    with pytest.raises(ValueError, match=match):
        augmented_max_margin(X, y)


def test_eq9_needs_both_classes():
    with pytest.raises(ValueError, match="both classes"):
        svm_with_bias(np.array([[1.0], [2.0]]), np.array([1.0, 1.0]))
    sol = augmented_max_margin(np.array([[1.0], [2.0]]), np.array([1.0, 1.0]))  # eq. (7) is fine
    np.testing.assert_allclose([sol.w_hat[0], sol.b_hat], [0.5, 0.5], atol=GEO_TINY_QP_TOL)  # argmin w^2 + b^2, w + b >= 1


@pytest.mark.parametrize("max_iter", [1, 2, 3])
def test_iteration_limit_reports_inaccurate_instead_of_crashing(max_iter):
    """Stopped early (all multipliers may still be 0), the solver reports, it does not divide by zero."""
    X = np.array([[2, 1], [1.5, -0.5], [-2, 0.3], [-1, -1.2], [3, 0.2], [-2.5, -0.4]], dtype=float)
    y = np.array([1, 1, -1, -1, 1, -1], dtype=float)
    for solve in (svm_with_bias, augmented_max_margin):
        sol = solve(X, y, max_iter=max_iter)
        assert sol.status in ("optimal", "inaccurate")
        if sol.status == "inaccurate":
            assert "iteration limit" in sol.message or sol.kkt_excess > QP_KKT_TOL


@pytest.mark.parametrize("solve", [svm_with_bias, augmented_max_margin], ids=["eq9", "eq7"])
def test_reported_kkt_residuals_equal_an_independent_recomputation(solve):
    """The certificate fields are what they say: recomputed here from w, b, alphas by their definitions."""
    rng = np.random.default_rng(7)
    X = np.concatenate([rng.uniform(-3, 3, size=(40, 2)) + [4, 0], rng.uniform(-3, 3, size=(40, 2)) - [4, 0]])
    y = np.repeat([1.0, -1.0], 40)
    sol = solve(X, y)
    assert sol.status == "optimal"
    slack = y * (X @ sol.w_hat + sol.b_hat) - 1
    a = sol.alphas
    comp = float(np.sum(a * np.abs(slack)) / np.sum(a))
    w_gap = np.linalg.norm(sol.w_hat - (a * y) @ X)
    if sol.problem == "eq7":
        stat = np.hypot(w_gap, sol.b_hat - a @ y) / np.hypot(np.linalg.norm(sol.w_hat), sol.b_hat)
    else:
        stat = w_gap / np.linalg.norm(sol.w_hat) + abs(a @ y) / np.sum(a)
    # Both sides evaluate the same definitions in possibly other summation orders (BLAS gemv vs matmul,
    # FMA or not): they differ by at most twice the rounding bound of either, from the operation counts.
    n, d = X.shape
    u = FLOAT64_EPS / 2
    slack_err = (d + 2) * u * (np.abs(X) @ np.abs(sol.w_hat) + abs(sol.b_hat))
    theta_norm = np.hypot(np.linalg.norm(sol.w_hat), sol.b_hat) if sol.problem == "eq7" else np.linalg.norm(sol.w_hat)
    stat_err = (n + 2) * u * (np.linalg.norm(np.abs(X).T @ a + np.abs(sol.w_hat)) + np.sum(a) + abs(sol.b_hat)) / theta_norm
    stat_err += 0.0 if sol.problem == "eq7" else (n + 2) * u
    comp_err = float(a @ slack_err) / np.sum(a) + (n + 2) * u * comp
    assert abs(sol.complementarity - comp) <= GEO_RECOMPUTE_FACTOR * comp_err
    assert abs(sol.stationarity - stat) <= GEO_RECOMPUTE_FACTOR * stat_err
    assert abs(sol.primal_infeasibility - max(0.0, -slack.min())) <= GEO_RECOMPUTE_FACTOR * float(slack_err.max())


# --------------------------------------------------------------------------- solver path and diagnostics


class AmbiguousPath(Exception):
    """A nearly dependent constraint: exact and floating-point arithmetic may disagree on the branch."""


def textbook_goldfarb_idnani(dim, normal, rhs, candidates, *, tie=1e-7):
    """Every outcome of Goldfarb & Idnani (1983) for min (1/2)||x||^2 s.t. normal(k)^T x >= rhs(k), G = I,
    in its dense textbook form (least-squares step on the working set, no factor updates, x moves by
    t z also on a full step), over all resolutions of near-ties (relative gap <= ``tie``), where
    floating point may take either branch: the choice of the violated constraint
    (``candidates(x)`` lists the tied ones, [] when none is violated), the blocking constraint of the
    ratio test, and add vs drop. Returns a list of (working-set changes, final working set, final x)."""
    outcomes = []

    def add_phase(x, active, u, changes):
        cands = candidates(x)
        if not cands:
            outcomes.append((changes, frozenset(active), x))
        for p in cands:
            step(x, list(active), np.append(u, 0.0), changes, p)

    def step(x, active, u, changes, p):
        n_p = normal(p)
        N = np.array([normal(k) for k in active]).reshape(len(active), dim).T
        r = np.linalg.lstsq(N, n_p, rcond=None)[0] if active else np.zeros(0)
        z = n_p - N @ r
        zrel = np.linalg.norm(z) / np.linalg.norm(n_p)
        if 1e-12 < zrel < 1e-6:
            raise AmbiguousPath("nearly dependent constraint")
        t2 = (rhs(p) - n_p @ x) / (z @ z) if zrel >= 1e-6 else np.inf
        ratios = {j: u[j] / r[j] for j in range(len(active)) if r[j] > 0}
        t1 = min(ratios.values(), default=np.inf)
        if t2 <= t1 * (1 + tie):  # full step: p joins
            u_new = np.append(u[:-1] - t2 * r, u[-1] + t2)
            add_phase(x + t2 * z, active + [p], u_new, changes + 1)
        if t1 <= t2 * (1 + tie):  # partial step: a blocking constraint leaves, p is retried
            x_new = x + t1 * z if np.isfinite(t2) else x
            u_new = np.append(u[:-1] - t1 * r, u[-1] + t1)
            for j, rj in ratios.items():
                if rj <= t1 * (1 + tie):
                    step(x_new, active[:j] + active[j + 1 :], np.maximum(np.delete(u_new, j), 0.0), changes + 1, p)

    add_phase(np.zeros(dim), [], np.zeros(0), 0)
    return outcomes


def _near_min(values, tie):
    """Indices whose value is within ``tie`` of the smallest (all exact ties at x = 0 go to the first)."""
    return [int(np.argmin(values))] if np.ptp(values) == 0 else list(np.flatnonzero(values <= values.min() + tie))


def textbook_paths_eq7(X, y, tie=1e-7):
    """eq. (7): add the constraint with the largest violation in distance, (1 - z_k^T theta) / ||z_k||."""
    Z = y[:, None] * np.hstack([X, np.ones((X.shape[0], 1))])
    norms = np.linalg.norm(Z, axis=1)

    def candidates(theta):
        scaled = (Z @ theta - 1.0) / norms
        return [] if scaled.min() > -1e-9 else _near_min(scaled, tie)

    return textbook_goldfarb_idnani(X.shape[1] + 1, lambda k: Z[k], lambda k: 1.0, candidates, tie=tie)


def textbook_paths_eq9(X, y, tie=1e-7):
    """eq. (9): add the pair (argmin_+ w^T x, argmax_- w^T x) while its gap w^T (x_+ - x_-) is below 2."""
    Xp, Xm = X[y > 0], X[y < 0]

    def candidates(w):
        vp, vm = Xp @ w, Xm @ w
        if vp.min() - vm.max() > 2.0 - 1e-9:
            return []
        return [(a, b) for a in _near_min(vp, tie) for b in _near_min(-vm, tie)]

    return textbook_goldfarb_idnani(X.shape[1], lambda k: Xp[k[0]] - Xm[k[1]], lambda k: 2.0, candidates, tie=tie)


# Random data (12 points in d = 3) on which the textbook method leaves the working set at least once:
# (problem, seed of separable_data)
DROP_PATH_CASES = [("eq7", 0), ("eq7", 2), ("eq7", 31), ("eq7", 38), ("eq9", 1), ("eq9", 7), ("eq9", 29), ("eq9", 38)]


@pytest.mark.parametrize("problem, seed", DROP_PATH_CASES, ids=[f"{p}-seed{s}" for p, s in DROP_PATH_CASES])
def test_solver_path_matches_textbook_goldfarb_idnani(problem, seed):
    """The solver reaches the optimum by one of the paths of the dense textbook method with the
    documented pivot rules: the same number of adds + drops and the same final working set (its QR
    updates, multiplier bookkeeping and drop branch are what differ); each case drops a constraint."""
    X, y = separable_data(seed, 12, 3)
    solvers = {"eq7": (augmented_max_margin, textbook_paths_eq7), "eq9": (svm_with_bias, textbook_paths_eq9)}
    solve, paths = solvers[problem]
    outcomes = paths(X, y)
    assert all(changes > len(active) for changes, active, _ in outcomes), "the case must exercise the drop branch"
    sol = solve(X, y)
    _assert_certified(sol)
    theta = np.append(sol.w_hat, sol.b_hat) if problem == "eq7" else sol.w_hat
    for _, _, x_ref in outcomes:
        assert scaled_error(theta, x_ref, rtol=0, atol=GEO_BRUTE_RTOL * np.linalg.norm(x_ref)) < 1
    if problem == "eq9":  # a working set of pairs (a, b) -> the points it joins
        Ip, Im = np.flatnonzero(y > 0), np.flatnonzero(y < 0)
        outcomes = [(c, {Ip[a] for a, _ in act} | {Im[b] for _, b in act}, x) for c, act, x in outcomes]
    assert (sol.iterations, set(np.flatnonzero(sol.alphas > 0))) in [(c, set(act)) for c, act, _ in outcomes]


def test_iterations_count_each_support_vector_once_without_drops():
    """Two points: each constraint enters once and never leaves (eq. 7: two adds, the final multipliers
    (ZZ^T)^-1 1 = (1/4, 7/12) are positive and move linearly from positive values; eq. 9: the one pair)."""
    X, y = np.array([[3.0, 1.0], [1.0, -1.0]]), np.array([1.0, -1.0])
    assert augmented_max_margin(X, y).iterations == 2
    assert svm_with_bias(X, y).iterations == 1


def test_wide_margin_data_with_small_w():
    """||w|| < 1 (sum alpha = ||theta||^2 < 1): margin 1/||w|| > 1, certified optimal. By hand, 1-D,
    x = 6 (label +1) and x = -4 (label -1): eq. (9) w = 2/10, b = 1 - 6 w = -1/5, margin 5; eq. (7): only
    4 w - b >= 1 is active, theta = (4, -1)/17 (6 w + b = 23/17 > 1), margin 17/4."""
    X, y = np.array([[6.0], [-4.0]]), np.array([1.0, -1.0])
    s9, s7 = svm_with_bias(X, y), augmented_max_margin(X, y)
    for sol in (s9, s7):
        _assert_certified(sol)
    np.testing.assert_allclose([s9.w_hat[0], s9.b_hat, s9.margin], [0.2, -0.2, 5.0], rtol=GEO_TINY_QP_TOL)
    np.testing.assert_allclose([s7.w_hat[0], s7.b_hat, s7.margin], [4 / 17, -1 / 17, 17 / 4], rtol=GEO_TINY_QP_TOL)
    np.testing.assert_array_equal(s7.support, [1])


@pytest.mark.parametrize("scale", [1e-6, 1e-3, 1e3, 1e6])
@pytest.mark.parametrize("n, d", [(12, 2), (16, 4)])
def test_eq9_is_equivariant_under_change_of_units_and_origin(n, d, scale):
    """x' = c (x + s) (new units and origin): eq. (9) gives w' = w / c, b' = b - w^T s, the same
    support and a margin c times as wide; Assumption 3.2's residual stays relative. Degenerate grid
    data (several points tied on the margin), so the linear-dependence test of the solver is used."""
    X, y = separable_data(5, n, d, grid=True, gap=0.2)
    shift = np.linspace(3.0, -2.0, d)
    ref, sol = svm_with_bias(X, y), svm_with_bias(scale * (X + shift), y)
    _assert_certified(sol)
    tol = GEO_EQUIVARIANCE_RTOL * np.linalg.norm(ref.w_hat)
    assert scaled_error(scale * sol.w_hat, ref.w_hat, rtol=0, atol=tol) < 1
    assert scaled_error(sol.b_hat, ref.b_hat - ref.w_hat @ shift, rtol=0, atol=tol * np.abs(X + shift).max()) < 1
    np.testing.assert_array_equal(sol.support, ref.support)
    assert sol.margin == pytest.approx(scale * ref.margin, rel=GEO_EQUIVARIANCE_RTOL)
    a = paper_assumptions(scale * X, y)
    assert a.gamma == pytest.approx(2 * scale * ref.margin, rel=GEO_EQUIVARIANCE_RTOL)
    assert a.span_residual <= GEO_KKT_TOL


@pytest.mark.parametrize("d", [6, 12])
def test_fewer_points_than_dimensions(d):
    """n = 4 < d (the paper's high-dimensional regime in miniature): both solvers match brute force."""
    rng = np.random.default_rng(d)
    X, y = rng.normal(size=(4, d)), np.array([1.0, 1.0, -1.0, -1.0])
    s7, s9 = augmented_max_margin(X, y), svm_with_bias(X, y)
    _assert_certified(s7)
    _assert_certified(s9)
    for sol, (w_ref, b_ref) in ((s7, brute_force_eq7(X, y)), (s9, brute_force_eq9(X, y))):
        ref = np.append(w_ref, b_ref)
        assert scaled_error(np.append(sol.w_hat, sol.b_hat), ref, rtol=0, atol=GEO_BRUTE_RTOL * np.linalg.norm(ref)) < 1


@pytest.mark.parametrize("solve", [svm_with_bias, augmented_max_margin], ids=["eq9", "eq7"])
def test_reported_diagnostics_of_an_early_stop_equal_their_definitions(solve):
    """Stopped after one working-set change (points still violate the margin), the reported primal
    infeasibility and support set are those of the returned (w, b), recomputed from their definitions."""
    X = np.array([[2, 1], [1.5, -0.5], [-2, 0.3], [-1, -1.2], [3, 0.2], [-2.5, -0.4]], dtype=float)
    y = np.array([1, 1, -1, -1, 1, -1], dtype=float)
    sol = solve(X, y, max_iter=1)
    assert sol.status == "inaccurate" and "iteration limit" in sol.message
    slack = y * (X @ sol.w_hat + sol.b_hat) - 1
    assert slack.min() < -0.01  # the case is genuinely infeasible
    assert sol.primal_infeasibility == pytest.approx(-slack.min(), rel=GEO_RECOMPUTE_RTOL)
    floor = QP_FLOOR_FACTOR * (np.abs(X) @ np.abs(sol.w_hat) + abs(sol.b_hat))  # d + 3 < 64: the 32 eps factor applies
    np.testing.assert_array_equal(sol.support, np.flatnonzero(np.abs(slack) <= sol.support_tol + floor))


def test_status_is_inaccurate_when_the_certificate_fails_without_hitting_the_limit():
    """eq. (7) penalises b beside w, so it is not unit-free: at x ~ 1e-8 the bias column dominates
    the working-set matrix (condition ~1e8) and the answer is good to ~1e-8 only. The solver stops
    normally but must not call that optimal."""
    X, y = separable_data(0, 12, 2, grid=True, gap=0.2)
    X = 1e-8 * X
    sol = augmented_max_margin(X, y)
    assert "iteration limit" not in sol.message
    primal = max(0.0, -(y * (X @ sol.w_hat + sol.b_hat) - 1).min())
    assert primal > 10 * GEO_KKT_TOL  # measured 2e-8
    assert sol.status == "inaccurate"


def test_support_spans_data_is_false_for_collinear_support_vectors():
    """Three positives on the line x2 = 1 and one negative far below: eq. (7) gives w = (0, 1/2),
    b = 1/2 (by hand: only the positives bind, w2 = b, w2 + b = 1; the negative has margin 4.5),
    so the support {z_s} has rank 2 < 3 = rank{z_i}: Theorem 4.2's precondition fails and is reported."""
    X, y = np.array([[-1.0, 1.0], [0.0, 1.0], [1.0, 1.0], [0.0, -10.0]]), np.array([1.0, 1.0, 1.0, -1.0])
    a = paper_assumptions(X, y)
    np.testing.assert_allclose(np.append(a.eq7.w_hat, a.eq7.b_hat), [0.0, 0.5, 0.5], atol=GEO_TINY_QP_TOL)
    np.testing.assert_array_equal(a.eq7.support, [0, 1, 2])
    assert not a.support_spans_data


# --- status on the knife edge: the rounding floor meets QP_KKT_TOL (issue: statuses that flip between machines) ---


@pytest.mark.parametrize("box", [5.0, 20.0, 50.0, 100.0, 300.0])
def test_status_does_not_flip_where_the_rounding_floor_meets_the_tolerance(box):
    """gamma = 1e-4: ||theta_hat|| = 2e4, so the slacks' rounding floor (d + 1) u sum_j |z_ij theta_j|
    runs from ~1e-11 (box 5) through QP_KKT_TOL to ~1e-9 (box 300). The bare residuals there are a few
    ulps of the products, i.e. on either side of QP_KKT_TOL depending on the machine's summation order
    and FMA; measured beyond their floor they are 0. Reordering the rows and moving every coordinate by
    one ulp (another machine's arithmetic, in effect) must leave the status and the support alone."""
    from checks.test_residual import planted

    X, y = planted(0, 2, 2, 30, 1e-4, box=box, n_pop=20)
    rng = np.random.default_rng(1)
    variants = [(X, y)]
    for _ in range(3):
        order = rng.permutation(len(y))
        variants.append((X[order], y[order]))
    variants.append((np.nextafter(X, np.where(rng.random(X.shape) < 0.5, -np.inf, np.inf)), y))
    for Xv, yv in variants:
        sol = augmented_max_margin(Xv, yv)
        assert sol.status == "optimal" and sol.kkt_excess <= QP_KKT_TOL, sol.message
        assert sol.support.size == 32, sol.message  # the 32 planted support vectors, no population point


def test_status_reports_genuine_inaccuracy_beyond_the_floor():
    """The floor excuses rounding only: a solution whose slacks are off far beyond it (stopped early)
    stays inaccurate, and kkt_excess says by how much."""
    X = np.array([[2, 1], [1.5, -0.5], [-2, 0.3], [-1, -1.2], [3, 0.2], [-2.5, -0.4]], dtype=float)
    y = np.array([1, 1, -1, -1, 1, -1], dtype=float)
    sol = augmented_max_margin(X, y, max_iter=1)
    assert sol.status == "inaccurate" and sol.kkt_excess > 0.01
