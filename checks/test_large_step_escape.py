"""The chaotic class: theory.large_step_escape's hazard model of GD's escape from the unstable 2-cycle.

Claims checked:

* survival_quantile inverts S(t) = exp(-int kappa) for a piecewise-constant rate, and falls back to the
  model's end where S stays above the level; escape_rate recovers the rate of exponential escapes
  within ESCAPE_RATE_SIGMAS binomial standard deviations and handles the empty edge cases.
* Invariants: an ensemble on a stable 2-cycle (multiplier < 1) does not escape, and on a set that is not
  chaotic the model adds nothing (the median is the reduced model's end); the ensemble is reproducible
  from its seed.
* The held-out evaluation (docs/stability-chaotic-prereg.md, docs/stability.md "The chaotic class"),
  pinned on three of its sets: on C4 and C7 the predicted median lies within LARGE_STEP_END_FACTOR of
  the eta-jitter ensemble's median end while the fold end misses it by more than
  LARGE_STEP_CHAOTIC_MISS; on C2, the one held-out set whose jitter spread exceeds the factor, the
  ensemble is *not* inside the predicted 10-90% interval (part 2 of the registered criterion fails).
* The evaluation script's streams reproduce the development rows A1-A3 and B1-B2 of docs/stability.md.
"""

import dataclasses
import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

from checks.test_large_step import _gd_kept_time, _planted  # the same 2-D planted sets as the end-time tests
from checks.tolerances import (
    ESCAPE_QUANTILE_RTOL,
    ESCAPE_RATE_SIGMAS,
    LARGE_STEP_CHAOTIC_ETA_JITTER,
    LARGE_STEP_CHAOTIC_MISS,
    LARGE_STEP_END_FACTOR,
    LARGE_STEP_SAMPLES_PER_DECADE,
    scaled_error,
)
from numerics.cycle_measure import measure_cycle_end
from theory.large_step import predict_cycle
from theory.large_step_escape import escape_rate, escape_steps, predict_escape, survival_quantile
from theory.stability import augmented_features

ROOT = Path(__file__).resolve().parent.parent
_T_MAX = 2e5  # the registered reduced model: predict_cycle(t_max=2e5, max_evaluations=20000, start_steps=0)
_EVALUATIONS = 20_000
_JITTER_RUNS = 8


def _jitter_brackets(X, y, eta, fold_end):
    """The registered measurement: brackets of the end at eta (1 + j 1e-9), j = 0..7."""
    out = []
    for j in range(_JITTER_RUNS):
        r = measure_cycle_end(X, y, eta=eta * (1 + j * LARGE_STEP_CHAOTIC_ETA_JITTER), steps=int(1.5 * fold_end + 100),
                              per_decade=LARGE_STEP_SAMPLES_PER_DECADE)
        assert r.detected and not r.lasts, r.bracket
        out.append(r.bracket)
    return out


def _miss(t, lo, hi):
    return 1.0 if lo <= t <= hi else max(t / hi, lo / t)


# --- the survival function and the rate ------------------------------------------------------------


@pytest.mark.parametrize("kappa, level, t0", [(0.01, 0.5, 10.0), (0.25, 0.9, 0.0), (3e-5, 0.1, 1e3)])
def test_survival_quantile_of_a_constant_rate(kappa, level, t0):
    t = survival_quantile(np.array([t0]), np.array([kappa]), level, fallback=1e12)
    exact = t0 + math.log(1 / level) / kappa
    assert scaled_error(t, exact, rtol=ESCAPE_QUANTILE_RTOL) < 1


def test_survival_quantile_piecewise_and_fallback():
    t, kappa = np.array([0.0, 10.0, 20.0]), np.array([0.0, 0.05, 0.1])
    # int kappa over [10, 20] = 0.5 < log 2; the remaining log 2 - 0.5 at rate 0.1
    exact = 20.0 + (math.log(2) - 0.5) / 0.1
    assert scaled_error(survival_quantile(t, kappa, 0.5, 1e3), exact, rtol=ESCAPE_QUANTILE_RTOL) < 1
    assert survival_quantile(t, kappa, 0.5, 21.0) == 21.0  # the end comes first: the fallback
    assert survival_quantile(t, np.zeros(3), 0.9, 77.0) == 77.0  # no escape at all
    with pytest.raises(ValueError, match="level"):
        survival_quantile(t, kappa, 1.0, 1e3)


def test_escape_rate_recovers_an_exponential_rate():
    kappa, members, window, burn = 0.01, 4000, 250, 50
    esc = np.random.default_rng(0).geometric(1 - math.exp(-kappa), size=members)  # P(step > s) = e^{-kappa s}
    est = escape_rate(esc, members, window, burn)
    n_b, n_w = np.sum(esc > burn), np.sum(esc > window)
    p = n_w / n_b
    sigma = math.sqrt((1 - p) / (n_b * p)) / (window - burn)
    assert abs(est - kappa) <= ESCAPE_RATE_SIGMAS * sigma


