"""One pipeline (issue 12): theory.predict and numerics.simulate are the only ways to predict and to run.

The checks pin what used to differ between the old paths: the Theorem 4.6 numbers of `lingrok predict`
and of the reproduction (gamma of eq. (7) vs eq. (9), ||theta_tilde|| by hypot vs by norm), the
parity rule of the phase boundaries, the reduction in the predictions; and the properties the two
entry points promise (read-only values, regime switch, failures kept per part).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from checks.tolerances import PIPELINE_SHARPNESS_RTOL
from numerics.datasets import PlantedSpec, concentrated_test, planted_dataset
from numerics.engine import run_gd
from numerics.simulation import simulate
from theory.prediction import MAX_HORIZON, predict
from theory.stability import sharpness_at_init

from lingrok.commands.predict import predict as predict_command
from lingrok.compare.experiment import predict_times

SPEC = PlantedSpec(d=2, n_pos=20, n_neg=20, k_pos=4, k_neg=3, gamma=0.3, gap=0.3, seed=5)


@pytest.fixture(scope="module")
def small():
    ds = planted_dataset(SPEC)
    test = concentrated_test(SPEC, 200, alpha=10.0, seed=6)
    eta = 1.0 / sharpness_at_init(ds.X, ds.y, eta=1.0).lambda_max  # eta lambda_max(H(0)) = 1: stable
    return ds, test, eta


class _Loaded:  # what lingrok.inputs.load returns, as far as `predict` reads it
    def __init__(self, X, y, path):
        self.X, self.y, self.path, self.n, self.d = X, y, path, X.shape[0], X.shape[1]


def test_command_and_reproduction_report_the_same_theorem_4_6_numbers(small):
    """`lingrok predict` and the reproduction's record now come from one Prediction: equal bit for bit."""
    ds, test, eta = small
    report = predict_command(_Loaded(ds.X, ds.y, "train"), _Loaded(test.X, test.y, "test"), eta=eta, eps=1e-3,
                             alpha=10.0)
    rec = predict_times(ds.X, ds.y, {"concentrated": (test.X, test.y)}, eta=eta, eps_values=(1e-3,), alpha=10.0)
    headline, lower, upper = rec.thm46[1e-3]
    assert report["T_te_paper_bounds"]["B"] == rec.B
    assert (report["T_te_paper"], report["T_te_paper_bounds"]["lower"], report["T_te_paper_bounds"]["upper"]) == (
        headline, lower, upper)
    assert report["T_te_asymptotic"] == rec.asymptotic[("concentrated", 1e-3)]
    assert report["delta"] == rec.delta and report["b_inf"] == rec.b_inf


def test_prediction_is_read_only_and_says_which_theory_produced_each_time(small):
    ds, test, eta = small
    p = predict(ds.X, ds.y, eta=eta, test=(test.X, test.y))
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.eta = 1.0
    with pytest.raises(TypeError):
        p.failures["x"] = ValueError()
    assert p.regime == "stable" and p.cycle is None and not p.failures
    assert p.T_tr_predicted == p.phases.T_tr and p.T_te_predicted == p.phases.T_te
    assert p.predicted_by["T_te"].startswith("theory.phases (")
    assert p.horizon >= p.phases.T_te or p.phases.censored["T_te"]


def test_above_the_edge_of_stability_the_cycle_model_gives_the_times(small):
    ds, test, _ = small
    eta = 8.0 / sharpness_at_init(ds.X, ds.y, eta=1.0).lambda_max  # eta lambda_max(H(0)) = 8 > 2
    p = predict(ds.X, ds.y, eta=eta, test=(test.X, test.y))
    assert p.regime == "unstable"
    assert p.cycle is not None or "large_step" in p.failures
    if p.cycle is not None and p.cycle.train_times["either"] is not None:
        assert p.T_tr_predicted == p.cycle.train_times["either"]
        assert p.predicted_by["T_tr"].startswith("theory.large_step")


def test_mean_loss_predictions_are_the_summed_loss_at_eta_over_n(small):
    """The mean loss at eta is the summed loss at eta / N (the old reproduction path ignored the reduction)."""
    ds, test, eta = small
    n = ds.X.shape[0]
    mean = predict(ds.X, ds.y, eta=eta * n, reduction="mean", finite_time=False)
    summed = predict(ds.X, ds.y, eta=eta * n / n, finite_time=False)
    assert mean.eta_sum == summed.eta
    assert mean.residual.delta == summed.residual.delta
    assert mean.eta_lambda == pytest.approx(summed.eta_lambda, rel=PIPELINE_SHARPNESS_RTOL)


def test_a_horizon_beyond_exact_step_counts_is_a_stated_failure(small):
    ds, test, eta = small
    p = predict(ds.X, ds.y, eta=eta, test=(test.X, test.y), horizon=2 * MAX_HORIZON)
    assert p.phases is None and isinstance(p.failures["phases"], OverflowError)
    assert p.residual is not None  # the other parts stand


def test_simulation_is_the_engine_run_and_reads_phases_on_one_parity(small):
    ds, test, eta = small
    sim = simulate(ds.X, ds.y, eta=eta, steps=3000, test={"concentrated": (test.X, test.y)}, support=ds.sv_index)
    tr = run_gd(ds.X, ds.y, eta=eta, steps=3000, checkpoints=sim.t)
    assert np.array_equal(sim.w, tr.w) and np.array_equal(sim.b, tr.b)  # the same engine, the same arithmetic
    for boundary in (sim.phase_one_end, sim.phase_two_end):
        assert boundary.t is None or boundary.t % 2 == 0  # read on the even checkpoints of the pairs
    parities = {row.parity for row in sim.times}
    assert parities == {"even", "odd"}
    for row in sim.times:
        assert row.T_tr is None or row.T_tr % 2 == (0 if row.parity == "even" else 1)


def test_simulation_without_pairs_or_tests_reads_every_checkpoint(small):
    ds, _, eta = small
    sim = simulate(ds.X, ds.y, eta=eta, steps=500, parity=False, eps=(0.0, 0.01))
    assert {(row.test, row.parity) for row in sim.times} == {("train", "all")}
    for row in sim.times:
        assert row.T_te == row.T_tr  # with no test set the training set stands in
    assert math.isnan(sim.parity_gap_b)
    with pytest.raises(ValueError, match="`eps` must lie in"):
        simulate(ds.X, ds.y, eta=eta, steps=10, eps=(1.0,))


def test_batched_simulations_equal_single_ones(small):
    """simulate_batch (the ledger's stable sweep) measures each run exactly as simulate does."""
    from numerics.simulation import simulate_batch

    ds, test, eta = small
    other = planted_dataset(PlantedSpec(d=2, n_pos=20, n_neg=20, k_pos=3, k_neg=3, gamma=0.3, gap=0.3, seed=9))
    tests = [{"concentrated": (test.X, test.y)}] * 2
    sims = simulate_batch([ds.X, other.X], [ds.y, other.y], [eta, eta / 2], steps=2000, tests=tests,
                          supports=[ds.sv_index, other.sv_index])
    for sim, X, y, e, sv in zip(sims, (ds.X, other.X), (ds.y, other.y), (eta, eta / 2), (ds.sv_index, other.sv_index)):
        one = simulate(X, y, eta=e, steps=2000, test=tests[0], support=sv)
        assert np.array_equal(sim.w, one.w) and np.array_equal(sim.b, one.b)
        assert sim.times == one.times and sim.phase_two_end == one.phase_two_end
        assert np.array_equal(sim.accuracy["concentrated"], one.accuracy["concentrated"])
