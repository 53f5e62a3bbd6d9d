"""`lingrok stability`: its numbers against independent computations, and its error paths.

Test problem: planted 2-D data built to be unstable early and stable late (k support vectors per
class evenly spread along the boundary w_true^T x = +-gamma/2, population further out), so that
eta lambda_max(H(0)) > 2 while the late-time edge of stability t_EoS is a few thousand steps; and
the same data at a step size that is stable from the start.

Independent oracles: the Hessian at 0 by finite differences of the logistic gradient; the period-2
oscillation re-measured with numerics.highprec's float64 engine (not the engine the command uses);
the gradient flow with Radau (the command uses LSODA); the double-double reference rerun directly.
"""

import contextlib
import io
import json
import math

import numpy as np
import pytest
from lingrok.cli import main
from numerics.datafiles import load_data, save_data
from numerics.highprec import run_gd_dd, run_gd_float64

from checks.tolerances import (
    EOS_FREE_R,
    GDF_FLOW_SOLVERS_RTOL,
    GEO_PLANTED_RTOL,
    STABCMD_FD_RTOL,
    STABCMD_JSON_ATOL,
    STABCMD_REL_DIFF_ATOL,
    STABCMD_REL_DIFF_RTOL,
)

U = np.array([1.0, 1.0]) / np.sqrt(2)  # w_true at d = 2
V = np.array([-1.0, 1.0]) / np.sqrt(2)  # along the decision boundary
GAMMA, ETA_EOS, ETA_STABLE = 0.1, 0.03, 0.003


def planted_eos(gamma=GAMMA, k=15, n_pop=5, seed=0):
    """k SVs per class on y w_true^T x = gamma/2 at s in [-6, 6] (class -1 shifted by 1/2 along the
    boundary, so the SV sets are not mirror images), n_pop points per class at 0.5 + gamma/2 <= |w_true^T x| <= 4."""
    rng = np.random.default_rng(seed)
    X = [gamma / 2 * U + s * V for s in np.linspace(-6.0, 6.0, k)]
    X += [-gamma / 2 * U + s * V for s in np.linspace(-5.5, 6.5, k)]
    y = [1.0] * k + [-1.0] * k
    for cls in (1.0, -1.0):
        for c, s in zip(rng.uniform(gamma / 2 + 0.5, 4.0, n_pop), rng.uniform(-5.0, 5.0, n_pop)):
            X.append(cls * c * U + s * V)
            y.append(cls)
    return np.array(X), np.array(y)


def hessian_at_zero_fd(X, y, h=1e-6):
    """Hessian of the summed logistic loss (eq. (3)) at theta = 0 by central differences of its gradient."""
    Z = y[:, None] * np.hstack([X, np.ones((len(y), 1))])

    def grad(th):
        return -(Z * np.exp(-np.logaddexp(0.0, Z @ th))[:, None]).sum(axis=0)  # l'(m) = -sigma(-m)

    p = Z.shape[1]
    H = np.column_stack([(grad(h * e) - grad(-h * e)) / (2 * h) for e in np.eye(p)])
    return (H + H.T) / 2


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def eos_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stability")
    path = save_data(folder / "train.csv", *planted_eos())
    data = load_data(path)  # the numbers as the command reads them back from the CSV text
    return path, data.X, data.y


def _json_run(capsys, *argv):
    code, out, err = run_cli(capsys, "stability", *argv, "--json")
    assert code == 0, err
    assert err == ""  # no progress on stderr under --json
    return json.loads(out)


@pytest.fixture(scope="module")
def eos_json(eos_files):
    """One --json run past the edge of stability (4500 steps, about 2.5 times the logistic t_EoS ~ 1750)."""
    path, X, y = eos_files
    buf, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
        code = main(["stability", str(path), "--eta", str(ETA_EOS), "--steps", "4500", "--reference-steps", "2000",
                     "--etas", f"{ETA_EOS},{ETA_STABLE}", "--json"])
    assert code == 0, err.getvalue()
    assert err.getvalue() == ""  # no progress on stderr under --json
    return json.loads(buf.getvalue()), X, y