def test_escape_rate_edge_cases():
    assert escape_rate(np.full(8, 3), 8, 100, 20) == math.log(16) / 20  # all gone in the burn-in
    assert escape_rate(np.r_[np.full(4, 3), np.full(4, 50)], 8, 100, 20) == math.log(8) / 80  # none at the end
    assert escape_rate(np.full(8, 101), 8, 100, 20) == 0.0  # nobody escapes
    with pytest.raises(ValueError, match="burn"):
        escape_rate(np.full(8, 3), 8, 100, 100)


# --- invariants -------------------------------------------------------------------------------------


def test_stable_cycle_does_not_escape_and_adds_nothing():
    """(81, 8, 0.021, 14, 15.2): a flip set of checks/test_large_step.py, 2-cycle stable throughout."""
    X, y, eta = _planted(81, 8, 0.021, 14, 15.2)
    pr = predict_cycle(X, y, eta=eta, t_max=_T_MAX, max_evaluations=_EVALUATIONS, start_steps=0)
    assert not pr.chaotic and pr.end_kind == "flip"
    k = int(np.searchsorted(pr.t, 100.0))
    assert pr.multiplier[k] < 1
    Z = augmented_features(X, y)
    esc = escape_steps(Z, pr.eta, pr.center[k], pr.delta[k], members=16, window=250, escape_fraction=1e-3, seed=0)
    assert np.all(esc > 250)
    again = escape_steps(Z, pr.eta, pr.center[k], pr.delta[k], members=16, window=250, escape_fraction=1e-3, seed=0)
    assert np.array_equal(esc, again)
    es = predict_escape(X, y, eta=eta, prediction=pr)
    assert not es.escaped and es.median == pr.end == es.early == es.late


def test_validation_messages():
    X, y, eta = _planted(20, 4, 0.05, 1, 20.0)
    with pytest.raises(ValueError, match="members"):
        predict_escape(X, y, eta=eta, members=1)
    with pytest.raises(ValueError, match="escape_fraction"):
        predict_escape(X, y, eta=eta, escape_fraction=-1.0)


# --- the held-out evaluation, pinned -----------------------------------------------------------------------


@pytest.mark.parametrize("n, k, gamma, seed, eta_lambda0", [
    (38, 21, 0.0524, 585, 62.97),  # C4: measured (647, 726], predicted 476, fold end 9708
    (69, 13, 0.0532, 385, 54.05),  # C7: measured (1939, 2178], predicted 2029, fold end 1.05e4
])
def test_escape_median_predicts_held_out_end(n, k, gamma, seed, eta_lambda0):
    X, y, eta = _planted(n, k, gamma, seed, eta_lambda0)
    pr = predict_cycle(X, y, eta=eta, t_max=_T_MAX, max_evaluations=_EVALUATIONS, start_steps=0)
    assert pr.chaotic and pr.end_kind == "fold" and not pr.short
    es = predict_escape(X, y, eta=eta, prediction=pr)
    br = _jitter_brackets(X, y, eta, pr.end)
    lo, hi = float(np.median([b[0] for b in br])), float(np.median([b[1] for b in br]))
    assert es.escaped
    assert _miss(es.median, lo, hi) <= LARGE_STEP_END_FACTOR, (es.median, lo, hi)
    assert _miss(pr.end, lo, hi) > LARGE_STEP_CHAOTIC_MISS  # the fold end alone is far off


def test_escape_interval_misses_held_out_random_end():
    """C2 (34, 6, 0.0761, 32, 28.88): lower ends 1178-1873 over the jitter; the median (1662) lies in the
    median bracket, but the interval [1595, 1823] is narrower than the ensemble: the run at j = 0 ends
    entirely before its 10% point. Part 2 of the registered criterion fails here (pinned failure)."""
    X, y, eta = _planted(34, 6, 0.0761, 32, 28.88)
    pr = predict_cycle(X, y, eta=eta, t_max=_T_MAX, max_evaluations=_EVALUATIONS, start_steps=0)
    assert pr.chaotic and not pr.short
    es = predict_escape(X, y, eta=eta, prediction=pr)
    br = _jitter_brackets(X, y, eta, pr.end)
    lows, highs = [b[0] for b in br], [b[1] for b in br]
    assert max(lows) / min(lows) > LARGE_STEP_END_FACTOR  # the end is a random escape time here
    lo, hi = float(np.median(lows)), float(np.median(highs))
    assert _miss(es.median, lo, hi) <= LARGE_STEP_END_FACTOR
    assert min(highs) < es.early  # a run that has ended before the predicted 10% point: not inside


