"""The three GD engines of numerics.highprec agree where arithmetic theory says they must.

* float64 vs double-double when eta lambda_max(H(0)) < 2: then eta lambda_max(H(theta)) < 2 at
  every theta (sigma' <= 1/4), the GD map is non-expansive, and rounding errors only add up:
  the difference stays below ~ t (N + d + 2) eps (||theta|| + eta sum_i ||z_i||)
  (F64_GD_ROUNDING_FACTOR; the second term covers cancellation in the gradient sum).
* double-double vs mpmath at 40 digits, the same bound with the double-double unit roundoff.
* invariants: step 0 is the start, resuming equals running straight through, a batch of
  checkpoints equals separate runs, the sum and the mean differ by eta -> eta / N exactly in
  exact arithmetic.
* precision_horizon: its definition on cases with a known answer.
"""

import numpy as np
import pytest
from hypothesis import assume, example, given, target
from hypothesis import strategies as st

from checks.tolerances import (
    DD_GD_ROUNDING_FACTOR,
    DD_UNIT_ROUNDOFF,
    F64_GD_ROUNDING_FACTOR,
    FLOAT64_EPS,
    HP_FIRST_STEP_TOL,
    HP_HORIZON_BELOW_F64_RTOL,
    HP_HORIZON_DD_RTOL,
    HP_HORIZON_LOOSE_RTOL,
    HP_MP40_UNIT,
    HP_MP_ROUNDINGS_PER_STEP,
)
from numerics import highprec as hp

# --- strategies ----------------------------------------------------------------------------------


@st.composite
def small_problems(draw, max_n=8, max_d=3):
    """A small labelled data set in [-5, 5]^d with a step size eta = f / lambda_max(H(0)), f < 2."""
    n = draw(st.integers(2, max_n), label="N")
    d = draw(st.integers(1, max_d), label="d")
    coord = st.floats(-5, 5, allow_nan=False).map(lambda v: round(v, 3))
    X = np.array(draw(st.lists(st.lists(coord, min_size=d, max_size=d), min_size=n, max_size=n)))
    y = np.array(draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n)))
    Z = y[:, None] * np.hstack([X, np.ones((n, 1))])
    lam0 = np.linalg.eigvalsh(0.25 * Z.T @ Z)[-1]
    assume(lam0 > 1e-3)
    frac = draw(st.floats(0.05, 1.9), label="eta * lambda_max(H(0))")
    return X, y, frac / lam0


def _fixed_problem():
    X = np.array([[1.0, 2.0], [-0.5, 1.5], [2.0, -1.0], [-1.5, -2.5], [0.3, 0.2]])
    y = np.array([1.0, 1.0, -1.0, -1.0, 1.0])
    return X, y


def _rel(run, ref):
    return hp.relative_theta_difference(run, ref)


def _rounding_bound(X, y, eta, ref, unit, factor):
    """(K,) a-priori bound on ||theta_run(t) - theta_ref(t)|| for a non-expansive GD map.

    Each step rounds the d + 1 term dot product, the N term gradient sum (terms c_i z_i with
    |c_i| <= 1) and the update: at most (N + d + 2) unit (||theta|| + eta sum_i ||z_i||) per
    step, never amplified afterwards; scaled by the largest ||theta|| of the run."""
    N, d = X.shape
    z_norms = np.sqrt(np.sum(X**2, axis=1) + 1.0)
    theta_max = np.max(np.sqrt(np.sum(ref.w**2, axis=1) + ref.b**2))
    return factor * ref.t * (N + d + 2) * unit * (theta_max + eta * z_norms.sum())


def _abs_diff(run, ref):
    return _rel(run, ref) * np.sqrt(np.sum(ref.w**2, axis=1) + ref.b**2)


# --- engines against each other ---------------------------------------------------------------------


