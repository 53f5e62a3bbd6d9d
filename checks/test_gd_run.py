"""numerics.runs: the one GD path of `lingrok verify`, `reproduce` and `sweep` (run, measure, describe).

* the exact engine ("numba") equals numerics.engine.reference_gd bit for bit on the run's own
  checkpoints, the "numpy" backend equals numerics.engine.naive_gd bit for bit, and the two agree
  within the float64 rounding bound of non-expansive GD (eta = 1/L);
* one step from w = 0, b = 0 equals the closed form eta s sum_i y_i (x_i, 1) / 2 (s = 1 or 1/N);
* a batched run equals the single runs; a run interrupted mid-way and resumed from its state file
  equals an uninterrupted one (both backends), and a finished state file is loaded, not recomputed;
* every measurement read by the callers (||w||, |b|/||w||, accuracies, summed loss, the non-SV
  share of the bias gradient) equals an independent NumPy recomputation on a tiny case;
* the provenance entry and the one-sentence summary that `lingrok verify` and `reproduce` publish.
"""

from __future__ import annotations

import numpy as np
import pytest
from numerics.datasets import PlantedSpec, planted_dataset, standard_test
from numerics.engine import naive_gd, reference_gd
from numerics.schedule import log_schedule
from scipy.special import expit

from checks.tolerances import (
    EXP_CONDITION_FACTOR,
    F64_GD_ROUNDING_FACTOR,
    FLOAT64_EPS,
    GDRUN_MARGIN_SIGN_FLOOR,
    LOSS_BOUND_SAFETY,
    MEASURE_SUM_RTOL,
    SUBNORMAL_ATOL,
    scaled_error,
)
from numerics.runs import GD_METHOD, checkpoint_steps, describe, measure, run, run_batch

STEPS, PER_DECADE = 300, 5


def tiny(seed=0, k_neg=2):
    """20 planted points in d = 2 (3 + k_neg support vectors) and 60 standard test points."""
    spec = PlantedSpec(d=2, n_pos=10, n_neg=10, k_pos=3, k_neg=k_neg, gamma=0.2, seed=seed)
    ds = planted_dataset(spec)
    st = standard_test(spec, 60, seed=seed + 1)
    return ds, (st.X, st.y)


def stable_eta(X) -> float:
    """1/L with L = lambda_max(Z^T Z) / 4 the smoothness of the summed loss: the GD map is non-expansive."""
    Z = np.hstack([X, np.ones((X.shape[0], 1))])
    return 4.0 / float(np.linalg.eigvalsh(Z.T @ Z)[-1])


@pytest.fixture(scope="module")
def data():
    ds, test = tiny()
    return ds, test, stable_eta(ds.X)


@pytest.fixture(scope="module")
def numba_run(data):
    ds, _, eta = data
    return run(ds.X, ds.y, eta=eta, steps=STEPS, per_decade=PER_DECADE)


# ---------------------------------------------------------------- the run itself


def test_run_records_its_schedule_and_starts_at_zero(numba_run, data):
    ds, _, eta = data
    gd = numba_run
    assert np.array_equal(gd.t, checkpoint_steps(STEPS, PER_DECADE, parity=True))
    assert gd.t[0] == 0 and gd.t[-1] == STEPS
    assert np.all(gd.w[0] == 0.0) and gd.b[0] == 0.0
    assert (gd.eta, gd.steps, gd.reduction, gd.engine, gd.routine) == (eta, STEPS, "sum", "numba", "run_gd")
    for arr in (gd.t, gd.w, gd.b):
        assert not arr.flags.writeable
    base = log_schedule(STEPS, PER_DECADE)  # parity pairs: every log-spaced checkpoint t < steps comes with t + 1
    assert set(base[base < STEPS] + 1) <= set(gd.t)


