"""Fuzzing every `lingrok` command's flags and input files: no input reaches a traceback (issue 11).

Every case runs ``lingrok.cli.main(argv)`` in-process and must

* end with exit code 0, 2 or 3 (argparse's usage errors exit 2 through SystemExit; `--check`
  of `reproduce` and `docs` may also answer 1, "stale", as README documents);
* print no traceback, and on a non-zero exit print one error line that names the problem and
  (after a ';') the fix;
* leave no partial output: an output path either does not exist afterwards (or is unchanged when
  it existed before), or, on exit 0, holds a complete, readable file; no temporary file is left
  beside it.

Expensive commands are fuzzed on their validation path only: counts are drawn either small
(cheap runs) or out of range (rejected before any work); `verify`, `reproduce`, `sweep` and `docs`
get inputs that must be rejected before work starts (or `sweep --list`, which runs nothing).

Strategies: ``reasonable_*`` draw inputs a user could mean; ``adversarial_*`` draw float64's
extremes, huge integers written as digits, non-numbers, empty strings and malformed files.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from lingrok.cli import MAX_STEPS, main
from numerics.datafiles import load_data, save_data

from checks.tolerances import FUZZ_CHEAP_STEPS, FUZZ_CLI_EXAMPLES, FUZZ_HUGE_EXPONENTS, FUZZ_TINY_EXPONENTS

OK_CODES = (0, 2, 3)
# The loaded profile (checks/conftest.py: "ci" derandomised, or "fuzz"), with at least FUZZ_CLI_EXAMPLES
# examples per test: each example takes milliseconds, so "ci"'s 30 would leave most of the budget unused.
FUZZ = settings(max_examples=max(FUZZ_CLI_EXAMPLES, settings.default.max_examples))

# ---------------------------------------------------------------- running one command


def _snapshot(path: Path):
    return path.read_bytes() if path.is_file() else None


def _temp_leftovers(folder: Path, before: set) -> set:
    """Hidden files in ``folder`` not in ``before``: every atomic writer names its temporary file '.NAME...'."""
    if not folder.is_dir():
        return set()
    return {p.name for p in folder.iterdir() if p.name.startswith(".")} - before


def invoke(argv, *, outputs=(), allowed=OK_CODES, valid=None):
    """Run ``lingrok ARGV`` in-process; check exit code, stderr and outputs; return (code, stdout, stderr).

    ``outputs``: paths the command may write. ``valid(path)``: raises unless a written file is complete.
    """
    argv = [str(a) for a in argv]
    outputs = [Path(p) for p in outputs]
    before = {p: _snapshot(p) for p in outputs}
    hidden = {p: _temp_leftovers(p.parent, set()) for p in outputs}
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse: usage errors exit 2
            code = exc.code
    text = err.getvalue()
    assert code in allowed, f"lingrok {' '.join(argv)} exited {code}: {text[-2000:]}"
    assert "Traceback" not in text, text
    if code == 1:  # `--check`: "stale", with the reason
        assert text.strip(), f"exit 1 without a message: {argv}"
    elif code != 0:
        last = [line for line in text.splitlines() if "error" in line]
        assert last, f"exit {code} without an error message: {text!r}"
        assert ";" in last[-1] or "argument" in last[-1], f"the message names no fix: {last[-1]!r}"
    for path in outputs:
        assert not _temp_leftovers(path.parent, hidden[path]), f"temporary files left beside {path}"
        if code == 0 and valid is not None and path.exists():
            valid(path)
        elif code != 0:
            assert _snapshot(path) == before[path], f"{path} was written although the command failed (exit {code})"
    return code, out.getvalue(), text


def strict_json(text: str):
    """json.loads that refuses NaN and Infinity (not JSON)."""
    def refuse(constant):
        raise ValueError(f"non-JSON constant {constant}")
    return json.loads(text, parse_constant=refuse)


# ---------------------------------------------------------------- strategies

EXTREMES = ["1e308", "1e309", "-1e308", "1e-320", "5e-324", "0", "-0", "inf", "-inf", "nan", "NaN", "1e30",
            str(10**400), "1e400", "-1e400", "abc", "", " ", "1.5", "-1", "0x10", "1_000", "1e", "--", "1e12",
            "1000000000001", str(2**63), str(-(2**63))]

adversarial_numbers = st.one_of(
    st.sampled_from(EXTREMES),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**400).map(str),
    st.text(alphabet="0123456789eE+-.naifNI_x ", max_size=8),
)
reasonable_numbers = st.one_of(
    st.floats(min_value=1e-6, max_value=10.0).map(repr),
    st.integers(min_value=1, max_value=FUZZ_CHEAP_STEPS).map(str),
)


def _expensive(text: str) -> bool:
    """A count the command would accept and then take long to run (steps far beyond FUZZ_CHEAP_STEPS)."""
    try:
        value = float(text)
    except ValueError:
        return False
    return math.isfinite(value) and FUZZ_CHEAP_STEPS < value <= MAX_STEPS


cheap_counts = st.one_of(adversarial_numbers, reasonable_numbers).filter(lambda s: not _expensive(s))
any_numbers = st.one_of(adversarial_numbers, reasonable_numbers)


# ---------------------------------------------------------------- data files


def _separable(n=10, d=2, seed=0):
    """Points at distance >= 0.1 from the plane x0 + x1 = 0, labelled by its side; coordinates in [-5, 5]."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-5, 5, size=(4 * n, d))
    side = X[:, :2].sum(axis=1) if d > 1 else X[:, 0]
    keep = np.abs(side) > 0.1 * math.sqrt(min(d, 2))
    X, side = X[keep][:n], side[keep][:n]
    return X, np.where(side > 0, 1.0, -1.0)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz-data")
    X, y = _separable()
    paths = {
        "train": save_data(folder / "train.npz", X, y),
        "test": save_data(folder / "test.csv", *_separable(seed=1)),
        "test3d": save_data(folder / "test3d.npz", *_separable(d=3, seed=2)),
        "xor": save_data(folder / "xor.csv", np.array([[0.0, 0], [1, 1], [0, 1], [1, 0]]), np.array([1, 1, -1, -1])),
        "folder": folder,
    }
    blocker = folder / "a-file"
    blocker.write_text("a regular file: paths under it cannot be created\n")
    paths["blocker"] = blocker
    return paths


