"""Eq. (10)-(11) of arXiv:2602.08302: the stable closed form against independent references.

References: (i) the ORIGINAL unsimplified eq. (11) in mpmath, digits raised until a rerun at
twice the digits agrees ("converged in precision"); (ii) numerical solutions of the ODE (10)
by scipy ``solve_ivp`` and by mpmath ``odefun``.
"""

import math

import mpmath
import numpy as np
import pytest
from hypothesis import assume, example, given, target
from hypothesis import strategies as st

from checks.tolerances import (
    CF_ATOL_SUBNORMAL,
    CF_BATCH_ULPS,
    CF_DELTA_ULPS,
    CF_DOMAIN_SLACK,
    CF_G_ULPS,
    CF_INITIAL_ULPS,
    CF_LIMIT_ULPS,
    CF_LOG_RATIO_OVERFLOW_RTOL,
    CF_MP_RTOL,
    CF_RATE_ULPS,
    CF_REMAINDER_FACTOR_ULPS,
    CF_RHS_ULPS,
    CF_RTOL_COND,
    CF_SUBNORMAL_TWO_ULPS,
    CF_TIGHTNESS_ATOL,
    FLOAT64_EPS,
    LATE_TIME_ROUNDING_RTOL,
    ODE_MP_RTOL,
    ODE_SCIPY_RTOL,
    scaled_error,
)
from theory.closed_form import (
    bias_closed_form,
    bias_closed_form_mp,
    bias_limit,
    bias_ode_rhs,
    late_time_expansion,
    solve_bias_ode,
    solve_bias_ode_mp,
)

# --------------------------------------------------------------------------- reference (eq. 11)


def _eq11_original(dps, t, b0, t0, A_plus, A_minus):
    """Unsimplified eq. (11) at ``dps`` digits; returns (b, b - b_inf, g, b_inf) as mpf."""
    with mpmath.workdps(dps):
        ap, am, tt, tt0, bb0 = (mpmath.mpf(v) for v in (A_plus, A_minus, t, t0, b0))
        delta = mpmath.sqrt(am / ap)
        g = 2 * mpmath.sqrt(ap * am) * mpmath.log(tt / tt0)
        v = delta * mpmath.exp(bb0)
        eg = mpmath.exp(g)
        ratio = ((1 + v) * eg - (1 - v)) / ((1 + v) * eg + (1 - v))
        b = mpmath.log(ratio) - mpmath.log(delta)
        return b, mpmath.log(ratio), g, -mpmath.log(delta)


def eq11_reference(t, b0, t0, A_plus, A_minus, floor_log10=-330):
    """Eq. (11) evaluated until a rerun at twice the digits agrees to 30 digits.

    Deviations b - b_inf below 10**floor_log10 are only resolved as "below the floor".
    """
    with mpmath.workdps(30):
        g_est = float(2 * mpmath.sqrt(mpmath.mpf(A_plus) * A_minus) * mpmath.log(mpmath.mpf(t) / t0))
    g_cap = -floor_log10 * math.log(10.0) + 20.0
    extra = (min(g_est, g_cap) + abs(b0) + abs(math.log(A_plus / A_minus))) / math.log(10.0)
    c0_est = abs(b0 - 0.5 * math.log(A_plus / A_minus))
    if c0_est > 0.0:  # the ratio in (11) is 1 + O(dev): resolving dev costs -log10(dev) digits
        log10_dev = math.log10(2.0 * math.tanh(c0_est / 2.0) + 1e-300) - min(g_est, g_cap) / math.log(10.0)
        extra += min(max(0.0, -log10_dev), -floor_log10)
    if 0.0 < g_est < 1.0:
        extra += -math.log10(g_est)
    dps = 40 + int(extra)
    while dps < 40000:
        lo = _eq11_original(dps, t, b0, t0, A_plus, A_minus)
        hi = _eq11_original(2 * dps, t, b0, t0, A_plus, A_minus)
        with mpmath.workdps(2 * dps):
            floor = mpmath.mpf(10) ** floor_log10
            # "below the floor" is trusted only at enough digits to see the floor through the
            # cancellation 1 + dev in the ratio of (11)
            tiny = dps >= 30 - floor_log10 and abs(hi[1]) < floor and abs(lo[1]) < floor
            if tiny or (hi[1] != 0 and abs(lo[1] - hi[1]) <= mpmath.mpf("1e-30") * abs(hi[1])):
                return hi
        dps *= 2
    raise AssertionError("reference for eq. (11) did not converge in precision")