@pytest.mark.parametrize("backend, oracle", [("numba", reference_gd), ("numpy", naive_gd)])
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_each_backend_equals_its_reference_loop_bit_for_bit(data, backend, oracle, reduction):
    ds, _, eta = data
    gd = run(ds.X, ds.y, eta=eta, steps=STEPS, per_decade=PER_DECADE, reduction=reduction, backend=backend)
    ref = oracle(ds.X, ds.y, eta=eta, steps=STEPS, checkpoints=checkpoint_steps(STEPS, PER_DECADE), reduction=reduction)
    assert np.array_equal(gd.t, ref.t)
    assert np.array_equal(gd.w, ref.w) and np.array_equal(gd.b, ref.b)


def test_numba_and_numpy_backends_agree_within_the_rounding_bound(numba_run, data):
    """Non-expansive GD (eta = 1/L): each engine adds <= (N + d + 2) eps (||theta|| + eta sum ||z_i||)
    per step (tolerances.F64_GD_ROUNDING_FACTOR), and nothing amplifies it; two engines, twice that."""
    ds, _, eta = data
    n, d = ds.X.shape
    gd_np = run(ds.X, ds.y, eta=eta, steps=STEPS, per_decade=PER_DECADE, backend="numpy")
    assert gd_np.engine == "numpy" and gd_np.routine == "array_gd"
    th_a = np.column_stack([numba_run.w, numba_run.b])
    th_b = np.column_stack([gd_np.w, gd_np.b])
    z_sum = float(np.sum(np.sqrt(np.sum(ds.X**2, axis=1) + 1.0)))
    scale = np.max(np.linalg.norm(th_a, axis=1)) + eta * z_sum
    bound = 2 * F64_GD_ROUNDING_FACTOR * numba_run.t * (n + d + 2) * FLOAT64_EPS * scale
    diff = np.linalg.norm(th_a - th_b, axis=1)
    assert np.all(diff <= bound)
    assert diff.max() > 0  # different exp and summation order: they are two engines, not one


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_one_step_from_zero_is_the_closed_form(data, backend, reduction):
    """sigma(0) = 1/2: theta(1) = eta s sum_i y_i (x_i, 1) / 2, s = 1 (eq. (3)) or 1/N (mean)."""
    ds, _, eta = data
    n = ds.X.shape[0]
    gd = run(ds.X, ds.y, eta=eta, steps=1, per_decade=1, parity=False, reduction=reduction, backend=backend)
    assert gd.t.tolist() == [0, 1]
    s = 1.0 if reduction == "sum" else 1.0 / n
    Z = np.hstack([ds.X, np.ones((n, 1))])
    exact = 0.5 * eta * s * (ds.y[:, None] * Z).sum(axis=0)
    # recursive sum of N terms: |error| <= gamma_{N+2} eta s sum_i |z_i| / 2 (first order; x2 for the rest)
    atol = (LOSS_BOUND_SAFETY * (n + 2) * FLOAT64_EPS * 0.5  # tolerance-literal-ok: gamma_{N+2}, sigma(0) = 1/2
            * eta * s * np.abs(Z).sum(axis=0))
    assert np.all(np.abs(np.append(gd.w[1], gd.b[1]) - exact) <= atol)


def test_batched_runs_equal_single_runs(data):
    ds0, _, eta0 = data
    ds1, _ = tiny(seed=4, k_neg=3)
    etas = [eta0, stable_eta(ds1.X)]
    batch = run_batch([ds0.X, ds1.X], [ds0.y, ds1.y], etas, steps=STEPS, per_decade=PER_DECADE)
    for gd, ds, eta in zip(batch, (ds0, ds1), etas):
        single = run(ds.X, ds.y, eta=eta, steps=STEPS, per_decade=PER_DECADE)
        assert gd.routine == "run_gd_batch" and gd.eta == eta
        assert np.array_equal(gd.t, single.t) and np.array_equal(gd.w, single.w) and np.array_equal(gd.b, single.b)
    assert batch[0].elapsed_s == batch[1].elapsed_s  # one call: the batch's time