def _csv_text(rows, *, delimiter=",", bom=False, blank_lines=False, quote=False, header=None):
    width = max((len(r) for r in rows), default=2)
    head = header if header is not None else [f"x{j}" for j in range(width - 1)] + ["y"]
    lines = []
    for row in [head] + rows:
        cells = [f'"{c}"' if quote else str(c) for c in row]
        lines.append(delimiter.join(cells))
        if blank_lines:
            lines.append("")
    return ("\ufeff" if bom else "") + "\n".join(lines) + "\n"


cell_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["1", "-1", "0", "2", "0.5", "1e308", "-1e308", "1e309", "5e-324", "nan", "inf", "", "a", "1e400",
                     str(10**400), " 3 ", "1,5"]),
)


@st.composite
def adversarial_csv(draw):
    n_rows = draw(st.integers(0, 5))
    width = draw(st.integers(1, 4))
    rows = []
    for _ in range(n_rows):
        w = width if draw(st.booleans()) else draw(st.integers(0, width + 2))  # ragged rows now and then
        rows.append([draw(cell_values) for _ in range(w)])
    return _csv_text(rows, delimiter=draw(st.sampled_from([",", ";", "\t", ", "])), bom=draw(st.booleans()),
                     blank_lines=draw(st.booleans()), quote=draw(st.booleans()))


@st.composite
def reasonable_csv(draw):
    n = draw(st.integers(2, 8))
    X = draw(st.lists(st.lists(st.floats(-10, 10), min_size=2, max_size=2), min_size=n, max_size=n))
    labels = draw(st.lists(st.sampled_from(["1", "-1"]), min_size=n, max_size=n)
                   | st.lists(st.sampled_from(["0", "1"]), min_size=n, max_size=n))
    return _csv_text([[repr(a), repr(b), lab] for (a, b), lab in zip(X, labels)])


