"""lingrok reproduce: the experiment runner, the array backends, tables, figures and the quick CLI run.

Checks against independent computations: accuracies from the runner against a plain NumPy GD
trajectory scored by hand; Theorem 4.6's headline on a mirror-symmetric data set (delta = 1
exactly, so T_te = 1); the "numpy" array backend against numerics.engine.naive_gd bit for bit;
Definition 3.4 read on each parity against a direct scan of the accuracy curve.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from numerics.array_engine import BackendUnavailable, array_gd, backend_available
from lingrok.cli import main
from lingrok.compare.experiment import run_experiment
from lingrok.reproduction.runs import PAPER_TABLE1, fig2_setups, fig4_setups, format_steps, table1_setups
from lingrok.reproduction.report import paper_value
from numerics.datasets import PlantedSpec, concentrated_test, planted_dataset, standard_test
from numerics.engine import naive_gd
from numerics.schedule import log_schedule

from checks.tolerances import REPRO_ACCURACY_SLACK, REPRO_PARITY_GAP_RATIO, SYMMETRIC_RESIDUAL_TOL


def _small(k_neg=5, seed=0, gamma=1e-2):
    spec = PlantedSpec(d=2, n_pos=20, n_neg=20, k_pos=7, k_neg=k_neg, gamma=gamma, seed=seed)
    ds = planted_dataset(spec)
    st, ct = standard_test(spec, 300, seed=seed), concentrated_test(spec, 300, seed=seed)
    return ds, {"standard": (st.X, st.y), "concentrated": (ct.X, ct.y)}


@pytest.fixture(scope="module")
def small_run():
    ds, tests = _small()
    res = run_experiment(ds.X, ds.y, tests, eta=0.05, steps=20000, support=ds.sv_index, per_decade=5,
                         pgd_test="standard", label="small")
    return ds, tests, res


def test_accuracies_match_an_independent_trajectory_scored_by_hand(small_run):
    ds, tests, res = small_run
    ref = naive_gd(ds.X, ds.y, eta=0.05, steps=20000, checkpoints=res.t)  # NumPy GD, other summation order
    assert np.array_equal(ref.t, res.t)
    # float rounding can flip a point whose margin is within ~1e-12 of 0; allow one point per set
    for name, (X, y) in [("train", (ds.X, ds.y)), *tests.items()]:
        by_hand = np.mean(y[None, :] * (ref.w @ X.T + ref.b[:, None]) > 0, axis=1)
        assert np.max(np.abs(by_hand - res.accuracy[name])) <= 1.0 / len(y), name


def test_times_follow_definition_3_4_on_each_parity(small_run):
    _, _, res = small_run
    for row in res.times:
        parity = 0 if row.parity == "even" else 1
        sel = res.t % 2 == parity
        t, train, test = res.t[sel], res.accuracy["train"][sel], res.accuracy[row.test][sel]
        for T, acc, sup in ((row.T_tr, train, row.sup_train), (row.T_te, test, row.sup_test)):
            assert sup == acc.max()
            first = t[np.flatnonzero(acc >= (1 - row.eps) * sup * (1 - 1e-12))[0]]
            assert T == first and T % 2 == parity
        if row.T_tr:
            assert row.zeta == row.T_te / row.T_tr


def test_fixed_level_times_are_first_crossings_and_predictions_are_ordered(small_run):
    _, _, res = small_run
    assert len(res.level_times) == 2 * 2  # two test sets x two parities at the default level 0.9
    for row in res.level_times:
        sel = res.t % 2 == (0 if row.parity == "even" else 1)
        t, acc = res.t[sel], res.accuracy[row.test][sel]
        hits = np.flatnonzero(acc >= row.level)
        assert row.T == (int(t[hits[0]]) if hits.size else None)
    pred = res.prediction
    for test in ("standard", "concentrated"):
        # a lower level is reached no later than (1 - eps) sup with eps = 0, i.e. the sup itself
        assert pred.asymptotic_level[(test, 0.9)] <= pred.asymptotic[(test, 0.0)]


def test_pgd_accuracy_never_exceeds_clean_accuracy(small_run):
    _, tests, res = small_run
    assert np.all(res.accuracy["pgd"] <= res.accuracy["standard"] + REPRO_ACCURACY_SLACK)
    assert res.pgd_test == "standard"


def test_period_two_is_visible_past_the_edge_of_stability_only():
    ds, tests = _small(k_neg=7, gamma=1e-3)
    gaps = {}
    for eta in (0.05, 0.002):
        res = run_experiment(ds.X, ds.y, tests, eta=eta, steps=20000, support=ds.sv_index, per_decade=5, predict=False)
        gaps[res.eta_sharpness > 2] = res.parity_gap_b
    assert set(gaps) == {True, False}  # one run past eta lambda_max = 2, one below
    assert gaps[True] > REPRO_PARITY_GAP_RATIO * gaps[False]


def test_theorem_4_6_headline_is_one_on_mirror_symmetric_data():
    # x -> -x with the label flipped: A_S^+ = A_S^- exactly, delta = 1, |log delta| = 0, T_te = e^0 = 1
    ds, _ = _small(k_neg=7)
    X = np.vstack([ds.X[ds.y > 0], -ds.X[ds.y > 0]])
    y = np.concatenate([np.ones(int(np.sum(ds.y > 0))), -np.ones(int(np.sum(ds.y > 0)))])
    res = run_experiment(X, y, {"train-as-test": (X, y)}, eta=0.01, steps=100, per_decade=2)
    pred = res.prediction
    assert abs(pred.b_hat) < SYMMETRIC_RESIDUAL_TOL and abs(math.log(pred.delta)) < SYMMETRIC_RESIDUAL_TOL
    assert pred.thm46[0.0][0] == pytest.approx(1.0, abs=SYMMETRIC_RESIDUAL_TOL)


def test_numpy_backend_equals_the_paper_loop_bit_for_bit():
    ds, _ = _small()
    ck = log_schedule(500, 5)
    ours = array_gd(ds.X, ds.y, eta=0.02, steps=500, checkpoints=ck, backend="numpy")
    ref = naive_gd(ds.X, ds.y, eta=0.02, steps=500, checkpoints=ck)
    assert np.array_equal(ours.w, ref.w) and np.array_equal(ours.b, ref.b)


def test_array_backend_resumes_an_interrupted_run_bit_for_bit(tmp_path, monkeypatch):
    import scipy.special

    ds, _ = _small()
    ck = log_schedule(400, 5)
    straight = array_gd(ds.X, ds.y, eta=0.02, steps=400, checkpoints=ck, backend="numpy")
    real, calls = scipy.special.expit, []

    def interrupted_expit(x):
        calls.append(1)
        if len(calls) > 137:
            raise KeyboardInterrupt
        return real(x)

    state = tmp_path / "state.npz"
    monkeypatch.setattr(scipy.special, "expit", interrupted_expit)
    with pytest.raises(KeyboardInterrupt):
        array_gd(ds.X, ds.y, eta=0.02, steps=400, checkpoints=ck, backend="numpy", state_path=state)
    monkeypatch.setattr(scipy.special, "expit", real)
    resumed = array_gd(ds.X, ds.y, eta=0.02, steps=400, checkpoints=ck, backend="numpy", state_path=state)
    assert np.array_equal(resumed.w, straight.w) and np.array_equal(resumed.b, straight.b)
    with pytest.raises(ValueError, match="different run"):
        array_gd(ds.X, ds.y, eta=0.03, steps=400, checkpoints=ck, backend="numpy", state_path=state)


@pytest.mark.parametrize("name", ["cupy", "torch"])
def test_missing_gpu_backends_fail_clearly(name, tmp_path, capsys):
    if backend_available(name):
        pytest.skip(f"{name} is installed here")
    ds, _ = _small()
    with pytest.raises(BackendUnavailable, match=name):
        array_gd(ds.X, ds.y, eta=0.01, steps=2, checkpoints=[0, 1, 2], backend=name)
    assert main(["reproduce", "table1", "--scale", "quick", "--backend", name, "--out", str(tmp_path)]) == 2
    assert "not installed" in capsys.readouterr().err


def test_run_experiment_rejects_bad_arguments():
    ds, tests = _small()
    with pytest.raises(ValueError, match="pgd_test"):
        run_experiment(ds.X, ds.y, tests, eta=0.01, steps=10, pgd_test="nope")
    with pytest.raises(ValueError, match="`eps` must lie in"):
        run_experiment(ds.X, ds.y, tests, eta=0.01, steps=10, eps_values=(1.5,))


# ---------------------------------------------------------------- setups and tables


def test_paper_scale_d2_is_exactly_the_papers_setting():
    d2, d1024 = table1_setups("paper")
    s = d2.spec
    assert (s.d, s.n_pos, s.n_neg, s.k_pos, s.k_neg, s.gamma, s.box) == (2, 1000, 1000, 350, 350, 1e-3, 5.0)
    assert (d2.eta, d2.steps, d2.n_test, d2.departures) == (1e-2, 10**7, 2000, "")
    assert d1024.spec.d == 1024 and d1024.departures  # the reduced d = 1024 run says how it departs
    assert d1024.spec.k_pos + d1024.spec.k_neg > 2 * 1024  # enough planted SVs to pin w_hat (Cover)
    for setups in (fig2_setups("paper"), fig4_setups("paper")):
        assert all(s.eta == 1e-2 and s.steps == 10**7 for s in setups)
    _, full = table1_setups("full")  # the paper's own d = 1024 size, for a GPU backend
    assert (full.spec.n, full.steps, full.n_test) == (10**6, 10**7, 10**6)


@pytest.mark.parametrize(
    "value, text", [(None, "-"), (0, "0"), (14, "14"), (1778280, "1.78e6"), (10**7, "1e7"), (math.inf, "inf")]
)
def test_format_steps(value, text):
    assert format_steps(value) == text


@pytest.mark.parametrize("text, value", [("5e5", 5e5), ("<= 10", 10.0), ("~1e6", 1e6), (">= 1.75e4", 1.75e4)])
def test_paper_cells_parse(text, value):
    assert paper_value(text) == value


def test_paper_table_is_as_printed():
    assert len(PAPER_TABLE1) == 6
    assert [(r.d, r.test, r.eps, r.T_te) for r in PAPER_TABLE1][1] == (2, "concentrated", 0.0, "7e6")


def test_figures_are_byte_identical_when_regenerated(small_run, tmp_path):
    from lingrok.reproduction.figures import run_figure

    _, _, res = small_run
    a = run_figure(res, tmp_path / "a", title="t", gamma=1e-2)
    b = run_figure(res, tmp_path / "b", title="t", gamma=1e-2)
    for pa, pb in zip(a, b):
        assert pa.read_bytes() == pb.read_bytes(), pa.suffix
    assert a[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and b"<svg" in a[1].read_bytes()[:2000]


def test_cli_quick_table1_writes_our_numbers_beside_the_papers(tmp_path, capsys):
    assert main(["reproduce", "table1", "--scale", "quick", "--out", str(tmp_path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    rows = summary["targets"]["table1"]["rows"]
    assert [(r["d"], r["test"], r["eps"]) for r in rows] == [(p.d, p.test, p.eps) for p in PAPER_TABLE1]
    for r in rows:
        assert r["paper"]["T_te"] and "method" in r
        for parity, rem in (("even", 0), ("odd", 1)):
            assert r[parity]["T_tr"] is None or r[parity]["T_tr"] % 2 == rem
    assert rows[0]["predicted"]["T_te_asymptotic"] > 1  # d = 2 has predictions, d = 1024 does not
    assert "predicted" not in rows[-1]
    table = (tmp_path / "table1.md").read_text()
    assert "7e6" in table and "How the numbers were obtained" in table
    for name in ("table1-d2.png", "table1-d2.svg", "table1-d1024.png", "table1-d1024.svg", "table1.json"):
        assert (tmp_path / name).stat().st_size > 0

    # the folder is its own staleness reference: results.json re-renders to the same pages
    check = ["reproduce", "table1", "--scale", "quick", "--out", str(tmp_path), "--check"]
    assert main(check) == 0
    assert "is up to date" in capsys.readouterr().out
    original = table
    (tmp_path / "table1.md").write_text(table.replace("7e6", "8e6"))
    assert main(check) == 1
    assert "differs: " in capsys.readouterr().err
    assert main(["reproduce", "table1", "--scale", "quick", "--out", str(tmp_path), "--from-results"]) == 0
    assert (tmp_path / "table1.md").read_text() == original
    assert main(check) == 0
    (tmp_path / "table1-extra.md").write_text("left over")
    assert main(check) == 1
    assert "stale (no longer generated)" in capsys.readouterr().err
    (tmp_path / "table1-extra.md").unlink()
    # numbers computed by other code: the recorded fingerprint of one module differs
    archive = json.loads((tmp_path / "results.json").read_text())
    archive["fingerprint"]["digest"] = "0" * 64
    archive["fingerprint"]["files"]["numerics.engine"] = "0" * 64
    (tmp_path / "results.json").write_text(json.dumps(archive))
    capsys.readouterr()
    assert main(check) == 1
    err = capsys.readouterr().err
    assert "code behind the numbers changed" in err and "numerics.engine" in err
    # another target or scale is a usage error for --from-results, a stale folder for --check
    assert main(["reproduce", "fig2", "--scale", "quick", "--out", str(tmp_path), "--check"]) == 1
    assert main(["reproduce", "fig2", "--scale", "quick", "--out", str(tmp_path), "--from-results"]) == 2
    assert main(["reproduce", "table1", "--scale", "quick", "--out", str(tmp_path / "none"), "--from-results"]) == 2


def test_archive_round_trips_every_field_exactly(small_run, tmp_path):
    import dataclasses

    from lingrok.reproduction.archive import load_archive, save_archive

    _, _, res = small_run
    setups = {s.key: s for s in fig2_setups("quick")}
    save_archive(tmp_path, {"target": "x", "results": {"small": res}, "setups": setups})
    back = load_archive(tmp_path)
    assert back["target"] == "x" and dict(back["setups"]) == setups
    got = back["results"]["small"]

    def same(a, b):
        if isinstance(a, np.ndarray):
            return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
        if dataclasses.is_dataclass(a):
            return type(a) is type(b) and all(same(getattr(a, f.name), getattr(b, f.name))
                                              for f in dataclasses.fields(a))
        if isinstance(a, (dict, type(res.accuracy))):
            return set(a) == set(b) and all(same(a[k], b[k]) for k in a)
        if isinstance(a, (tuple, list)):
            return len(a) == len(b) and all(same(x, z) for x, z in zip(a, b))
        if isinstance(a, float) and math.isnan(a):
            return isinstance(b, float) and math.isnan(b)
        return type(a) is type(b) and a == b

    assert same(res, got)
    assert res.prediction is not None and same(res.prediction, got.prediction)
    assert not same(res, dataclasses.replace(got, b=got.b + 1e-300 * 0 + np.where(got.t == got.t[-1], 1e-9, 0.0)))


@pytest.mark.slow
def test_cli_quick_all_writes_the_report(tmp_path):
    assert main(["reproduce", "all", "--scale", "quick", "--out", str(tmp_path)]) == 0
    report = (tmp_path / "README.md").read_text()
    for needle in ("## Table 1", "fig1.png", "fig2.png", "fig4.png", "What matches", "scale **quick**"):
        assert needle in report
