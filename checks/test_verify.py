"""`lingrok verify` (lingrok.commands.verify) and the claim checks' verdict logic, at quick scale.

Fast tests use stub contexts, cheap pieces, and the whole quick ledger for two seeds (~20 s).
"""

import dataclasses
import json
import math
from types import SimpleNamespace

import numpy as np
import pytest

from checks.tolerances import PHASE_TIME_RTOL, VERIFY_STEADY_BIAS_ATOL
from lingrok.ledger import claims_common as claims_common
from lingrok.cli import main
from lingrok.ledger.records import CONDITIONAL, ERROR, FAILS, HOLDS, Claim, ev, finding
from lingrok.ledger.config import default_config, quick_config


def _fake_checks(raise_in=None):
    def ok_check(ctx):
        return finding(HOLDS, "fine: 1 = 1", {"x": ev(1.0, "counted", None, 0.5)})

    def cond_check(ctx):
        return finding(CONDITIONAL, "only small eta", {"y": ev(math.inf, "ratio")}, "eta small")

    def bad_check(ctx):
        raise RuntimeError("solver diverged")

    mk = lambda i: Claim(id=i, statement=f"s {i}", reference="eq. (1)", method="m", topic="t")  # noqa: E731
    checks = [(mk("a"), ok_check), (mk("b"), cond_check)]
    if raise_in:
        checks.insert(1, (mk(raise_in), bad_check))
    return tuple(checks)


@pytest.fixture
def fake_checks(monkeypatch):
    def use(raise_in=None):
        monkeypatch.setattr(claims_common, "all_checks", lambda: _fake_checks(raise_in))

    return use


def test_out_that_is_a_file_is_refused_with_exit_2(tmp_path, capsys):
    f = tmp_path / "ledger"
    f.write_text("not a directory")
    assert main(["verify", "--quick", "--out", str(f)]) == 2
    assert "is not a directory" in capsys.readouterr().err
    assert f.read_text() == "not a directory"


def test_negative_seed_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["verify", "--seed", "-1"])
    assert exc.value.code == 2


def test_a_raising_check_becomes_error_and_exit_1(tmp_path, capsys, fake_checks):
    fake_checks(raise_in="boom")
    out = tmp_path / "new" / "dir"
    assert main(["verify", "--quick", "--json", "--out", str(out)]) == 1
    cap = capsys.readouterr()
    assert cap.err == ""  # no progress messages under --json
    obj = json.loads(cap.out)
    assert [c["id"] for c in obj["claims"]] == ["a", "boom", "b"]
    verdicts = {c["id"]: c["verdict"] for c in obj["claims"]}
    assert verdicts == {"a": HOLDS, "boom": ERROR, "b": CONDITIONAL}
    boom = obj["claims"][1]
    assert boom["error"] == "RuntimeError: solver diverged"
    for key in ("id", "statement", "reference", "verdict", "evidence"):
        assert key in obj["claims"][0]
    assert obj["config"]["name"] == "quick" and obj["config"]["seed"] == 0
    on_disk = json.loads((out / "ledger.json").read_text())
    assert on_disk["claims"] == obj["claims"]
    md = (out / "ledger.md").read_text()
    assert "## boom" in md and "**Verdict: error.**" in md
    assert not list(out.glob(".*tmp*"))  # atomic writes leave no temporaries


def test_all_verdicts_computed_gives_exit_0_and_a_table(tmp_path, capsys, fake_checks):
    fake_checks()
    assert main(["verify", "--quick", "--seed", "5"]) == 0
    cap = capsys.readouterr()
    lines = cap.out.splitlines()
    assert any(line.startswith("a ") and HOLDS in line and "fine: 1 = 1" in line for line in lines)
    assert any(line.startswith("b ") and CONDITIONAL in line for line in lines)
    assert "seed 5" in cap.err and "[verify] checking a" in cap.err


def test_seed_shifts_every_dataset_seed():
    a, b = quick_config(0), quick_config(1)
    assert a.paper_spec.seed != b.paper_spec.seed
    assert a.stable_spec("S35-20").seed != b.stable_spec("S35-20").seed
    assert default_config(0).paper_spec.n == 2000 and default_config(0).paper_steps == 10_000_000
    with pytest.raises(ValueError, match="`key` must be one of"):
        a.stable_spec("nope")


# ---------------------------------------------------------------- verdicts follow the evidence


