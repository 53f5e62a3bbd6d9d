"""numerics.measure: per-checkpoint geometry, loss, accuracy and non-support-vector shares.

Oracles: hand-computed values, 40-digit mpmath sums (loss, shares, even when every float64
weight sigma(-m) underflows), and invariants (batch of checkpoints == loop over checkpoints).
"""

import math

import mpmath
import numpy as np
import pytest
from hypothesis import example, given, target
from hypothesis import strategies as st
from scipy.special import expit

import numerics.measure as measure_module
from checks.tolerances import (
    ANGLE_RTOL,
    EXP_CONDITION_FACTOR,
    FLOAT64_EPS,
    MEASURE_HAND_NORMS_RTOL,
    MEASURE_HAND_RTOL,
    MEASURE_SUM_RTOL,
    SHARE_ROUNDOFF_FACTOR,
    ZERO_REF_ATOL,
    scaled_error,
)
from numerics.measure import measure_trajectory, set_metrics

ORACLE_DPS = 40


def planted_2d():
    """Seven points in R^2: support vectors on x1 = +-1, the rest at |x1| >= 1.5.

    Max-margin (eq. (7)): w_hat = (1, 0), b_hat = 0, since the pairs of support-vector
    constraints force w1 >= 1 + 0.15 |w2| and (1, 0, 0) meets all constraints.
    """
    X = np.array([[1.0, 0.0], [1.0, 0.7], [-1.0, 0.3], [-1.0, -0.4],
                  [1.5, 1.0], [2.0, -0.5], [-2.0, 1.0]])
    y = np.array([1.0, 1.0, -1.0, -1.0, 1.0, 1.0, -1.0])
    return X, y, np.array([0, 1, 2, 3]), np.array([1.0, 0.0]), 0.0


def plain_gd(X, y, eta, steps):
    """Textbook GD on the summed logistic loss, eqs. (4)-(5); returns theta at the requested steps."""
    w, b = np.zeros(X.shape[1]), 0.0
    out_w, out_b = [], []
    for k in range(max(steps) + 1):
        if k in steps:
            out_w.append(w.copy())
            out_b.append(b)
        s = expit(-y * (X @ w + b))
        w, b = w + eta * (s * y) @ X, b + eta * np.sum(s * y)
    return np.array(steps), np.array(out_w), np.array(out_b)


def mp_loss(X, y, w, b):
    """sum_i log(1 + exp(-m_i)) with the margins and the sum in 40 digits."""
    with mpmath.workdps(ORACLE_DPS):
        terms = []
        for xi, yi in zip(X.tolist(), y.tolist()):
            m = yi * (mpmath.fsum(mpmath.mpf(a) * c for a, c in zip(xi, w)) + b)
            terms.append(mpmath.log1p(mpmath.exp(-m)))
        return float(mpmath.fsum(terms))


# ---------------------------------------------------------------- conventions


def test_initial_model_has_zero_accuracy_and_loss_n_log2():
    X, y, sv, w_hat, b_hat = planted_2d()
    m = measure_trajectory(X, y, [0], np.zeros((1, 2)), np.zeros(1), tests={"same": (X, y)})
    assert m.train.accuracy[0] == 0.0 and m.train.n_correct[0] == 0
    assert m.test["same"].accuracy[0] == 0.0
    assert scaled_error(m.train.loss_sum[0], 7 * math.log(2), rtol=MEASURE_SUM_RTOL) < 1
    assert scaled_error(m.train.loss_mean[0], math.log(2), rtol=MEASURE_SUM_RTOL) < 1
    assert np.isnan(m.distance[0]) and np.isnan(m.angle[0])


def test_margin_exactly_zero_counts_as_wrong():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [-2.0, 0.0]])
    y = np.array([1.0, 1.0, -1.0])
    # w = (1, 0), b = 0: margins 1, 0 (the point (0, 1) lies on the hyperplane), 2.
    s = set_metrics(X, y, np.array([[1.0, 0.0]]), np.array([0.0]))
    assert s.n_correct[0] == 2
    assert s.accuracy[0] == pytest.approx(2 / 3, abs=0)