def allowed_error(ref_dev, g, b0, b_inf):
    """Condition-weighted error budget for b - b_inf in float64 (see CF_RTOL_COND)."""
    with mpmath.workdps(40):
        c0 = mpmath.mpf(b0) - b_inf
        E = mpmath.exp(-g)
        sech2 = mpmath.sech(c0 / 2) ** 2
        # d/dc0 of 2 artanh(tanh(c0/2) E); 1 - tanh^2 E^2 written without cancellation
        dd_dc0 = E * sech2 / ((1 - E**2) + sech2 * E**2)
        budget = abs(ref_dev) * (1 + g) + (abs(b0) + abs(b_inf)) * dd_dc0
        return float(CF_RTOL_COND * budget)


# --------------------------------------------------------------------------- strategies


@st.composite
def eq11_params(draw, *, adversarial):
    """(t array, b0, t0, A_plus, A_minus) with delta, g and b0 over the stated domain."""
    if adversarial:
        log10_delta = draw(st.floats(-12, 12))
        log10_r = draw(st.floats(-8, 4))
        b0 = draw(st.floats(-1000, 1000))
        t0 = 10.0 ** draw(st.floats(-3, 6))
        log10_lr = st.floats(-16, 2.84)
    else:
        log10_delta = draw(st.floats(-2, 2))
        log10_r = draw(st.floats(-2, 1))
        b0 = draw(st.floats(-10, 10))
        t0 = 10.0 ** draw(st.floats(0, 3))
        log10_lr = st.floats(-6, 1.7)
    r, delta = 10.0**log10_r, 10.0**log10_delta
    A_plus, A_minus = r / delta, r * delta
    lrs = draw(st.lists(st.one_of(st.just(0.0), log10_lr.map(lambda u: 10.0**u)), min_size=1, max_size=4))
    t = np.array([t0 * math.exp(lr) for lr in lrs])
    return t, b0, t0, A_plus, A_minus


def _check_against_reference(t, b0, t0, A_plus, A_minus):
    got = bias_closed_form(t, b0, t0, A_plus, A_minus)
    worst = 0.0
    for i, ti in enumerate(t):
        b_ref, dev_ref, g_ref, b_inf_ref = eq11_reference(float(ti), b0, t0, A_plus, A_minus)
        assert g_ref <= 1e6 * (1 + CF_DOMAIN_SLACK), "strategy must stay in the stated domain g <= 1e6"
        allow = allowed_error(dev_ref, g_ref, b0, b_inf_ref)
        err_dev = abs(got.deviation[i] - float(dev_ref)) / (CF_ATOL_SUBNORMAL + allow)
        allow_b = allow + CF_RTOL_COND * (abs(float(b_ref)) + abs(float(b_inf_ref)))
        err_b = abs(got.b[i] - float(b_ref)) / (CF_ATOL_SUBNORMAL + allow_b)
        worst = max(worst, err_dev, err_b)
    target(worst, label="condition-scaled error of eq. (11)")
    assert worst < 1.0, worst


@given(eq11_params(adversarial=False))
@example((np.array([1.0, 2.0, 1e3]), 0.0, 1.0, 1.0, 1.0))  # delta = 1, b0 = b_inf: b stays 0
@example((np.array([1.0, math.e**30]), 3.0, 1.0, 4.0, 0.25))
def test_eq11_matches_reference_reasonable(params):
    _check_against_reference(*params)


@given(eq11_params(adversarial=True))
@example((np.array([1.0, 1.0 + 1e-15, 1.5]), 1000.0, 1.0, 1.0, 1.0))  # huge b0, tiny g
@example((np.array([1.0, 1.0 + 1e-15, 1.5]), -1000.0, 1.0, 1e-12, 1e12))  # huge -b0, delta = 1e12
@example((np.array([1.0, math.exp(490.0)]), 1.0, 1.0, 1e3, 1e3))  # g = 9.8e5, near the top of the domain
@example((np.array([10.0, 10.0 * math.exp(350.0)]), 2.0, 10.0, 1.0, 1.0))  # deviation ~ e^-700 (subnormal edge)
def test_eq11_matches_reference_adversarial(params):
    t, b0, t0, A_plus, A_minus = params
    r = math.sqrt(A_plus * A_minus)
    t = t[2 * r * np.log(t / t0) <= 1e6]  # the stated domain: g up to 1e6
    assume(t.size > 0)
    _check_against_reference(t, b0, t0, A_plus, A_minus)


