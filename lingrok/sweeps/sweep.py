"""Sweeps: a grid of GD experiments (dataset parameters x seeds x eta) run through Dask, resumably.

A sweep is a TOML file (tomllib)::

    name = "fig2-sv-imbalance"          # required
    description = "..."                 # optional
    eps = [0.0, 0.001]                  # eps of Definition 3.4 (default [0.0, 0.001])
    levels = [0.9]                      # fixed test-accuracy levels (default [0.9])

    [base]                              # parameters shared by every run (defaults below)
    d = 2
    n_pos = 100
    ...
    [grid]                              # each key a list: the runs are the cartesian product
    k_neg = [35, 25, 15, 5]
    seed = [0, 1, 2]
    [[cases]]                           # optional: paired values (product with the grid)
    n_pos = 100
    n_neg = 50
    [plot]                              # optional: the summary figure
    x = "log_delta_abs"                 # a result column
    x_label = "|log delta|"
    measured = "T_te_concentrated_eps0_even"
    predicted = { "asymptotic hyperplane" = "T_te_pred_asym_concentrated_eps0" }

Parameters (``[base]``, ``[grid]``, ``[[cases]]``): the planted data set (numerics.datasets.
PlantedSpec: d, n_pos, n_neg, k_pos, k_neg, gamma, box, gap, sv_spread, seed) and the run
(eta, steps, reduction, per_decade, n_test, alpha, predict). Unknown keys are an error naming them.

Results. One row per run in ``OUT/results.csv``, appended (one write, flushed and fsynced) as
each run finishes, keyed by ``run_id``, a hash of the run's parameters. Restarting the same sweep
skips the run ids already in the table, so an interrupted sweep resumes where it stopped and loses
nothing; a row is written at most once (ids already present are never appended again), and a
line cut short by a crash is removed before appending. Runs that raise are recorded with their
error in ``status``; runs lost with their worker are resubmitted by Dask, and if Dask gives up on
one (KilledWorker) it gets no row, so the next start runs it again.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import math
import os
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from lingrok.errors import UsageError

__all__ = [
    "SPEC_KEYS", "RUN_KEYS", "DEFAULTS", "SweepConfig", "SweepOutcome", "parse_config", "load_config",
    "builtin_sweeps", "run_id", "columns", "run_one", "read_table", "run_sweep", "plot_sweep",
]

SPEC_KEYS = ("d", "n_pos", "n_neg", "k_pos", "k_neg", "gamma", "box", "gap", "sv_spread", "seed")
RUN_KEYS = ("eta", "steps", "reduction", "per_decade", "n_test", "alpha", "predict")
DEFAULTS = {
    "d": 2, "n_pos": 100, "n_neg": 100, "k_pos": 35, "k_neg": 35, "gamma": 1e-3, "box": 5.0, "gap": 0.0,
    "sv_spread": None, "seed": 0,
    "eta": 1e-2, "steps": 10**6, "reduction": "sum", "per_decade": 10, "n_test": 2000, "alpha": 10.0, "predict": True,
}
_TOP_KEYS = ("name", "description", "eps", "levels", "base", "grid", "cases", "plot")
_PLOT_KEYS = ("x", "x_label", "measured", "predicted")
_TESTS = ("standard", "concentrated")
_PARITIES = ("even", "odd")
BUILTIN_DIR = Path(__file__).resolve().parents[2] / "sweeps"


@dataclass(frozen=True)
class SweepConfig:
    """A parsed sweep: its name, the fully specified runs (dicts of SPEC_KEYS + RUN_KEYS + eps + levels), plot settings."""

    name: str
    description: str
    eps: tuple
    levels: tuple
    runs: tuple
    plot: dict | None
    source: str


@dataclass(frozen=True)
class SweepOutcome:
    """What one invocation of :func:`run_sweep` did.

    Attributes:
        table: path of the CSV. total: runs in the sweep. already: rows present before this start.
        written: rows appended now. failed: runs Dask gave up on (no row; rerun on the next start).
        errors: rows written with a non-"ok" status. remaining: runs still without a row.
    """

    table: Path
    total: int
    already: int
    written: int
    failed: int
    errors: int
    remaining: int


def _eps_name(eps: float) -> str:
    return f"eps{eps:g}"


def _level_name(level: float) -> str:
    return f"q{level:g}"


def columns(eps_values, levels=()) -> list[str]:
    """The CSV header for a sweep with these eps and fixed levels (fixed order)."""
    cols = ["run_id", *SPEC_KEYS, *RUN_KEYS, "status", "eta_sharpness", "sup_train_even", "sup_train_odd"]
    for eps in eps_values:
        for parity in _PARITIES:
            cols.append(f"T_tr_{_eps_name(eps)}_{parity}")
            cols += [f"T_te_{test}_{_eps_name(eps)}_{parity}" for test in _TESTS]
    for level in levels:
        for parity in _PARITIES:
            cols += [f"T_te_{test}_{_level_name(level)}_{parity}" for test in _TESTS]
    cols += ["gamma_hat", "b_hat", "delta", "b_inf", "log_delta_abs"]
    for eps in eps_values:
        cols.append(f"T_te_pred_thm46_{_eps_name(eps)}")
        cols += [f"T_te_pred_asym_{test}_{_eps_name(eps)}" for test in _TESTS]
    for level in levels:
        cols += [f"T_te_pred_asym_{test}_{_level_name(level)}" for test in _TESTS]
    cols += ["phase_1_end", "phase_2_end", "peak_distance", "b_final_even", "b_final_odd", "parity_gap_b",
             "sv_ratio", "class_ratio", "wall_s"]
    return cols


# ---------------------------------------------------------------- configuration


def _check_keys(table: dict, allowed, where: str) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}")


def _bounded(params: dict, where: str) -> None:
    """The same ranges as the command-line flags (lingrok.cli): counts and lengths a run can hold in float64."""
    from lingrok.cli import MAX_DIMENSION, MAX_LENGTH, MAX_PER_DECADE, MAX_POINTS, MAX_SEED, MAX_STEPS, MIN_LENGTH

    limits = {"d": MAX_DIMENSION, "n_pos": MAX_POINTS, "n_neg": MAX_POINTS, "k_pos": MAX_POINTS,
              "k_neg": MAX_POINTS, "n_test": MAX_POINTS, "seed": MAX_SEED, "steps": MAX_STEPS,
              "per_decade": MAX_PER_DECADE}
    for key, top in limits.items():
        value = params[key]
        if isinstance(value, int) and not isinstance(value, bool) and value > top:
            raise UsageError(f"{where}: `{key}` must be at most {top:.3g}, got {value}; give a smaller value")
    for key in ("gamma", "box", "gap", "sv_spread"):
        value = params[key]
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0 \
                and not MIN_LENGTH <= value <= MAX_LENGTH:
            raise UsageError(f"{where}: `{key}` must lie in [{MIN_LENGTH:g}, {MAX_LENGTH:g}] (coordinates beyond "
                             f"that leave float64's range), got {value!r}; rescale the problem")


def _validate_run(params: dict, where: str) -> dict:
    """Check a run's values by building its PlantedSpec (errors name the key)."""
    from numerics.datasets import PlantedSpec

    try:
        PlantedSpec(**{k: params[k] for k in SPEC_KEYS})
    except (ValueError, TypeError, OverflowError) as exc:
        raise UsageError(f"{where}: {exc}" + ("" if ";" in str(exc) else "; fix that value in the sweep file")) from None
    _bounded(params, where)
    eta = params["eta"]
    if isinstance(eta, bool) or not isinstance(eta, (int, float)) or not (math.isfinite(eta) and eta > 0):
        raise UsageError(f"{where}: `eta` must be a positive finite number, got {eta!r}; give e.g. 0.01")
    for key in ("steps", "per_decade", "n_test"):
        if isinstance(params[key], bool) or not isinstance(params[key], int) or params[key] < 1:
            raise UsageError(f"{where}: `{key}` must be a positive integer, got {params[key]!r}; give a whole number such as 10")
    if params["reduction"] not in ("sum", "mean"):
        raise UsageError(f"{where}: `reduction` must be \"sum\" or \"mean\", got {params['reduction']!r}; give one of those")
    alpha = params["alpha"]
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not (alpha > 0.5 and math.isfinite(alpha)):
        raise UsageError(f"{where}: `alpha` must be a finite number above 1/2, got {alpha!r}; give e.g. 10")
    if not isinstance(params["predict"], bool):
        raise UsageError(f"{where}: `predict` must be true or false, got {params['predict']!r}; write true or false without quotes")
    out = dict(params)
    for key in ("gamma", "box", "gap", "eta", "alpha"):
        out[key] = float(out[key])
    if out["sv_spread"] is not None:
        out["sv_spread"] = float(out["sv_spread"])
    return out