def test_sharpness0_is_eta_times_the_top_hessian_eigenvalue_at_zero(eos_json):
    r, X, y = eos_json
    lam = np.linalg.eigvalsh(hessian_at_zero_fd(X, y))[-1]
    assert r["sharpness0"] == pytest.approx(ETA_EOS * lam, rel=STABCMD_FD_RTOL)
    assert r["sharpness0"] > 2 and r["sharpness0_detail"]["unstable"]
    assert r["sharpness0_detail"]["eta_critical"] == pytest.approx(2 / lam, rel=STABCMD_FD_RTOL)


def test_oscillation_ends_before_the_predicted_edge_of_stability(eos_json):
    """t_EoS against simulation: the measured end lies within EOS_FREE_R of the logistic t_EoS and before t_EoS."""
    r, X, y = eos_json
    T_log, T = r["t_eos_logistic"], r["t_eos_predicted"]
    assert 0 < T_log < T and r["t_eos_reason"] is None
    end = r["oscillation_end"]
    lo, hi = r["oscillation"]["end_bracket"]
    assert end is not None and hi == end and r["oscillation"]["detected"]
    assert (1 - EOS_FREE_R) * T_log <= lo < end <= (1 + EOS_FREE_R) * T_log
    assert end < T
    assert r["t_eos_detail"]["boundary_fraction"] > 0.9  # SVs spread along the boundary: its soft direction


def test_oscillation_bracket_agrees_with_an_independent_engine(eos_json):
    """Re-measure with numerics.highprec's float64 engine: theta alternates around the bracket's start
    (three successive differences of one component alternate), and no longer at its end."""
    r, X, y = eos_json
    lo, hi = r["oscillation"]["end_bracket"]
    steps = np.array([lo + k for k in range(4)] + [hi + k for k in range(4)])
    run = run_gd_float64(X, y, eta=ETA_EOS, checkpoints=steps)
    v = np.concatenate([run.w, run.b[:, None]], axis=1).reshape(2, 4, 3)
    d = np.diff(v, axis=1)  # (2, 3, 3): three first differences per component
    period2 = (d[:, 0] * d[:, 1] < 0) & (d[:, 1] * d[:, 2] < 0) & (np.abs(d[:, 1] - d[:, 0]) / 4 > 1e-9)
    assert period2[0].any() and not period2[1].any()


def test_gd_vs_flow_table_uses_the_flow_at_equal_flow_time(eos_json):
    r, X, y = eos_json
    from numerics.flow import logistic_flow

    g = r["gd_vs_flow"]
    t = np.array([row["t"] for row in g["rows"]])
    assert np.all(np.diff(t) > 0) and t[0] == 1 and t[-1] == r["steps"]
    radau = logistic_flow(X, y, np.stack([t, t + 1], axis=1).ravel(), ETA_EOS, method="Radau")
    b_radau = radau.b.reshape(-1, 2)
    b_table = np.array([row["b_flow"] for row in g["rows"]])
    assert np.max(np.abs(b_table - b_radau)) <= GDF_FLOW_SOLVERS_RTOL * max(1.0, np.abs(b_radau).max())
    for row in g["rows"]:
        assert row["tau"] == pytest.approx(ETA_EOS * row["t"])
        b_abs = max(abs(a - f) for a, f in zip(row["b_gd"], row["b_flow"]))
        assert row["b_abs"] == pytest.approx(b_abs, abs=STABCMD_JSON_ATOL)


def test_float64_vs_reference_table_matches_a_direct_rerun(eos_json):
    r, X, y = eos_json
    table = r["float64_vs_reference"]
    t = [row["t"] for row in table]
    assert t[-1] == r["precision_horizon_detail"]["reference_steps"] == 2000
    f64 = run_gd_float64(X, y, eta=ETA_EOS, checkpoints=t)
    dd = run_gd_dd(X, y, eta=ETA_EOS, checkpoints=t)
    dw = (f64.w_hi - dd.w_hi) - dd.w_lo  # differences far below one ulp: keep the reference's low part
    db = (f64.b_hi - dd.b_hi) - dd.b_lo
    rel = np.sqrt(np.sum(dw**2, axis=1) + db**2) / np.sqrt(np.sum(dd.w**2, axis=1) + dd.b**2)
    np.testing.assert_allclose([row["rel_diff"] for row in table], rel, rtol=STABCMD_REL_DIFF_RTOL, atol=STABCMD_REL_DIFF_ATOL)
    rtol = r["precision_horizon_detail"]["rtol"]
    h = r["precision_horizon"]
    if r["precision_horizon_detail"]["all_agree"]:
        assert h == 2000 and all(x <= rtol for x in rel)
    else:
        assert all(x <= rtol for x, tt in zip(rel, t) if tt <= h)