@given(eq11_params(adversarial=True))
def test_mpmath_closed_form_matches_original_formula(params):
    t, b0, t0, A_plus, A_minus = params
    r = math.sqrt(A_plus * A_minus)
    t = t[2 * r * np.log(t / t0) <= 2e3]  # keeps the reference below ~2000 digits
    assume(t.size > 0)
    got = bias_closed_form_mp(list(t), b0, t0, A_plus, A_minus, dps=50)
    worst = 0.0
    for i, ti in enumerate(t):
        _, dev_ref, g_ref, b_inf = eq11_reference(float(ti), b0, t0, A_plus, A_minus, floor_log10=-1000)
        with mpmath.workdps(60):
            c0 = mpmath.mpf(b0) - b_inf
            # the error budget of allowed_error, at 50 digits: (1 + g)|dev| + |c0 rounding|
            budget = (1 + g_ref) * abs(dev_ref) + (abs(b0) + abs(b_inf)) * mpmath.exp(-g_ref) * mpmath.sech(c0 / 2) ** 2
            worst = max(worst, float(abs(got.deviation[i] - dev_ref) / (CF_MP_RTOL * budget + mpmath.mpf(10) ** -1000)))
    target(worst, label="mp closed form vs original")
    assert worst < 1, worst


# --------------------------------------------------------------------------- invariants


@given(eq11_params(adversarial=True))
def test_monotone_toward_limit(params):
    t, b0, t0, A_plus, A_minus = params
    t = np.sort(np.concatenate([t, [t0, np.inf]]))
    tr = bias_closed_form(t, b0, t0, A_plus, A_minus)
    side = np.sign(b0 - tr.b_inf)
    assert np.all(side * np.diff(tr.b) <= 0), "b(t) must move monotonically toward b_inf"
    assert np.all(np.diff(np.abs(tr.deviation)) <= 0), "|b - b_inf| must not increase"
    assert np.all(side * tr.deviation >= 0), "b(t) never crosses b_inf"
    assert tr.b[-1] == tr.b_inf and tr.deviation[-1] == 0.0  # exact t = inf branch


@pytest.mark.parametrize(
    "b0, A_plus, A_minus", [(0.0, 1.0, 1.0), (1.0, 1.0, 1.0), (3.0, 4.0, 0.5), (-700.0, 2.0, 3.0), (1e3, 1e-6, 1e6)]
)
def test_initial_condition_and_limit(b0, A_plus, A_minus):
    tr = bias_closed_form([2.5, np.inf], b0, 2.5, A_plus, A_minus)
    assert scaled_error(
        tr.b[0],
        b0,
        rtol=CF_INITIAL_ULPS * FLOAT64_EPS,
        atol=CF_INITIAL_ULPS * FLOAT64_EPS * abs(tr.b_inf) + CF_ATOL_SUBNORMAL,
    ) < 1
    assert tr.b[1] == tr.b_inf
    lim = bias_limit(A_plus, A_minus)
    b_inf_ref = 0.5 * math.log(A_plus / A_minus)
    assert scaled_error(lim.b_inf, b_inf_ref, rtol=CF_LIMIT_ULPS * FLOAT64_EPS, atol=CF_ATOL_SUBNORMAL) < 1
    assert scaled_error(lim.delta, math.sqrt(A_minus / A_plus), rtol=CF_DELTA_ULPS * FLOAT64_EPS) < 1


def test_batch_equals_loop():
    t = np.geomspace(1.0, 1e12, 37).reshape(37)
    batch = bias_closed_form(t, 2.0, 1.0, 0.3, 0.05).b
    loop = np.array([bias_closed_form(ti, 2.0, 1.0, 0.3, 0.05).b for ti in t])
    assert scaled_error(batch, loop, rtol=CF_BATCH_ULPS * FLOAT64_EPS) <= 1


