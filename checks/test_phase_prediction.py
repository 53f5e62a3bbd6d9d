"""Predicted (theory.phases) vs simulated (numerics.phases on exact GD) phase ends, T_tr and T_te (issue 13).

Random planted sets (numerics.datasets): d from 2 to 8, imbalanced support counts k+/k-, imbalanced
class sizes n+/n-, gamma in [0.05, 0.5], eta with eta lambda_max(H(0)) in [0.1, 1.9] (stable regime).
Both sides use the same horizon (theory.prediction.default_horizon) and the same rules; GD is
measured at step resolution. Tolerances (checks/tolerances.py) come from the theory's stated error
(PHASE_ERR_FACTOR x err) and the grids (PHASE_GRID_RTOL, PHASE_STEP_SLACK); the issue's targets
(25% for T_tr, T_te; a factor 2 for the phase ends) are asserted wherever the stated error is within
them, and the stated bracket everywhere.
"""

import math

import numpy as np
import pytest
from hypothesis import assume, currently_in_test_context, example, given, settings, target
from hypothesis import strategies as st

from checks.tolerances import (
    FLOAT64_EPS,
    PHASE_END_FACTOR,
    PHASE_ERR_FACTOR,
    PHASE_GRID_RTOL,
    PHASE_MP_ULPS,
    PHASE_STEP_SLACK,
    PHASE_TIME_RTOL,
    PHASE_TRANSIENT_STEPS,
)
from numerics.phases import measure_phases
from theory.prediction import default_horizon, predict
from numerics.datasets import PlantedSpec, concentrated_test, planted_dataset
from theory.geometry import paper_assumptions
from theory.stability import sharpness_at_init

TIMES = ("T_tr", "T_te")
ENDS = ("phase1_end", "phase2_end")


@st.composite
def planted_specs(draw, max_pop=40):
    d = draw(st.integers(2, 8))
    k_small = draw(st.integers(d + 1, d + 3))
    k_big = draw(st.integers(k_small, 3 * k_small))
    k_pos, k_neg = (k_big, k_small) if draw(st.booleans()) else (k_small, k_big)
    pop_pos, pop_neg = draw(st.integers(0, max_pop)), draw(st.integers(0, max_pop))
    gamma = draw(st.floats(0.05, 0.5))
    return PlantedSpec(d=d, n_pos=k_pos + pop_pos, n_neg=k_neg + pop_neg, k_pos=k_pos, k_neg=k_neg, gamma=gamma,
                       gap=gamma * draw(st.floats(0.5, 2.0)),
                       sv_spread=draw(st.one_of(st.none(), st.floats(1.0, 3.0))), seed=draw(st.integers(0, 10_000)))


stable_c = st.floats(0.1, 1.9)

# pinned: genuinely reduced sets (the population summarised), both classes imbalanced
FIXED_2D = PlantedSpec(d=2, n_pos=160, n_neg=90, k_pos=9, k_neg=3, gamma=0.3, gap=0.3, seed=3)
FIXED_5D = PlantedSpec(d=5, n_pos=40, n_neg=25, k_pos=6, k_neg=14, gamma=0.2, gap=0.15, sv_spread=2.5, seed=11)


def _require(condition) -> None:
    """A precondition: assume() inside a property-based test, a hard assert in a plain test."""
    if currently_in_test_context():
        assume(condition)
    else:
        assert condition


def _setup(spec, c, max_horizon):
    ds = planted_dataset(spec)
    pa = paper_assumptions(ds.X, ds.y)
    _require(pa.b_s_is_zero and pa.support_spans_data and pa.eq7.status == "optimal")
    eta = c / sharpness_at_init(ds.X, ds.y, eta=1.0).lambda_max
    test = concentrated_test(spec, 400, seed=spec.seed + 1)
    ctx = predict(ds.X, ds.y, eta=eta, test=(test.X, test.y), finite_time=False)
    horizon = default_horizon(ctx.k_star, ctx.residual.b_inf, ctx.T_te_asymptotic)
    _require(horizon <= max_horizon)
    pred = predict(ds.X, ds.y, eta=eta, test=(test.X, test.y), horizon=horizon).phases
    meas = measure_phases(ds.X, ds.y, test.X, test.y, eta=eta, steps=horizon, support=ctx.residual.support)
    return pred, meas, ctx


def _check(pred, meas):
    worst = 0.0
    for name in TIMES + ENDS:
        p, m, err = getattr(pred, name), meas[name], pred.rel_error[name]
        if m.step is None or m.censored or pred.censored[name]:
            continue  # the horizon cut the rule short on one side: nothing to compare
        assert math.isfinite(p)
        # the theory's stated bracket (its claim), widened only by the derived factor and the grids
        bound = (PHASE_ERR_FACTOR * err + PHASE_GRID_RTOL) * p + PHASE_STEP_SLACK
        assert abs(p - m.step) <= bound, (name, p, m.step, err)
        if name in TIMES and PHASE_ERR_FACTOR * err + PHASE_GRID_RTOL <= PHASE_TIME_RTOL:
            rel = abs(p - m.step) / m.step
            worst = max(worst, rel)
            assert abs(p - m.step) <= PHASE_TIME_RTOL * m.step + PHASE_STEP_SLACK, (name, p, m.step)
        if name in ENDS and PHASE_ERR_FACTOR * err <= PHASE_END_FACTOR - 1:
            assert max(p, m.step) <= PHASE_END_FACTOR * min(p, m.step) + PHASE_STEP_SLACK, (name, p, m.step)
    return worst


