"""Double-double arithmetic (numerics.ddarith) against mpmath at 50+ digits.

Error-free transformations must be *exact*; operations and elementary functions must match the
exact mpmath value of the same double-double input to the relative tolerances of
checks/tolerances.py (DD_OP_RTOL, DD_FUNC_RTOL). Hypothesis hunts the worst case with target().
"""

import math

import mpmath
import numpy as np
import pytest
from hypothesis import assume, example, given, target
from hypothesis import strategies as st

from checks.tolerances import (
    DD_FUNC_RTOL,
    DD_OP_RTOL,
    DD_REF_DPS,
    DD_ROUND_TRIP_DIGITS,
    DD_SIGMOID_SYMMETRY_ULPS,
    TD_LN2_BITS,
)
from numerics import ddarith as dd

# --- strategies ----------------------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False)
#: |x| < 2**996: Veltkamp's split overflows above (documented range of the module)
splittable = st.floats(min_value=-1e290, max_value=1e290, allow_nan=False)
reasonable = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False)
#: the trailing part as a fraction of ulp(hi): |lo| <= ulp(hi) / 2
lo_fraction = st.floats(min_value=-0.5, max_value=0.5, allow_nan=False)


def _pair(hi, frac):
    """A normalised double-double with leading part hi and trailing part frac * ulp(hi)."""
    lo = frac * float(np.spacing(hi)) if hi != 0 else 0.0
    return dd.fast_two_sum(hi, lo)


reasonable_dd = st.builds(_pair, reasonable, lo_fraction)
wide_dd = st.builds(_pair, st.floats(min_value=-1e150, max_value=1e150, allow_nan=False), lo_fraction)


def _exact(pair):
    """Exact mpmath value of a double-double (2200 bits hold hi + lo of any two floats)."""
    return dd.to_mpmath(dd.DDArray(np.array([pair[0]]), np.array([pair[1]])))[0]


def _rel_err(got_pair, ref):
    """|got - ref| / |ref| evaluated at DD_REF_DPS digits (0 if both are 0)."""
    with mpmath.workdps(DD_REF_DPS):
        got = _exact(got_pair)
        if ref == 0:
            return 0.0 if got == 0 else math.inf
        return float(abs((got - ref) / ref))


def _normalised(pair):
    hi, lo = pair
    return hi + lo == hi and abs(lo) <= abs(float(np.spacing(hi))) / 2


# --- error-free transformations -------------------------------------------------------------------


@given(splittable, splittable)
@example(1.0, 1e-30)
@example(1e16, -1.0)
def test_two_sum_is_exact(a, b):
    s, e = dd.two_sum(a, b)
    assume(math.isfinite(s))
    with mpmath.workprec(2200):
        assert mpmath.mpf(s) + mpmath.mpf(e) == mpmath.mpf(a) + mpmath.mpf(b)
    assert s == a + b


@given(splittable, splittable)
@example(3.0, 1e-17)
def test_fast_two_sum_is_exact_when_ordered(a, b):
    assume(abs(a) >= abs(b))
    s, e = dd.fast_two_sum(a, b)
    assume(math.isfinite(s))
    with mpmath.workprec(2200):
        assert mpmath.mpf(s) + mpmath.mpf(e) == mpmath.mpf(a) + mpmath.mpf(b)


@given(splittable)
@example(1.0 + 2.0**-52)
@example(0.1)
def test_split_halves_are_short_and_exact(a):
    hi, lo = dd.split(a)
    assert hi + lo == a
    # hi has at most 26 significant bits, lo at most 26 plus its sign: products of halves are exact
    assert (math.frexp(hi)[0] * 2.0**26).is_integer()
    assert (math.frexp(lo)[0] * 2.0**26).is_integer()


@given(splittable, splittable)
@example(0.1, 0.3)
@example(1.0 + 2.0**-52, 1.0 - 2.0**-53)
def test_two_prod_is_exact(a, b):
    p, e = dd.two_prod(a, b)
    assume(a == 0 or b == 0 or 1e-280 < abs(p) < 1e290)  # no overflow, and the error term must not underflow
    with mpmath.workprec(2200):
        assert mpmath.mpf(p) + mpmath.mpf(e) == mpmath.mpf(a) * mpmath.mpf(b)


