"""numerics.grokking: Definition 3.4 of arXiv:2602.08302 on sampled accuracy curves.

Expected times are written by hand from the definition; hypothesis checks the definition
against a brute-force scan written here, monotonicity in eps, and the brackets.
"""

import math

import numpy as np
import pytest
from hypothesis import assume, example, given, target
from hypothesis import strategies as st

from checks.tolerances import GDEF_AMPLITUDE_RTOL, GDEF_DIFF_RTOL, GDEF_DRIFT_ATOL, GDEF_INTERP_RTOL
from numerics.grokking import (
    accuracy_crossing,
    grokking_times,
    groks_with_delay,
    parity_differences,
    period_two_amplitude,
    phase_one_end,
    phase_two_end,
)

# A hand-made grokking run: train accuracy is perfect at t = 100, test accuracy dips then recovers.
T = np.array([0, 10, 100, 1000, 10000])
P = np.array([0.0, 0.5, 1.0, 1.0, 1.0])
Q = np.array([0.0, 0.5, 0.4, 0.9, 1.0])


# ---------------------------------------------------------------- hand-made curves


@pytest.mark.parametrize(
    "eps, t_tr, prev_tr, t_te, prev_te, zeta, t_grok",
    [
        (0.0, 100, 10, 10000, 1000, 100.0, 9900),  # levels 1.0 and 1.0
        (0.1, 100, 10, 1000, 100, 10.0, 900),  # test level 0.9 is met exactly at t = 1000 (a tie)
        (0.5, 10, 0, 10, 0, 1.0, 0),  # level 0.5, met at t = 10 by both
        (0.55, 10, 0, 10, 0, 1.0, 0),  # level 0.45 for both: 0.5 >= 0.45 at t = 10
    ],
)
def test_hand_made_times(eps, t_tr, prev_tr, t_te, prev_te, zeta, t_grok):
    g = grokking_times(T, P, Q, eps)
    assert (g.train.t_first, g.train.t_prev) == (t_tr, prev_tr)
    assert (g.test.t_first, g.test.t_prev) == (t_te, prev_te)
    assert g.zeta == zeta and g.t_grok == t_grok
    assert g.zeta_lower <= g.zeta <= g.zeta_upper
    assert g.t_grok_lower <= g.t_grok <= g.t_grok_upper


def test_hand_brackets():
    g = grokking_times(T, P, Q, 0.0)
    # T_tr in (10, 100], T_te in (1000, 10000]: zeta in (1000/100, 10000/10), T_gr in (900, 9990).
    assert (g.zeta_lower, g.zeta_upper) == (10.0, 1000.0)
    assert (g.t_grok_lower, g.t_grok_upper) == (900, 9990)


def test_sup_at_last_checkpoint_is_flagged():
    assert accuracy_crossing(T, Q, 0.0).sup_at_last_only
    assert not accuracy_crossing(T, P, 0.0).sup_at_last_only


def test_log_interpolation_by_hand():
    # Between (10, 0.5) and (100, 1.0) the level 0.75 is half way in log(1 + t):
    # t* = exp((log 11 + log 101) / 2) - 1 = sqrt(1111) - 1.
    c = accuracy_crossing(T, P, 0.25)
    assert (c.t_prev, c.t_first) == (10, 100)
    assert c.t_interp == pytest.approx(math.sqrt(1111.0) - 1.0, rel=GDEF_INTERP_RTOL)


def test_interpolation_from_t0():
    c = accuracy_crossing([0, 3], [0.0, 1.0], 0.5)  # log(1 + t): half way is sqrt(4) - 1 = 1
    assert c.t_interp == pytest.approx(1.0, rel=GDEF_INTERP_RTOL)


def test_first_checkpoint_already_at_level():
    c = accuracy_crossing([5, 50], [1.0, 1.0], 0.0)
    assert (c.index, c.t_first, c.t_prev, c.t_interp) == (0, 5, None, 5.0)


def test_transient_excursion_counts_first():
    c = accuracy_crossing([1, 2, 3, 4], [0.2, 0.95, 0.6, 1.0], 0.1)  # level 0.9: reached at t = 2
    assert c.t_first == 2


