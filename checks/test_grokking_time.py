"""Theorem 4.6 of arXiv:2602.08302, Q(offset) of Appendix A.2, and the exact test-time sweep.

The sweep of theory.grokking_time.asymptotic_test_time is compared with brute-force evaluation
of the margins p_i s + q_i on dense grids and on every integer step, with hand-made cases, and
with Theorem 4.6 itself on a finely discretised concentrated test set.
"""

import math

import mpmath
import numpy as np
import pytest
from hypothesis import example, given, target
from hypothesis import strategies as st

from checks.tolerances import (
    FLOAT64_EPS,
    GEO_PLANTED_RTOL,
    GT_ACCURACY_SLACK,
    GT_BREAKPOINT_GUARD,
    GT_CRITICAL_Q_ULPS,
    GT_EXP_NEAR_OVERFLOW_RTOL,
    GT_EXP_ULPS,
    GT_HEADLINE_ULPS,
    GT_LATE_CROSSING_FACTOR,
    GT_LATE_STEP_ULPS,
    GT_PLANTED_THEOREM_RTOL,
    GT_Q_ULPS,
    GT_RESIDUAL_TIME_RTOL,
    ZERO_REF_ATOL,
    scaled_error,
)
from theory.grokking_time import (
    asymptotic_test_time,
    concentrated_test_accuracy,
    curve_accuracy,
    theorem_4_6_test_time,
)

# --------------------------------------------------------------------------- brute force


def margins(w_hat, b_hat, w_tilde, b_tilde, X, y):
    return y * (X @ w_hat + b_hat), y * (X @ w_tilde + b_tilde)


def brute_accuracy(p, q, s):
    """Fraction with p s + q > 0 (sign(0) wrong), for each s."""
    s = np.atleast_1d(s)
    return np.mean(p[:, None] * s[None, :] + q[:, None] > 0, axis=0)


def near_breakpoint(p, q, s):
    with np.errstate(divide="ignore", invalid="ignore"):
        r = -q / p
    r = r[np.isfinite(r)]
    if r.size == 0:
        return np.zeros(np.shape(s), dtype=bool)
    return np.min(np.abs(s[:, None] - r[None, :]) / (1 + np.abs(r[None, :])), axis=1) < GT_BREAKPOINT_GUARD


# --------------------------------------------------------------------------- strategies


@st.composite
def sweep_problems(draw, *, adversarial):
    seed = draw(st.integers(0, 2**32 - 1))
    m = draw(st.integers(1, 40))
    d = draw(st.integers(1, 3))
    rng = np.random.default_rng(seed)
    if adversarial:  # small integers: zero decision values, equal crossing times, p = 0
        X = rng.integers(-2, 3, size=(m, d)).astype(float)
        w_hat, w_tilde = rng.integers(-2, 3, size=d).astype(float), rng.integers(-6, 7, size=d).astype(float)
        b_hat, b_tilde = float(rng.integers(-1, 2)), float(rng.integers(-3, 4))
    else:
        X = rng.normal(size=(m, d))
        w_hat, w_tilde = rng.normal(size=d), rng.normal(size=d) * 4
        b_hat, b_tilde = float(rng.normal() * 0.3), float(rng.normal())
    y = np.where(rng.random(m) < 0.5, -1.0, 1.0)
    eps = draw(st.sampled_from([0.0, 0.001, 0.05, 0.2]))
    return w_hat, b_hat, w_tilde, b_tilde, X, y, eps


problems = st.one_of(sweep_problems(adversarial=False), sweep_problems(adversarial=True))

N_MAX = 200_000  # brute force over every integer step 1..N_MAX (s up to 12.2)


