"""`lingrok data` and `lingrok simulate`: formats, exit codes, messages, and agreement with the plain GD loop."""

import json
import os
import re

import numpy as np
import pytest
from checks.tolerances import CLI_PLANTED_RTOL
from lingrok.cli import main
from numerics.datafiles import load_data, save_data
from numerics.engine import reference_gd


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def small_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    train, test = folder / "train.npz", folder / "conc.csv"
    assert main(["data", str(train), "--n-pos", "30", "--n-neg", "30", "--k-pos", "5", "--k-neg", "5",
                 "--gamma", "0.1", "--concentrated-test", str(test), "--n-test", "300", "--seed", "3"]) == 0
    return train, test


def test_data_files_honour_flags(small_files):
    train, test = small_files
    data = load_data(train)
    assert data.X.shape == (60, 2) and (data.y == 1).sum() == 30
    assert data.params["k_pos"] == 5 and data.params["gamma"] == 0.1
    sv = np.array(data.params["sv_index"])
    proj = data.X[sv] @ (np.ones(2) / np.sqrt(2))
    np.testing.assert_allclose(np.abs(proj), 0.05, rtol=CLI_PLANTED_RTOL)
    conc = load_data(test)
    u = np.abs(conc.X @ (np.ones(2) / np.sqrt(2)))
    assert conc.X.shape == (300, 2) and u.min() > 0.05 * (1 - CLI_PLANTED_RTOL) and u.max() <= 10 * 0.1 * (1 + CLI_PLANTED_RTOL)


def test_simulate_json_matches_plain_reference_loop(capsys, small_files):
    train, test = small_files
    code, out, err = run_cli(capsys, "simulate", str(train), "--test", str(test), "--steps", "1000", "--json")
    assert code == 0, err
    report = json.loads(out)
    ts = [c["t"] for c in report["checkpoints"]]
    assert {0, 1, 10, 100, 1000} <= set(ts) and ts[-1] == 1000 and ts == sorted(ts)
    data = load_data(train)
    ref = reference_gd(data.X, data.y, eta=0.01, steps=1000, checkpoints=[1, 10, 100, 1000])
    by_t = {c["t"]: c for c in report["checkpoints"]}
    for k, t in enumerate(ref.t):
        assert by_t[int(t)]["w"] == [float(v) for v in ref.w[k]]  # bit for bit (JSON floats round-trip)
        assert by_t[int(t)]["b"] == float(ref.b[k])
    assert {"T_tr", "T_te", "zeta"} <= set(report)
    assert all("test_acc" in c and "train_acc" in c for c in report["checkpoints"])


def test_simulate_without_test_reports_null_test_times(capsys, small_files):
    train, _ = small_files
    code, out, _ = run_cli(capsys, "simulate", str(train), "--steps", "50", "--json")
    report = json.loads(out)
    assert code == 0 and report["T_te"] is None and report["zeta"] is None
    assert all("test_acc" not in c for c in report["checkpoints"])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: None, "no such file"),
        (lambda p: p.write_text("not an archive"), "not a readable .npz"),
        (lambda p: save_data(p, np.array([[0.0, np.nan], [1.0, 1.0]]), np.array([1, -1])), "NaN or inf"),
        (lambda p: save_data(p, np.array([[0.0, 1.0], [1.0, 1.0]]), np.array([2, -1])), "labels must be -1/\\+1"),
        (lambda p: save_data(p, np.array([[0.0, 1.0], [1.0, 1.0]]), np.array([1, 1])), "only one class"),
    ],
    ids=["missing", "garbage", "nan", "labels", "one-class"],
)
def test_simulate_rejects_unusable_input_with_exit_2(capsys, tmp_path, make, message):
    path = tmp_path / "bad.npz"
    make(path)
    code, out, err = run_cli(capsys, "simulate", str(path), "--steps", "10")
    assert code == 2 and out == ""
    assert re.search(message, err), err
    assert "Traceback" not in err


def test_csv_with_zero_one_labels_is_read_as_minus_one_plus_one(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,label\n1,2,1\n-1,-2,0\n")
    data = load_data(path)
    np.testing.assert_array_equal(data.y, [1.0, -1.0])


def test_data_rejects_bad_parameters_and_writes_nothing(capsys, tmp_path):
    out_file = tmp_path / "t.npz"
    code, _, err = run_cli(capsys, "data", str(out_file), "--n-pos", "10", "--k-pos", "20")
    assert code == 2 and "--k-pos" in err and not out_file.exists()
    assert os.listdir(tmp_path) == []


def test_test_set_of_other_dimension_is_rejected(capsys, tmp_path, small_files):
    train, _ = small_files
    other = tmp_path / "o.npz"
    save_data(other, np.zeros((4, 3)) + np.arange(4)[:, None], np.array([1, -1, 1, -1]))
    code, _, err = run_cli(capsys, "simulate", str(train), "--test", str(other), "--steps", "5")
    assert code == 2 and "3 features" in err


def test_simulate_pairs_with_theory_on_separable_data(capsys, small_files):
    train, _ = small_files
    code, out, _ = run_cli(capsys, "simulate", str(train), "--steps", "2000", "--eta", "0.001", "--json")
    r = json.loads(out)
    assert code == 0 and r["phases"] is not None
    assert r["phases"]["support"] == sorted(load_data(train).params["sv_index"])
    last = r["checkpoints"][-1]
    # w turns toward w_hat = (2/gamma) w_true: the angle shrinks from its first measured value
    first = next(c for c in r["checkpoints"] if c["angle_to_w_hat"] is not None)
    assert last["angle_to_w_hat"] < first["angle_to_w_hat"]
    assert 0.0 <= last["nonsv_share_bias_grad"] <= 1.0


def test_simulate_on_non_separable_data_has_no_phases(capsys, tmp_path):
    path = save_data(tmp_path / "xor.csv", np.array([[0, 0], [1, 1], [0, 1], [1, 0]]), np.array([1, 1, -1, -1]))
    code, out, _ = run_cli(capsys, "simulate", str(path), "--steps", "10", "--json")
    r = json.loads(out)
    assert code == 0 and r["phases"] is None and "not linearly separable" in r["phases_unavailable"]