@pytest.mark.parametrize("b0, A_plus, A_minus", [(0.0, 1.0, 0.2), (5.0, 0.3, 0.3), (-2.0, 2.0, 0.01)])
def test_late_time_expansion_remainder(b0, A_plus, A_minus):
    lte = late_time_expansion(b0, 1.0, A_plus, A_minus)
    tr = bias_closed_form(np.geomspace(1.0, 1e8, 200), b0, 1.0, A_plus, A_minus)
    x = abs(math.tanh((b0 - lte.b_inf) / 2)) * np.exp(-tr.g)
    late = x <= 0.5
    assert np.count_nonzero(late) > 20
    lead = lte.coefficient * np.exp(-lte.rate * np.log(tr.t[late]))
    remainder = np.abs(tr.deviation[late] - lead)
    bound = lte.remainder_bound_factor * np.exp(-3 * tr.g[late])
    assert np.all(remainder <= bound + LATE_TIME_ROUNDING_RTOL * np.abs(lead))
    assert lte.rate == pytest.approx(2 * math.sqrt(A_plus * A_minus), rel=CF_RATE_ULPS * FLOAT64_EPS)


# --------------------------------------------------------------------------- ODE (10)


@st.composite
def ode_params(draw):
    r = 10.0 ** draw(st.floats(-1.3, 0.7))
    delta = 10.0 ** draw(st.floats(-1, 1))
    b0 = draw(st.floats(-4, 4))
    t0 = 10.0 ** draw(st.floats(-1, 2))
    g_max = draw(st.floats(0.1, 40.0))
    return r / delta, r * delta, b0, t0, g_max


@given(ode_params())
@example((1.0, 1.0, 0.0, 1.0, 5.0))
@example((4.0, 0.25, -4.0, 1.0, 40.0))
def test_eq11_solves_eq10_scipy(params):
    A_plus, A_minus, b0, t0, g_max = params
    r = math.sqrt(A_plus * A_minus)
    t = t0 * np.exp(np.linspace(0.0, g_max / (2 * r), 9))
    sol = solve_bias_ode(t, b0, t0, A_plus, A_minus)
    assert sol.status == 0, sol.message
    cf = bias_closed_form(t, b0, t0, A_plus, A_minus)
    scale = max(abs(b0), abs(cf.b_inf), 1.0)
    err = scaled_error(sol.b, cf.b, rtol=ODE_SCIPY_RTOL, atol=ODE_SCIPY_RTOL * scale)
    target(err, label="closed form vs solve_ivp")
    assert err < 1, err


def test_mpmath_odefun_in_another_time_unit():
    """t0 = 4: the ODE runs in s = log(t / t0); b(t0) = b0 and later times match eq. (11).

    (Short horizon, placed first: a wrong right-hand side fails here instead of integrating into a blow-up.)"""
    A_plus, A_minus, b0, t0 = 0.5, 2.0, -1.0, 4.0
    t = [4.0, 4.0 * math.exp(0.25)]
    num = solve_bias_ode_mp(t, b0, t0, A_plus, A_minus, dps=20)
    cf = bias_closed_form_mp(t, b0, t0, A_plus, A_minus, dps=30)
    with mpmath.workdps(30):
        assert num[0] == b0
        for n, c in zip(num, cf.b):
            assert abs(n - c) <= ODE_MP_RTOL * max(abs(c), 1)


def test_eq11_solves_eq10_mpmath_odefun():
    A_plus, A_minus, b0, t0 = 2.0, 0.5, 3.0, 1.0
    t = [1.0, math.exp(0.5), math.exp(1.5)]
    num = solve_bias_ode_mp(t, b0, t0, A_plus, A_minus, dps=20)
    cf = bias_closed_form_mp(t, b0, t0, A_plus, A_minus, dps=30)
    with mpmath.workdps(30):
        for n, c in zip(num, cf.b):
            assert abs(n - c) <= ODE_MP_RTOL * max(abs(c), 1)


def test_solve_bias_ode_rejects_empty_times():
    with pytest.raises(ValueError, match="`t` must contain at least one time"):
        solve_bias_ode([], 0.0, 1.0, 1.0, 1.0)