@given(problems)
def test_sweep_matches_brute_force(problem):
    w_hat, b_hat, w_tilde, b_tilde, X, y, eps = problem
    curve = asymptotic_test_time(w_hat, b_hat, w_tilde, b_tilde, X, y, eps)
    p, q = margins(w_hat, b_hat, w_tilde, b_tilde, X, y)
    # dense grid of s, including 0 and far beyond every crossing
    grid = np.concatenate([[0.0], np.geomspace(1e-6, 1e6, 4000), np.linspace(0, 20, 2001)])
    keep = ~near_breakpoint(p, q, grid)
    got = curve_accuracy(curve, grid[keep])
    ref = brute_accuracy(p, q, grid[keep])
    mismatch = float(np.max(np.abs(got - ref))) if keep.any() else 0.0
    target(mismatch, label="sweep vs grid")
    assert mismatch == 0.0
    assert np.all(ref <= curve.sup_accuracy)  # no grid point beats the supremum
    # the sup is attained in the middle of some interval (independent sample points)
    with np.errstate(divide="ignore", invalid="ignore"):
        roots = np.unique(-q / p)
    roots = roots[np.isfinite(roots) & (roots > 0)]
    mids = np.concatenate([[0.0], (np.concatenate([[0.0], roots])[:-1] + roots) / 2 if roots.size else [], [roots.max() * 2 + 1 if roots.size else 1.0]])
    assert np.max(brute_accuracy(p, q, np.asarray(mids, dtype=float))) == curve.sup_accuracy
    assert curve.limit_accuracy == brute_accuracy(p, q, np.array([1e300]))[0] or np.any(p == 0)
    # first step over all integers up to N_MAX
    n = np.arange(1, N_MAX + 1, dtype=float)
    acc_n = brute_accuracy(p, q, np.log(n))
    hits = np.flatnonzero(curve.sup_accuracy - acc_n <= eps * curve.sup_accuracy * (1 + GT_ACCURACY_SLACK))
    if curve.first_step <= N_MAX:
        assert hits.size and n[hits[0]] == curve.first_step
    else:
        assert hits.size == 0
    # nothing qualifies strictly before first_s
    early = grid[keep & (grid < curve.first_s)] if keep.any() else grid[:0]
    assert np.all(curve.sup_accuracy - brute_accuracy(p, q, early) > eps * curve.sup_accuracy * (1 + GT_ACCURACY_SLACK)) if early.size else True


def _one(p_w, q_w, eps=0.0):
    """A single test point x = 1, y = +1 with w_hat = p_w, w_tilde = q_w, zero biases."""
    return asymptotic_test_time([p_w], 0.0, [q_w], 0.0, [[1.0]], [1.0], eps)


def test_point_that_becomes_correct():
    c = _one(1.0, -2.0)  # margin s - 2: wrong up to and including s = 2
    np.testing.assert_array_equal(c.breakpoints, [2.0])
    np.testing.assert_array_equal(c.interval_accuracy, [0.0, 1.0])
    np.testing.assert_array_equal(c.point_accuracy, [0.0, 0.0])  # at s = 2 the margin is exactly 0
    assert (c.sup_accuracy, c.limit_accuracy, c.first_s, c.first_attained) == (1.0, 1.0, 2.0, False)
    assert c.first_t == pytest.approx(math.e**2, rel=GT_EXP_ULPS * FLOAT64_EPS)
    assert c.first_step == 8.0  # e^2 = 7.39


def test_point_that_becomes_wrong():
    c = _one(-1.0, 2.0)  # margin 2 - s
    assert (c.sup_accuracy, c.limit_accuracy, c.first_s, c.first_attained, c.first_step) == (1.0, 0.0, 0.0, True, 1.0)


def test_zero_decision_value_counts_as_wrong():
    c = _one(0.0, 0.0)
    assert c.breakpoints.size == 0 and c.sup_accuracy == 0.0 and c.limit_accuracy == 0.0
    c = asymptotic_test_time([1.0], 0.0, [0.0], 0.0, [[1.0]], [1.0], 0.0)  # margin s: wrong only at s = 0
    assert c.point_accuracy[0] == 0.0 and c.interval_accuracy[0] == 1.0
    assert (c.first_s, c.first_attained, c.first_step) == (0.0, False, 2.0)