NPZ_CASES = {
    "object X": lambda: {"X": np.array([[1, "a"], [2, "b"]], dtype=object), "y": np.array([1, -1])},
    "string X": lambda: {"X": np.array([["1", "2"], ["3", "4"]]), "y": np.array([1, -1])},
    "complex X": lambda: {"X": np.array([[1j], [2.0]]), "y": np.array([1, -1])},
    "bool X": lambda: {"X": np.array([[True], [False]]), "y": np.array([1, -1])},
    "1-D X": lambda: {"X": np.array([1.0, -1.0]), "y": np.array([1, -1])},
    "3-D X": lambda: {"X": np.ones((2, 2, 2)), "y": np.array([1, -1])},
    "scalar X": lambda: {"X": np.float64(3.0), "y": np.float64(1.0)},
    "y too short": lambda: {"X": np.ones((3, 2)), "y": np.array([1, -1])},
    "y 2-D": lambda: {"X": np.ones((2, 2)), "y": np.array([[1], [-1]])},
    "no y": lambda: {"X": np.ones((2, 2))},
    "no X": lambda: {"y": np.array([1, -1])},
    "zero rows": lambda: {"X": np.ones((0, 2)), "y": np.ones(0)},
    "zero columns": lambda: {"X": np.ones((2, 0)), "y": np.array([1, -1])},
    "one class": lambda: {"X": np.array([[1.0], [2.0]]), "y": np.array([1, 1])},
    "labels 2": lambda: {"X": np.array([[1.0], [2.0]]), "y": np.array([2, -1])},
    "labels 0.5": lambda: {"X": np.array([[1.0], [2.0]]), "y": np.array([0.5, -1])},
    "NaN in X": lambda: {"X": np.array([[np.nan], [2.0]]), "y": np.array([1, -1])},
    "inf in X": lambda: {"X": np.array([[np.inf], [2.0]]), "y": np.array([1, -1])},
    "NaN in y": lambda: {"X": np.array([[1.0], [2.0]]), "y": np.array([np.nan, -1])},
    "huge ints": lambda: {"X": np.array([[2**62], [-(2**62)]]), "y": np.array([1, -1])},
    "uint8 0/1": lambda: {"X": np.array([[1], [2]], dtype=np.uint8), "y": np.array([1, 0], dtype=np.uint8)},
    "params not JSON": lambda: {"X": np.array([[1.0], [-1.0]]), "y": np.array([1, -1]), "params": np.array("{x")},
    "1e308 coordinates": lambda: {"X": np.array([[1e308], [-1e308]]), "y": np.array([1, -1])},
}
RAW_CASES = {
    "not a zip": (b"this is not an npz archive", ".npz"),
    "empty npz": (b"", ".npz"),
    "empty csv": (b"", ".csv"),
    "latin-1 csv": ("x0,y\n\xe9,1\n".encode("latin-1"), ".csv"),
    "NUL in csv": (b"x0,y\n1,1\x00\n-1,-1\n", ".csv"),
    "binary csv": (bytes(range(256)), ".csv"),
    "unknown extension": (b"x0,y\n1,1\n-1,-1\n", ".txt"),
    "no extension": (b"x0,y\n1,1\n-1,-1\n", ""),
}


def _write_case(folder: Path, kind: str, payload) -> Path:
    if kind == "csv":
        path = folder / "data.csv"
        path.write_text(payload, encoding="utf-8")
    elif kind == "npz":
        path = folder / "data.npz"
        np.savez(path, **NPZ_CASES[payload]())
    elif kind == "raw":
        data, suffix = RAW_CASES[payload]
        path = folder / f"data{suffix}"
        path.write_bytes(data)
    elif kind == "folder":
        path = folder / "data.npz"
        path.mkdir()
    else:  # missing
        path = folder / "missing.npz"
    return path


data_cases = st.one_of(
    st.tuples(st.just("csv"), adversarial_csv()),
    st.tuples(st.just("csv"), reasonable_csv()),
    st.tuples(st.just("npz"), st.sampled_from(sorted(NPZ_CASES))),
    st.tuples(st.just("raw"), st.sampled_from(sorted(RAW_CASES))),
    st.tuples(st.sampled_from(["folder", "missing"]), st.none()),
)


# ---------------------------------------------------------------- numeric flags


@FUZZ
@given(flag=st.sampled_from(["--eta", "--eps", "--alpha"]), value=any_numbers)
@example(flag="--eta", value="5e-324")
@example(flag="--eta", value="1e-320")
@example(flag="--eps", value="1e308")
@example(flag="--alpha", value="nan")
def test_predict_numeric_flags(files, flag, value):
    code, out, _ = invoke(["predict", files["train"], flag, value, "--json"])
    if code == 0:
        strict_json(out)