def test_hand_geometry():
    X, y, sv, w_hat, b_hat = planted_2d()
    w = np.array([[3.0, 4.0], [0.0, 0.0], [2.0, 0.0]])
    b = np.array([10.0, 1.0, -1.0])
    t = np.array([100, 0, 1])
    m = measure_trajectory(X, y, t, w, b, w_hat=w_hat, b_hat=b_hat, theta_tilde=[0.0, 0.0, 0.0])
    assert m.w_norm.tolist() == [5.0, 0.0, 2.0]
    assert m.distance[0] == 2.0 and np.isnan(m.distance[1]) and m.distance[2] == 0.5
    assert scaled_error(m.angle[0], math.atan2(4.0, 3.0), rtol=ANGLE_RTOL) < 1
    assert m.angle[2] == 0.0
    # residual = theta - theta_hat log t: (3 - log 100, 4, 10) at t = 100; t = 0 undefined; t = 1: theta.
    expected = np.array([3.0 - math.log(100.0), 4.0, 10.0])
    assert scaled_error(m.residual[0], expected, rtol=ANGLE_RTOL) < 1
    assert np.all(np.isnan(m.residual[1])) and np.isnan(m.residual_norm[1])
    assert m.residual[2].tolist() == [2.0, 0.0, -1.0]
    assert m.tilde_gap[2] == pytest.approx(math.sqrt(5.0), rel=MEASURE_HAND_RTOL)


def test_tiny_angle_is_resolved():
    """arccos(u . v) returns 0 below ~1e-8 rad; the Kahan form keeps full relative accuracy."""
    X, y, *_ = planted_2d()
    w = np.array([[1.0, 1e-12]])
    m = measure_trajectory(X, y, [5], w, [0.0], w_hat=[2.0, 0.0], b_hat=0.0)
    assert scaled_error(m.angle[0], math.atan(1e-12), rtol=ANGLE_RTOL) < 1


def test_missing_references_give_nan_not_a_different_type():
    X, y, *_ = planted_2d()
    m = measure_trajectory(X, y, [0, 1], np.ones((2, 2)), np.zeros(2))
    for field in ("angle", "residual_norm", "tilde_gap", "nonsv_net_share_b", "nonsv_mass_share_w"):
        arr = getattr(m, field)
        assert arr.shape == (2,) and np.all(np.isnan(arr)), field
    assert dict(m.test) == {}


# ---------------------------------------------------------------- non-support-vector shares


def test_shares_at_initial_model_by_hand():
    """At w = 0, b = 0 every weight sigma(0) = 1/2.

    Bias: g_S = -(1/2)(1 + 1 - 1 - 1) = 0, g_N = -(1/2)(1 + 1 - 1) = -1/2: net share 1;
    mass share = 3/7.  w part, mass share = sum_N ||x|| / sum_all ||x||.
    """
    X, y, sv, *_ = planted_2d()
    m = measure_trajectory(X, y, [0], np.zeros((1, 2)), np.zeros(1), support=sv)
    assert m.nonsv_net_share_b[0] == 1.0
    assert m.nonsv_mass_share_b[0] == pytest.approx(3 / 7, rel=MEASURE_HAND_RTOL)
    norms = np.hypot(X[:, 0], X[:, 1])
    assert m.nonsv_mass_share_w[0] == pytest.approx(norms[4:].sum() / norms.sum(), rel=MEASURE_HAND_NORMS_RTOL)
    assert m.grad_norm_b[0] == pytest.approx(0.5, rel=MEASURE_HAND_RTOL)


