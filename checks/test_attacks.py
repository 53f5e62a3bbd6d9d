"""numerics.attacks: generic l_inf PGD against the exact worst case of a linear model.

The exact attack (a point survives iff y (w^T x + b) > r ||w||_1) is an independent oracle
for PGD wherever the box does not clip the worst-case corner x - r y sign(w).
"""

import numpy as np
import pytest
from hypothesis import assume, example, given, target
from hypothesis import strategies as st

from checks.tolerances import ATK_BALL_ULPS, ATK_HAND_MARGIN_RTOL, ATK_HAND_RTOL, FLOAT64_EPS
from numerics.attacks import (
    PAPER_RADIUS,
    PAPER_STEP,
    PAPER_STEPS,
    clipping_inactive,
    compare_attacks,
    data_box,
    exact_linf_accuracy,
    pgd_linf,
)

BOX = 5.0  # the paper's standard test data lies in [-5, 5]^d


@st.composite
def linear_problems(draw):
    """Named strategy: points in [-5, 5]^d (d <= 4), random labels, a moderate linear model.

    |w_j| <= 10 keeps margins below 10 * 4 * 6 = 240 < 745, where sigma(-m) is representable,
    so PGD on the logistic loss never sees a zero gradient.
    """
    d = draw(st.integers(min_value=1, max_value=4))
    n = draw(st.integers(min_value=1, max_value=25))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    rng = np.random.default_rng(seed)
    X = rng.uniform(-BOX, BOX, size=(n, d))
    y = rng.choice([-1.0, 1.0], size=n)
    # no subnormal weights: sigma(-m) * 5e-324 underflows to 0 and PGD then (correctly) reports a stall
    w = draw(st.lists(st.floats(min_value=-10.0, max_value=10.0, allow_subnormal=False), min_size=d, max_size=d))
    b = draw(st.floats(min_value=-20.0, max_value=20.0))
    return X, y, np.array(w), b


starts = st.sampled_from(["clean", "random"])
losses = st.sampled_from(["logistic", "margin"])


def hand_problem():
    X = np.array([[0.0, 0.0], [4.5, -4.9], [5.0, 0.0]])
    y = np.array([1.0, -1.0, 1.0])
    return X, y, np.array([1.0, -2.0]), 0.5


# ---------------------------------------------------------------- hand cases


def test_exact_attack_by_hand():
    X, y, w, b = hand_problem()
    # margins 0.5, -(4.5 + 9.8 + 0.5) = -14.8, 5.5; r ||w||_1 = 3r.
    ex = exact_linf_accuracy(X, y, w, b, radius=0.1)
    np.testing.assert_allclose(ex.margin, [0.2, -15.1, 5.2], rtol=ATK_HAND_RTOL)
    assert ex.correct.tolist() == [True, False, True]
    assert exact_linf_accuracy(X, y, w, b, radius=1.0).correct.tolist() == [False, False, True]


def test_pgd_reaches_the_corner_by_hand():
    X, y, w, b = hand_problem()
    res = pgd_linf(X[:1], y[:1], w, b, radius=0.1, box=BOX)
    np.testing.assert_allclose(res.X_adv, [[-0.1, 0.1]], rtol=ATK_HAND_RTOL)  # x - r y sign(w)
    assert res.margin[0] == pytest.approx(0.2, rel=ATK_HAND_MARGIN_RTOL) and res.correct[0]


def test_clipping_makes_pgd_weaker_by_hand():
    """x = (5, 0) on the box edge, w = (-1, 0), y = +1, b = 5.5: the worst corner (6, 0) is outside."""
    X, y, w, b = np.array([[5.0, 0.0]]), np.array([1.0]), np.array([-1.0, 0.0]), 5.5
    comp = compare_attacks(X, y, w, b, box=BOX)
    assert not comp.inactive[0]
    assert comp.exact_accuracy == 0.0  # 0.5 - 1 < 0
    assert comp.pgd_accuracy == 1.0  # PGD cannot leave the box: margin stays 0.5
    assert comp.agree  # disagreement only counts where clipping is inactive


def test_paper_parameters():
    assert (PAPER_RADIUS, PAPER_STEP, PAPER_STEPS) == (1.0, 0.25, 20)


def test_zero_margin_after_attack_counts_as_wrong():
    # margin 3 = r ||w||_1 with r = 1, w = (1, 2): the corner sits exactly on the hyperplane.
    X, y, w = np.array([[1.0, 1.0]]), np.array([1.0]), np.array([1.0, 2.0])
    assert not exact_linf_accuracy(X, y, w, 0.0).correct[0]
    assert pgd_linf(X, y, w, 0.0, box=BOX).margin[0] == 0.0
    assert not pgd_linf(X, y, w, 0.0, box=BOX).correct[0]


# ---------------------------------------------------------------- properties


@given(problem=linear_problems(), start=starts, loss=losses, seed=st.integers(0, 1000))
@example(problem=hand_problem(), start="clean", loss="logistic", seed=0)
def test_pgd_agrees_with_exact_where_clipping_is_inactive(problem, start, loss, seed):
    X, y, w, b = problem
    comp = compare_attacks(X, y, w, b, start=start, seed=seed, box=BOX, loss=loss)
    assume(comp.inactive.any())
    target(float(np.count_nonzero(comp.inactive & (comp.pgd.correct != comp.exact.correct))))
    assert comp.pgd.n_zero_gradient == 0
    assert comp.agree, np.flatnonzero(comp.disagree)