def parse_config(text: str, source: str = "<string>") -> SweepConfig:
    """Parse a sweep's TOML text (format in the module docstring); every problem is a UsageError naming it."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{source}: not valid TOML ({exc}); fix the syntax (https://toml.io)") from None
    _check_keys(doc, _TOP_KEYS, source)
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        raise UsageError(f"{source}: `name` (a non-empty string) is required; add e.g. name = \"my-sweep\"")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name.strip()):
        raise UsageError(f"{source}: `name` {name!r} names files (OUT/NAME.png, sweep-NAME); use letters, digits, "
                         "'.', '_' and '-' only, starting with a letter or digit")
    eps = doc.get("eps", [0.0, 0.001])
    if not isinstance(eps, list) or not eps or any(isinstance(e, bool) or not isinstance(e, (int, float))
                                                    or not 0 <= e < 1 for e in eps):
        raise UsageError(f"{source}: `eps` must be a non-empty list of numbers in [0, 1), got {eps!r}; write e.g. eps = [0.0, 0.001]")
    levels = doc.get("levels", [0.9])
    if not isinstance(levels, list) or any(isinstance(q, bool) or not isinstance(q, (int, float))
                                           or not 0 < q <= 1 for q in levels):
        raise UsageError(f"{source}: `levels` must be a list of accuracies in (0, 1], got {levels!r}; write e.g. levels = [0.9]")
    allowed = SPEC_KEYS + RUN_KEYS
    base = doc.get("base", {})
    grid = doc.get("grid", {})
    cases = doc.get("cases", [{}])
    if not isinstance(base, dict) or not isinstance(grid, dict):
        raise UsageError(f"{source}: [base] and [grid] must be tables; write them as [base] / [grid] sections of key = value lines")
    if not isinstance(cases, list) or not all(isinstance(c, dict) for c in cases) or not cases:
        raise UsageError(f"{source}: [[cases]] must be an array of tables; write each case as a [[cases]] section")
    _check_keys(base, allowed, f"{source} [base]")
    _check_keys(grid, allowed, f"{source} [grid]")
    for k, case in enumerate(cases):
        _check_keys(case, allowed, f"{source} [[cases]] #{k + 1}")
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise UsageError(f"{source} [grid]: `{key}` must be a non-empty list, got {values!r}; write e.g. {key} = [value1, value2]")
    plot = doc.get("plot")
    if plot is not None:
        if not isinstance(plot, dict):
            raise UsageError(f"{source}: [plot] must be a table; write it as a [plot] section")
        _check_keys(plot, _PLOT_KEYS, f"{source} [plot]")
        missing = [k for k in ("x", "measured") if k not in plot]
        if missing:
            raise UsageError(f"{source} [plot]: missing key(s) {', '.join(missing)}; add them (result columns, e.g. x = \"gamma\")")
        predicted = plot.get("predicted", {})
        if not isinstance(predicted, dict) or not all(isinstance(v, str) for v in predicted.values()):
            raise UsageError(f"{source} [plot]: `predicted` must be a table of label = \"column\", got {predicted!r}; write e.g. predicted = {{ \"label\" = \"column\" }}")
        for key in ("x", "measured", "x_label"):
            if key in plot and not isinstance(plot[key], str):
                raise UsageError(f"{source} [plot]: `{key}` must be a string (a column name), got {plot[key]!r}; quote the column name")
        cols = set(columns([float(e) for e in eps], [float(q) for q in levels]))
        named = [plot["x"], plot["measured"], *dict(plot.get("predicted", {})).values()]
        bad = [c for c in named if c not in cols]
        if bad:
            raise UsageError(f"{source} [plot]: unknown column(s) {', '.join(bad)}; columns are those of results.csv")
    keys = list(grid)
    runs, seen = [], set()
    for case in cases:
        for combo in itertools.product(*(grid[k] for k in keys)):
            params = {**DEFAULTS, **base, **case, **dict(zip(keys, combo))}
            params = _validate_run(params, f"{source} run {dict(zip(keys, combo))}")
            params["eps"] = [float(e) for e in eps]
            params["levels"] = [float(q) for q in levels]
            rid = run_id(params)
            if rid not in seen:  # identical runs (e.g. a case repeating the base) run once
                seen.add(rid)
                runs.append(params)
    return SweepConfig(name.strip(), str(doc.get("description", "")), tuple(float(e) for e in eps),
                       tuple(float(q) for q in levels), tuple(runs), plot, source)


def builtin_sweeps() -> dict:
    """Name -> path of the sweeps shipped in the repository's ``sweeps/`` folder."""
    if not BUILTIN_DIR.is_dir():
        return {}
    return {p.stem: p for p in sorted(BUILTIN_DIR.glob("*.toml"))}