def _geometry_stub(gap, control_gap, b_s=0.0):
    ok = SimpleNamespace(status="optimal")
    good = SimpleNamespace(theorem_4_3_gap=gap, b_s=b_s, b_s_is_zero=abs(b_s) <= 1e-9, eq7=ok, eq9=ok)
    control = SimpleNamespace(theorem_4_3_gap=control_gap, b_s=-1.3, b_s_is_zero=False, eq7=ok, eq9=ok)
    return SimpleNamespace(geometry=lambda key: control if key.startswith("control") else good,
                           derivation_reports=lambda: {"thm4.3": (True, ())})


@pytest.mark.parametrize("gap, control_gap, verdict", [(1e-13, 0.1, HOLDS), (1e-6, 0.1, FAILS), (1e-13, 1e-8, FAILS)])
def test_thm4_3_verdict_follows_the_gaps(gap, control_gap, verdict):
    from lingrok.ledger.claims_geometry import check_thm4_3

    assert check_thm4_3(_geometry_stub(gap, control_gap)).verdict == verdict


def _kick_stub(factor):
    rows = [dict(eta=eta, k0=1e8, steps=10, rate_corrected=4e4, rate_paper=4e4 / eta * factor, rate_measured=3.9e4 / eta * factor
                 if factor != 1.0 else 3.9e4, n_fit=20, lambda_M=1e5, big_dev_corrected=0.01, big_dev_paper=0.9,
                 control_drift=1e-4, final_offset=1e-4, control_final_minus_b_inf=1e-4, b_inf=0.3, source="kick")
            for eta in (1e-3, 1e-4)]
    return SimpleNamespace(memo=lambda name, compute: rows)


def test_eq10_verdict_follows_the_measured_rate():
    from lingrok.ledger.claims_bias import check_ode

    # measured rate eta-independent and 1/eta below eq. (10)'s: fails; measured equal to it: holds
    assert check_ode(_kick_stub(1.0)).verdict == FAILS
    assert "1/eta" in check_ode(_kick_stub(1.0)).summary
    assert check_ode(_kick_stub(0.97)).verdict == HOLDS


def test_settled_time_and_monotonicity():
    from lingrok.ledger.claims_common import is_increasing, settled_time

    t = np.array([0, 1, 10, 100, 1000])
    assert settled_time(t, [0.0, 1.0, 0.5, 0.96, 0.97], 0.95) == 100
    assert settled_time(t, [0.0, 1.0, 0.5, 0.96, 0.90], 0.95) is None
    assert settled_time(t, [1.0] * 5, 0.95) == 0
    assert is_increasing([1, 2, None]) and not is_increasing([1, None, None]) and not is_increasing([2, 1])


@pytest.mark.parametrize("n_pos, n_neg", [(150, 50), (50, 150), (100, 100)])
def test_bias_steady_states_at_w0(n_pos, n_neg):
    """At w = 0 the logistic steady state is log(n+/n-), eq. (14)'s is half of it (derivation eq14-steady-state)."""
    from theory.phases import logistic_steady_bias
    from theory.phases import phase_one_steady_bias as eq14_steady_bias

    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_pos + n_neg, 2))
    y = np.r_[np.ones(n_pos), -np.ones(n_neg)]
    w = np.zeros(2)
    assert logistic_steady_bias(X, y, w) == pytest.approx(math.log(n_pos / n_neg), abs=VERIFY_STEADY_BIAS_ATOL)
    assert eq14_steady_bias(X, y, w) == pytest.approx(0.5 * math.log(n_pos / n_neg), abs=VERIFY_STEADY_BIAS_ATOL)


# ---------------------------------------------------------------- quick-scale pieces


def test_long_runs_resume_from_the_state_directory(tmp_path):
    from lingrok.ledger.context import VerifyContext

    cfg = dataclasses.replace(quick_config(0), small_paper_steps=3000)
    first = VerifyContext(cfg, state_dir=tmp_path / ".state").small_paper_run()
    files = list((tmp_path / ".state").glob("*.npz"))
    assert len(files) == 1
    again = VerifyContext(cfg, state_dir=tmp_path / ".state").small_paper_run()
    assert again.traj.wall_s == first.traj.wall_s  # loaded, not recomputed
    assert np.array_equal(again.traj.b, first.traj.b) and np.array_equal(again.traj.w, first.traj.w)
    assert VerifyContext(cfg).runs == {}  # provenance is recorded only for what was computed