@given(planted_specs(), stable_c)
@example(FIXED_2D, 1.0)
@example(FIXED_5D, 1.5)
@settings(max_examples=6)
def test_predicted_phases_and_times_match_gd(spec, c):
    pred, meas, _ = _setup(spec, c, max_horizon=3e5)
    worst = _check(pred, meas)
    target(worst, label="worst |T_pred / T_GD - 1| where the target applies")


def test_reduced_model_is_genuinely_reduced():
    ds = planted_dataset(FIXED_2D)
    test = concentrated_test(FIXED_2D, 400, seed=FIXED_2D.seed + 1)
    eta = 1.0 / sharpness_at_init(ds.X, ds.y, eta=1.0).lambda_max
    ctx = predict(ds.X, ds.y, eta=eta, test=(test.X, test.y))
    pred = ctx.phases
    assert pred.reduced_size < ds.X.shape[0] / 2
    assert pred.regime == "stable" and pred.eta_lambda == pytest.approx(1.0)
    assert pred.horizon == ctx.horizon and all(math.isfinite(e) for e in pred.rel_error.values())


@pytest.mark.slow
@given(planted_specs(max_pop=120), stable_c)
@settings(max_examples=25)
def test_predicted_phases_and_times_match_gd_larger(spec, c):
    pred, meas, _ = _setup(spec, c, max_horizon=3e6)
    _check(pred, meas)


def test_predict_cli_reports_the_phase_keys(tmp_path, capsys):
    import json

    from lingrok.cli import main
    from numerics.datafiles import save_data

    ds = planted_dataset(FIXED_5D)
    test = concentrated_test(FIXED_5D, 200, seed=1)
    train_p = save_data(tmp_path / "train.npz", ds.X, ds.y)
    test_p = save_data(tmp_path / "test.npz", test.X, test.y)
    eta = 1.5 / sharpness_at_init(ds.X, ds.y, eta=1.0).lambda_max
    code = main(["predict", str(train_p), "--test", str(test_p), "--eta", repr(eta), "--json"])
    r = json.loads(capsys.readouterr().out)
    assert code == 0 and r["regime"] == "stable"
    assert r["T_te_predicted"] >= 1 and r["T_tr_predicted"] >= 1
    assert set(r["phases"]) == {"phase1_end", "phase2_end"}
    lo, hi = r["phase_prediction"]["bracket"]["T_te"]
    assert lo <= r["T_te_predicted"] <= hi
    # the edge-of-stability regime is named, and no error is claimed there
    code = main(["predict", str(train_p), "--eta", repr(40 * eta), "--json"])
    r = json.loads(capsys.readouterr().out)
    assert r["regime"] == "unstable" and r["T_te_predicted"] is None
    assert r["phase_prediction"]["relative_error"]["T_tr"] is None


@pytest.mark.slow
def test_known_miss_a_transient_train_accuracy_peak():
    """Pinned discrepancy (docs/phases/README.md): GD's training accuracy touches its supremum 1 for a
    moment at step 26 and loses it again; the reduced model (141 of 263 points) misses the transient
    and settles at 1 only at step ~1339, outside its stated 20% error. Definition 3.4 at eps = 0 makes
    T_tr that transient. T_te on the same set is within its stated error and the 25% target."""
    spec = PlantedSpec(d=4, n_pos=128, n_neg=135, k_pos=18, k_neg=6, gamma=0.16407355567274273,
                       gap=0.11055250236379041, sv_spread=2.553366228684596, seed=9699)
    pred, meas, _ = _setup(spec, 1.2034059418954728, max_horizon=3e5)
    assert meas["T_tr"].step <= PHASE_STEP_SLACK * PHASE_TRANSIENT_STEPS < pred.T_tr / PHASE_END_FACTOR  # the missed transient
    p, m = pred.T_te, meas["T_te"].step
    assert abs(p - m) <= (PHASE_ERR_FACTOR * pred.rel_error["T_te"] + PHASE_GRID_RTOL) * p + PHASE_STEP_SLACK
    assert abs(p - m) <= PHASE_TIME_RTOL * m


@given(st.integers(0, 10_000), st.floats(1e-3, 1e3))
@settings(max_examples=20)
def test_phase_one_steady_bias_against_mpmath(seed, scale):
    """eq. (14)'s steady state in float64 (logsumexp) vs 50-digit mpmath, at margins up to ~1e4 where
    the naive sums over- or underflow: b carries the absolute rounding of the margins, ~eps max|m|."""
    from theory.phases import phase_one_steady_bias, phase_one_steady_bias_mp

    ds = planted_dataset(PlantedSpec(d=3, n_pos=9, n_neg=6, k_pos=4, k_neg=4, gamma=0.3, gap=0.3, seed=seed))
    w = scale * np.random.default_rng(seed).standard_normal(3)
    ref = float(phase_one_steady_bias_mp(ds.X, ds.y, w))
    margins = np.abs(ds.X @ w).max()
    assert abs(phase_one_steady_bias(ds.X, ds.y, w) - ref) <= PHASE_MP_ULPS * FLOAT64_EPS * (1.0 + margins)