@FUZZ
@given(flag=st.sampled_from(["--eta", "--eps", "--steps", "--per-decade"]), value=cheap_counts)
@example(flag="--steps", value="1e30")
@example(flag="--steps", value=str(10**400))
@example(flag="--steps", value="10000000000000000000000")
@example(flag="--per-decade", value="1e30")
@example(flag="--eta", value="5e-324")
@example(flag="--eps", value="3")
def test_simulate_numeric_flags(files, flag, value):
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "run.state.npz"
        steps = [] if flag == "--steps" else ["--steps", "20"]
        code, out, _ = invoke(["simulate", files["train"], flag, value, *steps, "--state", state, "--json"],
                              outputs=[state], valid=lambda p: np.load(p).close())
        if code == 0:
            strict_json(out)


def test_simulate_steps_message_names_the_range_and_the_fix(files):
    code, _, err = invoke(["simulate", files["train"], "--steps", "1e30"])
    assert code == 2 and "--steps" in err and "between 1 and 1e12" in err and "1e30" in err and "smaller" in err


STABILITY_FLAGS = ["--eta", "--steps", "--reference-steps", "--etas", "--scan-tau", "--scan-max-steps", "--atol", "--rtol"]


@FUZZ
@given(flag=st.sampled_from(STABILITY_FLAGS), value=cheap_counts)
@example(flag="--etas", value="1e-320")
@example(flag="--scan-tau", value="1e308")
@example(flag="--scan-tau", value="1e-320")
@example(flag="--eta", value="1e-320")
def test_stability_numeric_flags(files, flag, value):
    base = {"--steps": "20", "--etas": "none" if flag == "--eta" else "0.01", "--scan-max-steps": "200"}
    base.pop(flag, None)
    if flag == "--etas":
        base["--scan-tau"] = "0.1"  # at most 200 GD steps per scanned eta, larger needs are skipped
    argv = ["stability", files["train"], flag, value, *[a for kv in base.items() for a in kv], "--json"]
    code, out, _ = invoke(argv)
    if code == 0:
        strict_json(out)


DATA_FLAGS = ["--d", "--n-pos", "--n-neg", "--k-pos", "--k-neg", "--gamma", "--box", "--gap", "--sv-spread", "--seed",
              "--n-test", "--alpha"]


def _valid_dataset(path: Path) -> None:
    """A complete data file (a 1-point test set is complete, though `predict` would refuse its one class)."""
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as f:
            assert f["X"].ndim == 2 and f["X"].shape[0] == f["y"].shape[0] >= 1
    else:
        text = path.read_text(encoding="utf-8")
        assert text.endswith("\n") and len(text.splitlines()) >= 2


@FUZZ
@given(flag=st.sampled_from(DATA_FLAGS), value=cheap_counts)
@example(flag="--box", value="1e308")
@example(flag="--gamma", value="1e-320")
@example(flag="--n-pos", value="1e30")
@example(flag="--d", value="1e30")
@example(flag="--seed", value="1e30")
def test_data_numeric_flags(flag, value):
    with tempfile.TemporaryDirectory() as tmp:
        out, std, conc = Path(tmp) / "train.npz", Path(tmp) / "std.csv", Path(tmp) / "conc.npz"
        small = ["--n-pos", "6", "--n-neg", "6", "--k-pos", "2", "--k-neg", "2", "--n-test", "20"]
        small = [a for i in range(0, len(small), 2) if small[i] != flag for a in small[i:i + 2]]
        invoke(["data", out, flag, value, *small, "--standard-test", std, "--concentrated-test", conc, "--json"],
               outputs=[out, std, conc], valid=_valid_dataset)


@FUZZ
@given(value=adversarial_numbers)
@example(value="-1")
@example(value="1e30")
@example(value=str(10**400))
def test_seed_and_counts_of_verify_and_sweep(files, value):
    """--out under a regular file stops `verify` before its (minutes-long) ledger, whatever the seed."""
    code, _, _ = invoke(["verify", "--seed", value, "--out", files["blocker"] / "out"])
    assert code == 2
    for flag in ("--workers", "--max-runs", "--timeout"):
        invoke(["sweep", "gamma", "--list", flag, value])


# ---------------------------------------------------------------- input files