def test_quick_verdicts_survive_an_independent_seed():
    """The whole quick ledger (~10 s a seed): no check raises, and the verdicts do not depend on the seed."""
    from lingrok.commands.verify import build_ledger

    l0 = build_ledger(quick_config(0))[0]
    l1 = build_ledger(quick_config(1))[0]
    assert l0.n_errors == 0 and l1.n_errors == 0
    assert l0.verdicts() == l1.verdicts()
    assert len(l0.entries) >= 20 and len(l0.runs) == len(l1.runs)


# ---------------------------------------------------------------- issue 13: phases, grokking time, eq. (14)


def test_compare_time_judges_only_within_the_stated_error_and_flags_censoring():
    from lingrok.ledger.claims_grokking import compare_time
    from lingrok.ledger.thresholds import PHASE_TIME_RTOL

    rt = dict(rtol=PHASE_TIME_RTOL)
    assert compare_time(100.0, 0.01, False, 110, False, 1000, **rt)["status"] == "agrees"
    assert compare_time(100.0, 0.01, False, 200, False, 1000, **rt)["status"] == "misses"
    # a stated error beyond the tolerance: no verdict either way, and the reason says why
    c = compare_time(100.0, 0.5, False, 200, False, 1000, **rt)
    assert c["status"] == "not judged" and "stated error" in c["why"]
    # both cut off by the horizon: flagged, no ratio judged
    c = compare_time(1000.0, 0.01, True, 1000, True, 1000, **rt)
    assert c["status"] == "censored" and c["pred_censored"] and c["meas_censored"]
    # one side censored: the other must reach the horizon within the tolerance, else a miss
    assert compare_time(1000.0, 0.01, True, 300, False, 1000, **rt)["status"] == "misses"
    assert compare_time(1000.0, 0.01, True, 950, False, 1000, **rt)["status"] == "agrees"
    # phase ends: a factor (2) plus one step of grid
    f = dict(factor=2.0)
    assert compare_time(10.0, 0.5, False, 19, False, 1000, **f)["status"] == "agrees"
    assert compare_time(10.0, 0.5, False, 30, False, 1000, **f)["status"] == "misses"
    assert compare_time(10.0, 1.5, False, 30, False, 1000, **f)["status"] == "not judged"


def _fake_rows(cmps):
    return {key: {"run": SimpleNamespace(key=f"gd:{key}", eta=0.01), "cmp": c} for key, c in cmps.items()}


def test_phase_and_grokking_time_verdicts_can_fail_and_say_why():
    from lingrok.ledger.claims_corrected import grokking_time_verdict
    from lingrok.ledger.claims_grokking import compare_time, phase_comparison_verdict

    good = {"T_te": compare_time(100.0, 0.01, False, 101, False, 10_000, rtol=PHASE_TIME_RTOL),
            "T_tr": compare_time(50.0, 0.01, False, 50, False, 10_000, rtol=PHASE_TIME_RTOL)}
    bad = {"T_te": compare_time(100.0, 0.01, False, 400, False, 10_000, rtol=PHASE_TIME_RTOL),
           "T_tr": compare_time(10_000.0, 0.01, True, 10_000, True, 10_000, rtol=PHASE_TIME_RTOL)}
    ok, text = phase_comparison_verdict(_fake_rows({"A": good}), ("T_tr", "T_te"))
    assert ok and "2 of 2" in text
    ok, text = phase_comparison_verdict(_fake_rows({"A": good, "B": bad}), ("T_tr", "T_te"))
    assert not ok and "misses: T_te B" in text and "400" in text and "censored: T_tr B" in text
    asym = [dict(key="A", measured=None, predicted=5.0, horizon=10_000)]
    verdict, summary = grokking_time_verdict(ok, text, asym, 58.0)
    assert verdict == FAILS and "misses" in summary and "not settled by 10000 (censored)" in summary
    # nothing judged (every stated error too large) is no evidence for the claim
    loose = {"T_te": compare_time(100.0, 0.9, False, 101, False, 10_000, rtol=PHASE_TIME_RTOL)}
    ok, text = phase_comparison_verdict(_fake_rows({"A": loose}), ("T_te",))
    assert not ok and "not judged" in text


def test_phases_verdict_fails_on_a_failed_prediction_even_if_the_paper_sub_checks_pass():
    from lingrok.ledger.claims_grokking import phases_verdict

    a = dict(t1=10, t2=100, order=True, rise=True, fall=True, slope_ok=True, dip=True, d1=0.1, d2=0.3, d_end=0.01,
             decline=0.05)
    res = {"stable X": a, "paper": a}
    assert phases_verdict(res, ["stable X"], True, "1 of 1 judged", 58.0)[0] == HOLDS
    verdict, summary, _ = phases_verdict(res, ["stable X"], False, "misses: phase2_end X", 58.0)
    assert verdict == FAILS and "misses: phase2_end X" in summary