@given(small_problems(), st.integers(1, 200))
@example((*_fixed_problem(), 0.01), 200)
def test_float64_matches_double_double_when_stable(problem, steps):
    X, y, eta = problem
    cp = [0, steps // 2, steps] if steps > 1 else [0, 1]
    a = hp.run_gd_float64(X, y, eta=eta, checkpoints=cp)
    b = hp.run_gd_dd(X, y, eta=eta, checkpoints=cp)
    bound = _rounding_bound(X, y, eta, b, FLOAT64_EPS, F64_GD_ROUNDING_FACTOR)
    err = _abs_diff(a, b)
    target(float(np.max(err[1:] / bound[1:])), label="float64 error / bound")
    assert err[0] == 0.0
    assert np.all(err <= bound)


@given(small_problems(max_n=4, max_d=2), st.integers(1, 25))
@example((*_fixed_problem(), 0.05), 25)
def test_double_double_matches_mpmath(problem, steps):
    X, y, eta = problem
    cp = [0, steps]
    a = hp.run_gd_dd(X, y, eta=eta, checkpoints=cp)
    b = hp.run_gd_mpmath(X, y, eta=eta, checkpoints=cp, dps=40)
    bound = _rounding_bound(X, y, eta, b, DD_UNIT_ROUNDOFF, DD_GD_ROUNDING_FACTOR)
    err = _abs_diff(a, b)
    target(float(err[-1] / bound[-1]), label="double-double error / bound")
    assert err[0] == 0.0 and err[-1] <= bound[-1]


def test_mean_reduction_is_sum_with_eta_over_n_in_exact_arithmetic():
    """Mean loss with step eta == summed loss with step eta / N (both at 40 digits, same rounding scale)."""
    X, y = _fixed_problem()
    X, y = X[:4], y[:4]  # N = 4: eta / N is exact in binary
    steps = 7
    a = hp.run_gd_mpmath(X, y, eta=0.5, checkpoints=[steps], dps=40, reduction="mean")
    b = hp.run_gd_mpmath(X, y, eta=0.125, checkpoints=[steps], dps=40)
    assert _rel(a, b)[0] <= steps * HP_MP_ROUNDINGS_PER_STEP * HP_MP40_UNIT  # 40-digit rounding only


def test_float64_engine_is_the_production_engine_bit_for_bit():
    """run_gd_float64 follows the arithmetic contract of numerics.engine_kernels exactly."""
    from numerics.engine import run_gd

    X, y = _fixed_problem()
    for reduction, eta in [("sum", 0.7), ("mean", 3.0)]:  # eta lambda_0 > 2: unstable, so any bit would grow
        ours = hp.run_gd_float64(X, y, eta=eta, checkpoints=[0, 1, 10, 300], reduction=reduction)
        theirs = run_gd(X, y, eta=eta, steps=300, checkpoints=[0, 1, 10, 300], reduction=reduction)
        np.testing.assert_array_equal(ours.w, theirs.w)
        np.testing.assert_array_equal(ours.b, theirs.b)


# --- invariants --------------------------------------------------------------------------------------


@pytest.mark.parametrize("precision", ["float64", "dd", 20])
def test_step_zero_is_the_start_and_batch_equals_loop(precision):
    X, y = _fixed_problem()
    start = hp.GDState.from_float([0.3, -0.2], 0.1)
    batch = hp.run_gd_at_precision(X, y, eta=0.05, checkpoints=[0, 3, 8], precision=precision, start=start)
    np.testing.assert_array_equal(batch.w[0], [0.3, -0.2])
    assert batch.b[0] == 0.1
    for k, t in enumerate([3, 8]):
        single = hp.run_gd_at_precision(X, y, eta=0.05, checkpoints=[t], precision=precision, start=start)
        np.testing.assert_array_equal(single.w_hi[0], batch.w_hi[k + 1])
        np.testing.assert_array_equal(single.w_lo[0], batch.w_lo[k + 1])
        assert single.b_hi[0] == batch.b_hi[k + 1] and single.b_lo[0] == batch.b_lo[k + 1]


@pytest.mark.parametrize("precision", ["float64", "dd"])
def test_resuming_equals_running_straight_through(precision):
    X, y = _fixed_problem()
    straight = hp.run_gd_at_precision(X, y, eta=0.3, checkpoints=[5, 12], precision=precision)
    resumed = hp.run_gd_at_precision(X, y, eta=0.3, checkpoints=[7], precision=precision,
                                     start=straight.state_at(0))
    np.testing.assert_array_equal(resumed.w_hi[0], straight.w_hi[1])
    np.testing.assert_array_equal(resumed.w_lo[0], straight.w_lo[1])
    assert (resumed.b_hi[0], resumed.b_lo[0]) == (straight.b_hi[1], straight.b_lo[1])


def test_first_step_is_the_closed_form_gradient_at_zero():
    """From w = 0, b = 0 every sigma(-m_i) is 1/2: w(1) = (eta/2) sum y_i x_i, b(1) = (eta/2) sum y_i."""
    X, y = _fixed_problem()
    eta = 0.25  # a power of two: the float64 first step is exact up to the summation
    tr = hp.run_gd_dd(X, y, eta=eta, checkpoints=[1])
    np.testing.assert_allclose(tr.w[0], eta / 2 * (y @ X), rtol=HP_FIRST_STEP_TOL)
    assert tr.b[0] == pytest.approx(eta / 2 * y.sum(), abs=HP_FIRST_STEP_TOL)


def test_labels_and_bias_symmetry():
    """Mirroring the data (x -> -x, y -> -y) keeps every margin when b -> -b: w(t) is unchanged, b(t) flips."""
    X, y = _fixed_problem()
    a = hp.run_gd_dd(X, y, eta=0.2, checkpoints=[10])
    b = hp.run_gd_dd(-X, -y, eta=0.2, checkpoints=[10])
    np.testing.assert_array_equal(a.w_hi, b.w_hi)  # w unchanged: y x is invariant
    np.testing.assert_array_equal(a.w_lo, b.w_lo)
    assert a.b_hi[0] == -b.b_hi[0]  # z = y (x, 1): the bias feature flips with y


# --- precision horizon ---------------------------------------------------------------------------------


def test_doubled_precision_ladder():
    assert hp.doubled_precision("float64") == "dd"
    assert hp.doubled_precision("dd") == 64
    assert hp.doubled_precision(30) == 60


def test_horizon_is_the_last_checkpoint_when_everything_agrees():
    X, y = _fixed_problem()
    h = hp.precision_horizon(X, y, eta=0.01, checkpoints=[0, 10, 100], precision="float64", rtol=HP_HORIZON_LOOSE_RTOL)
    assert h.horizon == 100 and h.first_disagreement == -1 and np.all(h.agrees)
    assert h.reference.arithmetic == "double-double"


def test_horizon_stops_before_the_first_disagreement():
    """At rtol 1e-22 float64 is 'not converged' from step 1 on (rounding ~1e-17), and step 0 agrees exactly."""
    X, y = _fixed_problem()
    h = hp.precision_horizon(X, y, eta=0.01, checkpoints=[0, 1, 2], precision="float64", rtol=HP_HORIZON_BELOW_F64_RTOL)
    assert h.rel_diff[0] == 0.0
    assert h.horizon == 0 and h.first_disagreement == 1
    assert not h.agrees[1] and not h.agrees[2]


def test_double_double_horizon_against_64_digits():
    X, y = _fixed_problem()
    h = hp.precision_horizon(X, y, eta=0.05, checkpoints=[1, 5], precision="dd", rtol=HP_HORIZON_DD_RTOL)
    assert h.reference_precision == 64 and h.horizon == 5


# --- validation ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(eta=-1.0), "`eta` must be positive"),
        (dict(eta=np.nan), "`eta` must be positive"),
        (dict(checkpoints=[3, 2]), "strictly increasing"),
        (dict(checkpoints=[-1, 2]), "non-negative integers"),
        (dict(checkpoints=[0.5]), "non-negative integers"),
        (dict(reduction="max"), "`reduction` must be 'sum' or 'mean'"),
        (dict(y=np.array([1.0, 0.0, 1.0, -1.0, 1.0])), "labels -1 and \\+1"),
        (dict(X=np.array([[np.inf, 0.0]] * 5)), "`X` must be finite"),
    ],
)
def test_validation_messages(kwargs, match):
    X, y = _fixed_problem()
    args = dict(X=X, y=y, eta=0.1, checkpoints=[1])
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        hp.run_gd_float64(args.pop("X"), args.pop("y"), **args)


def test_precision_and_tolerance_validation():
    X, y = _fixed_problem()
    with pytest.raises(ValueError, match="`precision` must be"):
        hp.run_gd_at_precision(X, y, eta=0.1, checkpoints=[1], precision="quad")
    with pytest.raises(ValueError, match="`dps` must be an integer >= 16"):
        hp.run_gd_mpmath(X, y, eta=0.1, checkpoints=[1], dps=10)
    with pytest.raises(ValueError, match="`rtol` must lie in"):
        hp.precision_horizon(X, y, eta=0.1, checkpoints=[1], rtol=0.0)