def test_evaluation_streams_reproduce_the_development_rows():
    spec = importlib.util.spec_from_file_location("chaotic_escape_eval", ROOT / "scripts" / "chaotic_escape_eval.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    a = mod.draw(1)
    assert [next(a) for _ in range(3)] == [(53, 16, 0.0955, 34, 90.05), (23, 9, 0.0481, 311, 70.36),
                                           (33, 13, 0.0595, 85, 60.48)]  # A1, A2, A3
    b = mod.draw(2)
    assert [next(b) for _ in range(2)][1] == (84, 11, 0.0756, 600, 19.07)  # B1 (the first draw is not chaotic)


def test_forecast_reports_the_escape_median_as_end_and_accuracy_time():
    """theory.prediction.cycle_forecast (predict, stability) on a chaotic set, C7: the end it reports is the
    escape model's median on its own reduced model (horizon 1e8), within LARGE_STEP_END_FACTOR of one GD run's
    end; the 2-cycle's end stays as the upper bound; the train time is that median too (rule A,
    docs/stability-chaotic-times-prereg.md), within LARGE_STEP_END_FACTOR of the time from which GD keeps train
    accuracy 1, where the central path's own time (the negative control) lies outside that factor."""
    from lingrok.compare.large_step import cycle_json
    from numerics.simulation import simulate
    from theory.large_step import cycle_accuracy_times
    from theory.prediction import cycle_forecast

    X, y, eta = _planted(69, 13, 0.0532, 385, 54.05)
    fc = cycle_forecast(X, y, eta=eta)
    assert fc.reason is None and fc.model.chaotic and fc.escape is not None
    assert fc.end == predict_escape(X, y, eta=eta, prediction=fc.model).median
    assert fc.end < fc.model.end / LARGE_STEP_CHAOTIC_MISS  # the escape comes well before the 2-cycle's end
    r = measure_cycle_end(X, y, eta=eta, steps=int(1.5 * fc.model.end + 100), per_decade=LARGE_STEP_SAMPLES_PER_DECADE)
    assert _miss(fc.end, *r.bracket) <= LARGE_STEP_END_FACTOR, (fc.end, r.bracket)
    assert fc.train_times == {"either": fc.end, "both": fc.end}
    sim = simulate(X, y, eta=eta, steps=int(1.5 * fc.model.end + 100), per_decade=2 * LARGE_STEP_SAMPLES_PER_DECADE)
    kept = _gd_kept_time(np.asarray(sim.run.t), np.asarray(sim.accuracy["train"]))
    assert _miss(fc.train_times["either"], *kept) <= LARGE_STEP_END_FACTOR, (fc.train_times, kept)
    timed = dataclasses.replace(fc.model, delta=np.where((fc.model.t >= fc.end)[:, None], 0.0, fc.model.delta))
    central = cycle_accuracy_times(timed, X, y)["either"]
    assert _miss(central, *kept) > LARGE_STEP_END_FACTOR, (central, kept)
    end, detail = cycle_json(fc)
    assert end == fc.end == detail["escape"]["median"] and detail["model_end"] == fc.model.end
    assert "escape model" in detail["validity"]


@pytest.mark.slow
def test_paper_2d_seed21_escape_is_16x_early():
    """Pinned discrepancy at the paper's size (docs/stability-paper-size-prereg.md): paper-2d with seed 21 at
    eta = 1e-2 (N = 2000). The reduced model's 2-cycle period-doubles and the escape model predicts an escape
    at ~1.6e6 steps, but float64 GD keeps the cycle until ~2.6e7, at the 2-cycle's own end (2.7e7): the escape
    median is more than LARGE_STEP_CHAOTIC_MISS^2 early, the 2-cycle's end within LARGE_STEP_END_FACTOR. So
    cycle_forecast (predict, stability) does not apply the escape model above ESCAPE_MAX_POINTS points, the
    largest size it was tested on, and reports the 2-cycle's end as an upper bound."""
    from numerics.datasets import paper_2d_spec, planted_dataset
    from theory.prediction import ESCAPE_MAX_POINTS, cycle_forecast

    ds = planted_dataset(paper_2d_spec(21))
    X, y = np.array(ds.X), np.array(ds.y)
    assert X.shape[0] > ESCAPE_MAX_POINTS
    fc = cycle_forecast(X, y, eta=1e-2)
    assert fc.model.chaotic and fc.escape is None and fc.end == fc.model.end and "upper bound" in fc.validity
    esc = predict_escape(X, y, eta=1e-2, prediction=fc.model)
    r = measure_cycle_end(X, y, eta=1e-2, steps=int(1.5 * fc.model.end), per_decade=LARGE_STEP_SAMPLES_PER_DECADE)
    assert r.detected and not r.lasts
    assert r.bracket[0] > LARGE_STEP_CHAOTIC_MISS ** 2 * esc.median, (esc.median, r.bracket)
    assert _miss(fc.end, *r.bracket) <= LARGE_STEP_END_FACTOR, (fc.end, r.bracket)