def _eq14_fake_context(balanced_bias: float):
    """Stable runs whose bias sits on the logistic steady state (imbalanced sets) and at ``balanced_bias`` (balanced)."""
    from theory.phases import logistic_steady_bias

    rng = np.random.default_rng(0)
    t = np.arange(0, 4001, 2)
    direction = np.array([1.0, 0.3])

    def run(key, n_pos, n_neg, bias=None):
        X = np.vstack([rng.normal([1.0, 0.0], 0.5, (n_pos, 2)), rng.normal([-1.0, 0.0], 0.5, (n_neg, 2))])
        y = np.concatenate([np.ones(n_pos), -np.ones(n_neg)])
        w = np.outer(np.log1p(t / 100.0), direction)
        b = np.array([logistic_steady_bias(X, y, wk) for wk in w]) if bias is None else np.full(t.size, bias)
        return SimpleNamespace(key=f"gd:{key}", data=SimpleNamespace(X=X, y=y), traj=SimpleNamespace(t=t, w=w, b=b))

    runs = {"C150-50": run("C150-50", 150, 50), "C50-150": run("C50-150", 50, 150),
            "S35-35": run("S35-35", 100, 100, balanced_bias)}
    return SimpleNamespace(stable_runs=lambda: runs, derivation_reports=lambda: {"eq14-steady-state": (True, ())})


def test_eq14_balanced_class_condition_can_fail():
    from lingrok.ledger.claims_bias import check_eq14, eq14_balanced_atol

    tol = eq14_balanced_atol(100)
    # the imbalanced sets follow the logistic steady state (about 2x eq. (14)): the claim can at best hold under conditions
    held = check_eq14(_eq14_fake_context(0.0))
    assert held.verdict == CONDITIONAL and "balanced classes: max |b| = 0" in held.conditions and "x eq. (14)" in held.conditions
    # a balanced set whose bias sits well away from eq. (14)'s 0: the balanced condition fails, and so does the claim
    failed = check_eq14(_eq14_fake_context(4.0 * tol))
    assert failed.verdict == FAILS
    assert failed.evidence["max |b| vs eq.(14)'s 0 [S35-35, balanced]"].value == pytest.approx(4.0 * tol)


def test_censored_first_flags_a_supremum_reached_only_at_the_horizon():
    from lingrok.ledger.claims_common import censored_first

    t = np.array([0, 10, 100, 1000])
    assert censored_first(t, [0.5, 0.6, 0.7, 0.9], 0.0)
    assert not censored_first(t, [0.5, 0.9, 0.7, 0.9], 0.0)
    assert not censored_first(t, [0.5, 0.9, 0.9, 0.8], 0.0)


def test_phase_measurement_on_a_recorded_run_equals_a_fresh_one():
    """The ledger reuses its stable runs: rules on recorded checkpoints + rerun brackets = a fresh step-resolved run."""
    from numerics.datasets import PlantedSpec, concentrated_test, planted_dataset
    from numerics.engine import run_gd
    from numerics.schedule import log_schedule

    from numerics.phases import measure_phases, measure_phases_recorded
    from theory.prediction import predict

    spec = PlantedSpec(d=2, n_pos=20, n_neg=20, k_pos=6, k_neg=3, gamma=0.3, gap=0.3, seed=3)
    ds = planted_dataset(spec)
    test = concentrated_test(spec, 300, alpha=10.0, seed=4)
    from theory.stability import sharpness_at_init

    eta = 1.0 / sharpness_at_init(ds.X, ds.y, eta=1.0).lambda_max
    pc = predict(ds.X, ds.y, eta=eta, test=(test.X, test.y))
    support = pc.residual.support
    fresh = measure_phases(ds.X, ds.y, test.X, test.y, eta=eta, steps=pc.horizon, support=support)
    tr = run_gd(ds.X, ds.y, eta=eta, steps=pc.horizon, checkpoints=log_schedule(pc.horizon, 20))
    reused = measure_phases_recorded(ds.X, ds.y, test.X, test.y, tr.t, tr.w, tr.b, eta=eta, support=support)
    for name in ("phase1_end", "phase2_end", "T_tr", "T_te"):
        assert reused[name].step == fresh[name].step, name
        assert reused[name].censored == fresh[name].censored, name