@FUZZ
@given(case=data_cases)
@example(case=("csv", "\ufeffx0,x1,y\n1,1,1\n-1,-1,-1\n"))
@example(case=("csv", "x0;x1;y\n1;1;1\n-1;-1;-1\n"))
@example(case=("csv", "x0\tx1\ty\n1\t1\t1\n-1\t-1\t-1\n"))
@example(case=("csv", "x0,x1,y\n1,1\n-1,-1,-1\n"))
@example(case=("npz", "1e308 coordinates"))
@example(case=("npz", "object X"))
@example(case=("raw", "not a zip"))
def test_malformed_data_files(case):
    with tempfile.TemporaryDirectory() as tmp:
        path = _write_case(Path(tmp), *case)
        for argv in (["predict", path, "--json"], ["simulate", path, "--steps", "5", "--json"]):
            code, out, err = invoke(argv)
            if code == 0:
                strict_json(out)
            elif code == 2 and argv[0] == "predict":
                assert str(path) in err or "numeric range" in err or "linearly separable" in err


@FUZZ
@given(case=data_cases)
def test_malformed_test_files_and_stability(files, case):
    with tempfile.TemporaryDirectory() as tmp:
        path = _write_case(Path(tmp), *case)
        invoke(["predict", files["train"], "--test", path, "--json"])
        invoke(["simulate", files["train"], "--test", path, "--steps", "5", "--json"])
        invoke(["stability", path, "--steps", "5", "--etas", "none", "--json"])


def test_data_and_test_of_different_dimension(files):
    for argv in (["predict", files["train"], "--test", files["test3d"]],
                 ["simulate", files["train"], "--test", files["test3d"], "--steps", "5"],
                 ["stability", files["train"], "--test", files["test3d"], "--steps", "5", "--etas", "none"]):
        code, _, err = invoke(argv)
        assert code == 2 and "features" in err and "same dimension" in err


# ---------------------------------------------------------------- numeric range of the data


@pytest.mark.parametrize("k", [*FUZZ_HUGE_EXPONENTS, *FUZZ_TINY_EXPONENTS])
def test_scaled_separable_data_are_never_called_non_separable(k):
    """X -> 2^k X is exact and keeps separability: a failure there is a numeric-range problem, said so."""
    X, y = _separable()
    with tempfile.TemporaryDirectory() as tmp:
        path = save_data(Path(tmp) / "scaled.npz", np.ldexp(X, k), y)
        code, out, err = invoke(["predict", path, "--json"])
        assert "not linearly separable" not in err
        if code == 2:  # the message names the scale of the data (and, from the solvers, the exact rescaling)
            assert f"largest |coordinate| of {path}" in err
            assert "numeric range" not in err or f"2^{-(k + 3)}" in err
        code, out, err = invoke(["simulate", path, "--steps", "5", "--json"])
        assert "not linearly separable" not in out + err
        code, out, err = invoke(["stability", path, "--steps", "5", "--etas", "none", "--json"])
        assert "not linearly separable" not in out + err


@pytest.mark.parametrize("k", [FUZZ_HUGE_EXPONENTS[-1], FUZZ_TINY_EXPONENTS[0]])
def test_scaled_non_separable_data_are_still_non_separable(files, k):
    data = load_data(files["xor"])
    with tempfile.TemporaryDirectory() as tmp:
        path = save_data(Path(tmp) / "xor.npz", np.ldexp(data.X, k), data.y)
        code, _, err = invoke(["predict", path])
        assert code == 2 and "not linearly separable" in err


# ---------------------------------------------------------------- outputs, state files