def _interrupt_numba(monkeypatch, after=1):
    """Make the numba engine's kernel call number ``after + 1`` raise KeyboardInterrupt (the first covers 256 steps)."""
    import numerics.engine_kernels as kernels

    real, calls = kernels.advance_run, []

    def interrupted(*args):
        calls.append(1)
        if len(calls) > after:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(kernels, "advance_run", interrupted)


def _interrupt_numpy(monkeypatch, after=137):
    """Make the numpy backend's sigmoid number ``after + 1`` (one per step) raise KeyboardInterrupt."""
    import scipy.special

    real, calls = scipy.special.expit, []

    def interrupted(x):
        calls.append(1)
        if len(calls) > after:
            raise KeyboardInterrupt
        return real(x)

    monkeypatch.setattr(scipy.special, "expit", interrupted)


@pytest.mark.parametrize("backend, interrupt", [("numba", _interrupt_numba), ("numpy", _interrupt_numpy)])
def test_an_interrupted_run_resumes_to_the_uninterrupted_one(tmp_path, monkeypatch, data, backend, interrupt):
    ds, _, eta = data
    steps = 2000
    kw = dict(eta=eta, steps=steps, per_decade=PER_DECADE, backend=backend)
    straight = run(ds.X, ds.y, **kw)
    state = tmp_path / f"{backend}.npz"
    with monkeypatch.context() as m:
        interrupt(m)
        with pytest.raises(KeyboardInterrupt):
            run(ds.X, ds.y, state_path=state, **kw)
    with np.load(state) as saved:
        assert 0 < int(saved["t"]) < steps  # a partial state was written
    resumed = run(ds.X, ds.y, state_path=state, **kw)
    assert np.array_equal(resumed.t, straight.t)
    assert np.array_equal(resumed.w, straight.w) and np.array_equal(resumed.b, straight.b)
    with monkeypatch.context() as m:
        interrupt(m, after=0)  # the finished state is loaded: not one step is taken again
        again = run(ds.X, ds.y, state_path=state, **kw)
    assert np.array_equal(again.w, resumed.w) and np.array_equal(again.b, resumed.b)
    with pytest.raises(ValueError, match="different run"):
        run(ds.X, ds.y, state_path=state, **{**kw, "eta": 2 * eta})


@pytest.mark.parametrize(
    "kwargs, match",
    [(dict(backend="fortran"), "`backend`"), (dict(eta=-0.1), "`eta`"), (dict(steps=-3), "`steps`"),
     (dict(per_decade=0), "`per_decade`"), (dict(reduction="max"), "`reduction`")],
)
def test_bad_arguments_are_named(data, kwargs, match):
    ds, _, eta = data
    args = dict(eta=eta, steps=10, per_decade=2) | kwargs
    with pytest.raises(ValueError, match=match):
        run(ds.X, ds.y, **args)


# ---------------------------------------------------------------- measurement