def test_net_share_by_hand_unbalanced_support():
    X = np.array([[1.0, 0.0], [1.0, 1.0], [-1.0, 0.0], [2.0, 0.0], [-2.0, 0.0], [-3.0, 0.0], [-2.0, 1.0]])
    y = np.array([1.0, 1.0, -1.0, 1.0, -1.0, -1.0, -1.0])
    # w = 0: g_S,b = -(1/2)(1 + 1 - 1) = -1/2, g_N,b = -(1/2)(1 - 3) = +1: net share 1 / 1.5.
    m = measure_trajectory(X, y, [0], np.zeros((1, 2)), np.zeros(1), support=[0, 1, 2])
    assert m.nonsv_net_share_b[0] == pytest.approx(2 / 3, rel=MEASURE_HAND_RTOL)


def test_exact_cancellation_gives_nan():
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [2.0, 0.0], [-2.0, 0.0]])
    y = np.array([1.0, -1.0, 1.0, -1.0])
    m = measure_trajectory(X, y, [0], np.zeros((1, 2)), np.zeros(1), support=[0, 1])
    assert np.isnan(m.nonsv_net_share_b[0])  # both bias parts are exactly 0 by symmetry
    assert m.nonsv_mass_share_b[0] == 0.5


def mp_shares(X, y, sv, w, b):
    """40-digit net and mass shares of the bias and weight gradient, and their roundoff scales."""
    with mpmath.workdps(ORACLE_DPS):
        s = [1 / (1 + mpmath.exp(mpmath.mpf(yi) * (mpmath.mpf(xi[0]) * w[0] + mpmath.mpf(xi[1]) * w[1] + b)))
             for xi, yi in zip(X.tolist(), y.tolist())]
        top = max(s)
        s = [v / top for v in s]
        out = {}
        for part in ("w", "b"):
            vec = {True: [mpmath.mpf(0)] * 2, False: [mpmath.mpf(0)] * 2}
            mass = {True: mpmath.mpf(0), False: mpmath.mpf(0)}
            scale = mpmath.mpf(0)
            for i, (xi, yi) in enumerate(zip(X.tolist(), y.tolist())):
                c = [yi * xi[0], yi * xi[1]] if part == "w" else [yi, 0.0]
                for j in range(2):
                    vec[i in sv][j] += s[i] * c[j]
                size = mpmath.sqrt(c[0] ** 2 + c[1] ** 2)
                mass[i in sv] += s[i] * size
                scale += s[i] * size
            gs, gn = mpmath.norm(vec[True]), mpmath.norm(vec[False])
            out[f"net_{part}"] = float(gn / (gs + gn)) if gs + gn > 0 else math.nan
            out[f"net_scale_{part}"] = float(scale / (gs + gn)) if gs + gn > 0 else math.inf
            out[f"mass_{part}"] = float(mass[False] / (mass[True] + mass[False]))
        return out


log_scales = st.floats(min_value=-1.0, max_value=5.0)  # w scaled by 10^k: up to margins ~1e5, weights e^-1e5
directions = st.floats(min_value=-math.pi, max_value=math.pi)
biases = st.floats(min_value=-2.0, max_value=2.0)


@given(log_scale=log_scales, phi=directions, b=biases)
@example(log_scale=4.0, phi=0.0, b=0.0)  # every sigma(-m) underflows in float64
@example(log_scale=0.0, phi=0.0, b=0.0)
def test_shares_match_40_digit_oracle_even_when_everything_underflows(log_scale, phi, b):
    X, y, sv, *_ = planted_2d()
    scale = 10.0**log_scale
    w = scale * np.array([math.cos(phi), math.sin(phi)])
    m = measure_trajectory(X, y, [1], w[None, :], [b * scale], support=sv)
    ref = mp_shares(X, y, set(sv.tolist()), w.tolist(), b * scale)
    # Weights e^(-m) relative to the largest carry the margins' rounding eps |m| as relative error.
    rtol = MEASURE_SUM_RTOL + EXP_CONDITION_FACTOR * FLOAT64_EPS * np.max(np.abs(X @ w + b * scale))
    err = 0.0
    for part in ("w", "b"):
        mass = getattr(m, f"nonsv_mass_share_{part}")[0]
        err = max(err, scaled_error(mass, ref[f"mass_{part}"], rtol=rtol, atol=ZERO_REF_ATOL))
        net = getattr(m, f"nonsv_net_share_{part}")[0]
        if math.isnan(ref[f"net_{part}"]):
            assert math.isnan(net)
            continue
        atol = SHARE_ROUNDOFF_FACTOR * len(y) * FLOAT64_EPS * ref[f"net_scale_{part}"]
        err = max(err, abs(net - ref[f"net_{part}"]) / (atol + rtol * abs(ref[f"net_{part}"])))
    target(err)
    assert err < 1


