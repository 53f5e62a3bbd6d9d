"""lingrok.sweeps.sweep: TOML grids, resumable at-most-once CSV rows, and a real dask.distributed cluster.

The cluster tests start a LocalCluster of two single-threaded worker PROCESSES on 127.0.0.1, run
a tiny sweep, SIGKILL a busy worker mid-sweep, interrupt and resume, and check that every run of
the grid ends up in the table exactly once with the same numbers a serial run gives.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import sys
import time

import pytest

from checks.tolerances import SWEEP_UNREACHABLE_WALL_S
from lingrok.cli import main
from lingrok.errors import UsageError
from lingrok.sweeps.sweep import (
    _Bar,
    builtin_sweeps,
    columns,
    parse_config,
    read_table,
    run_id,
    run_one,
    run_sweep,
)

# Each run: 40 points, 3e5 GD steps (~0.1-0.3 s on one core), so a sweep of 12 runs lasts a few
# seconds on two workers: long enough to kill a worker while runs are pending.
TINY = """
name = "tiny"
eps = [0.0, 0.001]
[base]
n_pos = 20
n_neg = 20
k_pos = 7
gamma = 0.01
steps = 300000
per_decade = 5
n_test = 200
[grid]
k_neg = [7, 5, 3]
seed = [0, 1]
eta = [0.01, 0.05]
"""
VOLATILE = ("wall_s",)  # the only column that depends on where and when a run executed


def _stable(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in VOLATILE}


# ---------------------------------------------------------------- configuration


def test_grid_is_the_cartesian_product_with_distinct_ids():
    cfg = parse_config(TINY)
    assert len(cfg.runs) == 3 * 2 * 2
    combos = {(r["k_neg"], r["seed"], r["eta"]) for r in cfg.runs}
    assert combos == {(k, s, e) for k in (7, 5, 3) for s in (0, 1) for e in (0.01, 0.05)}
    assert len({run_id(r) for r in cfg.runs}) == len(cfg.runs)
    header = columns(cfg.eps, cfg.levels)
    assert len(header) == len(set(header)) and "T_te_concentrated_q0.9_odd" in header
    assert all(r["n_pos"] == 20 and r["k_pos"] == 7 and r["d"] == 2 for r in cfg.runs)  # [base] and defaults


def test_cases_pair_values_and_duplicates_run_once():
    text = TINY.replace("[grid]", "[[cases]]\nn_neg = 20\n[[cases]]\nn_neg = 20\n[[cases]]\nn_neg = 15\n[grid]")
    cfg = parse_config(text)
    assert len(cfg.runs) == 2 * 12  # the repeated case adds nothing
    assert {r["n_neg"] for r in cfg.runs} == {20, 15}


def test_run_id_depends_on_every_parameter():
    base = parse_config(TINY).runs[0]
    for key, value in (("seed", 99), ("eta", 0.123), ("gap", 0.5), ("steps", 7), ("eps", [0.0]), ("levels", [0.5])):
        assert run_id({**base, key: value}) != run_id(base), key


@pytest.mark.parametrize(
    "text, message",
    [
        (TINY.replace("[grid]", "[grid]\ncolour = [1]"), r"\[grid\]: unknown key\(s\) colour"),
        (TINY.replace("[base]", "[base]\nlearning_rate = 0.1"), r"\[base\]: unknown key\(s\) learning_rate"),
        (TINY + "\nextra = 1\n", r"unknown key\(s\) extra"),
        (TINY.replace('name = "tiny"', ""), r"`name`"),
        (TINY.replace("k_neg = [7, 5, 3]", "k_neg = [70]"), r"k_neg"),
        (TINY.replace("k_neg = [7, 5, 3]", "k_neg = []"), r"`k_neg` must be a non-empty list"),
        (TINY.replace("eps = [0.0, 0.001]", "eps = [1.5]"), r"`eps`"),
        (TINY.replace("steps = 300000", "steps = 0"), r"`steps` must be a positive integer"),
        ("name = [", r"not valid TOML"),
        (TINY + '\n[plot]\nx = "nope"\nmeasured = "T_te_standard_eps0_even"\n', r"unknown column\(s\) nope"),
    ],
)
def test_bad_configs_are_usage_errors_naming_the_problem(text, message):
    with pytest.raises(UsageError, match=message):
        parse_config(text, "cfg.toml")


def test_builtin_sweeps_parse_and_cover_the_issue():
    found = builtin_sweeps()
    assert {"fig2-sv-imbalance", "fig4-class-imbalance", "gamma", "eta"} <= set(found)
    for name, path in found.items():
        cfg = parse_config(path.read_text(), str(path))
        assert cfg.name == name and cfg.runs and cfg.plot is not None


def test_cli_bad_config_exits_2_naming_the_key(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(TINY.replace("[grid]", "[grid]\nwarp = [1]"))
    assert main(["sweep", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "warp" in capsys.readouterr().err
    assert main(["sweep", str(tmp_path / "missing.toml")]) == 2


# ---------------------------------------------------------------- the table


def test_read_table_drops_a_line_cut_short(tmp_path):
    cfg = parse_config(TINY)
    header = columns(cfg.eps, cfg.levels)
    path = tmp_path / "results.csv"
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        w.writeheader()
        w.writerow({c: "" for c in header} | {"run_id": "a" * 16, "status": "ok"})
        fh.write("bbbbbbbbbbbbbbbb,2,20,2")  # a crash in the middle of the next append
    rows = read_table(path, header)
    assert [r["run_id"] for r in rows] == ["a" * 16]
    assert path.read_bytes().endswith(b"\n")  # repaired on disk, so the next append starts a new line
    with pytest.raises(UsageError, match="other columns"):
        read_table(path, header[:-1])


def test_run_one_records_errors_instead_of_raising():
    params = dict(parse_config(TINY).runs[0], eta=1e308)  # the first GD step leaves the float64 range
    row = run_one(params)
    assert row["status"].startswith("error") and row["run_id"] == run_id(params)


# ---------------------------------------------------------------- a real cluster


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    lc = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address="127.0.0.1:0")
    client = distributed.Client(lc)
    yield lc, client
    client.close()
    lc.close()


def _busy_worker_pid(client) -> int | None:
    pids = client.run(os.getpid)  # address -> pid of the worker process (started by this test)
    for address, tasks in client.processing().items():
        if tasks and address in pids:
            return pids[address]
    return None


def test_kill_a_worker_interrupt_and_resume_lose_nothing_and_duplicate_nothing(cluster, tmp_path):
    _, client = cluster
    cfg = parse_config(TINY)
    first = run_sweep(cfg, tmp_path, client=client, max_runs=3, progress=False)  # an interrupted sweep
    assert (first.written, first.remaining) == (3, len(cfg.runs) - 3)

    killed = []

    def kill_once(row):
        if not killed:
            pid = _busy_worker_pid(client)
            if pid is not None:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

    second = run_sweep(cfg, tmp_path, client=client, progress=False, on_row=kill_once)
    assert killed, "no worker was busy after the first row: the kill did not happen mid-sweep"
    assert second.already == 3
    if second.remaining:  # only if Dask gave up on a run (KilledWorker): a third start completes it
        second = run_sweep(cfg, tmp_path, client=client, progress=False)
    assert second.remaining == 0
    rows = read_table(tmp_path / "results.csv", columns(cfg.eps, cfg.levels))
    ids = [r["run_id"] for r in rows]
    assert len(ids) == len(set(ids)), "a run was written twice"
    assert set(ids) == {run_id(p) for p in cfg.runs}, "a run is missing"
    assert all(r["status"] == "ok" for r in rows)
    # the numbers do not depend on which worker ran them, nor on the kill: compare with serial runs
    by_id = {r["run_id"]: r for r in rows}
    for params in (cfg.runs[0], cfg.runs[-1]):
        assert _stable(by_id[run_id(params)]) == _stable(run_one(params))
    again = run_sweep(cfg, tmp_path, client=client, progress=False)  # a finished sweep writes nothing
    assert (again.written, again.already) == (0, len(cfg.runs))


def test_sweep_on_a_scheduler_address(cluster, tmp_path):
    lc, _ = cluster
    cfg = parse_config(TINY.replace("k_neg = [7, 5, 3]", "k_neg = [6]").replace("eta = [0.01, 0.05]", "eta = [0.02]")
                       .replace("steps = 300000", "steps = 20000"))
    out = run_sweep(cfg, tmp_path, scheduler=lc.scheduler_address, progress=False)
    assert (out.written, out.remaining, out.failed) == (2, 0, 0)


def test_rows_of_other_code_are_never_resumed(cluster, tmp_path):
    from lingrok.errors import UsageError
    from lingrok.sweeps.sweep import PROVENANCE_FILE, stale_provenance, sweep_fingerprint

    _, client = cluster
    cfg = parse_config(TINY.replace("steps = 300000", "steps = 2000"))
    run_sweep(cfg, tmp_path, client=client, max_runs=2, progress=False)
    record = json.loads((tmp_path / PROVENANCE_FILE).read_text())
    assert record["fingerprint"]["digest"] == sweep_fingerprint().digest and stale_provenance(tmp_path) is None
    assert "numerics.engine" in record["fingerprint"]["files"]  # the GD engine is part of the sweep's code
    # the rows were computed by other code (one module's digest differs): resuming would mix the two
    record["fingerprint"]["digest"] = "0" * 64
    record["fingerprint"]["files"]["numerics.engine"] = "0" * 64
    (tmp_path / PROVENANCE_FILE).write_text(json.dumps(record))
    assert "numerics.engine" in stale_provenance(tmp_path)
    with pytest.raises(UsageError, match="cannot be resumed: the code changed.*numerics.engine"):
        run_sweep(cfg, tmp_path, client=client, progress=False)
    (tmp_path / PROVENANCE_FILE).unlink()
    with pytest.raises(UsageError, match="provenance.json is missing"):
        run_sweep(cfg, tmp_path, client=client, progress=False)
    assert len(read_table(tmp_path / "results.csv", columns(cfg.eps, cfg.levels))) == 2  # nothing appended


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_scheduler_is_a_clear_usage_error(tmp_path, capsys):
    cfg = parse_config(TINY)
    address = f"tcp://127.0.0.1:{_closed_port()}"
    tic = time.perf_counter()
    with pytest.raises(UsageError, match="cannot reach a dask.distributed scheduler"):
        run_sweep(cfg, tmp_path, scheduler=address, timeout_s=1.0, progress=False)
    assert time.perf_counter() - tic < SWEEP_UNREACHABLE_WALL_S
    cfgfile = tmp_path / "tiny.toml"
    cfgfile.write_text(TINY)
    assert main(["sweep", str(cfgfile), "--scheduler", address, "--timeout", "1", "--out", str(tmp_path / "o")]) == 2
    assert "cannot reach" in capsys.readouterr().err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("enabled, terminal, drawn", [
    (True, True, True), (True, False, False), ("always", False, True), (False, True, False),
])
def test_progress_bar_of_runs(enabled, terminal, drawn, monkeypatch):
    """True: tqdm's bar on a terminal only; "always": also elsewhere; False: never."""
    monkeypatch.setattr(sys, "stderr", _Terminal() if terminal else io.StringIO())
    bar = _Bar(10, 3, enabled)
    bar.update(7 - bar.n)
    bar.close()
    err = sys.stderr.getvalue()
    assert ("sweep" in err and "7/10" in err) if drawn else err == ""