@pytest.mark.parametrize("eps, first_s, first_step", [(0.0, 3.0, 21.0), (0.4, 3.0, 21.0), (0.5, 1.0, 3.0)])
def test_two_stage_generalisation(eps, first_s, first_step):
    # margins s - 3 and s - 1: accuracy 0 on [0, 1], 1/2 on (1, 3], 1 beyond
    c = asymptotic_test_time([1.0, 0.0], 0.0, [0.0, -1.0], 0.0, [[1.0, 3.0], [1.0, 1.0]], [1.0, 1.0], eps)
    c2 = asymptotic_test_time([1.0, 0.0], 0.0, [0.0, 0.0], 0.0, [[1.0, 0.0]], [1.0], 0.0)
    np.testing.assert_array_equal(c.breakpoints, [1.0, 3.0])
    np.testing.assert_array_equal(c.interval_accuracy, [0.0, 0.5, 1.0])
    assert (c.first_s, c.first_attained, c.first_step) == (first_s, False, first_step)
    assert c2.first_step == 2.0  # margin s: log 1 = 0 is a tie (wrong), step 2 is the first


def test_threshold_is_robust_to_rounding_of_one_minus_eps():
    # 1000 points, 999 of them always correct: (1 - 0.001) * 1000 = 999.0000000000001 in float64
    X = np.ones((1000, 1))
    y = np.ones(1000)
    w_tilde = np.array([1.0])
    c = asymptotic_test_time([0.0], 0.0, w_tilde, 0.0, X, np.where(np.arange(1000) == 0, -1.0, 1.0), 0.001)
    assert c.sup_accuracy == 0.999 and c.first_s == 0.0 and c.first_attained
    c = asymptotic_test_time([1.0], 0.0, [1.0], -1.0, X, y, 0.0)  # margin s: first_step 2
    assert c.first_step == 2.0


# --------------------------------------------------------------------------- Q(offset), Theorem 4.6


def test_concentrated_accuracy_pieces():
    g, a = 1e-3, 10.0
    off = np.array([0.0, g / 2, (g / 2 + a * g) / 2, a * g, 5 * a * g])
    q = concentrated_test_accuracy(off, g, a).accuracy
    np.testing.assert_allclose(q, [1.0, 1.0, 0.75, 0.5, 0.5], rtol=0, atol=GT_Q_ULPS * FLOAT64_EPS)
    dense = concentrated_test_accuracy(np.linspace(0, 3 * a * g, 1001), g, a).accuracy
    assert np.all(np.diff(dense) <= 0) and np.all((0.5 <= dense) & (dense <= 1.0))


@given(st.floats(1e-8, 50.0), st.sampled_from([0.0, 1e-3, 0.01, 0.3]), st.floats(0.51, 100.0), st.floats(1e-6, 1.0), st.floats(0.0, 1e4))
@example(0.5, 0.001, 10.0, 1e-3, 0.0)
def test_theorem_4_6_consistent_with_Q(delta, eps, alpha, gamma, B):
    r = theorem_4_6_test_time(delta, eps, alpha, gamma=gamma, B=B)
    # the critical offset of the theorem is where Q = 1 - eps
    q = concentrated_test_accuracy(r.critical_offset, gamma, alpha).accuracy
    # rounding of offset - gamma/2 (size ~gamma) divided by the band width alpha gamma - gamma/2
    band = alpha - 0.5  # band width alpha gamma - gamma/2, in units of gamma
    assert abs(float(q) - (1 - eps)) <= GT_CRITICAL_Q_ULPS * FLOAT64_EPS * (1 + 1 / band)
    by_hand = abs(math.log(delta)) / (1 + 2 * eps * (2 * alpha - 1))
    assert r.log_T_headline == pytest.approx(by_hand, rel=GT_HEADLINE_ULPS * FLOAT64_EPS, abs=ZERO_REF_ATOL)
    assert r.log_T_lower <= r.log_T_headline <= r.log_T_upper
    width_rounding = 4 * FLOAT64_EPS * (r.exponent + gamma * B)  # (E + x) - (E - x) loses eps * E
    assert abs((r.log_T_upper - r.log_T_lower) - gamma * B) <= width_rounding