@given(problem=linear_problems(), start=starts, loss=losses, seed=st.integers(0, 1000))
def test_pgd_never_increases_accuracy(problem, start, loss, seed):
    X, y, w, b = problem
    res = pgd_linf(X, y, w, b, start=start, seed=seed, box=BOX, loss=loss)
    assert res.accuracy <= res.clean_accuracy
    if start == "clean":  # each sign step and each projection can only lower the margin
        assert np.all(res.margin <= y * (X @ w + b))


@given(problem=linear_problems(), start=starts, seed=st.integers(0, 1000), box=st.sampled_from([BOX, "data", None]))
def test_exact_attack_is_a_lower_bound_for_pgd(problem, start, seed, box):
    X, y, w, b = problem
    comp = compare_attacks(X, y, w, b, start=start, seed=seed, box=box)
    sure = comp.exact.correct & ~comp.ambiguous
    assert np.all(comp.pgd.correct[sure])  # exact survivor => PGD survivor
    # the ball is [fl(x - r), fl(x + r)]: its half-width may exceed r by an ulp of x + r
    assert np.all(np.abs(comp.pgd.X_adv - X) <= PAPER_RADIUS + ATK_BALL_ULPS * FLOAT64_EPS * (np.abs(X) + PAPER_RADIUS))
    lo, hi = data_box(X, box)
    assert np.all((comp.pgd.X_adv >= lo) & (comp.pgd.X_adv <= hi))


@given(problem=linear_problems(), seed=st.integers(0, 2**31))
@example(problem=(np.array([[-4.4995303]]), np.array([1.0]), np.array([0.0]), 0.0), seed=29)  # both clip to -5
def test_random_start_is_reproducible_by_seed(problem, seed):
    X, y, w, b = problem
    one = pgd_linf(X, y, w, b, start="random", seed=seed, n_steps=0, box=BOX)
    two = pgd_linf(X, y, w, b, start="random", seed=seed, n_steps=0, box=BOX)
    np.testing.assert_array_equal(one.X_adv, two.X_adv)
    # without a box (which may clip both starts onto the same face) other seeds give other starts
    free = pgd_linf(X, y, w, b, start="random", seed=seed, n_steps=0, box=None)
    other = pgd_linf(X, y, w, b, start="random", seed=seed + 1, n_steps=0, box=None)
    assert not np.array_equal(free.X_adv, other.X_adv)
    np.testing.assert_array_equal(
        pgd_linf(X, y, w, b, start="random", seed=seed, box=BOX).X_adv,
        pgd_linf(X, y, w, b, start="random", seed=seed, box=BOX).X_adv,
    )


# ---------------------------------------------------------------- gradient underflow


def test_logistic_gradient_underflow_stalls_pgd_and_is_reported():
    """Margin 800 > 745: sigma(-800) = 0 in float64, the logistic-loss gradient vanishes and PGD
    leaves the point alone, although r ||w||_1 = 1000 > 800 means the corner is misclassified."""
    X, y, w, b = np.array([[0.8, 0.0]]), np.array([1.0]), np.array([1000.0, 0.0]), 0.0
    logistic = compare_attacks(X, y, w, b, box=BOX, loss="logistic")
    assert logistic.pgd.n_zero_gradient == 1 and logistic.pgd.correct[0]
    assert not logistic.exact.correct[0] and not logistic.agree
    margin = compare_attacks(X, y, w, b, box=BOX, loss="margin")
    assert margin.pgd.n_zero_gradient == 0 and margin.agree and not margin.pgd.correct[0]


# ---------------------------------------------------------------- box and validation


def test_data_box_variants():
    X = np.array([[-1.0, 2.0], [3.0, -4.0]])
    lo, hi = data_box(X)
    assert lo.tolist() == [-1.0, -4.0] and hi.tolist() == [3.0, 2.0]
    lo, hi = data_box(X, 5.0)
    assert lo.tolist() == [-5.0, -5.0] and hi.tolist() == [5.0, 5.0]
    lo, hi = data_box(X, None)
    assert np.all(np.isinf(lo)) and np.all(np.isinf(hi))
    inactive = clipping_inactive(X, np.array([1.0, 1.0]), np.array([1.0, 0.0]), box="data")
    assert inactive.tolist() == [False, True]  # x1 = -1 - 1 leaves [-1, 3]; 3 - 1 stays


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"start": "random"}, "`seed` must be an integer"),
        ({"start": "middle"}, "`start` must be"),
        ({"box": 1.0}, "inside `box`"),
        ({"radius": -1.0}, "`radius` must be"),
        ({"step": 0.0}, "`step` must be positive"),
        ({"loss": "hinge"}, "`loss` must be"),
    ],
)
def test_validation(kwargs, match):
    X, y, w, b = hand_problem()
    with pytest.raises(ValueError, match=match):
        pgd_linf(X, y, w, b, **kwargs)


def test_validation_labels_and_nan():
    X, y, w, b = hand_problem()
    with pytest.raises(ValueError, match="`y` must be exactly"):
        exact_linf_accuracy(X, np.array([1.0, 2.0, 1.0]), w, b)
    with pytest.raises(ValueError, match="`w` must be finite"):
        exact_linf_accuracy(X, y, np.array([np.nan, 1.0]), b)