def load_config(path_or_name: str) -> SweepConfig:
    """Read a sweep file, or a built-in sweep by name (``sweeps/NAME.toml``)."""
    path = Path(path_or_name)
    if not path.exists():
        builtin = builtin_sweeps()
        if path_or_name in builtin:
            path = builtin[path_or_name]
        else:
            names = ", ".join(builtin) or "none found"
            raise UsageError(f"CONFIG {path_or_name}: no such file, and not a built-in sweep ({names}); give the path of a .toml file or one of those names")
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark is not TOML
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"CONFIG {path}: cannot read it ({exc}); give a UTF-8 .toml file or the name of a "
                         "built-in sweep") from None
    return parse_config(text, str(path))


def run_id(params: dict) -> str:
    """16 hex digits of the SHA-256 of the run's canonical JSON (SPEC_KEYS, RUN_KEYS, eps and levels)."""
    keyed = {k: params[k] for k in (*SPEC_KEYS, *RUN_KEYS, "eps", "levels")}
    return hashlib.sha256(json.dumps(keyed, sort_keys=True).encode()).hexdigest()[:16]


# ---------------------------------------------------------------- one run (executed on a worker)


def _num(value):
    """A CSV cell: '' for missing, integers (GD steps) as integers, floats by repr, 'inf' for never."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    value = float(value)
    return repr(value) if math.isfinite(value) else ("inf" if value > 0 else "")


def run_one(params: dict) -> dict:
    """Run one configuration of a sweep and return its CSV row (strings), on whichever worker runs it.

    Errors inside the run (e.g. GD leaving the float64 range) are recorded in ``status``, so the
    row is still written once; the grid point is not retried forever.
    """
    from numerics.datasets import PlantedSpec, concentrated_test, planted_dataset, standard_test

    from lingrok.compare.experiment import run_experiment

    eps_values, levels = tuple(params["eps"]), tuple(params["levels"])
    row = {c: "" for c in columns(eps_values, levels)}
    row["run_id"] = run_id(params)
    for key in (*SPEC_KEYS, *RUN_KEYS):
        row[key] = "" if params[key] is None else (str(params[key]).lower() if isinstance(params[key], bool)
                                                  else str(params[key]))
    row["sv_ratio"] = _num(params["k_neg"] / params["k_pos"]) if params["k_pos"] else ""
    row["class_ratio"] = _num(params["n_neg"] / params["n_pos"])
    try:
        spec = PlantedSpec(**{k: params[k] for k in SPEC_KEYS})
        ds = planted_dataset(spec)
        st = standard_test(spec, params["n_test"], seed=spec.seed)
        ct = concentrated_test(spec, params["n_test"], alpha=params["alpha"], seed=spec.seed)
        res = run_experiment(ds.X, ds.y, {"standard": (st.X, st.y), "concentrated": (ct.X, ct.y)},
                             eta=params["eta"], steps=params["steps"], support=ds.sv_index, eps_values=eps_values,
                             levels=levels,
                             per_decade=params["per_decade"], reduction=params["reduction"],
                             predict=params["predict"], alpha=params["alpha"])
    except (ValueError, FloatingPointError, RuntimeError) as exc:
        row["status"] = f"error: {type(exc).__name__}: {exc}"[:300]
        return row
    row["status"] = "ok"
    row["eta_sharpness"] = _num(res.eta_sharpness)
    for parity in _PARITIES:
        for eps in eps_values:
            for test in _TESTS:
                tr = res.time(test, eps, parity)
                row[f"T_te_{test}_{_eps_name(eps)}_{parity}"] = _num(tr.T_te)
                row[f"T_tr_{_eps_name(eps)}_{parity}"] = _num(tr.T_tr)
                row[f"sup_train_{parity}"] = _num(tr.sup_train)
        for level in levels:
            for test in _TESTS:
                row[f"T_te_{test}_{_level_name(level)}_{parity}"] = _num(res.level_time(test, level, parity).T)
    pred = res.prediction
    if pred is not None:
        row.update(gamma_hat=_num(pred.gamma), b_hat=_num(pred.b_hat), delta=_num(pred.delta), b_inf=_num(pred.b_inf),
                   log_delta_abs=_num(abs(math.log(pred.delta)) if math.isfinite(pred.delta) else None))
        if pred.status != "ok":
            row["status"] = f"ok (prediction: {pred.status})"[:300]
        for eps in eps_values:
            if eps in pred.thm46:
                row[f"T_te_pred_thm46_{_eps_name(eps)}"] = _num(pred.thm46[eps][0])
            for test in _TESTS:
                if (test, eps) in pred.asymptotic:
                    row[f"T_te_pred_asym_{test}_{_eps_name(eps)}"] = _num(pred.asymptotic[(test, eps)])
        for level in levels:
            for test in _TESTS:
                if (test, level) in pred.asymptotic_level:
                    row[f"T_te_pred_asym_{test}_{_level_name(level)}"] = _num(pred.asymptotic_level[(test, level)])
    row["phase_1_end"] = _num(res.phase_one_end.t)
    row["phase_2_end"] = _num(res.phase_two_end.t)
    if res.phase_two_end.t is not None:
        row["peak_distance"] = _num(max(d for t, d in zip(res.t, res.distance) if t == res.phase_two_end.t))
    evens = [k for k, t in enumerate(res.t) if t % 2 == 0]
    odds = [k for k, t in enumerate(res.t) if t % 2 == 1]
    row["b_final_even"] = _num(res.b[evens[-1]])
    row["b_final_odd"] = _num(res.b[odds[-1]]) if odds else ""
    row["parity_gap_b"] = _num(res.parity_gap_b)
    row["wall_s"] = f"{res.wall_s:.3f}"
    return row


# ---------------------------------------------------------------- the table


def read_table(path, header: list[str] | None = None) -> list[dict]:
    """Rows of a results table; a last line without its newline (a write cut short) is dropped from the file.

    Args:
        path: the CSV. header: the expected header; a different one raises UsageError.

    Returns:
        list of row dicts (strings); [] if the file does not exist or is empty.
    """
    path = Path(path)
    if not path.exists():
        return []
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the results table ({exc.strerror}); use another --out folder or "
                         "delete it") from None
    if header is not None and data:
        expected = (",".join(header) + "\n").encode()
        if not (data.startswith(expected) or expected.startswith(data)):  # never cut a foreign file
            raise UsageError(f"{path} has other columns than this sweep writes (another sweep's table?); "
                             "use another --out folder or delete the file")
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        with open(path, "r+b") as fh:
            fh.truncate(cut)
            fh.flush()
            os.fsync(fh.fileno())
        data = data[:cut]
    if not data:
        return []
    try:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8")))
        fields = reader.fieldnames
    except (UnicodeDecodeError, csv.Error) as exc:
        raise UsageError(f"{path} is not a results table of lingrok sweep ({exc}); use another --out folder or "
                         "delete the file") from None
    if header is not None and fields != header:
        raise UsageError(f"{path} has other columns than this sweep writes (another sweep's table?); "
                         "use another --out folder or delete the file")
    try:
        return [row for row in reader if row.get("run_id")]
    except csv.Error as exc:
        raise UsageError(f"{path}: malformed results table ({exc}); use another --out folder or delete the file") from None


def _append(path: Path, header: list[str], row: dict) -> None:
    """Append one row (header first if the file is new) in a single write, flushed and fsynced."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    if not path.exists() or path.stat().st_size == 0:
        writer.writeheader()
    writer.writerow(row)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(buf.getvalue())
        fh.flush()
        os.fsync(fh.fileno())