def test_sweep_reproduces_theorem_4_6_on_concentrated_set():
    """Late-time model of the proof: w(t) = (2/gamma) w log t + c w, b = -log delta (parallel).

    On a finely discretised concentrated set the exact sweep must hit Q = 1 - eps at the offset
    the theorem uses, i.e. log T = E - gamma c / 2 up to the test set's discreteness.
    """
    gamma, alpha, eps, delta, c = 1e-3, 10.0, 0.001, 0.5, 300.0
    w = np.array([1.0, 1.0]) / math.sqrt(2)
    perp = np.array([1.0, -1.0]) / math.sqrt(2)
    mc = 10_000
    u = gamma / 2 + (np.arange(mc) + 0.5) / mc * (alpha * gamma - gamma / 2)  # band positions
    side = np.linspace(-3, 3, mc)
    X = np.vstack([u[:, None] * w + side[:, None] * perp, -u[:, None] * w + side[:, None] * perp])
    y = np.concatenate([np.ones(mc), -np.ones(mc)])
    b = -math.log(delta)
    curve = asymptotic_test_time((2 / gamma) * w, 0.0, c * w, b, X, y, eps)
    th = theorem_4_6_test_time(delta, eps, alpha, gamma=gamma, B=c)
    assert curve.sup_accuracy == 1.0
    hit_offset = abs(b) / ((2 / gamma) * curve.first_s + c)  # |b| / ||w(T)|| at the sweep's T
    spacing = (alpha * gamma - gamma / 2) / mc  # distance between neighbouring test points
    assert abs(hit_offset - th.critical_offset) <= spacing
    # log T = gamma |b| / (2 offset) - gamma c / 2: with c = B > 0 the theorem's LOWER bound is the
    # exact answer, up to the offset spacing propagated through d log T / d offset
    dlogT = gamma * abs(b) / (2 * th.critical_offset**2) * spacing * 1.01
    assert abs(curve.first_s - th.log_T_lower) <= dlogT


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(delta=0.0, eps=0.1, alpha=10, gamma=1e-3, B=0), "`delta` must be positive"),
        (dict(delta=0.5, eps=1.0, alpha=10, gamma=1e-3, B=0), "`eps` must be in \\[0, 1\\)"),
        (dict(delta=0.5, eps=0.1, alpha=0.5, gamma=1e-3, B=0), "`alpha` must exceed 1/2"),
        (dict(delta=0.5, eps=0.1, alpha=10, gamma=-1, B=0), "`gamma` must be positive"),
        (dict(delta=0.5, eps=0.1, alpha=10, gamma=1e-3, B=-1), "`B` must be non-negative"),
    ],
)
def test_theorem_4_6_validation(kwargs, match):
    kwargs = dict(kwargs)  # the parametrize dict is shared between runs: never mutate it
    with pytest.raises(ValueError, match=match):
        theorem_4_6_test_time(kwargs.pop("delta"), kwargs.pop("eps"), kwargs.pop("alpha"), **kwargs)


def test_sweep_validation():
    with pytest.raises(ValueError, match="`y_test` must contain only -1 and \\+1"):
        asymptotic_test_time([1.0], 0.0, [1.0], 0.0, [[1.0]], [0.0], 0.0)
    with pytest.raises(ValueError, match="`w_tilde` must have length 1"):
        asymptotic_test_time([1.0], 0.0, [1.0, 2.0], 0.0, [[1.0]], [1.0], 0.0)
    with pytest.raises(ValueError, match="`b_hat` must be finite"):
        asymptotic_test_time([1.0], np.nan, [1.0], 0.0, [[1.0]], [1.0], 0.0)
    with pytest.raises(ValueError, match="`offset` must be non-negative"):
        concentrated_test_accuracy(-1.0, 1e-3, 10.0)


