"""Measurement rules of issue 13 (numerics.phases): share, phase ends, T_tr / T_te at step resolution.

Invariants: the share at w = 0 is |N| / N_total and equals numerics.measure's mass share; a GD window
rerun from a checkpoint reproduces the recorded states bit for bit; every rule applied to log-spaced
checkpoints and resolved with ``refine`` gives the same step as the rule applied to a run recorded at
EVERY step; a horizon that cuts a rule short is flagged as censored.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.tolerances import MEASURE_HAND_RTOL, PHASE_SHARE_RTOL
from numerics.datasets import PlantedSpec, concentrated_test, planted_dataset
from numerics.engine import run_gd
from numerics.measure import measure_trajectory
from numerics.phases import (
    SHARE_THRESHOLD,
    accuracy_time_step,
    gd_window,
    phase_one_end_step,
    phase_two_end_step,
    support_weight_share,
)
from numerics.schedule import log_schedule

SPEC = PlantedSpec(d=2, n_pos=30, n_neg=18, k_pos=8, k_neg=3, gamma=0.2, gap=0.2, seed=2)
ETA = 2e-3


@pytest.fixture(scope="module")
def every_step():
    ds = planted_dataset(SPEC)
    test = concentrated_test(SPEC, 300, seed=7)
    steps = 6000
    tr = run_gd(ds.X, ds.y, eta=ETA, steps=steps, checkpoints=np.arange(steps + 1))
    return ds, test, tr


def test_share_at_zero_and_agreement_with_measure(every_step):
    ds, _, tr = every_step
    share = support_weight_share(ds.X, ds.y, tr.w[:50], tr.b[:50], ds.sv_index)
    assert share[0] == pytest.approx((ds.y.size - ds.sv_index.size) / ds.y.size, rel=MEASURE_HAND_RTOL)
    m = measure_trajectory(ds.X, ds.y, tr.t[:50], tr.w[:50], tr.b[:50], support=ds.sv_index)
    np.testing.assert_allclose(share, m.nonsv_mass_share_b, rtol=PHASE_SHARE_RTOL)
    assert np.all((share >= 0) & (share <= 1))


def test_gd_window_reproduces_the_run_bit_for_bit(every_step):
    ds, _, tr = every_step
    ck = log_schedule(6000, 20)
    refine = gd_window(ds.X, ds.y, ck, tr.w[ck], tr.b[ck], eta=ETA)
    k = int(np.flatnonzero(np.diff(ck) > 2)[0])  # a window with steps between its ends
    lo, hi = int(ck[k]), int(ck[k + 1])
    tt, ww, bb = refine(lo, hi)
    assert np.array_equal(tt, np.arange(lo, hi + 1))
    assert np.array_equal(ww, tr.w[lo:hi + 1]) and np.array_equal(bb, tr.b[lo:hi + 1])
    with pytest.raises(ValueError, match="not a checkpoint"):
        refine(lo + 1, hi)


@pytest.mark.parametrize("per_decade", [5, 20])
def test_refined_rules_equal_the_every_step_rules(every_step, per_decade):
    ds, test, tr = every_step
    ck = log_schedule(6000, per_decade)
    sub = dict(t=ck, w=tr.w[ck], b=tr.b[ck])
    refine = gd_window(ds.X, ds.y, ck, tr.w[ck], tr.b[ck], eta=ETA)
    full = dict(t=tr.t, w=tr.w, b=tr.b)
    pairs = [
        (phase_one_end_step(ds.X, ds.y, **sub, support=ds.sv_index, refine=refine),
         phase_one_end_step(ds.X, ds.y, **full, support=ds.sv_index)),
        (phase_two_end_step(**sub, refine=refine), phase_two_end_step(**full)),
        (accuracy_time_step(**sub, X=ds.X, y=ds.y, refine=refine), accuracy_time_step(**full, X=ds.X, y=ds.y)),
        (accuracy_time_step(**sub, X=test.X, y=test.y, refine=refine),
         accuracy_time_step(**full, X=test.X, y=test.y)),
    ]
    for coarse, exact in pairs:
        assert exact.exact and coarse.step == exact.step, (coarse, exact)
        assert coarse.lower < coarse.step <= coarse.upper


def test_unrefined_rules_bracket_the_exact_step(every_step):
    ds, test, tr = every_step
    ck = log_schedule(6000, 10)
    exact = accuracy_time_step(tr.t, tr.w, tr.b, test.X, test.y)
    coarse = accuracy_time_step(ck, tr.w[ck], tr.b[ck], test.X, test.y)
    assert coarse.lower < exact.step <= coarse.upper and coarse.step == coarse.upper


def test_phase_one_rule_definition(every_step):
    ds, _, tr = every_step
    p1 = phase_one_end_step(ds.X, ds.y, tr.t, tr.w, tr.b, ds.sv_index)
    share = support_weight_share(ds.X, ds.y, tr.w, tr.b, ds.sv_index)
    assert np.all(share[p1.step:] < SHARE_THRESHOLD) and share[p1.step - 1] >= SHARE_THRESHOLD


def test_censoring_when_the_horizon_cuts_the_rules_short(every_step):
    ds, test, tr = every_step
    p1 = phase_one_end_step(ds.X, ds.y, tr.t[:3], tr.w[:3], tr.b[:3], ds.sv_index)
    assert p1.step is None and p1.censored  # the population still dominates after 2 steps
    late = accuracy_time_step(tr.t[:3], tr.w[:3], tr.b[:3], test.X, test.y)
    p2 = phase_two_end_step(tr.t[1:4], tr.w[1:4], tr.b[1:4])
    assert isinstance(late.censored, bool) and isinstance(p2.censored, bool)


@given(st.floats(0.0, 0.5))
@settings(max_examples=10)
def test_eps_levels_are_monotone(eps):
    ds = planted_dataset(SPEC)
    tr = run_gd(ds.X, ds.y, eta=ETA, steps=300, checkpoints=np.arange(301))
    t0 = accuracy_time_step(tr.t, tr.w, tr.b, ds.X, ds.y)
    te = accuracy_time_step(tr.t, tr.w, tr.b, ds.X, ds.y, eps=eps)
    assert te.step <= t0.step


def test_validation_messages():
    with pytest.raises(ValueError, match="support"):
        support_weight_share([[1.0]], [1.0], [[0.0]], [0.0], [])
    with pytest.raises(ValueError, match="strictly increasing"):
        phase_two_end_step(np.array([0, 0]), np.zeros((2, 1)), np.zeros(2))
    with pytest.raises(ValueError, match="eps"):
        accuracy_time_step(np.array([0]), np.zeros((1, 1)), np.zeros(1), [[1.0]], [1.0], eps=1.0)