def test_underflow_regime_gives_zero_gradient_but_finite_shares():
    X, y, sv, *_ = planted_2d()
    m = measure_trajectory(X, y, [1], np.array([[1e4, 0.0]]), [0.0], support=sv)
    assert m.grad_norm_w[0] == 0.0 and m.grad_norm_b[0] == 0.0  # true values ~ e^-1e4
    # Non-SV weights are e^-5000 (margin 1.5e4 vs 1e4) relative to the SVs: shares are exactly 0.
    assert m.nonsv_mass_share_b[0] == 0.0 and m.nonsv_net_share_w[0] == 0.0


# ---------------------------------------------------------------- loss oracle


@given(log_scale=log_scales, phi=directions, b=biases)
@example(log_scale=3.0, phi=math.pi, b=0.0)  # every margin ~ -1e3: loss ~ sum |m|, exp would overflow
@example(log_scale=2.75, phi=0.0, b=1.153848132687062)  # margins ~ +600: loss ~ e^-600 (found by fuzzing)
def test_loss_matches_40_digit_oracle(log_scale, phi, b):
    X, y, *_ = planted_2d()
    scale = 10.0**log_scale
    w = scale * np.array([math.cos(phi), math.sin(phi)])
    s = set_metrics(X, y, w[None, :], np.array([b]))
    ref = mp_loss(X, y, w.tolist(), b)
    # a term e^(-m) (m >> 1) inherits the margin's rounding eps |m| as relative error
    rtol = MEASURE_SUM_RTOL + EXP_CONDITION_FACTOR * FLOAT64_EPS * np.max(np.abs(X @ w + b))
    err = scaled_error(s.loss_sum[0], ref, rtol=rtol, atol=ZERO_REF_ATOL)
    target(err)
    assert err < 1


# ---------------------------------------------------------------- invariants on a GD run


def test_batch_equals_loop_and_chunking(monkeypatch):
    X, y, sv, w_hat, b_hat = planted_2d()
    t, w, b = plain_gd(X, y, 0.05, [0, 1, 2, 5, 50, 500])
    tests = {"flip": (X, -y)}
    whole = measure_trajectory(X, y, t, w, b, tests=tests, w_hat=w_hat, b_hat=b_hat, support=sv)
    monkeypatch.setattr(measure_module, "_CHUNK_ENTRIES", 10)  # one checkpoint per chunk
    for k in range(t.size):
        one = measure_trajectory(X, y, t[k:k + 1], w[k:k + 1], b[k:k + 1], tests=tests,
                                 w_hat=w_hat, b_hat=b_hat, support=sv)
        for field in ("w_norm", "distance", "angle", "residual_norm", "grad_norm_w",
                      "nonsv_net_share_b", "nonsv_mass_share_w"):
            # equal up to BLAS blocking: a matrix product of another shape may round differently
            ref = getattr(whole, field)[k:k + 1]
            assert np.array_equal(np.isnan(getattr(one, field)), np.isnan(ref)), field
            ok = ~np.isnan(ref)
            err = scaled_error(getattr(one, field)[ok], ref[ok], rtol=MEASURE_SUM_RTOL, atol=ZERO_REF_ATOL) if ok.any() else 0.0
            assert err < 1, field
        flip_one, flip_all = one.test["flip"].loss_sum, whole.test["flip"].loss_sum[k:k + 1]
        assert scaled_error(flip_one, flip_all, rtol=MEASURE_SUM_RTOL) < 1
        assert one.train.n_correct[0] == whole.train.n_correct[k]