@pytest.mark.parametrize("eps", [0.0, 0.001])
def test_balanced_symmetric_planted_data_groks_at_norm_over_eta_S(eps):
    """Closed form for symmetric balanced support sets (derived, checks/test_residual.planted):

    sum_s z_s is parallel to theta_hat, so equal alphas ||theta_hat||^2 / |S| are stationary and
    theta_tilde = kappa theta_hat with eta e^{-kappa} = ||theta_hat||^2 / |S|. Every test point's
    decision value is (w_hat^T x)(log t + kappa): all flip together at T = ||w_hat||^2 / (eta |S|)
    = 4 / (gamma^2 eta |S|) -- 5.7e5 steps for the paper's gamma = 1e-3, eta = 1e-2, |S| = 700 --
    which is exactly Theorem 4.6's UPPER bound exp(E + gamma B / 2) with delta = 1, B = ||theta_tilde||,
    while its headline exp(E) = 1 step.
    """
    from checks.test_residual import planted
    from theory.residual import residual_limit

    gamma, eta, alpha, k = 1e-3, 1e-2, 10.0, 350
    X, y = planted(5, 2, k, k, gamma, n_pop=2000 - 2 * k, gap=0.01)
    r = residual_limit(X, y, eta)
    w = r.w_hat / np.linalg.norm(r.w_hat)
    perp = np.array([-w[1], w[0]])
    u = np.linspace(gamma / 2, alpha * gamma, 500)
    side = np.linspace(-3, 3, 500)
    Xt = np.vstack([u[:, None] * w + side[:, None] * perp, -u[:, None] * w + side[:, None] * perp])
    yt = np.concatenate([np.ones(500), -np.ones(500)])
    curve = asymptotic_test_time(r.w_hat, r.b_hat, r.w_tilde, r.b_tilde, Xt, yt, eps)
    T_closed = np.dot(r.w_hat, r.w_hat) / (eta * 2 * k)
    assert T_closed == pytest.approx(4 / (gamma**2 * eta * 2 * k), rel=GEO_PLANTED_RTOL)
    assert curve.first_t == pytest.approx(T_closed, rel=GT_RESIDUAL_TIME_RTOL)
    B = float(np.linalg.norm(np.append(r.w_tilde, r.b_tilde)))
    th = theorem_4_6_test_time(r.delta, eps, alpha, gamma=gamma, B=B)
    assert th.T_upper == pytest.approx(T_closed, rel=GT_PLANTED_THEOREM_RTOL)
    assert th.T_headline == pytest.approx(1.0, abs=GT_PLANTED_THEOREM_RTOL)  # off by a factor 5.7e5


# --------------------------------------------------------------------------- extreme times


def test_theorem_4_6_times_up_to_the_float_range():
    """T = exp(log T) stays finite up to log T = log(DBL_MAX) = 709.78 and is inf beyond (delta = 1e-308: T = 1/delta)."""
    r = theorem_4_6_test_time(1e-308, 0.0, 10.0, gamma=1e-3, B=2000.0)  # log T = 709.196 -+ 1
    with mpmath.workdps(30):
        E = -mpmath.log(mpmath.mpf(1e-308))
        ref = [float(mpmath.exp(E)), float(mpmath.exp(E - 1))]
    assert scaled_error([r.T_headline, r.T_lower], ref, rtol=GT_EXP_NEAR_OVERFLOW_RTOL) <= 1
    assert r.T_upper == math.inf  # e^710.196 > DBL_MAX
    assert theorem_4_6_test_time(1e-320, 0.0, 10.0, gamma=1e-3, B=0.0).T_headline == math.inf
    T_half = theorem_4_6_test_time(0.5, 0.0, 10.0, gamma=1e-3, B=0.0).T_headline
    assert T_half == pytest.approx(2.0, rel=GT_HEADLINE_ULPS * FLOAT64_EPS)


def test_first_time_near_the_float_range():
    """Crossing at s = 709.5: t = e^709.5 = 1.35e308 is finite; at s = 720 it is not."""
    c = _one(1.0, -709.5)
    with mpmath.workdps(30):
        ref = float(mpmath.exp(mpmath.mpf(709.5)))
    assert scaled_error([c.first_t, c.first_step], [ref, ref], rtol=GT_EXP_NEAR_OVERFLOW_RTOL) <= 1
    c = _one(1.0, -720.0)
    assert c.first_s == 720.0 and c.first_t == math.inf and c.first_step == math.inf