def test_never_reached_and_identically_zero_are_undefined():
    c = accuracy_crossing(T, Q * 0.9, 0.0, sup=1.0)
    assert c.index is None and c.t_first is None and c.t_interp is None
    g = grokking_times(T, P, np.zeros(5), 0.1)
    assert g.test.index is None and g.zeta is None and g.t_grok is None


def test_initial_model_convention():
    """P(0) = 0 for w = 0, b = 0 (margin 0 is wrong), so a positive level is never met at t = 0."""
    c = accuracy_crossing([0, 1], [0.0, 0.1], 0.99)
    assert c.t_first == 1


def test_train_time_zero_makes_zeta_undefined():
    g = grokking_times([0, 10], [1.0, 1.0], [0.5, 1.0], 0.0)
    assert g.train.t_first == 0 and g.zeta is None and g.t_grok == 10 and g.zeta_upper == math.inf


# ---------------------------------------------------------------- delay verdict


def test_delay_by_hand():
    v = groks_with_delay(T, P, Q, [0.0, 0.1], 5.0)
    assert v.holds and v.zeta_max == 10.0  # ratios 100 and 10
    assert v.bracketed == "undecided"  # eps 0.1: T_te in (100, 1000], 5 T_tr in (50, 500]
    assert groks_with_delay(T, P, Q, [0.0, 0.1], 1.0).bracketed == "holds"  # 1000 >= 100, 100 >= 100
    fails = groks_with_delay(T, P, Q, [0.0, 0.1], 200.0)
    assert fails.holds is False and fails.bracketed == "fails"  # eps 0.1: 1000 <= 200 * 10
    assert groks_with_delay(T, P, Q, [0.0, 0.1], 10.0).holds is False  # strict inequality
    undefined = groks_with_delay(T, P, np.zeros(5), [0.1], 2.0)
    assert undefined.holds is None and undefined.zeta_max is None


# ---------------------------------------------------------------- properties


@st.composite
def sampled_curves(draw):
    """Named strategy: log-spaced checkpoints with accuracies on a grid of k/20 (ties are common)."""
    n = draw(st.integers(min_value=1, max_value=12))
    gaps = draw(st.lists(st.integers(min_value=1, max_value=1000), min_size=n, max_size=n))
    t = np.cumsum(gaps) - gaps[0] + draw(st.integers(min_value=0, max_value=3))
    acc = np.array(draw(st.lists(st.integers(min_value=0, max_value=20), min_size=n, max_size=n))) / 20
    return t, acc


def brute_force_first(t, acc, eps):
    """Definition 3.4 written out: scan for the first t with A(t) >= (1 - eps) max A."""
    level = (1.0 - eps) * max(acc)
    for tk, ak in zip(t.tolist(), acc.tolist()):
        if ak >= level - 1e-12:
            return tk
    return None


eps_values = st.sampled_from([0.0, 0.001, 0.05, 0.1, 0.25, 0.5, 0.9])


@given(curve=sampled_curves(), eps=eps_values)
@example(curve=(np.array([0, 10, 100]), np.array([0.0, 0.9, 1.0])), eps=0.1)
def test_crossing_is_the_first_checkpoint_meeting_the_level(curve, eps):
    t, acc = curve
    assume(acc.max() > 0)
    c = accuracy_crossing(t, acc, eps)
    assert c.t_first == brute_force_first(t, acc, eps)
    # every checkpoint satisfying the condition is at or after T(eps)
    satisfying = t[acc >= (1 - eps) * acc.max() - 1e-12]
    assert np.all(c.t_first <= satisfying)
    lower = c.t_prev if c.t_prev is not None else c.t_first
    assert lower <= c.t_interp <= c.t_first


@given(curve=sampled_curves(), eps_pair=st.tuples(eps_values, eps_values))
def test_smaller_eps_is_later_or_equal(curve, eps_pair):
    t, acc = curve
    assume(acc.max() > 0)
    small, large = sorted(eps_pair)
    assert accuracy_crossing(t, acc, small).t_first >= accuracy_crossing(t, acc, large).t_first


