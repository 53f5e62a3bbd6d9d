"""`lingrok predict`: numbers on cases computed by hand, and its error paths.

The analytic case: d = 2, support vectors placed symmetrically on w_true^T x = +-gamma/2 (mirror
pairs s and -s along the boundary, and the point reflection x -> -x, y -> -y), population points
further out, also point-symmetric. By symmetry b_hat = 0, b_tilde = 0 and theta_tilde is parallel to
theta_hat: theta_tilde = kappa theta_hat with eta e^{-kappa} = alpha_s = ||theta_hat||^2 / |S|
(all alphas equal). A test point's decision value is (w_hat^T x)(log t + kappa), so every test point
is correct exactly when t > e^{-kappa} = 4 / (gamma^2 eta |S|): T_te (asymptotic) is the first integer
above that, for any test set. None of these numbers comes from the code under test.
"""

import json
import math

import numpy as np
import pytest
from checks.tolerances import CLI_HAND_QP_TOL, SYMMETRIC_RESIDUAL_TOL
from lingrok.cli import main
from numerics.datafiles import save_data

GAMMA, ETA = 0.1, 0.03  # t* = 4 / (gamma^2 eta |S|) = 1666.7, safely between integers
W_TRUE = np.array([1.0, 1.0]) / math.sqrt(2.0)
ALONG = np.array([1.0, -1.0]) / math.sqrt(2.0)


def symmetric_case():
    offsets = [-2.0, -0.5, 0.5, 2.0]
    sv_pos = [GAMMA / 2 * W_TRUE + s * ALONG for s in offsets]
    population = [0.8 * W_TRUE + 1.0 * ALONG, 1.5 * W_TRUE - 0.3 * ALONG, 0.4 * W_TRUE + 0.2 * ALONG]
    pos = sv_pos + population
    X = np.array(pos + [-p for p in pos])
    y = np.array([1.0] * len(pos) + [-1.0] * len(pos))
    support = sorted(list(range(4)) + list(range(len(pos), len(pos) + 4)))
    return X, y, support


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def symmetric_files(tmp_path):
    X, y, support = symmetric_case()
    train = save_data(tmp_path / "train.npz", X, y)
    u = np.array([0.06, 0.3, 0.9])
    Xt = np.concatenate([u[:, None] * W_TRUE + 0.7 * ALONG, -(u[:, None] * W_TRUE) - 0.1 * ALONG])
    test = save_data(tmp_path / "test.csv", Xt, np.array([1, 1, 1, -1, -1, -1]))
    return train, test, support


def test_predict_on_the_symmetric_case_matches_hand_computation(capsys, symmetric_files):
    train, test, support = symmetric_files
    code, out, err = run_cli(capsys, "predict", str(train), "--test", str(test), "--eta", str(ETA), "--json")
    assert code == 0, err
    r = json.loads(out)
    assert r["support"] == support
    np.testing.assert_allclose(r["w_hat"], 2 / GAMMA * W_TRUE, rtol=CLI_HAND_QP_TOL)
    assert abs(r["b_hat"]) < CLI_HAND_QP_TOL
    t_star = 4 / (GAMMA**2 * ETA * len(support))  # e^{-kappa}, see the module docstring
    kappa = -math.log(t_star)
    np.testing.assert_allclose(r["w_tilde"], kappa * 2 / GAMMA * W_TRUE, rtol=SYMMETRIC_RESIDUAL_TOL)
    tol = SYMMETRIC_RESIDUAL_TOL
    assert abs(r["b_tilde"]) < tol and abs(r["b_inf"]) < tol and abs(r["delta"] - 1) < tol
    assert r["T_te_asymptotic"] == math.floor(t_star) + 1
    assert r["T_te_paper"] == pytest.approx(1.0, abs=SYMMETRIC_RESIDUAL_TOL)  # |log delta| = 0: the headline of Thm 4.6 is e^0


def test_predict_human_output_names_the_quantities(capsys, symmetric_files):
    train, _, _ = symmetric_files
    code, out, _ = run_cli(capsys, "predict", str(train))
    assert code == 0 and "Theorem 4.6" in out and "b_inf" in out


def test_not_separable_is_exit_2(capsys, tmp_path):
    path = save_data(tmp_path / "xor.csv", np.array([[0, 0], [1, 1], [0, 1], [1, 0]]), np.array([1, 1, -1, -1]))
    code, out, err = run_cli(capsys, "predict", str(path))
    assert code == 2 and out == "" and "not linearly separable" in err and "Traceback" not in err


def test_assumption_3_1_violation_is_exit_3_with_the_bias_named(capsys, tmp_path):
    path = save_data(tmp_path / "v.csv", np.array([[0.0], [1.0], [3.0]]), np.array([1, 1, -1]))
    code, out, err = run_cli(capsys, "predict", str(path))
    assert code == 3 and out == ""
    assert "Assumption 3.1 violated: the max-margin bias (eq. 9) is 2, not 0" in err
    code, out, _ = run_cli(capsys, "predict", str(path), "--allow-violations", "--json")
    assert code == 0 and json.loads(out)["assumptions"]["violations"]


@pytest.mark.parametrize("flag, value, message", [("--eps", "1.5", "argument --eps: must be a finite number in [0, 1)"),
                                                   ("--alpha", "0.3", "--alpha must exceed")])
def test_out_of_range_flags_are_exit_2(capsys, symmetric_files, flag, value, message):
    train, _, _ = symmetric_files
    try:  # --eps is checked by the argument parser (SystemExit 2), --alpha by the command
        code = main(["predict", str(train), flag, value])
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and message in err


def test_missing_file_is_exit_2(capsys, tmp_path):
    code, _, err = run_cli(capsys, "predict", str(tmp_path / "nope.npz"))
    assert code == 2 and "no such file" in err


def test_large_steps_name_the_theory_behind_each_time(capsys, tmp_path):
    """Issue 14: above eta lambda_max(H(0)) = 2 the times come from theory.large_step's period-2 model where it
    gives them, and the output says so; in the stable regime from theory.phases."""
    from numerics.datasets import PlantedSpec, concentrated_test, planted_dataset

    spec = PlantedSpec(d=2, n_pos=30, n_neg=30, k_pos=8, k_neg=4, gamma=0.05, gap=0.05, seed=3)
    data = planted_dataset(spec)
    conc = concentrated_test(spec, 300, seed=4)
    train, test = save_data(tmp_path / "train.npz", data.X, data.y), save_data(tmp_path / "conc.npz", conc.X, conc.y)
    Z = np.hstack([data.X, np.ones((data.X.shape[0], 1))])
    lam = float(np.linalg.eigvalsh(Z.T @ Z / 4)[-1])
    for c, regime in ((0.5, "stable"), (8.0, "unstable")):
        code, out, _ = run_cli(capsys, "predict", str(train), "--test", str(test), "--eta", repr(c / lam), "--json")
        r = json.loads(out)
        assert code == 0 and r["regime"] == regime
        theory = "theory.phases" if regime == "stable" else "theory.large_step"
        assert r["predicted_by"]["T_tr"].startswith(theory) and r["predicted_by"]["T_te"].startswith(theory)
        assert r["T_tr_predicted"] > 0 and r["T_te_predicted"] > 0
        if regime == "unstable":
            assert r["large_step_prediction"]["t_test_predicted"]["either"] == r["T_te_predicted"]