@pytest.mark.slow
@given(ode_params())
def test_eq11_solves_eq10_mpmath_odefun_random(params):
    A_plus, A_minus, b0, t0, g_max = params
    r = math.sqrt(A_plus * A_minus)
    t = [t0 * math.exp(min(g_max, 6.0) / (2 * r) * f) for f in (0.0, 0.5, 1.0)]
    num = solve_bias_ode_mp(t, b0, t0, A_plus, A_minus, dps=20)
    cf = bias_closed_form_mp(t, b0, t0, A_plus, A_minus, dps=30)
    with mpmath.workdps(30):
        for n, c in zip(num, cf.b):
            assert abs(n - c) <= ODE_MP_RTOL * max(abs(c), abs(b0), 1)


def test_ode_rhs_vanishes_at_limit_and_points_toward_it():
    A_plus, A_minus = 3.0, 0.7
    b_inf = bias_limit(A_plus, A_minus).b_inf
    scale = A_plus * math.exp(-b_inf)  # size of each of the two cancelling terms
    t = 5.0
    assert abs(bias_ode_rhs(t, b_inf, A_plus, A_minus)) <= CF_RHS_ULPS * FLOAT64_EPS * scale / t
    assert bias_ode_rhs(5.0, b_inf + 0.1, A_plus, A_minus) < 0 < bias_ode_rhs(5.0, b_inf - 0.1, A_plus, A_minus)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(t=[0.5], b0=0.0, t0=1.0, A_plus=1.0, A_minus=1.0), "`t` must satisfy t >= t0"),
        (dict(t=[np.nan], b0=0.0, t0=1.0, A_plus=1.0, A_minus=1.0), "`t` must not contain NaN"),
        (dict(t=[1.0], b0=np.inf, t0=1.0, A_plus=1.0, A_minus=1.0), "`b0` must be finite"),
        (dict(t=[1.0], b0=0.0, t0=-1.0, A_plus=1.0, A_minus=1.0), "`t0` must be positive"),
        (dict(t=[1.0], b0=0.0, t0=1.0, A_plus=0.0, A_minus=1.0), "`A_plus` must be positive"),
        (dict(t=[1.0], b0=0.0, t0=1.0, A_plus=1.0, A_minus=np.nan), "`A_minus` must be finite"),
    ],
)
def test_invalid_input_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bias_closed_form(**kwargs)


def test_mp_rejects_low_precision():
    with pytest.raises(ValueError, match="`dps` must be an integer >= 15"):
        bias_closed_form_mp([1.0], 0.0, 1.0, 1.0, 1.0, dps=5)


def test_bias_limit_when_the_ratio_overflows_float64():
    """A+/A- = 1e600 is outside float64; b_inf = (1/2) log(A+/A-) = 300 log 10 must still come out."""
    assert bias_limit(1e300, 1e-300).b_inf == pytest.approx(300 * math.log(10), rel=CF_LOG_RATIO_OVERFLOW_RTOL)
    assert bias_limit(1e-300, 1e300).b_inf == pytest.approx(-300 * math.log(10), rel=CF_LOG_RATIO_OVERFLOW_RTOL)


# --------------------------------------------------------------------------- extreme inputs


@pytest.mark.parametrize("t0", [1.0, 2.0**1000, 2.0**-1000])
def test_g_depends_only_on_t_over_t0(t0):
    """Only t/t0 enters eq. (11): g = 2 sqrt(A+ A-) log(t/t0) keeps full accuracy in any time unit.

    Scaling t and t0 by 2^+-1000 is exact, so g must stay within a few ulps of the mpmath value;
    log(t) - log(t0) would lose ~log(t0)/log(t/t0) ulps (hundreds here).
    """
    ratios = [1.0 + 2.0**-40, 1.5, 3.0, 10.0, 1e6]
    tr = bias_closed_form([t0 * r for r in ratios], 1.0, t0, 0.25, 4.0)  # rate 2 sqrt(0.25 * 4) = 2
    with mpmath.workdps(40):
        ref = [float(2 * mpmath.log(mpmath.mpf(r))) for r in ratios]
    assert scaled_error(tr.g, ref, rtol=CF_G_ULPS * FLOAT64_EPS) <= 1


def test_g_when_t_over_t0_overflows_float64():
    """t / t0 = 1e600 is outside float64; g = 2 log(1e300 / 1e-300) must still come out."""
    tr = bias_closed_form([1e300], 0.0, 1e-300, 1.0, 1.0)
    with mpmath.workdps(40):
        ref = float(2 * (mpmath.log(mpmath.mpf(1e300)) - mpmath.log(mpmath.mpf(1e-300))))
    assert scaled_error(tr.g, ref, rtol=CF_G_ULPS * FLOAT64_EPS) <= 1
    assert tr.deviation[0] == 0.0 and tr.b[0] == 0.0  # b0 = b_inf = 0 stays there