def test_ln2_triple_double_matches_mpmath():
    with mpmath.workdps(60):
        err = abs(mpmath.mpf(dd.LN2_HI) + mpmath.mpf(dd.LN2_LO) + mpmath.mpf(dd.LN2_TAIL) - mpmath.log(2))
        assert err < mpmath.mpf(2) ** -TD_LN2_BITS  # triple-double: ~159 bits


def test_numba_kernels_equal_their_python_source_bit_for_bit():
    """The compiled kernels do the same arithmetic as their Python source (no FMA contraction)."""
    rng = np.random.default_rng(1)
    for x, y in rng.uniform(-30, 30, size=(50, 2)):
        xa, ya = dd.two_prod(x, 1.0 / 3.0), dd.two_prod(y, 1.0 / 7.0)
        for kernel, args in [(dd.dd_mul, (*xa, *ya)), (dd.dd_div, (*xa, *ya)), (dd.dd_add, (*xa, *ya)),
                             (dd.dd_exp, xa), (dd.dd_sigmoid, xa), (dd.dd_softplus, xa)]:
            assert kernel(*args) == kernel.py_func(*args)


# --- arithmetic -----------------------------------------------------------------------------------

_OPS = {
    "add": (dd.add, lambda a, b: a + b),
    "sub": (dd.sub, lambda a, b: a - b),
    "mul": (dd.mul, lambda a, b: a * b),
    "div": (dd.div, lambda a, b: a / b),
}


@pytest.mark.parametrize("name", sorted(_OPS))
@given(a=wide_dd, b=wide_dd)
@example(a=(1.0, 1e-17), b=(-1.0, 1e-20))  # cancellation in add
@example(a=(3.0, 0.0), b=(3.0, 0.0))
def test_arithmetic_matches_mpmath(name, a, b):
    op, ref_op = _OPS[name]
    assume(b[0] != 0)
    # double-double range: trailing parts and remainders must stay normal numbers (module docstring)
    assume(all(v[0] == 0 or abs(v[0]) > 1e-250 for v in (a, b)))
    out = op(dd.DDArray(np.array([a[0]]), np.array([a[1]])), dd.DDArray(np.array([b[0]]), np.array([b[1]])))
    pair = (float(out.hi[0]), float(out.lo[0]))
    with mpmath.workdps(DD_REF_DPS):
        ref = ref_op(_exact(a), _exact(b))
    assume(ref == 0 or 1e-270 < abs(ref) < 1e290)
    err = _rel_err(pair, ref)
    target(err / DD_OP_RTOL, label=f"{name} error / tolerance")
    assert err <= DD_OP_RTOL
    assert _normalised(pair)


# --- elementary functions -------------------------------------------------------------------------

# Full double-double accuracy needs the trailing part to stay a normal number: results above
# ~1e-292, hence arguments >= -670 for exp, sigmoid and softplus (documented in the module).
exp_args = st.builds(_pair, st.floats(min_value=-670, max_value=709, allow_nan=False), lo_fraction)
tiny_args = st.builds(_pair, st.floats(min_value=-1e-5, max_value=1e-5, allow_nan=False), lo_fraction)
log1p_args = st.one_of(
    st.builds(_pair, st.floats(min_value=-0.9999, max_value=1e30, allow_nan=False), lo_fraction),
    tiny_args,
    st.builds(lambda e, f: dd.dd_add_d(-1.0, 0.0, 10.0**-e * (1 + f)), st.integers(1, 250), lo_fraction),
)

def _log1p_ref(v):
    """log(1 + v) with 1 + v formed exactly first (mpmath's log1p rounds 1 + v to working precision)."""
    with mpmath.workprec(2300):
        s = v + 1
    return mpmath.log(s)


_FUNCS = {
    "exp": (dd.exp, mpmath.exp, exp_args),
    "expm1": (dd.expm1, mpmath.expm1, st.one_of(exp_args, tiny_args)),
    "log1p": (dd.log1p, _log1p_ref, log1p_args),
    "sigmoid": (dd.sigmoid, lambda v: 1 / (1 + mpmath.exp(-v)), exp_args),
    "softplus": (dd.softplus, lambda v: mpmath.log1p(mpmath.exp(v)), exp_args),
}