def test_outputs_under_a_regular_file_are_rejected_before_work(files):
    blocked = files["blocker"] / "sub"
    cases = [
        (["data", blocked / "x.npz"], [blocked / "x.npz"]),
        (["data", files["folder"] / "ok.npz", "--standard-test", blocked / "t.csv"], [files["folder"] / "ok.npz"]),
        (["data", files["folder"]], []),
        (["data", files["folder"] / "same.npz", "--standard-test", files["folder"] / "same.npz"], []),
        (["simulate", files["train"], "--steps", "5", "--state", blocked / "s.npz"], []),
        (["simulate", files["train"], "--steps", "5", "--state", files["folder"]], []),
        (["verify", "--out", blocked], []),
        (["verify", "--out", files["blocker"]], []),
        (["reproduce", "fig1", "--scale", "quick", "--out", blocked], []),
        (["reproduce", "fig1", "--scale", "quick", "--out", files["blocker"]], []),
        (["reproduce", "fig1", "--scale", "quick", "--out", files["folder"] / "r", "--state-dir", blocked], []),
        (["sweep", "gamma", "--out", blocked], []),
        (["sweep", "gamma", "--out", files["blocker"]], []),
        (["docs", "--out", blocked], []),
        (["docs", "--out", files["blocker"]], []),
    ]
    for argv, outputs in cases:
        code, _, err = invoke(argv, outputs=outputs)
        assert code == 2, (argv, err)
    assert not (files["folder"] / "r").exists()


state_payloads = st.one_of(
    st.binary(max_size=64),
    st.sampled_from(["foreign-npz", "data-npz", "other-run", "damaged-state", "folder"]),
)


@FUZZ
@given(payload=state_payloads)
@example(payload=b"")
@example(payload="other-run")
@example(payload="damaged-state")
def test_corrupted_or_foreign_state_file_is_rejected(files, payload):
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state.npz"
        if isinstance(payload, bytes):
            state.write_bytes(payload)
        elif payload == "foreign-npz":
            np.savez(state, kind=np.array("something else"), t=np.array(3))
        elif payload == "data-npz":
            np.savez(state, X=np.ones((2, 2)), y=np.array([1, -1]))
        elif payload == "folder":
            state.mkdir()
        else:  # a real state file of another run (other eta), possibly with a key removed
            code, _, _ = invoke(["simulate", files["train"], "--steps", "7", "--eta", "0.02", "--state", state])
            assert code == 0 and state.is_file()
            if payload == "damaged-state":
                with np.load(state) as f:
                    arrays = {k: f[k] for k in f.files if k not in ("steps", "theta0")}
                arrays["eta"] = np.array(0.01)
                np.savez(state, **arrays)
        code, _, err = invoke(["simulate", files["train"], "--steps", "7", "--state", state, "--json"], outputs=[state])
        assert code == 2 and "--state" in err


# ---------------------------------------------------------------- sweep configs

TOML_FRAGMENTS = [
    'name = "fz"', 'name = ', 'name = 3', 'name = "../x"', 'name = "a b"', 'description = 3', 'eps = []',
    'eps = [nan]', 'eps = [0.5]', 'eps = "x"', 'levels = [inf]', 'levels = [0.9]', 'foo = 1', 'x = [1,', '[[[',
    '[base]', '[grid]', '[plot]', '[[cases]]', 'steps = 1e30', 'steps = 100', f'steps = {10**30}', 'eta = inf',
    'eta = nan', 'eta = -1', 'eta = 0.01', 'gamma = 1e308', 'gamma = 1e-320', 'box = 1e308', 'seed = [0, 1]',
    'seed = []', 'seed = 3', 'seed = -1', 'seed = [1, "a"]', 'd = 100000000000', 'n_pos = 1e3', 'alpha = inf',
    'per_decade = 100000000000', 'n_test = 0', 'reduction = "max"', 'predict = "yes"', 'x = 3', 'x = "gamma"',
    'measured = "wall_s"', 'predicted = 3', 'predicted = {a = 3}', 'k_neg = [1, 2]', 'unknown = [1]', '\ufeff',
]


@FUZZ
@given(st.lists(st.sampled_from(TOML_FRAGMENTS), max_size=8))
@example(['name = "fz"', "[grid]", "seed = []"])
@example(['name = "fz"', "[base]", "steps = 1e30"])
@example(['name = "fz"', "[plot]", "x = 3", 'measured = "wall_s"'])
@example(['name = "fz"', "[plot]", 'x = "gamma"', 'measured = "wall_s"', "predicted = {a = 3}"])
@example(['name = "fz"', "[base]", "box = 1e308"])
@example(['name = "fz"', "[base]", "d = 100000000000"])
@example(['name = "../x"'])
def test_sweep_configs(fragments):
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "sweep.toml"
        config.write_text("\n".join(fragments) + "\n", encoding="utf-8")
        invoke(["sweep", config, "--list"])
        blocker = Path(tmp) / "a-file"
        blocker.write_text("a regular file\n")
        code, _, _ = invoke(["sweep", config, "--out", blocker / "out"])
        assert code == 2  # a bad config, or a good one refused before Dask starts (the folder cannot be made)