def test_scan_contrasts_the_unstable_and_the_stable_step_size(eos_json):
    """Below 2 / lambda_max(H(0)) GD stays within O(eta) of the flow; above it, it does not."""
    r, X, y = eos_json
    rows = {row["eta"]: row for row in r["eta_scan"]["rows"]}
    unstable, stable = rows[ETA_EOS], rows[ETA_STABLE]
    assert unstable["eta_sharpness0"] > 2 > stable["eta_sharpness0"]
    assert stable["steps"] == math.ceil(ETA_EOS * 4500 / ETA_STABLE)
    assert stable["max_theta_rel"] < 0.1 * unstable["max_theta_rel"]
    assert r["eta_scan"]["eq11_constants"]["rate"] == pytest.approx(4 / GAMMA**2, rel=GEO_PLANTED_RTOL)  # ||w_hat||^2, b_hat = 0


def test_stable_step_size_reports_no_oscillation(capsys, eos_files):
    path, X, y = eos_files
    r = _json_run(capsys, path, "--eta", ETA_STABLE, "--steps", 3000, "--reference-steps", 1000, "--etas", "none")
    assert r["sharpness0"] < 2 and not r["oscillation"]["detected"]
    assert r["oscillation_end"] == r["oscillation"]["end_bracket"][1]  # "no oscillation from the first sample on"
    assert r["t_eos_logistic"] == 0.0  # the asymptote is never unstable at this eta
    assert r["eta_scan"] is None
    assert r["precision_horizon"] == 1000 and r["precision_horizon_detail"]["lower_bound"]


def test_oscillation_lasting_the_whole_run_gives_null(capsys, eos_files):
    path, X, y = eos_files
    r = _json_run(capsys, path, "--eta", ETA_EOS, "--steps", 500, "--reference-steps", 100, "--etas", "none")
    assert r["oscillation_end"] is None and r["oscillation"]["end_bracket"][1] is None
    assert r["steps"] < r["t_eos_logistic"]


def test_non_separable_data_report_null_t_eos_with_a_reason(capsys, tmp_path):
    X, y = planted_eos(k=4, n_pop=3)
    X, y = np.vstack([X, X[:1]]), np.r_[y, -y[0]]  # the same point with both labels
    path = save_data(tmp_path / "overlap.npz", X, y)
    r = _json_run(capsys, path, "--eta", 0.01, "--steps", 300, "--reference-steps", 100, "--etas", "0.01")
    assert r["t_eos_predicted"] is None and r["t_eos_logistic"] is None
    assert "separable" in r["t_eos_reason"]
    assert r["sharpness0"] > 0 and r["gd_vs_flow"]["rows"]
    assert "separable" in r["eta_scan"]["eq11_unavailable"]


def test_human_output_and_progress(capsys, eos_files):
    path, X, y = eos_files
    code, out, err = run_cli(capsys, "stability", path, "--eta", ETA_EOS, "--steps", 300, "--reference-steps", 100,
                             "--etas", "none")
    assert code == 0
    assert "eta lambda_max(H(0))" in out and "t_EoS" in out and "GD vs gradient flow" in out
    assert "lingrok stability:" in err  # progress goes to stderr


@pytest.mark.parametrize(
    "argv, message",
    [
        (["missing.npz"], "DATA"),
        (["{train}", "--steps", "100", "--reference-steps", "200"], "--reference-steps"),
        (["{train}", "--test", "{bad_test}"], "features"),
        (["{train}", "--atol", "0", "--rtol", "0"], "--atol"),
    ],
)
def test_usage_errors_exit_2(capsys, tmp_path, eos_files, argv, message):
    path, X, y = eos_files
    bad_test = save_data(tmp_path / "t3.npz", np.ones((2, 3)), np.array([1.0, -1.0]))
    argv = [a.format(train=path, bad_test=bad_test) for a in argv]
    code, out, err = run_cli(capsys, "stability", *argv)
    assert code == 2 and message in err and "Traceback" not in err


def test_bad_eta_list_is_rejected_by_the_parser(capsys, eos_files):
    path, X, y = eos_files
    with pytest.raises(SystemExit) as exc:
        main(["stability", str(path), "--etas", "0.1,-2"])
    assert exc.value.code == 2
    assert "positive" in capsys.readouterr().err