@pytest.mark.parametrize("b0", [5e-324, -5e-324, 1e-310])
def test_subnormal_distance_to_the_limit(b0):
    """b0 - b_inf down to the smallest subnormal: tanh(|c0|/2) underflows to 0, b stays within a subnormal of b0."""
    tr = bias_closed_form([1.0, 2.0, np.inf], b0, 1.0, 1.0, 1.0)
    assert np.all(np.abs(tr.b - b0 * np.array([1.0, 0.25, 0.0])) <= CF_SUBNORMAL_TWO_ULPS)  # b0 (t/t0)^-2 to first order
    assert np.all(np.sign(tr.deviation[:2]) * np.sign(b0) >= 0)


@pytest.mark.parametrize("b0, A_plus, A_minus", [(3.0, 4.0, 0.5), (1.0, 1.0, 1.0), (-700.0, 2.0, 3.0), (0.0, 1e-6, 1e6)])
def test_mp_initial_condition_limit_and_constants(b0, A_plus, A_minus):
    """mpmath eq. (11): b(t0) = b0, b(inf) = b_inf exactly, delta^2 A+ = A-, 2 b_inf = log(A+/A-)."""
    r = bias_closed_form_mp([2.5, 7.5, mpmath.inf], b0, 2.5, A_plus, A_minus, dps=50)
    with mpmath.workdps(60):
        ap, am = mpmath.mpf(A_plus), mpmath.mpf(A_minus)
        ulp50 = mpmath.mpf(10) ** -48  # 50 digits, less two for the rounding of c0 and of the result
        assert abs(r.b[0] - b0) <= ulp50 * (abs(b0) + abs(r.b_inf) + 1)
        assert r.b[2] == r.b_inf and r.deviation[2] == 0
        assert abs(2 * r.b_inf - mpmath.log(ap / am)) <= ulp50 * (abs(r.b_inf) + 1)
        assert abs(r.delta**2 * ap - am) <= ulp50 * am
        # a middle time against the original eq. (11)
        _, dev_ref, _, _ = eq11_reference(7.5, b0, 2.5, A_plus, A_minus, floor_log10=-1000)
        assert abs(r.deviation[1] - dev_ref) <= ulp50 * (abs(b0) + abs(r.b_inf) + 1)


@pytest.mark.parametrize("b0, A_plus, A_minus", [(0.0, 1.0, 0.2), (5.0, 0.3, 0.3), (-2.0, 2.0, 0.01)])
def test_late_time_remainder_bound_is_the_stated_one_and_tight(b0, A_plus, A_minus):
    """|R| <= (8/9) |tanh(c0/2)|^3 (t/t0)^(-3 rate), and R / bound -> (2/3)/(8/9) = 3/4 as t -> inf."""
    lte = late_time_expansion(b0, 1.0, A_plus, A_minus)
    c0 = b0 - 0.5 * math.log(A_plus / A_minus)
    stated = 8 / 9 * abs(math.tanh(c0 / 2)) ** 3
    assert lte.remainder_bound_factor == pytest.approx(stated, rel=CF_REMAINDER_FACTOR_ULPS * FLOAT64_EPS)
    # x = tanh(c0/2) e^{-g} = 1e-3: R = 2 artanh(x) - 2x = (2/3) x^3 (1 + (3/5) x^2 + ...), by mpmath
    x = 1e-3 * math.copysign(1.0, c0)
    g = math.log(abs(math.tanh(c0 / 2)) / abs(x))
    t = math.exp(g / lte.rate)
    with mpmath.workdps(40):
        tt = mpmath.mpf(t)
        xx = mpmath.tanh((mpmath.mpf(b0) - mpmath.log(mpmath.mpf(A_plus) / A_minus) / 2) / 2) * tt ** (-lte.rate)
        R = float(2 * mpmath.atanh(xx) - 2 * xx)
        bound = float(lte.remainder_bound_factor * tt ** (-3 * lte.rate))
    assert abs(abs(R) / bound - 3 / 4) < CF_TIGHTNESS_ATOL