@given(train=sampled_curves(), test_acc=st.lists(st.integers(0, 20), min_size=12, max_size=12), eps=eps_values)
def test_brackets_contain_headline(train, test_acc, eps):
    t, p = train
    q = np.array(test_acc[: t.size]) / 20
    assume(p.max() > 0 and q.max() > 0)
    g = grokking_times(t, p, q, eps)
    assert g.t_grok_lower <= g.t_grok <= g.t_grok_upper
    if g.zeta is not None:
        target(g.zeta)
        assert g.zeta_lower <= g.zeta <= g.zeta_upper


# ---------------------------------------------------------------- phases


def test_phase_one_end_ignores_transient_dip_and_nan():
    t = np.arange(7)
    share = np.array([np.nan, 0.65, 0.6, 0.45, 0.55, 0.4, 0.2])
    p = phase_one_end(t, share)
    assert (p.index, p.t, p.t_lower, p.t_upper, p.at_edge) == (5, 5, 4, 5, False)
    never = phase_one_end(t, np.array([np.nan, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]))
    assert never.index is None
    at_start = phase_one_end(t, np.array([np.nan, 0.4, 0.3, 0.2, 0.2, 0.1, 0.1]))
    assert (at_start.t, at_start.t_lower, at_start.at_edge) == (1, None, True)
    assert phase_one_end(t, share, threshold=0.3).t == 6


def test_phase_two_end_is_peak_of_distance():
    t = np.array([0, 1, 10, 100, 1000, 10000])
    p = phase_two_end(t, np.array([np.nan, 0.1, 0.5, 0.9, 0.7, 0.2]))
    assert (p.index, p.t, p.t_lower, p.t_upper, p.at_edge) == (3, 100, 10, 1000, False)
    edge = phase_two_end(t, np.array([np.nan, 0.1, 0.2, 0.3, 0.4, 0.5]))
    assert edge.t == 10000 and edge.t_upper is None and edge.at_edge
    assert phase_two_end(t, np.full(6, np.nan)).index is None


# ---------------------------------------------------------------- period 2


def test_parity_differences_by_hand():
    t = np.array([10, 11, 20, 21, 31, 32])
    b = np.array([1.0, 1.2, 1.0, 1.2, 1.3, 1.1])
    pd = parity_differences(t, b)
    assert pd.t_even.tolist() == [10, 20, 32]
    np.testing.assert_allclose(pd.diff, [0.2, 0.2, 0.2], rtol=GDEF_DIFF_RTOL)
    assert parity_differences([0, 2, 4], [1.0, 2.0, 3.0]).diff.size == 0


def test_period_two_amplitude_removes_linear_drift():
    a = period_two_amplitude([0.0, 1.1, 0.2, 1.3, 0.4])  # 0.5 + 0.5 (-1)^(k+1) + 0.1 k
    np.testing.assert_allclose(a, [1.0, -1.0, 1.0], rtol=GDEF_AMPLITUDE_RTOL)
    np.testing.assert_allclose(period_two_amplitude(np.arange(6.0) * 0.3), 0.0, atol=GDEF_DRIFT_ATOL)


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "t, acc, eps, match",
    [
        ([0, 1], [0.0, np.nan], 0.0, "NaN is rejected"),
        ([1, 1], [0.0, 1.0], 0.0, "strictly increasing"),
        ([0, 1], [0.0, 1.5], 0.0, r"lie in \[0, 1\]"),
        ([0, 1], [0.0, 1.0], 1.0, r"`eps` must lie in \[0, 1\)"),
        ([-1, 1], [0.0, 1.0], 0.0, "non-negative"),
    ],
)
def test_validation(t, acc, eps, match):
    with pytest.raises(ValueError, match=match):
        accuracy_crossing(t, acc, eps)


def test_validation_other_arguments():
    with pytest.raises(ValueError, match="`zeta` must be positive"):
        groks_with_delay(T, P, Q, [0.1], -1.0)
    with pytest.raises(ValueError, match="`threshold`"):
        phase_one_end(T, np.zeros(5), threshold=1.0)
    with pytest.raises(ValueError, match="`sup`"):
        accuracy_crossing(T, P, 0.0, sup=1.5)