@pytest.mark.parametrize("name", sorted(_FUNCS))
@given(data=st.data())
def test_elementary_functions_match_mpmath(name, data):
    fn, ref_fn, strategy = _FUNCS[name]
    x = data.draw(strategy, label="x")
    assume(x[0] != 0 or name not in ("expm1", "log1p"))
    out = fn(dd.DDArray(np.array([x[0]]), np.array([x[1]])))
    pair = (float(out.hi[0]), float(out.lo[0]))
    with mpmath.workdps(DD_REF_DPS):
        ref = ref_fn(_exact(x))
    err = _rel_err(pair, ref)
    target(err / DD_FUNC_RTOL, label=f"{name} error / tolerance")
    assert err <= DD_FUNC_RTOL, f"{name}({x}) relative error {err:.3g}"
    assert _normalised(pair)


@pytest.mark.parametrize(
    "name, x",
    [("exp", -20.0), ("exp", 0.5 * dd.LN2_HI), ("exp", 700.0), ("expm1", 1e-300), ("expm1", -0.3),
     ("log1p", 1e-300), ("log1p", 2.2e-311), ("expm1", 2.2e-311), ("log1p", -0.5), ("log1p", 0.5), ("sigmoid", 0.0), ("sigmoid", -669.0),
     ("softplus", 30.0), ("softplus", -30.0)],
)
def test_fixed_cases_match_mpmath(name, x):
    fn, ref_fn, _ = _FUNCS[name]
    out = fn(dd.from_float([x]))
    with mpmath.workdps(DD_REF_DPS):
        ref = ref_fn(mpmath.mpf(x))
    assert _rel_err((float(out.hi[0]), float(out.lo[0])), ref) <= DD_FUNC_RTOL


def test_limits_and_domain():
    assert dd.dd_exp(710.0, 0.0) == (math.inf, 0.0)
    assert dd.dd_exp(-746.0, 0.0) == (0.0, 0.0)
    assert dd.dd_exp(0.0, 0.0) == (1.0, 0.0)
    assert dd.dd_sigmoid(800.0, 0.0) == (1.0, 0.0)
    assert dd.dd_sigmoid(-800.0, 0.0) == (0.0, 0.0)
    assert all(math.isnan(v) for v in dd.dd_log1p(-1.0, 0.0))
    assert all(math.isnan(v) for v in dd.dd_log1p(-2.0, 0.0))
    assert dd.dd_log1p(math.inf, 0.0)[0] == math.inf


@given(exp_args)
def test_sigmoid_symmetry(x):
    """sigma(x) + sigma(-x) = 1 to double-double accuracy."""
    a = dd.dd_sigmoid(*x)
    b = dd.dd_sigmoid(-x[0], -x[1])
    s = dd.dd_add(*a, *b)
    assert abs((s[0] - 1.0) + s[1]) <= DD_SIGMOID_SYMMETRY_ULPS * dd.UNIT_ROUNDOFF


# --- array layer ----------------------------------------------------------------------------------


def test_array_layer_broadcasts_and_keeps_shape():
    a = dd.from_float(np.arange(6.0).reshape(2, 3) + 0.1)
    b = dd.from_float([[2.0], [3.0]])
    out = dd.mul(a, b)
    assert out.shape == (2, 3)
    np.testing.assert_array_equal(out.hi, a.hi * b.hi)  # the leading part is the float64 product
    assert dd.exp(a).shape == (2, 3)


def test_mpmath_round_trip_is_exact():
    with mpmath.workdps(40):
        values = [mpmath.mpf(1) / 3, -mpmath.pi * 1e10, mpmath.mpf(0), mpmath.e ** -50]
    a = dd.from_mpmath(values)
    again = dd.from_mpmath(dd.to_mpmath(a))
    np.testing.assert_array_equal(a.hi, again.hi)
    np.testing.assert_array_equal(a.lo, again.lo)
    with mpmath.workdps(40):
        assert abs(dd.to_mpmath(a)[0] - mpmath.mpf(1) / 3) < mpmath.mpf(10) ** -DD_ROUND_TRIP_DIGITS


def test_validation_messages():
    with pytest.raises(ValueError, match="`x` must be finite"):
        dd.from_float([1.0, np.nan])
    with pytest.raises(ValueError, match="`hi` and `lo` must have one shape"):
        dd.DDArray(np.zeros(2), np.zeros(3))