def test_sweep_config_files_that_are_not_configs(files):
    for config in (files["folder"] / "missing.toml", files["folder"], files["blocker"], files["train"]):
        code, _, _ = invoke(["sweep", config, "--list"])
        assert code == 2


def test_sweep_results_table_of_another_kind_is_refused_and_kept(files):
    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp) / "results.csv"
        for payload in (b"\xff\xfe garbage without newline", b"a,b\n1,2\n"):
            table.write_bytes(payload)
            code, _, err = invoke(["sweep", "gamma", "--out", tmp, "--max-runs", "1"], outputs=[table])
            assert code == 2 and table.read_bytes() == payload


# ---------------------------------------------------------------- reproduce archives


@FUZZ
@given(payload=st.one_of(st.binary(max_size=40), st.sampled_from(
    ['{"format": 99}', "[1]", '{"format": "lingrok-reproduction/1"}',
     '{"format": "lingrok-reproduction/1", "target": "fig1", "scale": "quick", "command": "x", "out": "x", '
     '"figures": false, "fingerprint": {}, "setups": 3, "results": {"__dataclass__": "Nope"}}'])))
def test_damaged_reproduction_archive(payload):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "results.json"
        path.write_bytes(payload if isinstance(payload, bytes) else payload.encode())
        code, _, _ = invoke(["reproduce", "fig1", "--scale", "quick", "--out", tmp, "--from-results"],
                            outputs=[path, Path(tmp) / "fig1.json"])
        assert code == 2
        invoke(["reproduce", "fig1", "--scale", "quick", "--out", tmp, "--check"], allowed=(1, 2))


@FUZZ
@given(target=st.one_of(st.sampled_from(["table1", "fig1", "fig2", "fig4", "all"]), st.text(max_size=6)),
       scale=st.one_of(st.sampled_from(["paper", "quick", "full"]), st.text(max_size=6)),
       backend=st.sampled_from(["numba", "numpy", "cupy", "torch", "gpu", ""]),
       extra=st.lists(st.sampled_from(["--no-figures", "--json", "--check"]), max_size=2, unique=True))
@example(target="fig1", scale="quick", backend="numba", extra=["--check"])
def test_reproduce_flags_are_validated_before_any_run(target, scale, backend, extra):
    """--from-results on an empty folder runs nothing: every flag combination ends before GD starts."""
    with tempfile.TemporaryDirectory() as tmp:
        code, _, _ = invoke(["reproduce", target, "--scale", scale, "--backend", backend, "--out", tmp,
                             "--from-results", *extra])
        assert code == 2 and not any(Path(tmp).iterdir())


def test_a_failing_write_leaves_no_file_and_no_traceback(files, monkeypatch, tmp_path):
    """Every writer goes through a temporary file and os.replace: make the rename fail (as a full disk would)."""
    def refuse(src, dst):
        raise OSError(28, "No space left on device", str(dst))

    monkeypatch.setattr(os, "replace", refuse)
    out, std, state = tmp_path / "train.npz", tmp_path / "std.csv", tmp_path / "run.npz"
    code, _, err = invoke(["data", out, "--n-pos", "6", "--n-neg", "6", "--k-pos", "2", "--k-neg", "2",
                           "--standard-test", std, "--n-test", "20"], outputs=[out, std])
    assert code == 2 and "No space left on device" in err
    code, _, err = invoke(["simulate", files["train"], "--steps", "5", "--state", state], outputs=[state])
    assert code == 2 and "No space left on device" in err
    assert not list(tmp_path.iterdir())


def test_a_reader_that_goes_away_is_no_traceback(tmp_path):
    """`lingrok ... | head`: the pipe closes before the output is written; lingrok stops quietly (exit 1,
    nothing on stderr) instead of a BrokenPipeError traceback at the final flush."""
    import subprocess
    import sys

    code = "import sys; from lingrok.cli import main; sys.exit(main(sys.argv[1:]))"
    out = tmp_path / "x.npz"
    proc = subprocess.Popen([sys.executable, "-c", code, "data", str(out), "--preset", "small", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait() in (0, 1) and "Traceback" not in err, err