def test_gd_run_support_vectors_take_over_the_bias_gradient():
    """Phases 1 -> 2 (Section 4.3): along GD the non-SV mass share of the bias gradient falls from 3/7."""
    X, y, sv, w_hat, b_hat = planted_2d()
    t, w, b = plain_gd(X, y, 0.05, [0, 10, 100, 1000, 10000])
    m = measure_trajectory(X, y, t, w, b, tests={"flip": (X, -y)}, w_hat=w_hat, b_hat=b_hat, support=sv)
    share = m.nonsv_mass_share_b
    assert share[0] == pytest.approx(3 / 7, rel=MEASURE_HAND_RTOL)
    assert np.all(np.diff(share[1:]) < 0)
    assert share[-1] < 0.05  # non-SV margins are >= 1.5x the SV margins: weights ~ t^-0.5 relative
    assert m.train.accuracy[-1] == 1.0 and m.test["flip"].accuracy[-1] == 0.0
    np.testing.assert_array_equal(m.train.accuracy + m.test["flip"].accuracy <= 1.0, True)


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"y": np.array([1.0, 0.0, 1.0, -1.0, 1.0, 1.0, -1.0])}, "labels y must be exactly"),
        ({"t": np.array([-1])}, "non-negative"),
        ({"t": np.array([0.5])}, "whole numbers"),
        ({"w": np.array([[np.nan, 0.0]])}, "`w` must be finite"),
        ({"w_hat": [0.0, 0.0], "b_hat": 0.0}, "non-zero"),
        ({"w_hat": [1.0, 0.0]}, "given together"),
        ({"support": [0, 0]}, "unique"),
        ({"support": [9]}, r"lie in \[0, 7\)"),
        ({"tests": {"bad": (np.zeros((2, 3)), np.ones(2))}}, "must have 2 columns"),
    ],
)
def test_validation_names_the_argument(kwargs, match):
    X, y, *_ = planted_2d()
    args = {"X": X, "y": y, "t": np.array([1]), "w": np.ones((1, 2)), "b": np.zeros(1)}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        measure_trajectory(args.pop("X"), args.pop("y"), args.pop("t"), args.pop("w"), args.pop("b"), **args)


def test_results_are_read_only():
    X, y, *_ = planted_2d()
    m = measure_trajectory(X, y, [1], np.ones((1, 2)), np.zeros(1), tests={"a": (X, y)})
    with pytest.raises(ValueError):
        m.w_norm[0] = 1.0
    with pytest.raises(TypeError):
        m.test["b"] = m.train


def test_agrees_with_numerics_loss_per_checkpoint():
    """Two independent implementations (batched here, one checkpoint at a time in numerics.loss)."""
    from numerics.loss import accuracy, logistic_grad, logistic_loss

    X, y, sv, *_ = planted_2d()
    t, w, b = plain_gd(X, y, 0.05, [0, 3, 30, 300])
    m = measure_trajectory(X, y, t, w, b)
    for k in range(t.size):
        assert scaled_error(m.train.loss_sum[k], logistic_loss(w[k], b[k], X, y), rtol=MEASURE_SUM_RTOL) < 1
        mean = logistic_loss(w[k], b[k], X, y, "mean")
        assert scaled_error(m.train.loss_mean[k], mean, rtol=MEASURE_SUM_RTOL) < 1
        assert m.train.accuracy[k] == accuracy(w[k], b[k], X, y)
        g = logistic_grad(w[k], b[k], X, y)
        assert scaled_error(m.grad_norm_w[k], np.linalg.norm(g.w), rtol=MEASURE_SUM_RTOL, atol=ZERO_REF_ATOL) < 1
        assert scaled_error(m.grad_norm_b[k], abs(g.b), rtol=MEASURE_SUM_RTOL, atol=ZERO_REF_ATOL) < 1