def _brute_first_step(p, q, target_count, n_lo, n_hi):
    """Smallest integer n in (n_lo, n_hi] with #{p s + q > 0} >= target_count at s = math.log(n); n_lo must fail."""
    def count(n):
        s = math.log(n)
        return sum(pi * s + qi > 0 for pi, qi in zip(p, q))

    assert count(n_lo) < target_count
    for n in range(n_lo + 1, n_hi + 1):
        if count(n) >= target_count:
            return float(n)
    raise AssertionError("window too small")


def _margins_curve(p, q, eps):
    """Test points with margins p_i s + q_i: x_i = (p_i, q_i), w_hat = e1, w_tilde = e2, y = +1."""
    X = np.column_stack([p, q])
    return asymptotic_test_time([1.0, 0.0], 0.0, [0.0, 1.0], 0.0, X, np.ones(len(p)), eps)


@pytest.mark.parametrize("a", [12.5, 20.3, 30.7, 35.5, 36.2, 36.7])
def test_first_step_at_late_crossings_matches_brute_force(a):
    """One point with margin s - a: the first step is the smallest n with log n > a, up to n ~ 2^53 exactly."""
    c = _margins_curve([1.0], [-a], 0.0)
    n0 = math.floor(math.exp(a))
    assert c.first_step == _brute_first_step([1.0], [-a], 1, n0 - 200, n0 + 200)
    with mpmath.workdps(40):
        exact = mpmath.floor(mpmath.exp(mpmath.mpf(a))) + 1  # real-number answer; float log is that close
        assert abs(c.first_step - exact) <= GT_LATE_CROSSING_FACTOR * a * FLOAT64_EPS * exact + 1


@pytest.mark.parametrize("a", [20.3, 35.5, 36.2])
def test_first_step_when_the_breakpoint_itself_qualifies(a):
    """Breakpoints a' < a adjacent in float64, so (a', a) holds no log n: the first step is the first n with log n >= a.

    Margins s - a' (twice), s - a and a - s; eps = 1/3 of sup = 3 needs 2 correct points: on (a', a)
    all but s - a are (3), at s = a only the two s - a' are (2), before a' only a - s (1).
    """
    a_left = math.nextafter(a, 0.0)
    p, q = [1.0, 1.0, 1.0, -1.0], [-a_left, -a_left, -a, a]
    c = _margins_curve(p, q, 1.0 / 3.0)
    np.testing.assert_array_equal(c.breakpoints, [a_left, a])
    assert c.sup_accuracy == 0.75 and c.first_s == a_left and not c.first_attained
    n0 = math.floor(math.exp(a))
    assert c.first_step == _brute_first_step(p, q, 2, n0 - 200, n0 + 200)


@pytest.mark.parametrize("a", [37.0, 40.0])
def test_first_step_inside_a_late_finite_window(a):
    """Margins s - a and a + 1 - s: both correct only for a < s < a + 1; the first step is ~e^a (beyond 2^53 = e^36.7)."""
    c = _margins_curve([1.0, -1.0], [-a, a + 1.0], 0.0)
    assert (c.sup_accuracy, c.limit_accuracy, c.first_s) == (1.0, 0.5, a)
    with mpmath.workdps(30):
        ref = float(mpmath.exp(a))
    assert c.first_step == pytest.approx(ref, rel=GT_LATE_STEP_ULPS * FLOAT64_EPS) and c.first_step == math.floor(c.first_step)


def test_limit_accuracy_with_ties_and_crossings_beyond_float_range():
    """s -> inf: p > 0 is correct, p < 0 wrong, p = 0 decided by q; a crossing at s = 1e320 still counts."""
    p = [0.0, 0.0, 1.0, -1.0, 1e-320]
    q = [0.5, -0.5, -1.0, 1.0, -1.0]  # the last crosses at s = 1e320, past float64
    c = _margins_curve(p, q, 0.0)
    assert c.limit_accuracy == 3 / 5  # (0, 0.5), (1, -1), (1e-320, -1)
    np.testing.assert_array_equal(c.breakpoints, [1.0])
    np.testing.assert_array_equal(c.interval_accuracy, [2 / 5, 2 / 5])  # the tiny-p point is wrong at every float s