def _Bar(total: int, done: int, enabled):
    """A tqdm bar of runs done on stderr: on a TTY for True (tqdm's ``disable=None``), always for "always"."""
    from tqdm import tqdm  # here, not at the top: `lingrok --help` stays light

    disable = None if enabled is True else enabled != "always"
    return tqdm(total=total, initial=done, desc="sweep", unit="run", file=sys.stderr, disable=disable)


def _connect(scheduler: str | None, n_workers: int | None, timeout_s: float):
    """(client, cluster or None): a LocalCluster on loopback, or a connection to ``scheduler``."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout=f"{timeout_s}s"), None
        except (OSError, TimeoutError, ValueError) as exc:
            raise UsageError(f"--scheduler {scheduler}: cannot reach a dask.distributed scheduler there ({exc}); "
                             "check the address (tcp://HOST:PORT) and that the scheduler is running") from None
    n = n_workers or max(1, os.cpu_count() or 1)
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address="127.0.0.1:0")
    return Client(cluster), cluster


PROVENANCE_FILE = "provenance.json"
SWEEP_ENTRY_MODULES = ("lingrok.sweeps.sweep",)


def sweep_fingerprint():
    """lingrok.provenance.Fingerprint of the code that computes a sweep's rows."""
    from lingrok.provenance import source_fingerprint

    return source_fingerprint(SWEEP_ENTRY_MODULES)