def test_measurements_equal_an_independent_recomputation(numba_run, data):
    ds, (Xt, yt), _ = data
    gd = numba_run
    sv = np.asarray(ds.sv_index)
    meas = measure(gd, ds.X, ds.y, tests={"standard": (Xt, yt)}, support=sv)
    assert np.array_equal(meas.t, gd.t)
    W, B = np.asarray(gd.w), np.asarray(gd.b)
    m_train = ds.y[None, :] * (W @ ds.X.T + B[:, None])  # (K, N)
    m_test = yt[None, :] * (W @ Xt.T + B[:, None])
    late = gd.t >= 1
    # no margin so close to 0 that its sign is decided by the summation order
    assert np.min(np.abs(m_train[late])) > GDRUN_MARGIN_SIGN_FLOOR and np.min(np.abs(m_test[late])) > GDRUN_MARGIN_SIGN_FLOOR
    assert np.array_equal(meas.train.n_correct, np.sum(m_train > 0, axis=1))
    assert np.array_equal(meas.test["standard"].n_correct, np.sum(m_test > 0, axis=1))
    assert np.array_equal(meas.test["standard"].accuracy, np.mean(m_test > 0, axis=1))
    # e^(-m) carries the margin's absolute error ~eps |m| as relative error (EXP_CONDITION_FACTOR)
    rtol = MEASURE_SUM_RTOL * EXP_CONDITION_FACTOR * max(1.0, float(np.max(np.abs(m_train))))
    assert scaled_error(meas.train.loss_sum, np.logaddexp(0.0, -m_train).sum(axis=1), rtol=rtol) < 1
    w_norm = np.sqrt(np.sum(W**2, axis=1))
    assert meas.w_norm[0] == 0.0 and np.isnan(meas.distance[0])  # w(0) = 0: no hyperplane
    assert scaled_error(meas.w_norm[late], w_norm[late], rtol=MEASURE_SUM_RTOL) < 1
    # b(1) = 0 exactly here (balanced classes): an exact zero compared absolutely
    distance = np.abs(B[late]) / w_norm[late]
    assert scaled_error(meas.distance[late], distance, rtol=MEASURE_SUM_RTOL, atol=SUBNORMAL_ATOL) < 1
    s = expit(-m_train)  # the bias-gradient weight of each point
    non_sv = np.ones(ds.X.shape[0], dtype=bool)
    non_sv[sv] = False
    share = s[:, non_sv].sum(axis=1) / s.sum(axis=1)
    assert share[0] == pytest.approx(non_sv.mean(), abs=FLOAT64_EPS)  # all weights 1/2 at w = 0, b = 0
    assert scaled_error(meas.nonsv_mass_share_b, share, rtol=rtol) < 1
    assert np.all(np.isnan(meas.angle))  # no w_hat given: NaN, not a guess


# ---------------------------------------------------------------- provenance


def test_provenance_entry_lists_the_run_in_the_published_order(numba_run):
    entry = describe(numba_run, data="data:tiny", eta_lambda=1.5, test_sets="standard, 60 points")
    assert list(entry) == ["method", "engine", "data", "eta", "reduction", "eta_lambda_max_H0", "steps",
                           "checkpoints", "precision", "test_sets", "wall_s"]
    assert entry["method"] == GD_METHOD and entry["engine"] == "numba run_gd"
    assert entry["checkpoints"] == "log-spaced, 5 per decade, each with the next step (both parities)"
    assert (entry["eta"], entry["steps"], entry["eta_lambda_max_H0"]) == (numba_run.eta, STEPS, 1.5)
    assert entry["wall_s"] == round(numba_run.elapsed_s, 2)
    assert list(describe(numba_run)) == ["method", "engine", "eta", "reduction", "steps", "checkpoints",
                                         "precision", "wall_s"]


def test_array_runs_are_not_described_as_the_exact_engine(data):
    ds, _, eta = data
    gd = run(ds.X, ds.y, eta=eta, steps=10, per_decade=2, parity=False, backend="numpy")
    entry = describe(gd)
    assert entry["engine"] == "numpy array_gd" and "naive_gd" in entry["method"] and entry["method"] != GD_METHOD
    assert entry["checkpoints"] == "log-spaced, 2 per decade"


def test_summary_sentence(data):
    """The sentence `lingrok reproduce` prints as each result's method (its wording is published)."""
    ds, _, _ = data
    gd = run(ds.X, ds.y, eta=0.02, steps=1000, per_decade=5)
    assert gd.summary == ("float64 full-batch GD on the summed logistic loss (eqs. 3-5), eta = 0.02, 1,000 steps from "
                          "w = 0, b = 0 (numba engine); 5 log-spaced checkpoints per decade, each paired with the next "
                          "step (both parities)")
    mean = run(ds.X, ds.y, eta=0.5, steps=10, per_decade=2, parity=False, reduction="mean")
    assert mean.summary == ("float64 full-batch GD on the mean logistic loss (eqs. 3-5), eta = 0.5, 10 steps from "
                            "w = 0, b = 0 (numba engine); 2 log-spaced checkpoints per decade")