def stale_provenance(out) -> str | None:
    """Why ``out/results.csv`` was not computed by the current code, or None if it was."""
    path = Path(out) / PROVENANCE_FILE
    if not path.is_file():
        return f"{path.as_posix()} is missing (the rows' code is unknown)"
    try:
        recorded = json.loads(path.read_text())["fingerprint"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"{path.as_posix()} is unreadable ({exc})"
    current = sweep_fingerprint()
    if recorded.get("digest") == current.digest:
        return None
    return f"the code changed since its rows were computed (modules: {', '.join(current.changed(recorded.get('files', {})))})"


def _claim_provenance(out: Path, config: SweepConfig, *, resuming: bool) -> None:
    """Refuse to append to rows of other code; record the current code's fingerprint for new rows."""
    from lingrok.errors import UsageError

    if resuming:
        why = stale_provenance(out)
        if why is not None:
            raise UsageError(f"{(out / 'results.csv').as_posix()} cannot be resumed: {why}; delete it to recompute "
                             "every run with the current code, or choose another --out")
        return
    from numerics.datafiles import atomic_write

    fp = sweep_fingerprint()
    atomic_write(out / PROVENANCE_FILE, json.dumps({"sweep": config.name, "fingerprint": {
        "digest": fp.digest, "files": fp.files}}, indent=1) + "\n")


def run_sweep(config: SweepConfig, out, *, scheduler: str | None = None, client=None, n_workers: int | None = None,
              max_runs: int | None = None, progress=True, on_row=None, timeout_s: float = 10.0) -> SweepOutcome:
    """Run the sweep's missing runs through Dask and append each row to ``out/results.csv`` as it finishes.

    Args:
        config: a :class:`SweepConfig`. out: output folder (created).
        scheduler: address of an existing dask.distributed scheduler; None starts a LocalCluster on
            127.0.0.1 with ``n_workers`` single-threaded worker processes (default: one per core).
        client: an existing ``distributed.Client`` to use instead (it is not closed).
        max_runs: submit at most this many of the missing runs (run a sweep in slices; resume later).
        progress: True for a progress bar on a TTY, "always" to force it, False for none.
        on_row: optional callback ``f(row)`` after each appended row.
        timeout_s: seconds to wait for the scheduler.

    Returns:
        :class:`SweepOutcome`.

    Raises:
        UsageError: unreachable scheduler, a results table with other columns, or one computed by
            other code (``out/provenance.json`` holds the fingerprint of the code behind its rows).
    """
    from distributed import as_completed

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    table = out / "results.csv"
    header = columns(config.eps, config.levels)
    done_ids = {row["run_id"] for row in read_table(table, header)}
    _claim_provenance(out, config, resuming=bool(done_ids))
    already = len(done_ids)
    pending = [p for p in config.runs if run_id(p) not in done_ids]
    if max_runs is not None:
        pending = pending[:max_runs]
    written = failed = errors = 0
    bar = _Bar(len(config.runs), already, progress)
    own = client is None
    cluster = None
    if pending:
        if own:
            client, cluster = _connect(scheduler, n_workers, timeout_s)
        try:
            futures = [client.submit(run_one, p, key=f"lingrok-sweep-{run_id(p)}", pure=False) for p in pending]
            for future in as_completed(futures):
                if future.status != "finished":
                    failed += 1
                    continue
                row = future.result()
                if row["run_id"] in done_ids:  # at most once, whatever the scheduler does
                    continue
                _append(table, header, row)
                done_ids.add(row["run_id"])
                written += 1
                errors += not row["status"].startswith("ok")
                bar.update(len(done_ids) - bar.n)
                if on_row is not None:
                    on_row(row)
        finally:
            bar.close()
            if own:
                client.close()
                if cluster is not None:
                    cluster.close()
    remaining = sum(1 for p in config.runs if run_id(p) not in done_ids)
    return SweepOutcome(table, len(config.runs), already, written, failed, errors, remaining)


def plot_sweep(config: SweepConfig, out) -> list[Path]:
    """Draw the sweep's [plot] (measured against the swept quantity and against the predictions)."""
    from lingrok.reproduction.figures import sweep_figure

    if config.plot is None:
        return []
    out = Path(out)
    ids = {run_id(p) for p in config.runs}
    rows = [r for r in read_table(out / "results.csv", columns(config.eps, config.levels)) if r["run_id"] in ids]
    plot = config.plot
    return sweep_figure(rows, out / config.name, title=f"{config.name}: {config.description}".strip(": "),
                        x_key=plot["x"], x_label=plot.get("x_label", plot["x"]), measured=plot["measured"],
                        predicted=dict(plot.get("predicted", {})))
